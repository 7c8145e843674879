"""Words on the embedded model: does the writer/editor loop finish with clean, checked content?

For every brief (the examples plus `benchmarks/briefs/`, every format, rating
ceilings G to R, budgets 5k to 50M, non-English territories) and every seed,
runs the writer/editor loop on the embedded model and prints, per code version:
loops completed, share of the deterministic checks the final draft passes
(the current checks, the same yardstick for every version), drafts with debris
(brackets, quotes, field names or instructions in the text), fields from the
model against fallback fields, approvals, and the writer + editor model seconds.

`--baseline REV` also runs the code at a git revision (e.g. the commit before a
change) in the same run, from a temporary worktree, so the two tables compare
like with like on the same machine.

`--tier small|capable|auto` picks the embedded model (`model.tier`); `--show N` prints the first N final drafts of
this checkout in full, as a producer reads them, with the fields drafted from the brief marked.

    .venv/bin/python benchmarks/content_bench.py [--seeds 3] [--rounds 2] [--tier auto] [--show 3] [--baseline REV] [BRIEF ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from greenroom.agents.writer import outline_count
from greenroom.core.brief import load_brief
from greenroom.core.schemas import DRAFT_FIELDS, Draft, DraftHooks, DraftOutline, DraftPitch, OutlineItem
from greenroom.core.text import FORBIDDEN
from greenroom.tools.draft_checks import check_draft, hard_failures, scaffolding

ROOT = Path(__file__).resolve().parent.parent
BRIEFS = sorted((ROOT / "examples" / "briefs").glob("*.*")) + sorted((ROOT / "benchmarks" / "briefs").glob("*.yaml"))

# Runs inside a subprocess against one code tree: the current package, or an older checkout with top-level folders.
WORKER = r"""
import json, sys, time, traceback
from pathlib import Path
code, data, seed, rounds, tier, briefs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6:]
if (code / "core").is_dir():
    from greenroom.core.brief import load_brief
    from greenroom.core.settings import ModelSettings
    from greenroom.interfaces.runs import model_for, run_write
    from greenroom.interfaces.settings import Settings
else:
    sys.path.insert(0, str(code))
    from graphs.brief import load_brief
    from interfaces.runs import model_for, run_write
    from interfaces.settings import ModelSettings, Settings
settings = Settings(_env_file=None, data_dir=data, model=ModelSettings(provider="embedded", seed=seed, tier=tier), max_edit_rounds=rounds)
model = model_for(settings)
for path in briefs:
    started = time.perf_counter()
    row = {"brief": Path(path).stem, "seed": seed}
    try:
        result = run_write(load_brief(path), settings, model=model)
        row.update(done=True, draft=result.draft.model_dump(mode="json"), outcome=result.outcome, rounds=result.rounds,
                   calls=[c.model_dump(mode="json") for c in result.calls])
    except Exception as exc:
        row.update(done=False, error=f"{type(exc).__name__}: {exc}"[:300], calls=[c.model_dump(mode="json") for c in getattr(exc, "calls", [])])
    row["wall"] = time.perf_counter() - started
    print(json.dumps(row), flush=True)
"""


def _draft(data: dict[str, Any]) -> Draft:
    """A draft from either version's JSON, without validation (an old draft may hold text the new types refuse)."""
    flat = "pitch" not in data
    pitch = data if flat else data["pitch"]
    outline = data["outline"] if flat else data["outline"]["outline"]
    hooks = data if flat else data["hooks"]
    return Draft.model_construct(
        pitch=DraftPitch.model_construct(logline=pitch["logline"], synopsis=pitch["synopsis"]),
        outline=DraftOutline.model_construct(outline=[OutlineItem.model_construct(**item) for item in outline]),
        hooks=DraftHooks.model_construct(
            taglines=hooks["taglines"],
            ad_copy=hooks["ad_copy"],
            content_tags=hooks["content_tags"],
            age_rating=hooks["age_rating"],
        ),
        fallbacks=[],
    )


def _texts(draft: Draft) -> list[str]:
    items = [text for item in draft.outline.outline for text in (item.heading, item.summary)]
    return [
        draft.pitch.logline,
        draft.pitch.synopsis,
        *items,
        *draft.hooks.taglines,
        *draft.hooks.ad_copy,
        *draft.hooks.content_tags,
    ]


def debris(draft: Draft) -> bool:
    """Whether any text holds JSON debris, field names or the writer's instructions."""
    return any(any(ch in text for ch in FORBIDDEN) or scaffolding(text) for text in _texts(draft))


def run_one(code: Path, seed: int, rounds: int, brief: Path, tier: str = "auto") -> dict[str, Any]:
    """One writer/editor loop in a subprocess against `code`."""
    with tempfile.TemporaryDirectory() as data:
        cmd = [sys.executable, "-c", WORKER, str(code), data, str(seed), str(rounds), tier, str(brief)]
        out = subprocess.run(cmd, cwd=data, capture_output=True, text=True, check=False).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return (
        rows[0]
        if rows
        else {"brief": brief.stem, "seed": seed, "done": False, "error": "the worker died", "calls": [], "wall": 0.0}
    )


