"""A campaign simulator for the benchmarks and tests: hidden true curves and click rates, daily results with noise.

A `TrueCampaign` holds what no plan knows: each channel's true response curve and each ad-copy
variant's true click rate. The plan's curves are the truth's scale parameters (top and
half-saturation) each multiplied by a factor drawn log-uniformly between 0.5 and 2, and its
shape and decay moved within their stated uncertainty: priors that are wrong by as much as
the issue asks. `daily_rows` turns a week's spend into the rows an ad platform reports:
reach from the true curve with the adstock of all earlier weeks, spread over seven days with
lognormal day-to-day noise, impressions split across the creatives by the given shares
(multinomial), clicks binomial at each creative's true rate and conversions binomial per click.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from greenroom.core.market import DECAY_BOUNDS, SHAPE_BOUNDS, ChannelCurve, PromotionAllocation
from greenroom.tools.promotion import weekly_reach
from greenroom.tools.results import creative_id

DAILY_NOISE = 0.15
"""Standard deviation of log daily reach around the true curve's daily share."""
CONVERSION_PER_CLICK = 0.04


@dataclass
class TrueCampaign:
    """The hidden truth of one simulated campaign."""

    curves: list[ChannelCurve]
    """True response curves, in the plan's channel order."""
    prior: list[ChannelCurve]
    """The plan's curves: the truth, mis-stated."""
    click_rates: dict[str, list[float]]
    """True click rate of each ad-copy variant, per channel (variant i has id `creative_id(channel, i)`)."""
    start: dt.date = dt.date(2026, 3, 2)
    daily_noise: float = DAILY_NOISE
    conversion_per_click: float = CONVERSION_PER_CLICK
    factors: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Per channel, (true top / prior top, true half-saturation / prior half-saturation)."""

    def best_creative(self, channel: str) -> str:
        """The id of the channel's truly best variant."""
        rates = self.click_rates[channel]
        return creative_id(channel, int(np.argmax(rates)))


def make_campaign(base: Sequence[ChannelCurve], seed: int, *, off: tuple[float, float] = (0.5, 2.0), variants: int = 3,
                  base_rate: float = 0.01, rate_spread: float = 0.25) -> TrueCampaign:  # fmt: skip
    """A campaign whose true curves are `base` and whose plan is `base` mis-stated by a factor in `off` (log-uniform).

    Click rates: each channel's base rate times a lognormal factor (sigma `rate_spread`) per variant.
    """
    rng = np.random.default_rng(seed)
    truth, prior, factors = [], [], {}
    for curve in base:
        f_top, f_half = np.exp(rng.uniform(np.log(off[0]), np.log(off[1]), 2))
        u = curve.uncertainty
        shape = float(np.clip(curve.shape + rng.normal(0, u.shape), *SHAPE_BOUNDS))
        decay = float(np.clip(curve.decay + rng.normal(0, u.decay), *DECAY_BOUNDS))
        true = curve.model_copy(update={"top": curve.top * f_top, "half_saturation": curve.half_saturation * f_half,
                                        "shape": shape, "decay": decay, "source": "simulated truth"})  # fmt: skip
        truth.append(true)
        prior.append(curve.model_copy(update={"source": "the plan's stated curve (simulated prior)"}))
        factors[curve.name] = (float(f_top), float(f_half))
    rates = {c.name: (base_rate * np.exp(rng.normal(0, rate_spread, variants))).tolist() for c in base}
    return TrueCampaign(curves=truth, prior=prior, click_rates=rates, factors=factors)


def daily_rows(
    campaign: TrueCampaign,
    spend: np.ndarray,
    week: int,
    rng: np.random.Generator,
    shares: Callable[[str, int], np.ndarray] | Mapping[str, np.ndarray] | None = None,
    record: Callable[[str, np.ndarray, np.ndarray], None] | None = None,
) -> list[dict[str, object]]:
    """The daily rows of campaign week `week` (0-based) given the (channels, weeks >= week + 1) spend so far.

    `shares(channel, day_index)` (or a mapping per channel) gives the impression share of each variant on
    each day; None splits evenly. `record(channel, impressions, clicks)` is told each day's counts per
    variant as they happen (a creative test learning day by day).
    """
    reach = weekly_reach(campaign.curves, spend[:, : week + 1])[:, week]
    rows: list[dict[str, object]] = []
    for c, curve in enumerate(campaign.curves):
        weekly = float(spend[c, week])
        rates = np.asarray(campaign.click_rates[curve.name])
        day_noise = np.exp(rng.normal(0, campaign.daily_noise, 7))
        day_reach = reach[c] * day_noise / 7.0
        for d in range(7):
            day = campaign.start + dt.timedelta(days=week * 7 + d)
            if callable(shares):
                split = shares(curve.name, week * 7 + d)
            elif shares is not None:
                split = np.asarray(shares[curve.name])
            else:
                split = np.full(len(rates), 1.0 / len(rates))
            impressions = rng.multinomial(round(day_reach[d]), split / split.sum())
            clicks = rng.binomial(impressions, rates)
            conversions = rng.binomial(clicks, campaign.conversion_per_click)
            if record is not None:
                record(curve.name, impressions, clicks)
            for v in range(len(rates)):
                rows.append({
                    "day": day, "channel": curve.name, "creative_id": creative_id(curve.name, v),
                    "spend": round(weekly / 7.0 * split[v] / split.sum(), 2),
                    "impressions": int(impressions[v]), "clicks": int(clicks[v]), "conversions": int(conversions[v]),
                })  # fmt: skip
    return rows


def true_reach(campaign: TrueCampaign, spend: np.ndarray, weights: np.ndarray) -> float:
    """Reach a (channels, weeks) spend really gets, under the hidden curves."""
    return float((weekly_reach(campaign.curves, spend) * weights).sum())


def run_campaign(
    base: Sequence[ChannelCurve], seed: int, *, budget: float = 3_000_000.0, weeks: int = 10, through_week: int = 4,
    variants: int = 3, n_starts: int = 6,
) -> tuple[TrueCampaign, PromotionAllocation, pd.DataFrame]:  # fmt: skip
    """Plan on the mis-stated curves, then run `through_week` weeks: re-planned after each week, creatives by Thompson sampling.

    Returns the hidden truth, the original plan and the daily rows of the weeks run.
    """
    from greenroom.tools.creative_tests import ThompsonAllocator
    from greenroom.tools.promotion import allocate
    from greenroom.tools.results import planned_spend, update_results

    campaign = make_campaign(base, seed, variants=variants)
    names = [c.name for c in base]
    plan = allocate(budget, weeks, campaign.prior, n_starts=n_starts, seed=seed)
    spend = planned_spend(plan, names)
    rng = np.random.default_rng(seed)
    tests = ThompsonAllocator(dict.fromkeys(names, variants), seed=seed)
    rows: list[dict[str, object]] = []
    for week in range(min(through_week, weeks)):
        rows += daily_rows(campaign, spend, week, rng, tests.shares, tests.record)
        if week < weeks - 1:
            update = update_results("simulated", plan, campaign.prior, pd.DataFrame(rows), pd.Timestamp(campaign.start),
                                    n_starts=n_starts, seed=seed)  # fmt: skip
            if update.replanned is not None:
                spend[:, week + 1 :] = planned_spend(update.replanned, names)
    return campaign, plan, pd.DataFrame(rows)
