"""What the marketer's and pricing agent's engines return: release windows, budget allocations, prices.

Each engine (`tools.release`, `tools.promotion`, `tools.pricing`) computes these;
the plans embed them as returned.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from greenroom.core import limits
from greenroom.core.brief import BusinessModel
from greenroom.core.rules import load_rules

SHAPE_BOUNDS = (0.5, 4.0)


DECAY_BOUNDS = (0.0, 0.95)


class CompetingRelease(BaseModel):
    """A title coming out near the launch that competes for the same audience."""

    title: str = Field(..., min_length=1, description="Title of the competing release.")
    date: dt.date = Field(..., description="Its release date.")
    genres: list[str] = Field(default_factory=list, description="Its genres, lowercased.")


class SeasonalityProfile(BaseModel):
    """Relative viewing activity by month and weekday (1.0 = average)."""

    genres: list[str] = Field(..., description="Genres the profile averages; empty means all titles.")
    month_index: list[float] = Field(..., description="Index for January..December.")
    weekday_index: list[float] = Field(..., description="Index for Monday..Sunday.")
    user_days: int = Field(..., description="Active user-days behind the profile.")
    unmatched_genres: list[str] = Field(
        default_factory=list, description="Brief genres MovieLens does not have; they use the overall profile."
    )
    source: str = Field(..., description="Data set and measure the indices come from.")


class BusinessModelRule(BaseModel):
    """A stated rule of thumb for how a business model shapes the release window."""

    launch_weekday: int | None = Field(..., description="Preferred launch weekday (0 = Monday), or None for any.")
    month_multipliers: dict[int, float] = Field(
        default_factory=dict, description="Score multiplier by month (1-12); absent months are 1.0."
    )
    month_reasons: dict[int, str] = Field(
        default_factory=dict, description="Why a month has its multiplier, by month (1-12); shown only for launches then."
    )
    competition_weight: float = Field(..., description="How strongly competition lowers the score.")
    window_weeks: int = Field(..., description="Default window length in weeks.")
    note: str = Field(..., description="The rule in words, with its reasoning, for every month.")


class PlatformRecommendation(BaseModel):
    """A platform the title should go to, with the rule that chose it."""

    platform: str = Field(..., description="Kind of platform.")
    role: str = Field(..., description="primary or secondary.")
    reason: str = Field(..., description="The rule behind it.")


class ReleaseWindow(BaseModel):
    """One candidate window with every component of its score."""

    rank: int = Field(..., description="1 = best.")
    start: dt.date = Field(..., description="Launch date.")
    end: dt.date = Field(..., description="Last day of the window.")
    demand: float = Field(
        ..., description="Mean daily viewing index over the window (1.0 = average), opening week counted double."
    )
    launch_weekday_index: float = Field(..., description="Viewing index of the launch weekday.")
    competition: float = Field(..., description="Sum over same-genre competitors of genre overlap x time closeness.")
    competing_titles: list[str] = Field(..., description="Competitors contributing at least 0.1 to competition.")
    business_factor: float = Field(..., description="Multiplier from the business-model rule for the launch month.")
    season_factor: float = Field(
        1.0, description="Multiplier from the genre season the launch date falls in (measured lift); 1.0 when none."
    )
    score: float = Field(..., description="demand x business_factor x season_factor / (1 + competition_weight x competition).")
    explanation: str = Field("", description="The calendar rules behind the window's factors, in words.")


class ReleaseRecommendation(BaseModel):
    """Ranked release windows and platforms for a title."""

    windows: list[ReleaseWindow] = Field(..., description="Candidate windows, best first.")
    platforms: list[PlatformRecommendation] = Field(..., description="Platforms from the rule table.")
    business_rule: BusinessModelRule = Field(..., description="The business-model rule applied.")
    seasonality: SeasonalityProfile = Field(..., description="The demand profile used.")
    assumptions: list[str] = Field(..., description="Assumptions behind the ranking.")


Objective = Literal["total_reach", "launch_week_reach"]


_SPREAD = limits.MAX_CURVE_SPREAD


class ParamUncertainty(BaseModel):
    """One standard deviation per parameter: relative (lognormal) for top and half_saturation, absolute for shape and decay."""

    model_config = ConfigDict(allow_inf_nan=False)

    top: float = Field(0.3, ge=0, le=_SPREAD, description="Relative standard deviation of top (0.3 = ±30%).")
    half_saturation: float = Field(0.3, ge=0, le=_SPREAD, description="Relative standard deviation of half_saturation.")
    shape: float = Field(0.15, ge=0, le=_SPREAD, description="Absolute standard deviation of the Hill shape.")
    decay: float = Field(0.1, ge=0, le=_SPREAD, description="Absolute standard deviation of the adstock decay.")


class ChannelCurve(BaseModel):
    """The response curve of one promotion channel (a user's own curves are held to the shared limits)."""

    model_config = ConfigDict(allow_inf_nan=False)

    name: str = Field(..., min_length=1, max_length=limits.MAX_CHANNEL_NAME_CHARS, description="Channel key, e.g. social_video.")
    label: str = Field("", max_length=limits.MAX_CHANNEL_LABEL_CHARS, description="Human-readable channel name.")
    top: float = Field(..., gt=0, le=limits.MAX_CHANNEL_REACH, description="Most people the channel can reach in one week.")
    half_saturation: float = Field(..., ge=limits.MIN_BUDGET, le=limits.MAX_BUDGET,
                                   description="Adstocked weekly spend (currency) that reaches half of top.")  # fmt: skip
    shape: float = Field(..., ge=SHAPE_BOUNDS[0], le=SHAPE_BOUNDS[1], description="Hill exponent: above 1 the curve is S-shaped.")
    decay: float = Field(
        ..., ge=DECAY_BOUNDS[0], le=DECAY_BOUNDS[1], description="Share of last week's adstock carried into this week."
    )
    uncertainty: ParamUncertainty = Field(
        default_factory=ParamUncertainty, description="Parameter uncertainty used for reach intervals."
    )
    source: str = Field("", description="Where the parameters come from (assumption file or fitted history).")
    attention: float = Field(
        1.0, gt=0, le=1, description="Weight of a person reached in the audience objective: attention x format fit (1.0 = full)."
    )
    frequency: float = Field(
        1.0, gt=0, description="Impressions per person reached in a week (gross impressions = reach x this)."
    )
    audience_note: str = Field("", description="Who the channel reaches in the brief's audience and why, in words.")


class ChannelAudience(BaseModel):
    """Who a channel reaches: its use by age band, costs, attention and fit by format (channels.yaml `audience`)."""

    cpm: float = Field(..., gt=0, description="Cost per 1,000 impressions, in the file's currency.")
    frequency: float = Field(..., gt=0, description="Impressions per person reached in a week.")
    weekly_share: float = Field(..., gt=0, le=1, description="Most of its users in the audience a campaign reaches in a week.")
    attention: float = Field(..., gt=0, le=1, description="Share of an impression seen or heard through.")
    children: bool = Field(..., description="Whether it may reach under-13s.")
    reach_by_band: list[float] = Field(..., description="Share of each age band who use it weekly (population.yaml bands).")
    format_fit: dict[str, float] = Field(default_factory=dict, description="Attention multiplier by format; absent is 1.0.")
    source: str = Field(..., description="Where the age profile comes from.")


class FitDiagnostics(BaseModel):
    """How well a fitted curve reproduces one channel's history."""

    channel: str = Field(..., description="Channel key.")
    n_weeks: int = Field(..., description="Weeks of history used.")
    r2: float = Field(..., description="Share of the variance in weekly response explained by the curve.")
    rmse: float = Field(..., description="Root mean squared error of weekly response, in response units.")


class FittedChannels(BaseModel):
    """Curves fitted to a user's history, ready to save and to pass to `allocate`."""

    curves: list[ChannelCurve] = Field(..., description="One fitted curve per channel in the history.")
    diagnostics: list[FitDiagnostics] = Field(..., description="Fit quality per channel.")
    source: str = Field(..., description="The history the curves were fitted on.")


class ReachEstimate(BaseModel):
    """Expected reach of a spend plan, with an interval from parameter uncertainty."""

    expected: float = Field(
        ...,
        description=(
            "Reach at the central curve parameters (people): unique people in the audience when the allocation "
            "knows its audience, else gross (summed over channels and weeks)."
        ),
    )
    low: float = Field(..., description="Lower end of the interval (people).")
    high: float = Field(..., description="Upper end of the interval (people).")
    interval: float = Field(..., description="Probability the interval is meant to cover, e.g. 0.9.")
    method: str = Field(..., description="How the interval was obtained.")


class ChannelAllocation(BaseModel):
    """Spend and expected effect for one channel."""

    channel: str = Field(..., description="Channel key.")
    label: str = Field(..., description="Human-readable channel name.")
    weekly_spend: list[float] = Field(..., description="Spend per week, in cents-exact currency units, week 1 first.")
    total: float = Field(..., description="Total spend on the channel.")
    share: float = Field(..., description="Share of the budget.")
    min_spend: float = Field(..., description="Lower bound the allocation had to respect.")
    max_spend: float = Field(..., description="Upper bound the allocation had to respect.")
    expected_reach: float = Field(..., description="Gross reach from this channel over the campaign (people).")
    marginal_reach_per_1000: float = Field(
        ...,
        description="People the next 1,000 currency units would add, placed the best way the phasing rule allows.",
    )


class PromotionAllocation(BaseModel):
    """A budget split across channels and weeks, with its expected reach and the equal-split comparison."""

    budget: float = Field(..., description="Budget allocated; the weekly spends sum to it exactly.")
    currency: str = Field(..., description="ISO currency of every amount.")
    weeks: int = Field(..., description="Campaign length in weeks.")
    objective: Objective = Field(..., description="What was maximised.")
    channels: list[ChannelAllocation] = Field(..., description="Per-channel allocation.")
    expected_reach: ReachEstimate = Field(..., description="Reach of this allocation.")
    equal_split_reach: ReachEstimate = Field(..., description="Reach of spending the same amount on every channel every week.")
    uplift_vs_equal_split: float = Field(..., description="Relative gain in expected reach over the equal split (0.25 = +25%).")
    prob_beats_equal_split: float = Field(
        ..., description="Share of simulated parameter draws in which this allocation out-reaches the equal split."
    )
    equal_split_respects_bounds: bool = Field(..., description="Whether the equal split would itself satisfy the channel bounds.")
    optimizer: str = Field(..., description="Method, starts and convergence of the optimiser.")
    audience: float | None = Field(
        None, description="People in the brief's audience the reach is counted in; None: gross reach, no audience."
    )
    unique_reach: float | None = Field(
        None, description="Unique people reached in the audience (unweighted), never above `audience`; None without one."
    )
    attentive_reach: float | None = Field(
        None, description="Unique people reached, each weighted by the attention of the channels that reached them."
    )
    gross_impressions: float = Field(0.0, description="Impressions bought: people reached per channel per week x its frequency.")
    frequency_cap: float | None = Field(None, description="Most average impressions per unique person the plan allowed.")
    unspent: float = Field(0.0, ge=0, description="Budget left unspent because the audience was reached up to the cap.")
    seconds: float = Field(..., description="Wall time of the allocation.")
    assumptions: list[str] = Field(..., description="Assumptions behind the numbers.")


class DemandPrior(BaseModel):
    """A stated prior for one price tier's demand curve."""

    reference_price: float = Field(..., gt=0, description="Price the conversion and elasticity refer to.")
    elasticity: float = Field(
        ..., gt=0, description="Price elasticity of conversion at the reference price (1.2 = 1% dearer, 1.2% fewer buyers)."
    )
    conversion: float = Field(..., gt=0, le=1, description="Share of prospects who buy (or subscribe) at the reference price.")
    source: str = Field(..., description="Where the numbers come from.")


class DemandPriors(RootModel[dict[str, DemandPrior]]):
    """The contents of `data/demand_priors.yaml`: one prior per price tier, each with its source."""

    @model_validator(mode="after")
    def _every_tier(self) -> DemandPriors:
        missing = [t for t in PRICE_TIERS if t not in self.root]
        if missing:
            raise ValueError(f"every price tier needs a prior; missing: {', '.join(missing)}")
        return self


PRICE_TIERS = ("monthly", "rental", "purchase", "ticket", "premium_vod")
"""The price tiers a business model can offer."""
PRIORS_PATH = Path(__file__).parent / "data" / "demand_priors.yaml"
"""The pricing engine's stated demand priors, each with its source."""
DEFAULT_PRIORS: dict[str, DemandPrior] = load_rules(PRIORS_PATH, DemandPriors).root
"""The demand priors a run starts from unless it overrides them."""


class PricingAssumptions(BaseModel):
    """Settings and priors for pricing; every number here can be overridden by the user."""

    horizon_months: int = Field(12, ge=1, le=120, description="Months of subscription revenue counted.")
    objective: Literal["revenue", "subscribers"] = Field(
        "revenue", description="Maximise expected revenue, or subscribers under a revenue floor."
    )
    revenue_floor: float = Field(
        0.9, gt=0, le=1, description="For the subscribers objective: least share of the peak revenue to keep."
    )
    prospects: int = Field(1000, gt=0, description="Prospects the expected counts and revenue refer to.")
    priors: dict[str, DemandPrior] = Field(default_factory=lambda: dict(DEFAULT_PRIORS), description="Demand priors per tier.")
    baseline_monthly_churn: float | None = Field(
        None, gt=0, lt=1, description="If set, shift the churn model so its mean churn at the reference price equals this."
    )
    offer_months: int = Field(3, ge=1, description="How long a retention discount lasts.")
    discounts: list[float] = Field(default_factory=lambda: [0.1, 0.2, 0.3], description="Discounts to consider for offers.")
    price_grid_low: float = Field(0.3, gt=0, description="Lowest grid price as a share of the reference price.")
    price_grid_high: float = Field(2.5, gt=0, description="Highest grid price as a share of the reference price.")


class PricePoint(BaseModel):
    """Expected outcome at one price."""

    price: float = Field(..., description="Price to the customer.")
    expected_conversion: float = Field(..., description="Share of prospects who buy or subscribe.")
    expected_monthly_churn: float | None = Field(None, description="Monthly churn probability (subscriptions only).")
    expected_revenue: float = Field(
        ..., description="Expected revenue per `prospects` prospects (over the horizon for subscriptions)."
    )
    expected_subscribers_end: float | None = Field(
        None, description="Subscribers left at the end of the horizon, per `prospects` prospects."
    )


class PriceTier(BaseModel):
    """The recommendation for one tier with the curve behind it."""

    tier: str = Field(..., description="monthly, rental, purchase, ticket or premium_vod.")
    currency: str = Field(..., description="ISO currency of prices and revenue.")
    recommended: PricePoint = Field(..., description="The recommended price point.")
    reference: PricePoint = Field(..., description="The outcome at the reference price, for comparison.")
    curve: list[tuple[float, float]] = Field(..., description="(price, expected revenue) over the price grid.")
    points: list[PricePoint] = Field(..., description="Every grid price point.")
    objective: str = Field(..., description="What the recommendation maximises.")
    prior: DemandPrior = Field(..., description="Demand prior used.")
    method: str = Field(..., description="How conversion and churn were computed.")


class SegmentOffer(BaseModel):
    """A retention offer for one customer segment and its expected return."""

    segment: str = Field(..., description="Contract type and tenure band.")
    share_of_customers: float = Field(..., description="Share of the training customers in the segment.")
    churn_risk: float = Field(..., description="Predicted monthly churn at the reference price.")
    discount: float = Field(
        ..., description="The discount considered with the best expected return (offered only if recommended)."
    )
    offer_months: int = Field(..., description="Months the discount lasts.")
    revenue_without_offer: float = Field(..., description="Expected revenue per subscriber over the horizon at full price.")
    revenue_with_offer: float = Field(..., description="Expected revenue per subscriber over the horizon with that discount.")
    expected_return: float = Field(
        ..., description="revenue_with_offer - revenue_without_offer, per subscriber (negative: the offer loses money)."
    )
    recommended: bool = Field(..., description="Offer it: churn risk above average and a positive expected return.")
    reason: str = Field(..., description="Why it is or is not recommended.")


class ChurnModelInfo(BaseModel):
    """What the churn model is and how well it predicts."""

    model: str = Field(..., description="Estimator and features.")
    n_customers: int = Field(..., description="Training rows.")
    churn_rate: float = Field(..., description="Observed churn share in the data.")
    holdout_auc: float = Field(..., description="ROC AUC on a 25% holdout.")
    price_log_odds_per_dollar: float = Field(..., description="Change in churn log-odds per dollar of monthly charges.")
    calibration_shift: float = Field(0.0, description="Log-odds shift applied to match baseline_monthly_churn (0 = none).")
    source: str = Field(..., description="Data set.")
    caveat: str = Field(..., description="What the price response is and is not.")


class PricingRecommendation(BaseModel):
    """Price points, offers and the models behind them for one business model."""

    business_model: BusinessModel = Field(..., description="How the title earns money.")
    tiers: list[PriceTier] = Field(..., description="One recommendation per price tier (none for ad-supported or free).")
    offers: list[SegmentOffer] = Field(..., description="Retention offers per segment (subscriptions only).")
    churn_model: ChurnModelInfo | None = Field(None, description="The churn model, for subscriptions.")
    horizon_months: int = Field(..., description="Months of subscription revenue counted.")
    prospects: int = Field(1000, gt=0, description="Prospects the tiers' expected counts and revenue refer to.")
    format_note: str = Field("", description="Tiers of the business model the title's format is not sold by, and why.")
    assumptions: list[str] = Field(..., description="Assumptions behind the numbers.")
