"""Results benchmark: weekly re-planning and creative tests on simulated campaigns whose plans are wrong.

Run: .venv/bin/python benchmarks/results_bench.py [--campaigns 200] [--workers 2]   (--campaigns 0: the timing alone)

Each campaign has 8 channels and 10 weeks. Its true curves are the stated defaults of
tools/data/channels.yaml with shape and decay moved within their uncertainty; the plan's curves
have top and half-saturation off by a factor drawn log-uniformly in 0.5-2 (tools/campaign_sim.py).
Budgets cycle through 1, 3 and 8 million. Three ways to spend the budget, all scored on the
hidden true curves:

* static: the plan, spent as planned;
* weekly re-plan: after each week, update the curves from the results so far and re-plan the rest;
* oracle: the optimiser run on the true curves (what perfect knowledge would spend).

Every channel has 3 ad-copy variants with true click rates 1% x lognormal(0, 0.25); impressions are
split day by day by Thompson sampling, and a test stops at 95% probability of being best.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from greenroom.tools.campaign_sim import daily_rows, make_campaign, true_reach
from greenroom.tools.creative_tests import ThompsonAllocator
from greenroom.tools.promotion import allocate, load_channel_curves, week_weights
from greenroom.tools.results import planned_spend, update_results

WEEKS = 10
BUDGETS = (1_000_000.0, 3_000_000.0, 8_000_000.0)
VARIANTS = 3
BENCH_STARTS = 3
"""Optimiser starts in the benchmark's many re-plans (the timing table uses the default 6)."""


def one_campaign(seed: int) -> dict[str, object]:
    base = load_channel_curves()
    names = [c.name for c in base]
    budget = BUDGETS[seed % len(BUDGETS)]
    campaign = make_campaign(base, seed, variants=VARIANTS)
    weights = week_weights("total_reach", WEEKS)
    oracle = allocate(budget, WEEKS, campaign.curves, n_starts=BENCH_STARTS, n_draws=10, seed=seed)
    plan = allocate(budget, WEEKS, campaign.prior, n_starts=BENCH_STARTS, n_draws=10, seed=seed)
    oracle_reach = true_reach(campaign, planned_spend(oracle, names), weights)
    static_reach = true_reach(campaign, planned_spend(plan, names), weights)

    spend = planned_spend(plan, names)
    rng = np.random.default_rng(seed)
    tests = ThompsonAllocator(dict.fromkeys(names, VARIANTS), seed=seed)
    rows: list[dict[str, object]] = []
    seconds = []
    for week in range(WEEKS):
        rows += daily_rows(campaign, spend, week, rng, tests.shares, tests.record)
        if week < WEEKS - 1:
            started = time.perf_counter()
            update = update_results("bench", plan, campaign.prior, pd.DataFrame(rows), campaign.start,
                                    n_starts=BENCH_STARTS, seed=seed)  # fmt: skip
            seconds.append(time.perf_counter() - started)
            assert update.replanned is not None
            spend[:, week + 1 :] = planned_spend(update.replanned, names)
    replan_reach = true_reach(campaign, spend, weights)

    picks = []
    for channel in names:
        shown = tests.impressions[channel]
        if shown.sum() == 0:
            continue
        rates = np.asarray(campaign.click_rates[channel])
        best = float(rates.max())
        chosen = tests.pick(channel)
        gap = sorted(rates)[-1] / sorted(rates)[-2] - 1
        picks.append({
            "correct": chosen == int(rates.argmax()), "stopped": channel in tests.winner,
            "within_5": rates[chosen] >= 0.95 * best, "gap": gap,
            "regret": float((shown * (best - rates)).sum()), "best_clicks": float(shown.sum() * best),
            "impressions": int(shown.sum()),
        })  # fmt: skip
    return {
        "seed": seed, "budget": budget, "oracle": oracle_reach, "static": static_reach / oracle_reach,
        "replan": replan_reach / oracle_reach, "picks": picks, "update_seconds": seconds,
    }  # fmt: skip


