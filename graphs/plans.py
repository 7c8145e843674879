"""The marketer's and pricing agent's artifacts: release, promotion and pricing plans.

Every number in a plan comes from a tool (`tools.release`, `tools.promotion`,
`tools.pricing`) and is embedded here as the tool returned it, with its inputs,
uncertainty and assumptions. The model writes only the words: the rationale
and the ad copy. Its structured-output targets (`MarketingRationale`,
`PricingRationale`, `AdCopyShort`/`AdCopy`/`AdCopyLong`) are small, and every
string and list in them is bounded (DESIGN.md: SmolLM2 under a grammar).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from graphs.brief import BusinessModel
from graphs.schemas import CallRecord
from tools.pricing import ChurnModelInfo, PriceTier, SegmentOffer
from tools.promotion import ChannelAllocation, ChannelCurve, Objective, ReachEstimate
from tools.release import BusinessModelRule, CompetingRelease, PlatformRecommendation, ReleaseWindow, SeasonalityProfile

RationaleSource = Literal["model", "template"]
"""Who wrote a rationale: the model, or the deterministic template when the model's answer was unusable."""

# --------------------------------------------------------------------------- what the model fills


def _plain_text(min_chars: int, max_chars: int) -> StringConstraints:
    """Constraints for a bounded string that starts with a capital or a digit and holds no brackets, quotes or backslashes.

    The length is written into the pattern as well: llama.cpp's grammar follows a string's
    `pattern` and then ignores its length keywords. Without the pattern SmolLM2 starts its
    strings with JSON debris (`"] } ..."`) and echoes the prompt (measured on the example briefs).
    """
    pattern = rf'^[A-Z0-9][^\[\]{{}}<>"\\]{{{min_chars - 1},{max_chars - 1}}}$'
    return StringConstraints(strip_whitespace=True, min_length=min_chars, max_length=max_chars, pattern=pattern)


RationaleText: TypeAlias = Annotated[str, _plain_text(40, 480)]
AdLineShort: TypeAlias = Annotated[str, _plain_text(8, 60)]
AdLine: TypeAlias = Annotated[str, _plain_text(12, 120)]
AdLineLong: TypeAlias = Annotated[str, _plain_text(20, 200)]


class MarketingRationale(BaseModel):
    """The marketer's explanation of the release and promotion numbers it was given."""

    model_config = ConfigDict(title="MarketingRationale")

    release: RationaleText = Field(..., description="Two or three sentences: why this release window and these platforms.")
    promotion: RationaleText = Field(..., description="Two or three sentences: why the budget is split this way across channels.")


class PricingRationale(BaseModel):
    """The pricing agent's explanation of the price points it was given."""

    model_config = ConfigDict(title="PricingRationale")

    rationale: RationaleText = Field(..., description="Two or three sentences: why these prices and offers.")


class AdCopyShort(BaseModel):
    """Ad copy variants for a channel that shows a few words (billboards, banners)."""

    model_config = ConfigDict(title="AdCopyShort")

    variants: list[AdLineShort] = Field(..., min_length=2, max_length=3, description="Different ad lines, each a few words.")


class AdCopy(BaseModel):
    """Ad copy variants for a channel that shows a line or two (search, social video)."""

    model_config = ConfigDict(title="AdCopy")

    variants: list[AdLine] = Field(..., min_length=2, max_length=3, description="Different ad lines, each one sentence.")


class AdCopyLong(BaseModel):
    """Ad copy variants for a channel that is read or spoken (podcast host-reads, TV and cinema spots)."""

    model_config = ConfigDict(title="AdCopyLong")

    variants: list[AdLineLong] = Field(
        ..., min_length=2, max_length=3, description="Different ad lines, each one or two sentences."
    )


AdCopySchema = type[AdCopyShort] | type[AdCopy] | type[AdCopyLong]

# --------------------------------------------------------------------------- inputs


class MarketingInputs(BaseModel):
    """What a person may add to a brief for the marketer: competitors, curves and spend bounds."""

    competitors: list[CompetingRelease] = Field(default_factory=list, description="Competing releases from a release calendar.")
    channel_curves: list[ChannelCurve] | None = Field(
        None, description="Channel response curves (e.g. fitted to the user's history); None uses the stated defaults."
    )
    min_spend: dict[str, float] = Field(default_factory=dict, description="Least total spend per channel over the campaign.")
    max_spend: dict[str, float] = Field(default_factory=dict, description="Most total spend per channel over the campaign.")
    campaign_weeks: int | None = Field(None, ge=1, le=52, description="Campaign length in weeks; None picks by format.")


# --------------------------------------------------------------------------- artifacts


