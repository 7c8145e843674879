"""Promotion engine benchmark: allocation speed and reach against an equal split; fit recovery.

Run: PYTHONPATH=. python benchmarks/promotion_bench.py
Curves are the stated defaults in tools/data/channels.yaml (assumptions, not fitted data),
so reach figures show what the optimiser does with those curves, not real-world reach.
"""

from __future__ import annotations

import statistics
import time

from rich.console import Console
from rich.table import Table

from greenroom.tools.promotion import allocate, fit_channel_curves, load_channel_curves, simulate_history

BUDGETS = (250_000.0, 1_000_000.0, 5_000_000.0)
WEEKS = 12
REPEATS = 3


def allocation_table() -> Table:
    curves = load_channel_curves()
    table = Table(title=f"Allocation: {len(curves)} channels x {WEEKS} weeks, SLSQP with 6 starts (median of {REPEATS} runs)")
    for column in (
        "budget",
        "seconds",
        "reach (90% interval)",
        "equal split (90% interval)",
        "uplift",
        "P(beats equal)",
        "channels funded",
    ):
        table.add_column(column, justify="right")
    for budget in BUDGETS:
        times, plan = [], None
        for _ in range(REPEATS):
            started = time.perf_counter()
            plan = allocate(budget, WEEKS, curves)
            times.append(time.perf_counter() - started)
        assert plan is not None
        r, e = plan.expected_reach, plan.equal_split_reach
        table.add_row(
            f"{budget:,.0f}",
            f"{statistics.median(times):.2f}",
            f"{r.expected / 1e6:,.1f}M [{r.low / 1e6:,.1f}-{r.high / 1e6:,.1f}]",
            f"{e.expected / 1e6:,.1f}M [{e.low / 1e6:,.1f}-{e.high / 1e6:,.1f}]",
            f"{plan.uplift_vs_equal_split:+.1%}",
            f"{plan.prob_beats_equal_split:.0%}",
            str(sum(c.total > 0 for c in plan.channels)),
        )
    return table


def split_table(budget: float = 1_000_000.0) -> Table:
    plan = allocate(budget, WEEKS)
    table = Table(title=f"Allocation detail at {budget:,.0f}: total per channel and marginal reach")
    for column in ("channel", "total", "share", "reach", "next 1,000 adds", "weekly spend (thousands)"):
        table.add_column(column, justify="left" if column in ("channel", "weekly spend (thousands)") else "right")
    for c in plan.channels:
        table.add_row(
            c.channel,
            f"{c.total:,.2f}",
            f"{c.share:.1%}",
            f"{c.expected_reach:,.0f}",
            f"{c.marginal_reach_per_1000:,.0f}",
            " ".join(f"{v / 1000:.0f}" for v in c.weekly_spend),
        )
    table.caption = f"sum of weekly spends = {sum(v for c in plan.channels for v in c.weekly_spend):,.2f}"
    return table


def fit_table(weeks: int, noise: float, seed: int = 7) -> Table:
    truth = load_channel_curves()
    history = simulate_history(truth, weeks=weeks, noise=noise, seed=seed)
    started = time.perf_counter()
    fitted = fit_channel_curves(history, source="simulated history")
    seconds = time.perf_counter() - started
    table = Table(title=f"Fit on simulated data: {weeks} weeks, {noise:.0%} noise, 8 channels in {seconds:.2f} s")
    for column in ("channel", "top err", "half-sat. err", "shape true/fit", "decay true/fit", "R²", "top within 2 se"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for t, f, d in zip(truth, fitted.curves, fitted.diagnostics, strict=True):
        covers = abs(f.top / t.top - 1) <= 2 * f.uncertainty.top
        table.add_row(
            t.name,
            f"{f.top / t.top - 1:+.1%}",
            f"{f.half_saturation / t.half_saturation - 1:+.1%}",
            f"{t.shape:.2f} / {f.shape:.2f}",
            f"{t.decay:.2f} / {f.decay:.2f}",
            f"{d.r2:.3f}",
            "yes" if covers else "no",
        )
    return table


def main() -> None:
    console = Console(width=150)
    console.print(allocation_table())
    console.print(split_table())
    console.print(fit_table(weeks=52, noise=0.03))
    console.print(fit_table(weeks=26, noise=0.10))


if __name__ == "__main__":
    main()