def replan_timing(repeats: int = 10) -> tuple[float, float]:
    """Median and worst seconds of a full update and re-plan (6 starts, 1,000 draws) of a 10-week 8-channel campaign at week 4."""
    base = load_channel_curves()
    names = [c.name for c in base]
    campaign = make_campaign(base, 12345)
    plan = allocate(3_000_000.0, WEEKS, campaign.prior)
    spend = planned_spend(plan, names)
    rng = np.random.default_rng(0)
    tests = ThompsonAllocator(dict.fromkeys(names, VARIANTS))
    rows: list[dict[str, object]] = []
    for week in range(4):
        rows += daily_rows(campaign, spend, week, rng, tests.shares, tests.record)
    frame = pd.DataFrame(rows)
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        update_results("timing", plan, campaign.prior, frame, campaign.start, seed=i)
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    console = Console(width=150)
    if args.campaigns < 1:  # the timing table alone, e.g. on a quiet machine
        median, worst = replan_timing()
        console.print(
            f"Update and re-plan at week 4 (10 weeks, 8 channels, 6 starts): median {median:.2f} s, worst {worst:.2f} s"
        )
        return
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(one_campaign, range(args.campaigns)))
    wall = time.perf_counter() - started

    reach = Table(title=f"Reach as a share of the oracle: {len(results)} campaigns, {WEEKS} weeks, 8 channels, "
                        "plan curves off by 0.5-2x (top and half-saturation)")  # fmt: skip
    for column in ("spending", "mean", "median", "10th pct", "worst", "campaigns >= 90%"):
        reach.add_column(column, justify="left" if column == "spending" else "right")
    for key, name in (("static", "static plan"), ("replan", "weekly re-plan")):
        values = [float(r[key]) for r in results]  # type: ignore[arg-type]
        reach.add_row(name, f"{np.mean(values):.1%}", f"{np.median(values):.1%}", f"{_pct(values, 10):.1%}",
                      f"{min(values):.1%}", f"{np.mean([v >= 0.9 for v in values]):.0%}")  # fmt: skip
    reach.add_row("oracle", "100%", "100%", "100%", "100%", "100%")
    console.print(reach)

    picks = [p for r in results for p in r["picks"]]  # type: ignore[attr-defined]
    campaigns_all = [all(p["correct"] for p in r["picks"]) for r in results]  # type: ignore[attr-defined]
    creative = Table(title=f"Creative tests: {len(picks)} tests ({VARIANTS} variants each) in {len(results)} campaigns, "
                           "Thompson sampling, stop at 95%")  # fmt: skip
    for column in ("tests", "count", "best picked", "pick within 5% of best", "stopped", "regret (share of best clicks)"):
        creative.add_column(column, justify="left" if column == "tests" else "right")

    def row(label: str, chosen: list[dict[str, float]]) -> None:
        if not chosen:
            return
        regret = sum(p["regret"] for p in chosen) / max(sum(p["best_clicks"] for p in chosen), 1e-9)
        creative.add_row(label, str(len(chosen)), f"{np.mean([p['correct'] for p in chosen]):.1%}",
                         f"{np.mean([p['within_5'] for p in chosen]):.1%}", f"{np.mean([p['stopped'] for p in chosen]):.0%}",
                         f"{regret:.2%}")  # fmt: skip

    row("all tests", picks)
    row("best ahead by >= 5%", [p for p in picks if p["gap"] >= 0.05])
    row("best ahead by < 5%", [p for p in picks if p["gap"] < 0.05])
    row("stopped at 95%", [p for p in picks if p["stopped"]])
    console.print(creative)
    console.print(f"Campaigns whose every test picked the truly best variant: {np.mean(campaigns_all):.1%}")

    median, worst = replan_timing()
    per_update = [s for r in results for s in r["update_seconds"]]  # type: ignore[attr-defined]
    timing = Table(title="Update and re-plan time (10 weeks, 8 channels)")
    for column in ("what", "median s", "worst s"):
        timing.add_column(column, justify="left" if column == "what" else "right")
    timing.add_row("at week 4: curve update, re-plan (6 starts), 1,000 posterior draws, creative tests", f"{median:.2f}",
                   f"{worst:.2f}")  # fmt: skip
    timing.add_row(f"every weekly update in the benchmark ({BENCH_STARTS} starts)", f"{statistics.median(per_update):.2f}",
                   f"{max(per_update):.2f}")  # fmt: skip
    console.print(timing)
    console.print(f"{len(results)} campaigns in {wall:.0f} s on {args.workers} worker(s).")


if __name__ == "__main__":
    main()
