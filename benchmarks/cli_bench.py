"""How long `greenroom --help` and `greenroom --version` take, start to exit (a new process each time).

    python benchmarks/cli_bench.py            # 5 runs of each
    python benchmarks/cli_bench.py --runs 10

The CLI imports its engines (scikit-learn, Chroma, LangChain, llama.cpp) only when a
command runs, so help and version should come back in well under a second. Other
processes share the CPU, so the table also gives the load average.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

GREENROOM = Path(sys.executable).with_name("greenroom")


def _seconds(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(GREENROOM), *args], check=True, capture_output=True)
    return time.perf_counter() - started


def main(runs: Annotated[int, typer.Option(min=1, help="Processes started per command.")] = 5) -> None:
    """Print the median, fastest and slowest start-to-exit time of each command."""
    table = Table(title=f"greenroom start-up ({runs} runs each, load average {os.getloadavg()[0]:.2f})")
    for name in ("command", "median s", "min s", "max s"):
        table.add_column(name, justify="left" if name == "command" else "right")
    for args in (["--help"], ["--version"], ["runs", "--help"]):
        times = [_seconds(args) for _ in range(runs)]
        table.add_row(" ".join(["greenroom", *args]), f"{statistics.median(times):.2f}", f"{min(times):.2f}", f"{max(times):.2f}")
    Console(width=100).print(table)


if __name__ == "__main__":
    typer.run(main)
