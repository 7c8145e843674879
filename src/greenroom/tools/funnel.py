"""The audience funnel: population -> addressable -> reached -> viewers -> paying -> revenue.

`addressable_audience(brief)` is what the marketer sizes its channels to;
`build_funnel(...)` puts the stages together from the same count, the promotion
allocation and the pricing recommendation, so that every number agrees with the
one before it. The rates it uses are stated in `tools/data/funnel.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from greenroom.core.analysis import AudienceForecast
from greenroom.core.brief import Brief, BusinessModel
from greenroom.core.funnel import AudienceFunnel, FunnelStage, PopulationCount
from greenroom.core.market import PriceTier, PricingRecommendation, PromotionAllocation
from greenroom.core.numbers import amount, label, money, price
from greenroom.tools.population import count_people

FUNNEL_PATH = Path(__file__).parent / "data" / "funnel.yaml"
POPULATION_MARGIN = 0.05
"""Relative margin on the population count: the hand-rounded age shares are good to about ±0.5 point per band."""
CONVERSION_SPREAD = 2.0
"""The paying share's interval: the pricing prior's conversion divided and multiplied by this (it has no measured spread)."""


@lru_cache(maxsize=1)
def funnel_rates() -> dict[str, Any]:
    """The stated rates of the funnel (funnel.yaml)."""
    data: dict[str, Any] = yaml.safe_load(FUNNEL_PATH.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Addressable:
    """The people the brief's campaign can address: the age band of its territories, times the format's take-up."""

    population: PopulationCount
    interest: tuple[float, float, float]
    """(low, point, high) share of those people who take up the format."""
    interest_source: str

    @property
    def people(self) -> float:
        """The point estimate of the addressable audience."""
        return self.population.people * self.interest[1]


def addressable_audience(brief: Brief) -> Addressable:
    """The brief's territories' people in its age band, and the share who take up its format (funnel.yaml)."""
    population = count_people(brief.territories, brief.audience.age_min, brief.audience.age_max)
    rule = funnel_rates()["interest"][brief.format.value]
    low, point, high = (float(v) for v in rule["share"])
    return Addressable(population=population, interest=(low, point, high), interest_source=str(rule["source"]))


def frequency_cap() -> float:
    """Most impressions per unique person the promotion plan may buy, on average (funnel.yaml)."""
    return float(funnel_rates()["frequency_cap"])


def _stage(name: str, label: str, point: float, low: float, high: float, unit: str, interval: str, source: str,
           assumptions: list[str]) -> FunnelStage:  # fmt: skip
    low, high = min(low, point), max(high, point)
    return FunnelStage(name=name, label=label, point=round(point, 2), low=round(max(low, 0.0), 2), high=round(high, 2),
                       unit=unit, interval=interval, source=source, assumptions=assumptions)  # fmt: skip


def _paying_tier(pricing: PricingRecommendation) -> PriceTier | None:
    return pricing.tiers[0] if pricing.tiers else None


def build_funnel(
    brief: Brief,
    allocation: PromotionAllocation,
    pricing: PricingRecommendation,
    forecast: AudienceForecast | None = None,
    addressable: Addressable | None = None,
) -> AudienceFunnel:
    """Every stage from the territories' people to revenue, each capped by the one before it."""
    found = addressable or addressable_audience(brief)
    population = found.population
    i_low, i_point, i_high = found.interest
    people = population.people
    ages = f"ages {population.age_min}-{population.age_max}"
    places = ", ".join(t.name for t in population.territories) or "no known territory"
    pop_stage = _stage(
        "population", f"people aged {population.age_min}-{population.age_max} in the territories", people,
        people * (1 - POPULATION_MARGIN), people * (1 + POPULATION_MARGIN), "people",
        f"±{POPULATION_MARGIN:.0%} for the rounded age shares", population.source,
        [f"{places}: {', '.join(f'{t.name} {amount(t.people)}' for t in population.territories)}",
         "ages are spread evenly inside each age band of the data file", *population.notes],
    )  # fmt: skip
    addressable_point = people * i_point
    add_stage = _stage(
        "addressable", f"addressable audience ({brief.format.value.replace('_', ' ')} takers, {ages})",
        addressable_point, pop_stage.low * i_low, min(pop_stage.high * i_high, pop_stage.high), "people",
        f"interest share {i_low:.0%}-{i_high:.0%}", found.interest_source,
        [f"interest share {i_point:.0%}: the share of these people who take up the format at all",
         "the brief's genres and interests do not narrow it further: no offline data measures them by country"],
    )  # fmt: skip
    unique = (
        allocation.unique_reach
        if allocation.unique_reach is not None
        else min(allocation.expected_reach.expected, addressable_point)
    )
    est = allocation.expected_reach
    ratio_low = est.low / est.expected if est.expected else 1.0
    ratio_high = est.high / est.expected if est.expected else 1.0
    reach_point = min(unique, addressable_point)
    reach_stage = _stage(
        "reached", "people reached (unique)", reach_point, reach_point * ratio_low,
        min(reach_point * ratio_high, add_stage.point), "people",
        f"{est.interval:.0%} interval from the curve parameters' stated uncertainty, capped at the addressable audience",
        "tools/promotion.py: the channel curves of channels.yaml sized to this audience, the optimiser's allocation",
        [f"{amount(allocation.gross_impressions)} gross impressions (not people): "
         f"{allocation.gross_impressions / max(reach_point, 1.0):.1f} per person reached on average"
         + (f", cap {allocation.frequency_cap:g}" if allocation.frequency_cap else ""),
         "people reached by several channels or weeks are counted once (random duplication)",
         f"promotion budget {money(allocation.budget, allocation.currency)} over {allocation.weeks} weeks"
         + (f", of which {money(allocation.unspent, allocation.currency)} left unspent" if allocation.unspent else "")],
    )  # fmt: skip
    tier = _paying_tier(pricing)
    model = brief.business_model
    currency = tier.currency if tier else allocation.currency
    if tier is None:
        rule = funnel_rates()["free_view_rate"]
        v_low, v_point, v_high = (float(x) for x in rule["share"])
        view_stage = _stage(
            "viewers", "viewers (watch, listen or read)", reach_point * v_point, reach_stage.low * v_low,
            reach_stage.high * v_high, "people", f"view rate {v_low:.0%}-{v_high:.0%}", str(rule["source"]),
            [f"{v_point:.0%} of the people reached try the title; it is {model.value.replace('_', '-')}, so nobody pays"],
        )  # fmt: skip
        paying_stage = _stage("paying", "paying viewers", 0, 0, 0, "people", "none: viewers pay nothing",
                              f"business model: {label(model.value)}", ["advertising or other income is not part of this funnel"])  # fmt: skip
        per_paying, revenue_note = 0.0, "viewers pay nothing; advertising income is not modelled"
    else:
        rec = tier.recommended
        conv = rec.expected_conversion
        n_paying = rec.expected_conversion * pricing.prospects
        per_paying = rec.expected_revenue / n_paying if n_paying > 0 else rec.price
        pay_point = reach_point * conv
        tier_name = tier.tier.replace("_", " ")
        pay_stage_assumptions = [
            f"{conv:.1%} of the people reached {'subscribe' if model is BusinessModel.SUBSCRIPTION else 'buy'} at the "
            f"recommended {tier_name} price {price(rec.price, tier.currency)} ({tier.prior.source})",
        ]
        paying_stage = _stage(
            "paying", f"paying viewers ({tier_name})", pay_point, reach_stage.low * conv / CONVERSION_SPREAD,
            min(reach_stage.high * min(conv * CONVERSION_SPREAD, 1.0), reach_stage.high), "people",
            f"the conversion divided and multiplied by {CONVERSION_SPREAD:g} (the prior has no measured spread)",
            f"tools/pricing.py: {tier.method}", pay_stage_assumptions,
        )  # fmt: skip
        view_stage = _stage(
            "viewers", "viewers (watch, listen or read)", pay_point, paying_stage.low, paying_stage.high, "people",
            "as the paying viewers", f"business model: {label(model.value)}",
            [f"a {label(model.value)} title is seen only by those who pay, so its viewers are its paying viewers"],
        )  # fmt: skip
        if model is BusinessModel.SUBSCRIPTION:
            revenue_note = (
                f"revenue per subscriber: {price(rec.price, tier.currency)} a month over the {pricing.horizon_months}-month "
                f"horizon, less churn ({rec.expected_monthly_churn or 0:.1%} a month): {price(per_paying, tier.currency)}"
            )
        else:
            revenue_note = f"revenue per paying viewer: the {tier_name} price {price(per_paying, tier.currency)}"
    revenue_stage = _stage(
        "revenue", "revenue from viewers", paying_stage.point * per_paying, paying_stage.low * per_paying,
        paying_stage.high * per_paying, currency, "the paying viewers' interval times the revenue per paying viewer",
        "paying viewers x revenue per paying viewer", [revenue_note],
    )  # fmt: skip
    return AudienceFunnel(
        stages=[pop_stage, add_stage, reach_stage, view_stage, paying_stage, revenue_stage],
        population=population,
        interest_share=i_point,
        frequency=allocation.gross_impressions / max(reach_point, 1.0),
        frequency_cap=allocation.frequency_cap,
        gross_impressions=allocation.gross_impressions,
        revenue_per_paying=round(per_paying, 4),
        currency=currency,
        box_office_check=_box_office_check(forecast, paying_stage, reach_stage, tier, model),
    )


def _box_office_check(
    forecast: AudienceForecast | None, paying: FunnelStage, reached: FunnelStage, tier: PriceTier | None, model: BusinessModel
) -> str:
    box = forecast.box_office if forecast is not None else None
    if box is None or tier is None or model is not BusinessModel.THEATRICAL:
        return ""
    tickets = box.point / max(tier.recommended.price, 0.01)
    share = tickets / max(reached.point, 1.0)
    text = (
        f"the box office forecast ({money(box.point, 'USD')}, US gross, {box.basis}) would mean {amount(tickets)} tickets at "
        f"{price(tier.recommended.price, tier.currency)}: {share:.0%} of the people the campaign reaches, against the funnel's "
        f"{amount(paying.point)} ticket buyers"
    )
    if tickets > reached.point:
        text += "; more tickets than people reached, so the funnel's figure is the one to plan with"
    return text
