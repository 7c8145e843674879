"""Pricing engine benchmark: expected revenue at the recommended price against the reference price.

Run: PYTHONPATH=. python benchmarks/pricing_bench.py
Briefs carry no price, so the comparison is with each tier's reference price (a stated prior).
Revenue is per 1,000 prospects; subscriptions count 12 months.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from greenroom.core.market import PricingAssumptions, PricingRecommendation
from greenroom.tools.pricing import recommend_pricing, train_churn_model


def tier_table(title: str, plans: list[tuple[str, PricingRecommendation]]) -> Table:
    table = Table(title=title)
    columns = ("case", "tier", "ref. price", "revenue @ref", "recommended", "revenue @rec", "change", "churn @ref", "churn @rec")
    for column in columns:
        table.add_column(column, justify="left" if column in ("case", "tier") else "right")
    for case, plan in plans:
        for tier in plan.tiers:
            ref, rec = tier.reference, tier.recommended
            table.add_row(
                case,
                tier.tier,
                f"{ref.price:.2f}",
                f"{ref.expected_revenue:,.0f}",
                f"{rec.price:.2f}",
                f"{rec.expected_revenue:,.0f}",
                f"{rec.expected_revenue / ref.expected_revenue - 1:+.1%}",
                "-" if ref.expected_monthly_churn is None else f"{ref.expected_monthly_churn:.1%}",
                "-" if rec.expected_monthly_churn is None else f"{rec.expected_monthly_churn:.1%}",
            )
    return table


def offers_table(plan: PricingRecommendation) -> Table:
    table = Table(title="Retention offers per segment (subscription, data set's own churn rate)")
    for column in ("segment", "share", "churn risk", "best discount", "return / subscriber", "offer?"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for o in plan.offers:
        table.add_row(
            o.segment,
            f"{o.share_of_customers:.1%}",
            f"{o.churn_risk:.1%}",
            f"{o.discount:.0%} x {o.offer_months} mo",
            f"{o.expected_return:+.2f}",
            "yes" if o.recommended else "no",
        )
    return table


def main() -> None:
    console = Console(width=150)
    started = time.perf_counter()
    churn = train_churn_model()
    seconds = time.perf_counter() - started
    info = churn.info
    console.print(
        f"Churn model: {info.n_customers} customers, churn {info.churn_rate:.1%}, holdout AUC {info.holdout_auc:.3f}, "
        f"price effect {info.price_log_odds_per_dollar:+.4f} log-odds per dollar, trained in {seconds:.2f} s"
    )
    started = time.perf_counter()
    base = recommend_pricing("subscription", churn_model=churn)
    rec_seconds = time.perf_counter() - started
    plans = [
        ("subscription (data churn)", base),
        ("subscription (5%/mo churn)", recommend_pricing("subscription", PricingAssumptions(baseline_monthly_churn=0.05), churn)),
        (
            "subscription (subscribers, 90% floor)",
            recommend_pricing("subscription", PricingAssumptions(objective="subscribers"), churn),
        ),
        ("subscription (24-month horizon)", recommend_pricing("subscription", PricingAssumptions(horizon_months=24), churn)),
        ("transactional", recommend_pricing("transactional")),
        ("theatrical", recommend_pricing("theatrical")),
    ]
    console.print(tier_table(f"Recommended vs reference price (subscription recommendation in {rec_seconds:.2f} s)", plans))
    console.print(offers_table(base))


if __name__ == "__main__":
    main()
