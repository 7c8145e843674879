"""After launch: a running campaign's results, the curves they update, the re-plan, creative tests and attribution.

The engines (`tools.results`, `tools.creative_tests`, `tools.campaign_sim`) compute these;
the results report and the new package version embed them as returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from greenroom.core.market import ChannelCurve, PromotionAllocation, ReachEstimate

RESULT_FIELDS: tuple[str, ...] = ("day", "channel", "creative_id", "spend", "impressions", "clicks", "conversions")
"""The columns of a results file, in order."""


class ResultRow(BaseModel):
    """One day of one creative on one channel, as the ad platforms report it."""

    day: dt.date = Field(..., description="The day the numbers are for.")
    channel: str = Field(..., min_length=1, max_length=40, description="Channel key of the plan, e.g. social_video.")
    creative_id: str = Field(..., min_length=1, max_length=80, description="Which ad ran, e.g. social_video-2.")
    spend: float = Field(..., ge=0, description="Money spent that day, in the plan's currency.")
    impressions: int = Field(..., ge=0, description="Times the ad was shown.")
    clicks: int = Field(..., ge=0, description="Clicks (or views, taps) on the ad.")
    conversions: int = Field(..., ge=0, description="Sign-ups, tickets or purchases the platform credits to the ad.")


class WeekObservation(BaseModel):
    """One campaign week of one channel, summed from the daily rows."""

    week: int = Field(..., ge=1, description="Campaign week, 1 = the first.")
    spend: float = Field(..., description="Spend that week.")
    reach: float = Field(..., description="People reached that week: impressions divided by the stated frequency.")
    clicks: int = Field(..., description="Clicks that week.")
    conversions: int = Field(..., description="Conversions that week.")


class CurveUpdate(BaseModel):
    """One channel's response curve before and after the observed weeks."""

    channel: str = Field(..., description="Channel key.")
    label: str = Field(..., description="Human-readable channel name.")
    prior: ChannelCurve = Field(..., description="The plan's curve, used as the prior.")
    posterior: ChannelCurve = Field(
        ..., description="The updated curve: posterior mode, with posterior standard deviations as its uncertainty."
    )
    covariance: list[list[float]] = Field(
        ..., description="Posterior covariance of (log top, log half_saturation, shape, decay), for reach intervals."
    )
    observed: list[WeekObservation] = Field(..., description="The weeks the update used.")
    prior_fit_error: float | None = Field(
        None, description="Mean absolute log error of the prior curve on the observed weeks (0.1 = about 10% off)."
    )
    posterior_fit_error: float | None = Field(None, description="The same for the updated curve.")
    note: str = Field("", description="What the update could and could not learn, in words.")


class ChannelMove(BaseModel):
    """How the re-plan changed one channel's spend over the weeks left."""

    channel: str = Field(..., description="Channel key.")
    label: str = Field(..., description="Human-readable channel name.")
    spent: float = Field(..., description="Spent in the observed weeks.")
    planned_left: float = Field(..., description="What the plan had left to spend on it in the remaining weeks.")
    replanned_left: float = Field(..., description="What the re-plan spends on it in the remaining weeks.")
    moved: float = Field(..., description="replanned_left - planned_left (positive: money moved in).")
    weekly_spend: list[float] = Field(..., description="The re-plan's spend per remaining week.")


class CreativeArm(BaseModel):
    """One ad-copy variant in a test: what it got, how it did, and its chance of being the best."""

    creative_id: str = Field(..., description="The creative's id.")
    text: str = Field("", description="The ad line, when the package has it.")
    impressions: int = Field(..., description="Impressions so far.")
    clicks: int = Field(..., description="Clicks so far.")
    rate: float = Field(..., description="Posterior mean click rate (clicks per impression).")
    rate_low: float = Field(..., description="Lower end of the 90% credible interval of the click rate.")
    rate_high: float = Field(..., description="Upper end of the 90% credible interval of the click rate.")
    prob_best: float = Field(..., description="Posterior probability that this variant has the highest click rate.")
    next_share: float = Field(..., description="Share of the channel's next impressions it should get (Thompson sampling).")