class ReleasePlan(BaseModel):
    """When and where the title comes out: ranked windows from the release engine, and why."""

    chosen: ReleaseWindow = Field(..., description="The recommended window: the top-ranked one.")
    windows: list[ReleaseWindow] = Field(..., description="Every candidate window, best first, with its score components.")
    platforms: list[PlatformRecommendation] = Field(..., description="Platforms from the rule table, primary first.")
    competitors: list[CompetingRelease] = Field(default_factory=list, description="Competing releases the ranking considered.")
    business_rule: BusinessModelRule = Field(..., description="The business-model rule the scores applied.")
    seasonality: SeasonalityProfile = Field(..., description="The viewing-demand profile behind the demand component.")
    assumptions: list[str] = Field(..., description="Assumptions behind the ranking.")
    rationale: str = Field(..., max_length=4000, description="Why this window and these platforms, in words.")
    rationale_source: RationaleSource = Field(..., description="model, or template when the model's text was unusable.")
    rationale_error: str = Field("", max_length=500, description="Why the model's rationale was not used, when it was not.")


class ChannelAdCopy(BaseModel):
    """Ad copy variants for one funded channel."""

    channel: str = Field(..., max_length=40, description="Channel key, e.g. social_video.")
    label: str = Field(..., max_length=80, description="Human-readable channel name.")
    max_chars: int = Field(..., description="Longest line the channel's format allows.")
    variants: list[str] = Field(..., min_length=1, max_length=3, description="Different ad lines for this channel.")
    source: Literal["model", "fallback"] = Field(
        ..., description="model, or fallback (the writer's lines or the logline, cut to fit)."
    )


class TargetSegment(BaseModel):
    """An audience segment the campaign aims at."""

    name: str = Field(..., max_length=160, description="The segment, in words.")
    source: Literal["analyst", "brief"] = Field(..., description="analyst (segment affinity) or brief (the stated audience).")
    detail: str = Field("", max_length=300, description="Why it is targeted.")


class PromotionPlan(BaseModel):
    """How the promotion budget is spent: the optimiser's split per channel per week, ad copy and targets."""

    budget: float = Field(..., description="Promotion budget; the weekly spends sum to it exactly.")
    currency: str = Field(..., description="ISO currency of every amount.")
    share_of_brief_budget: float = Field(..., description="Share of the brief's launch budget given to promotion.")
    weeks: int = Field(..., description="Campaign length in weeks; the last week is the launch week.")
    week_starts: list[dt.date] = Field(..., description="First day of each campaign week, week 1 first.")
    objective: Objective = Field(..., description="What the optimiser maximised.")
    channels: list[ChannelAllocation] = Field(..., description="Spend per channel per week, reach and marginal reach per 1,000.")
    expected_reach: ReachEstimate = Field(..., description="Gross reach of this split, with its interval.")
    equal_split_reach: ReachEstimate = Field(..., description="Gross reach of spending the same on every channel every week.")
    uplift_vs_equal_split: float = Field(..., description="Relative gain in expected reach over the equal split (0.25 = +25%).")
    prob_beats_equal_split: float = Field(
        ..., description="Share of simulated parameter draws in which this split beats the equal one."
    )
    optimizer: str = Field(..., description="Method, starts and convergence of the optimiser.")
    ad_copy: list[ChannelAdCopy] = Field(..., description="Ad copy variants for the best-funded channels.")
    target_segments: list[TargetSegment] = Field(..., max_length=5, description="Who the campaign aims at.")
    assumptions: list[str] = Field(..., description="Assumptions behind the numbers.")
    rationale: str = Field(..., max_length=4000, description="Why the budget is split this way, in words.")
    rationale_source: RationaleSource = Field(..., description="model, or template when the model's text was unusable.")
    rationale_error: str = Field("", max_length=500, description="Why the model's rationale was not used, when it was not.")

    def funded(self) -> list[ChannelAllocation]:
        """Channels that get any money, biggest first."""
        return sorted((c for c in self.channels if c.total > 0), key=lambda c: -c.total)


class PricingPlan(BaseModel):
    """What viewers pay: price points per tier with conversion, churn and revenue, offers per segment, and why."""

    business_model: BusinessModel = Field(..., description="How the title earns money.")
    currency: str = Field(..., description="ISO currency of prices and revenue.")
    tiers: list[PriceTier] = Field(..., description="Per tier: recommended and reference points, every grid point, the curve.")
    offers: list[SegmentOffer] = Field(default_factory=list, description="Retention offers per segment (subscriptions only).")
    churn_model: ChurnModelInfo | None = Field(None, description="The churn model behind subscription prices.")
    horizon_months: int = Field(..., description="Months of subscription revenue counted.")
    assumptions: list[str] = Field(..., description="Assumptions behind the numbers.")
    rationale: str = Field(..., max_length=4000, description="Why these prices and offers, in words.")
    rationale_source: RationaleSource = Field(..., description="model, or template when the model's text was unusable.")
    rationale_error: str = Field("", max_length=500, description="Why the model's rationale was not used, when it was not.")


class PlanResult(BaseModel):
    """What a plan run hands back: the three plans and every model call."""

    run_id: str = Field(..., description="The thread the run used.")
    release_plan: ReleasePlan = Field(..., description="Release window and platforms.")
    promotion_plan: PromotionPlan = Field(..., description="Promotion split, ad copy and targets.")
    pricing_plan: PricingPlan = Field(..., description="Price points and offers.")
    calls: list[CallRecord] = Field(default_factory=list, description="Every model call, in order.")
