"""Benchmark `greenroom write` on every example brief with the embedded model.

Prints, per brief: wall time, time inside the model, tokens generated,
tokens/s, structured-output calls and how many were valid at the first try
and after repair. Target: at least 95% valid after repair over 20+ calls.

    .venv/bin/python benchmarks/write_bench.py [--rounds 2] [BRIEF ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from greenroom.core.brief import load_brief
from greenroom.core.schemas import CallRecord
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.runs import model_for, run_write
from greenroom.interfaces.settings import Settings
from greenroom.models.structured import StructuredOutputError

ROOT = Path(__file__).resolve().parent.parent


def _requests(calls: list[CallRecord]) -> tuple[int, int, int]:
    """(structured requests, valid at the first try, valid after repair)."""
    requests = sum(1 for c in calls if c.attempt == 1)
    first = sum(1 for c in calls if c.attempt == 1 and c.valid)
    return requests, first, sum(1 for c in calls if c.valid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("briefs", nargs="*", type=Path, default=sorted((ROOT / "examples" / "briefs").glob("*.*")))
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None, data_dir=Path(tmp), model=ModelSettings(provider="embedded"), max_edit_rounds=args.rounds
        )  # type: ignore[call-arg]
        started = time.perf_counter()
        model = model_for(settings)
        startup = time.perf_counter() - started
        table = Table(title=f"greenroom write on the embedded model ({model.label}), up to {args.rounds} rounds")
        for column in (
            "brief",
            "outcome",
            "rounds",
            "wall s",
            "model s",
            "tokens out",
            "tok/s",
            "requests",
            "valid 1st",
            "valid after repair",
        ):
            table.add_column(column, justify="left" if column in ("brief", "outcome") else "right")
        totals = [0, 0, 0]
        for path in args.briefs:
            brief = load_brief(path)
            started = time.perf_counter()
            try:
                result = run_write(brief, settings, model=model)
                calls, outcome, rounds = result.calls, result.outcome, result.rounds
            except StructuredOutputError as exc:
                calls, outcome, rounds = exc.calls, "failed", 0
            wall = time.perf_counter() - started
            model_s = sum(c.seconds for c in calls)
            tokens = sum(c.output_tokens for c in calls)
            requests, first, repaired = _requests(calls)
            totals = [totals[0] + requests, totals[1] + first, totals[2] + repaired]
            table.add_row(path.name, outcome, str(rounds), f"{wall:.1f}", f"{model_s:.1f}", str(tokens),
                          f"{tokens / model_s:.1f}" if model_s else "-", str(requests), str(first), str(repaired))  # fmt: skip
        Console(width=200).print(table)
        requests, first, repaired = totals
        print(f"model start-up: {startup:.1f} s")
        print(f"structured requests: {requests}; valid at first try: {first} ({first / max(requests, 1):.0%}); "
              f"valid after repair: {repaired} ({repaired / max(requests, 1):.0%}); target >= 95% over >= 20 requests")  # fmt: skip


if __name__ == "__main__":
    main()