class CreativeTest(BaseModel):
    """A channel's ad-copy variants tested against each other."""

    channel: str = Field(..., description="Channel key.")
    arms: list[CreativeArm] = Field(..., description="Every variant, best first by probability of being best.")
    status: Literal["running", "stopped", "no data"] = Field(
        ..., description="stopped once one variant's probability of being best reaches the threshold."
    )
    winner: str | None = Field(None, description="The winning creative id, once stopped.")
    leader: str | None = Field(None, description="The variant most likely best so far.")
    threshold: float = Field(..., description="Probability of being best at which the test stops.")
    method: str = Field(..., description="How the probabilities and shares were computed.")
    new_variant_id: str = Field("", description="Id of the new variant written in the winner's direction, if one was asked.")
    new_variant: str = Field("", description="Its text: the next challenger to the winner ('' when none was asked or usable).")


class ChannelAttribution(BaseModel):
    """Reach one channel contributed over the observed weeks, from its updated curve (no user-level claim)."""

    channel: str = Field(..., description="Channel key.")
    label: str = Field(..., description="Human-readable channel name.")
    spend: float = Field(..., description="Spent in the observed weeks.")
    reach: ReachEstimate = Field(..., description="People reached by the channel (gross), with its interval.")
    share: float = Field(..., description="Its share of all channels' reach, at the posterior mode.")
    share_low: float = Field(..., description="Lower end of the share's interval.")
    share_high: float = Field(..., description="Upper end of the share's interval.")
    cost_per_1000: float | None = Field(None, description="Spend per 1,000 people reached (None when nothing was reached).")
    conversions: int = Field(..., description="Conversions the platforms credit to the channel (their own claim, as reported).")


class ResultsUpdate(BaseModel):
    """What the first weeks' results showed and what the rest of the budget does about it."""

    run_id: str = Field(..., description="The run whose plan was updated.")
    through_week: int = Field(..., ge=0, description="Complete campaign weeks observed.")
    weeks: int = Field(..., description="Campaign length in weeks.")
    first_day: dt.date = Field(..., description="First day of the campaign (week 1 starts here).")
    last_day: dt.date | None = Field(None, description="Last day with results.")
    currency: str = Field(..., description="ISO currency of every amount.")
    budget: float = Field(..., description="The plan's promotion budget.")
    spent: float = Field(..., description="Spent in the observed weeks.")
    curves: list[CurveUpdate] = Field(..., description="Prior and updated curve per channel.")
    moves: list[ChannelMove] = Field(..., description="Spend moved per channel over the remaining weeks.")
    replanned: PromotionAllocation | None = Field(
        None, description="The optimiser's allocation of the remaining budget (None when no week is left)."
    )
    observed_reach: ReachEstimate = Field(..., description="Reach of the observed weeks under the updated curves.")
    plan_reach_left: ReachEstimate | None = Field(
        None, description="Reach the plan's remaining weeks would add, under the updated curves."
    )
    replan_reach_left: ReachEstimate | None = Field(
        None, description="Reach the re-planned remaining weeks would add, under the updated curves."
    )
    prob_replan_better: float | None = Field(
        None, description="Share of posterior draws in which the re-plan out-reaches the plan over the remaining weeks."
    )
    creative_tests: list[CreativeTest] = Field(default_factory=list, description="One test per channel with variants.")
    attribution: list[ChannelAttribution] = Field(default_factory=list, description="Channel contributions so far.")
    ignored_rows: int = Field(0, description="Rows after the last complete week (kept, used once their week completes).")
    seconds: float = Field(..., description="Wall time of the update and re-plan.")
    method: str = Field(..., description="How the curves were updated.")
    assumptions: list[str] = Field(..., description="Assumptions behind the numbers.")
