"""Seeding speed: the bundled 17,472 films into an empty catalog, with and without the shipped vectors.

    python benchmarks/seed_bench.py                  # both ways (embedding all takes minutes on 2 cores)
    python benchmarks/seed_bench.py --skip-embedding # the shipped vectors only, plus the CLI as a user runs it

"shipped vectors" is what a first run does now: read the vectors file, check
it (fingerprint, and 8 titles embedded afresh), insert into Chroma. "embed
every title" is the fallback (and what every first run did before the file
shipped): the same code with the file absent. "CLI" runs `greenroom catalog
seed` in a fresh process on an empty data folder, imports included. Other
processes share the CPU, so the table gives CPU seconds and the load average.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from greenroom.store.catalog import Catalog
from greenroom.store.seed import ensure_seeded
from greenroom.store.seed_vectors import SEED_VECTORS_PATH

console = Console(width=150)


def _seed_once(folder: Path, vectors_path: Path) -> tuple[float, float, int, str]:
    """Wall s, CPU s (this process), titles added and where their vectors came from."""
    catalog = Catalog.persistent(folder)
    wall, cpu = time.perf_counter(), time.process_time()
    report = ensure_seeded(catalog, vectors_path=vectors_path)
    return time.perf_counter() - wall, time.process_time() - cpu, report.added, report.vectors


def _cli_once(folder: Path) -> tuple[float, str]:
    """Wall s of `greenroom catalog seed` on an empty data folder, and its last line."""
    env = {**os.environ, "GREENROOM_DATA_DIR": str(folder), "GREENROOM_CHROMA_URL": ""}
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "greenroom"), "catalog", "seed"], env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - started, done.stdout.strip().splitlines()[-1]


def main(skip_embedding: Annotated[bool, typer.Option(help="Leave out the embed-every-title row (minutes).")] = False) -> None:
    """Print one row per way of seeding."""
    size = SEED_VECTORS_PATH.stat().st_size if SEED_VECTORS_PATH.is_file() else 0
    console.print(f"vectors file: {SEED_VECTORS_PATH} ({size / 1e6:.1f} MB); cores: {len(os.sched_getaffinity(0))}")
    table = Table(title="Seeding 17,472 films into an empty catalog")
    for column in ("way", "titles", "wall s", "CPU s", "titles/s", "load avg", "vectors"):
        table.add_column(column, justify="left" if column in ("way", "vectors") else "right")
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as tmp:
        ways = [("shipped vectors", SEED_VECTORS_PATH)]
        if not skip_embedding:
            ways.append(("embed every title", Path(tmp) / "no-vectors.npz"))
        for name, vectors_path in ways:
            wall, cpu, added, how = _seed_once(Path(tmp) / name.replace(" ", "-"), vectors_path)
            load = os.getloadavg()[0]
            table.add_row(name, f"{added:,}", f"{wall:.1f}", f"{cpu:.1f}", f"{added / wall:,.0f}", f"{load:.2f}", how)
        wall, line = _cli_once(Path(tmp) / "cli")
        table.add_row("CLI: greenroom catalog seed", "", f"{wall:.1f}", "", "", f"{os.getloadavg()[0]:.2f}", line)
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
