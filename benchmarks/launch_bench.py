"""Benchmark the launch graph on every example brief with the embedded model.

Per brief: wall time of the run; time inside the model on the critical path;
time inside the tools (catalog, forecasts, optimiser) on the critical path;
orchestration overhead = wall − the critical path's step time (graph,
checkpoints, registry, report files); tokens; and whether marketer and pricing
overlapped (their step intervals, from the run's own accounting).
Prompt tokens are split into those read fresh and those the server reused
from its cache: llama-cpp-python's server does not report the reused count,
so for the embedded model it is estimated from the prefix each prompt shares
with the server's previous request (models.llm.PromptCache). The physical
limit is completion tokens / decode rate + fresh prompt tokens / prompt rate,
both rates measured on the same server at the start of the run.
Targets: overhead at most 5% of wall time; wall / limit at most 1.3.

    .venv/bin/python benchmarks/launch_bench.py [--rounds 2] [--tier small] [--data-dir .greenroom] [BRIEF ...]

The catalog and trained models come from --data-dir (seeded/trained on first
use, which is not timed).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from rich.console import Console
from rich.table import Table

from greenroom.core.brief import load_brief
from greenroom.core.package import StepRecord
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.runs import agent_context, launch_run
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import ModelHandle, prompt_cache

ROOT = Path(__file__).resolve().parent.parent

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
    m_start, p_start = m.started_at.timestamp(), p.started_at.timestamp()  # step start times are UTC datetimes
    return max(0.0, min(m_start + m.seconds, p_start + p.seconds) - max(m_start, p_start))


def _tokens(message: Any, key: str) -> int:
    """A token count from a reply's usage (0 when the provider gave none)."""
    return int((getattr(message, "usage_metadata", None) or {}).get(key, 0))


def measure_rates(handle: ModelHandle) -> tuple[float, float] | None:
    """(prompt tokens/s, decode tokens/s) of a local llama.cpp server, measured now, one request at a time;
    None for other models."""
    if not (handle.local_slots or handle.single_slot):
        return None
    cache = prompt_cache(handle)
    filler = " ".join(f"Line {i}: the {w} keeper counts {i * 7} ships." for i, w in enumerate(["lighthouse", "harbour"] * 60))
    with cache.lock if cache else contextlib.nullcontext():
        handle.chat.invoke([HumanMessage("Say hello.")], extra_body={"max_tokens": 2})  # the server is up and warm
        started = time.perf_counter()
        read = handle.chat.invoke([HumanMessage(f"{uuid.uuid4().hex} {filler}")], extra_body={"max_tokens": 1})
        prompt_rate = _tokens(read, "input_tokens") / (time.perf_counter() - started)
        started = time.perf_counter()
        story = f"{uuid.uuid4().hex} Write a long story about a lighthouse keeper and a storm, in many paragraphs."
        out = handle.chat.invoke([HumanMessage(story)], extra_body={"max_tokens": 200, "max_completion_tokens": 200})
        decode_s = time.perf_counter() - started - _tokens(out, "input_tokens") / prompt_rate
        if cache:
            cache.text = ""  # the server now holds a text no run shares
    return prompt_rate, _tokens(out, "output_tokens") / max(decode_s, 1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("briefs", nargs="*", type=Path, default=sorted((ROOT / "examples" / "briefs").glob("*.*")))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path(".greenroom"))
    parser.add_argument("--provider", default="embedded")
    parser.add_argument("--tier", default="small", choices=("small", "capable", "auto"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=args.data_dir, output_dir=Path(tmp), max_edit_rounds=args.rounds,  # type: ignore[call-arg]
                            model=ModelSettings(provider=args.provider, tier=args.tier))  # fmt: skip
        context = agent_context(settings)
        rates = measure_rates(context.model)
        rate_note = f"prompt {rates[0]:.0f} tok/s, decode {rates[1]:.0f} tok/s" if rates else "rates not measured"
        table = Table(title=f"greenroom launch, {context.model.label}, {args.rounds} edit round(s), {rate_note}")
        columns = ("brief", "status", "wall s", "model s (crit.)", "tools s (crit.)", "overhead %", "calls",
                   "prompt fresh", "prompt reused", "completion", "tokens sent", "longest call s", "limit s", "wall / limit",
                   "plans overlap s", "editor")  # fmt: skip
        for col in columns:
            table.add_column(col, justify="left" if col in ("brief", "status") else "right")
        for path in args.briefs:
            started = time.perf_counter()
            outcome = launch_run(load_brief(path), settings, context)
            wall = time.perf_counter() - started
            if outcome.package is None:
                table.add_row(path.name, outcome.status, f"{wall:.1f}", *["-"] * (len(columns) - 3))
                continue
            acct = outcome.package.accounting
            steps_s, model_s = critical_path(acct.steps)
            overhead = wall - steps_s
            fresh = acct.input_tokens - acct.cached_input_tokens
            limit = acct.output_tokens / rates[1] + fresh / rates[0] if rates else 0.0
            table.add_row(
                path.name, outcome.status, f"{wall:.1f}", f"{model_s:.1f}", f"{steps_s - model_s:.1f}",
                f"{overhead / wall:.1%}", str(acct.model_calls), str(fresh), str(acct.cached_input_tokens),
                str(acct.output_tokens), str(acct.input_tokens + acct.output_tokens),
                f"{max((c.seconds for c in outcome.package.calls), default=0.0):.1f}",
                f"{limit:.1f}" if limit else "-", f"{wall / limit:.2f}" if limit else "-",
                f"{overlap(acct.steps):.2f}", outcome.package.edit_outcome,
            )  # fmt: skip
        Console(width=220).print(table)


if __name__ == "__main__":
    main()
