"""Audience funnel benchmark: bounds and consistency over a grid of briefs, the funnel of the example briefs,
and each plan's channel mix.

Run: PYTHONPATH=. python benchmarks/funnel_bench.py [--quick]

The grid crosses territories x age bands x budgets x formats (600 briefs; --quick takes every fifth) and
checks in each package: unique reach <= addressable audience, reached >= viewers >= paying viewers,
revenue = paying viewers x revenue per paying viewer, and impressions per person within the frequency cap. In the grid the optimiser runs with 1 start and 100 draws
(a launch uses 6 and 1,000), so that 600 allocations fit on a busy 2-core machine; `--only grid|mix|funnel`
prints one part.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from greenroom.agents.marketer import CAMPAIGN_WEEKS, MarketingInputs, channel_plan
from greenroom.core.brief import Brief, load_brief
from greenroom.core.funnel import AudienceFunnel
from greenroom.core.market import PromotionAllocation
from greenroom.tools.funnel import addressable_audience, build_funnel, frequency_cap
from greenroom.tools.pricing import recommend_pricing
from greenroom.tools.promotion import allocate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples" / "briefs").iterdir() if p.suffix in (".yaml", ".json"))
AUDIENCE_BRIEFS = sorted((ROOT / "benchmarks" / "briefs" / "audience").glob("*.yaml"))

TERRITORIES = (["NZ"], ["US"], ["GB"], ["CA", "AU", "NZ"], ["US", "CA", "GB"], ["JP"], ["BR"], ["DE", "FR"])
AGE_BANDS = ((2, 5), (13, 17), (18, 34), (25, 54), (55, 80))
BUDGETS = (10_000.0, 250_000.0, 2_500_000.0)
FORMATS: dict[str, tuple[str, dict[str, int]]] = {
    "film": ("theatrical", {"minutes": 100}),
    "series": ("subscription", {"episodes": 8}),
    "podcast": ("ad_supported", {"episodes": 6}),
    "article": ("free", {"words": 2000}),
    "music_release": ("transactional", {"tracks": 10}),
}


def grid_brief(territories: list[str], ages: tuple[int, int], budget: float, fmt: str) -> Brief:
    model, length = FORMATS[fmt]
    data: dict[str, Any] = {
        "working_title": "Grid Title",
        "format": fmt,
        "logline": "A title made up for the benchmark grid, to test the funnel's bounds.",
        "genres": ["drama"],
        "audience": {"age_min": ages[0], "age_max": ages[1]},
        "tone": "Plain.",
        "length": length,
        "budget": {"amount": budget, "currency": "USD"},
        "business_model": model,
        "territories": territories,
        "release": {"earliest": dt.date(2027, 9, 1), "latest": dt.date(2027, 12, 1)},
        "constraints": {"age_rating_ceiling": "PG"},
    }
    return Brief.model_validate(data)


def plan(brief: Brief, starts: int = 2, draws: int = 200) -> tuple[PromotionAllocation, AudienceFunnel, list[str]]:
    found = addressable_audience(brief)
    curves, left_out = channel_plan(brief, MarketingInputs(), None, found)
    allocation = allocate(brief.budget.amount, CAMPAIGN_WEEKS[brief.format], curves, audience=found.people,
                          frequency_cap=frequency_cap(), currency=brief.budget.currency, n_starts=starts,
                          n_draws=draws)  # fmt: skip
    pricing = recommend_pricing(brief.business_model, None, currency=brief.budget.currency, fmt=brief.format)
    return allocation, build_funnel(brief, allocation, pricing, addressable=found), left_out


def check(allocation: PromotionAllocation, funnel: AudienceFunnel) -> list[str]:
    """Every broken bound or identity of one package, in words (empty when it holds)."""
    broken = []
    reached, addressable = funnel.stage("reached"), funnel.stage("addressable")
    viewers, paying, revenue = funnel.stage("viewers"), funnel.stage("paying"), funnel.stage("revenue")
    if (
        allocation.unique_reach is not None
        and allocation.audience is not None
        and allocation.unique_reach > allocation.audience + 0.5
    ):
        broken.append("optimiser's unique reach above its audience")
    if reached.point > addressable.point + 0.5 or reached.high > addressable.point + 0.5:
        broken.append("reach above addressable")
    if not reached.point >= viewers.point >= paying.point:
        broken.append("reached >= viewers >= paying broken")
    if funnel.frequency_cap is not None and funnel.gross_impressions > funnel.frequency_cap * reached.point * 1.001:
        broken.append("impressions per person above the frequency cap")
    if abs(revenue.point - paying.point * funnel.revenue_per_paying) > max(0.01, 1e-6 * revenue.point):
        broken.append("revenue != paying x price")
    return broken


def grid_table(step: int) -> Table:
    cases = list(itertools.product(TERRITORIES, AGE_BANDS, BUDGETS, FORMATS))[::step]
    by_format: dict[str, list[tuple[float, float, float, list[str]]]] = {}
    started = time.perf_counter()
    for done, (territories, ages, budget, fmt) in enumerate(cases, 1):
        allocation, funnel, _ = plan(grid_brief(list(territories), ages, budget, fmt), starts=1, draws=100)
        if done % 50 == 0:
            print(f"{done}/{len(cases)} briefs, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        share = funnel.stage("reached").point / max(funnel.stage("addressable").point, 1.0)
        by_format.setdefault(fmt, []).append((share, allocation.seconds, funnel.frequency, check(allocation, funnel)))
    seconds = time.perf_counter() - started
    table = Table(title=f"Funnel bounds over {len(cases)} briefs (territories x age bands x budgets x formats), {seconds:.0f} s")
    for column in ("format", "briefs", "reach / addressable: median", "max", "impressions per person: max",
                   "allocation s: median", "broken"):  # fmt: skip
        table.add_column(column, justify="left" if column == "format" else "right")
    total_broken = 0
    for fmt, rows in by_format.items():
        broken = [b for r in rows for b in r[3]]
        total_broken += len(broken)
        table.add_row(
            fmt, str(len(rows)), f"{statistics.median(r[0] for r in rows):.1%}", f"{max(r[0] for r in rows):.1%}",
            f"{max(r[2] for r in rows):.1f}", f"{statistics.median(r[1] for r in rows):.2f}",
            str(len(broken)) + (f" ({'; '.join(sorted(set(broken)))})" if broken else ""),
        )  # fmt: skip
    table.caption = f"broken bounds or identities in all: {total_broken}"
    return table


def funnel_table(paths: list[Path]) -> list[Table]:
    tables = []
    for path in paths:
        brief = load_brief(path)
        _, funnel, _ = plan(brief, starts=6, draws=1000)
        table = Table(title=f"{path.name}: {brief.format.value}, {brief.business_model.value}, {', '.join(brief.territories)}, "
                            f"ages {brief.audience.age_min}-{brief.audience.age_max}, budget {brief.budget.amount:,.0f} "
                            f"{brief.budget.currency}")  # fmt: skip
        for column in ("stage", "point", "interval", "what the interval is", "source"):
            table.add_column(column, justify="right" if column in ("point", "interval") else "left", overflow="fold")
        for stage in funnel.stages:
            table.add_row(stage.label, f"{stage.point:,.0f}", f"{stage.low:,.0f} - {stage.high:,.0f}", stage.interval,
                          stage.source[:90])  # fmt: skip
        table.caption = (f"gross impressions {funnel.gross_impressions:,.0f} ({funnel.frequency:.1f} per person reached, "
                         f"cap {funnel.frequency_cap:g}); revenue per paying viewer {funnel.revenue_per_paying:,.2f} "
                         f"{funnel.currency}")  # fmt: skip
        tables.append(table)
    return tables


def mix_table(paths: list[Path]) -> Table:
    table = Table(title="Channel mix per brief: share of the promotion budget (channels left out, and why)")
    table.add_column("brief")
    table.add_column("audience")
    table.add_column("spend by channel", overflow="fold")
    table.add_column("left out", overflow="fold")
    for path in paths:
        brief = load_brief(path)
        allocation, _, left_out = plan(brief, starts=6, draws=200)
        shares = ", ".join(
            f"{c.channel} {c.share:.0%}" for c in sorted(allocation.channels, key=lambda c: -c.share) if c.total > 0
        )
        table.add_row(path.stem, f"{brief.format.value}, ages {brief.audience.age_min}-{brief.audience.age_max}",
                      shares, "; ".join(r.split(":")[0] for r in left_out) or "-")  # fmt: skip
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every fifth brief of the grid")
    parser.add_argument("--only", choices=("mix", "funnel", "grid"), help="print only this part")
    args = parser.parse_args()
    console = Console(width=170)
    if args.only in (None, "mix"):
        console.print(mix_table(EXAMPLES + AUDIENCE_BRIEFS))
    if args.only in (None, "funnel"):
        for table in funnel_table(EXAMPLES):
            console.print(table)
    if args.only in (None, "grid"):
        console.print(grid_table(5 if args.quick else 1))


if __name__ == "__main__":
    main()
