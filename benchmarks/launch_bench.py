"""Benchmark the launch graph on every example brief with the embedded model.

Per brief: wall time of the run; time inside the model on the critical path;
time inside the tools (catalog, forecasts, optimiser) on the critical path;
orchestration overhead = wall − the critical path's step time (graph,
checkpoints, registry, report files); tokens; and whether marketer and pricing
overlapped (their step intervals, from the run's own accounting).
Target: overhead at most 5% of wall time.

    .venv/bin/python benchmarks/launch_bench.py [--rounds 1] [--data-dir .greenroom] [BRIEF ...]

The catalog and trained models come from --data-dir (seeded/trained on first
use, which is not timed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphs.brief import load_brief  # noqa: E402
from graphs.package import StepRecord  # noqa: E402
from interfaces.runs import agent_context, launch_run  # noqa: E402
from interfaces.settings import ModelSettings, Settings  # noqa: E402

PARALLEL = ("marketer", "pricing")


def critical_path(steps: list[StepRecord]) -> tuple[float, float]:
    """(step seconds, model seconds) along the critical path: serial steps plus the longer plan branch."""
    serial = [s for s in steps if s.step not in PARALLEL]
    branches = [s for s in steps if s.step in PARALLEL]
    longest = max(branches, key=lambda s: s.seconds) if branches else None
    seconds = sum(s.seconds for s in serial) + (longest.seconds if longest else 0.0)
    model = sum(s.model_seconds for s in serial) + (longest.model_seconds if longest else 0.0)
    return seconds, model


def overlap(steps: list[StepRecord]) -> float:
    """Seconds during which marketer and pricing both ran."""
    found = {s.step: s for s in steps if s.step in PARALLEL}
    if len(found) < 2:
        return 0.0
    m, p = found["marketer"], found["pricing"]
    return max(0.0, min(m.started_at + m.seconds, p.started_at + p.seconds) - max(m.started_at, p.started_at))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("briefs", nargs="*", type=Path, default=sorted((ROOT / "examples" / "briefs").glob("*.*")))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=Path(".greenroom"))
    parser.add_argument("--provider", default="embedded")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=args.data_dir, output_dir=Path(tmp), max_edit_rounds=args.rounds,  # type: ignore[call-arg]
                            model=ModelSettings(provider=args.provider))  # fmt: skip
        context = agent_context(settings)
        table = Table(title=f"greenroom launch, {context.model.label}, {args.rounds} edit round(s)")
        for col in ("brief", "status", "wall s", "model s (crit.)", "tools s (crit.)", "overhead s", "overhead %",
                    "tokens in/out", "calls", "plans overlap s"):  # fmt: skip
            table.add_column(col, justify="left" if col in ("brief", "status") else "right")
        for path in args.briefs:
            started = time.perf_counter()
            outcome = launch_run(load_brief(path), settings, context)
            wall = time.perf_counter() - started
            if outcome.package is None:
                table.add_row(path.name, outcome.status, f"{wall:.1f}", *["-"] * 7)
                continue
            acct = outcome.package.accounting
            steps_s, model_s = critical_path(acct.steps)
            overhead = wall - steps_s
            table.add_row(
                path.name, outcome.status, f"{wall:.1f}", f"{model_s:.1f}", f"{steps_s - model_s:.1f}", f"{overhead:.2f}",
                f"{overhead / wall:.1%}", f"{acct.input_tokens}/{acct.output_tokens}", str(acct.model_calls),
                f"{overlap(acct.steps):.2f}",
            )  # fmt: skip
        Console(width=200).print(table)


if __name__ == "__main__":
    main()