def summarise(rows: list[dict[str, Any]], briefs: dict[str, Path]) -> dict[str, str]:
    done = [r for r in rows if r["done"]]
    checks_passed = checks_total = drafts_with_debris = approvals = fallback_fields = model_fields = hard_failing = 0
    for row in done:
        draft = _draft(row["draft"])
        brief = load_brief(briefs[row["brief"]])
        checks = check_draft(draft, brief, outline_wanted=outline_count(brief))
        checks_passed += sum(c.passed for c in checks)
        checks_total += len(checks)
        drafts_with_debris += debris(draft)
        hard_failing += bool(hard_failures(draft, brief, outline_wanted=outline_count(brief)))
        approvals += row["outcome"] == "approved"
        fallback = {f["field"] for f in row["draft"].get("fallbacks", [])}
        fallback_fields += len(fallback)
        model_fields += len(DRAFT_FIELDS) - len(fallback)
    seconds = [sum(c["seconds"] for c in r["calls"] if c["agent"] in ("writer", "editor")) for r in rows]
    tokens = [sum(c["input_tokens"] + c["output_tokens"] for c in r["calls"]) for r in rows]
    return {
        "loops completed": f"{len(done)}/{len(rows)}",
        "checks passed": f"{checks_passed / max(checks_total, 1):.1%}",
        "drafts with debris": str(drafts_with_debris),
        "drafts shipping a field that fails a hard check": str(hard_failing),
        "fields model / fallback": f"{model_fields} / {fallback_fields}",
        "approved": f"{approvals}/{len(rows)}",
        "writer+editor model s (median)": f"{statistics.median(seconds):.1f}" if seconds else "-",
        "writer+editor model s (total)": f"{sum(seconds):.0f}",
        "longest call s": f"{max((c['seconds'] for r in rows for c in r['calls']), default=0.0):.1f}",
        "calls cut off at the deadline": str(sum(c.get("finish_reason") == "deadline" for r in rows for c in r["calls"])),
        "tokens per loop (median)": f"{statistics.median(tokens):.0f}" if tokens else "-",
    }


def full_draft(row: dict[str, Any]) -> str:
    """One final draft as a producer reads it, each field drafted from the brief marked."""
    data = row["draft"]
    drafted = {f["field"] for f in data.get("fallbacks", [])}

    def head(title: str, field: str) -> str:
        return f"{title}{' (drafted from the brief)' if field in drafted else ''}"

    outline = "\n".join(f"  {i}. {item['heading']}: {item['summary']}" for i, item in enumerate(data["outline"]["outline"], 1))
    hooks = data["hooks"]
    return "\n".join([
        f"--- {row['brief']}, seed {row['seed']}: {row['outcome']} after {row['rounds']} round(s)",
        f"{head('Logline', 'pitch.logline')}: {data['pitch']['logline']}",
        f"{head('Synopsis', 'pitch.synopsis')}: {data['pitch']['synopsis']}",
        f"{head('Outline', 'outline')}:\n{outline}",
        f"{head('Taglines', 'hooks.taglines')}: " + " / ".join(hooks["taglines"]),
        f"{head('Ad copy', 'hooks.ad_copy')}: " + " / ".join(hooks["ad_copy"]),
        f"{head('Tags', 'hooks.content_tags')}: {', '.join(hooks['content_tags'])}; "
        f"{head('rating', 'hooks.age_rating')} {hooks['age_rating']}",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("briefs", nargs="*", type=Path, default=BRIEFS)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per brief (7, 8, ...)")
    parser.add_argument("--rounds", type=int, default=2, help="writer/editor rounds")
    parser.add_argument("--tier", default="auto", choices=["small", "capable", "auto"], help="the embedded model (model.tier)")
    parser.add_argument("--show", type=int, default=0, help="print this many final drafts of this checkout in full")
    parser.add_argument("--baseline", help="also run the code at this git revision, e.g. the commit before a change")
    args = parser.parse_args()
    console = Console(width=140)
    versions: list[tuple[str, Path]] = [("this checkout", ROOT)]
    worktree = None
    if args.baseline:
        worktree = Path(tempfile.mkdtemp(prefix="content-bench-")) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), args.baseline], check=True)
        versions.insert(0, (f"baseline {args.baseline}", worktree))
    args.briefs = [p.resolve() for p in args.briefs]  # the workers run in their own folders
    by_name = {p.stem: p for p in args.briefs}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in versions}
    try:
        # Versions alternate brief by brief, so whatever else the machine does weighs on both alike.
        for seed in range(7, 7 + args.seeds):
            for brief in args.briefs:
                for name, code in versions:
                    row = run_one(code, seed, args.rounds, brief, args.tier)
                    rows[name].append(row)
                    state = "done" if row["done"] else f"failed: {row.get('error', '')[:80]}"
                    console.print(f"  {name} seed {seed} {row['brief']}: {state} in {row['wall']:.0f} s")
    finally:
        if worktree is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)
    results = {name: summarise(found, by_name) for name, found in rows.items()}
    for row in [r for r in rows["this checkout"] if r["done"]][: args.show]:
        console.print(full_draft(row), markup=False, highlight=False)
    table = Table(
        title=f"Writer/editor loop on the embedded model ({args.tier} tier): {len(args.briefs)} briefs x {args.seeds} seeds"
    )
    table.add_column("metric")
    for name in results:
        table.add_column(name, justify="right")
    for metric in next(iter(results.values())):
        table.add_row(metric, *(results[name][metric] for name in results))
    console.print(table)
    console.print(
        "Targets: every loop completes, at least 90% of checks passed, no draft with debris, no slower than the baseline."
    )


if __name__ == "__main__":
    main()
