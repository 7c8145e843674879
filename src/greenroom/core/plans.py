"""The marketer's and pricing agent's artifacts: release, promotion and pricing plans.

Every number in a plan comes from a tool (`tools.release`, `tools.promotion`,
`tools.pricing`) and is embedded here as the tool returned it, with its inputs,
uncertainty and assumptions. The model writes only the words: the rationale
and the ad copy. Its structured-output targets (`MarketingRationale`,
`PricingRationale`, `AdCopyShort`/`AdCopy`/`AdCopyLong`) are small, and every
string and list in them is bounded (measured on SmolLM2 under a grammar).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from greenroom.core.market import (
    ChannelAllocation,
    ChannelCurve,
    CompetingRelease,
    PricingRecommendation,
    PromotionAllocation,
    ReleaseRecommendation,
    ReleaseWindow,
)
from greenroom.core.schemas import CallRecord
from greenroom.core.text import AdLineLong, AdLineMedium, AdLineShort, RationaleText

RationaleSource = Literal["model", "template"]

RATIONALE_NOT_ASKED = "stated from the numbers: this model's explanations of them measured unusable, so none was asked for"
"""The rationale_error of a template rationale for which no model answer was asked (see models.candidates)."""
"""Who wrote a rationale: the model, or the deterministic template when the model's answer was unusable."""

# --------------------------------------------------------------------------- what the model fills


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

    variants: list[AdLineMedium] = Field(..., min_length=2, max_length=3, description="Different ad lines, each one sentence.")


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
    """When and where the title comes out: the release engine's ranked windows and platforms, and why."""

    recommendation: ReleaseRecommendation = Field(
        ..., description="The release engine's result: ranked windows, platforms, business rule, seasonality, assumptions."
    )
    competitors: list[CompetingRelease] = Field(default_factory=list, description="Competing releases the ranking considered.")
    rationale: str = Field(..., max_length=4000, description="Why this window and these platforms, in words.")
    rationale_source: RationaleSource = Field(..., description="model, or template when the model's text was unusable.")
    rationale_error: str = Field("", max_length=500, description="Why the model's rationale was not used, when it was not.")

    @property
    def chosen(self) -> ReleaseWindow:
        """The recommended window: the top-ranked one."""
        return self.recommendation.windows[0]

    @property
    def assumptions(self) -> list[str]:
        """Every assumption behind the ranking."""
        return list(self.recommendation.assumptions)


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

    allocation: PromotionAllocation = Field(
        ..., description="The optimiser's result: spend per channel per week, expected reach, the equal-split comparison."
    )
    share_of_brief_budget: float = Field(..., description="Share of the brief's launch budget given to promotion.")
    week_starts: list[dt.date] = Field(..., description="First day of each campaign week, week 1 first.")
    ad_copy: list[ChannelAdCopy] = Field(..., description="Ad copy variants for the best-funded channels.")
    target_segments: list[TargetSegment] = Field(..., max_length=5, description="Who the campaign aims at.")
    added_assumptions: list[str] = Field(
        ..., description="The marketer's own assumptions (budget share, campaign, currency); the optimiser's are in allocation."
    )
    rationale: str = Field(..., max_length=4000, description="Why the budget is split this way, in words.")
    rationale_source: RationaleSource = Field(..., description="model, or template when the model's text was unusable.")
    rationale_error: str = Field("", max_length=500, description="Why the model's rationale was not used, when it was not.")

    def funded(self) -> list[ChannelAllocation]:
        """Channels that get any money, biggest first."""
        return sorted((c for c in self.allocation.channels if c.total > 0), key=lambda c: -c.total)

    @property
    def assumptions(self) -> list[str]:
        """Every assumption behind the numbers: the marketer's, then the optimiser's."""
        return [*self.added_assumptions, *self.allocation.assumptions]


class PricingPlan(BaseModel):
    """What viewers pay: the pricing engine's price points per tier and offers per segment, and why."""

    recommendation: PricingRecommendation = Field(
        ..., description="The pricing engine's result: business model, tiers, offers, churn model, horizon, assumptions."
    )
    currency: str = Field(..., description="ISO currency of prices and revenue.")
    added_assumptions: list[str] = Field(
        default_factory=list, description="The pricing agent's own assumptions (currency); the engine's are in recommendation."
    )
    rationale: str = Field(..., max_length=4000, description="Why these prices and offers, in words.")
    rationale_source: RationaleSource = Field(..., description="model, or template when the model's text was unusable.")
    rationale_error: str = Field("", max_length=500, description="Why the model's rationale was not used, when it was not.")

    @property
    def assumptions(self) -> list[str]:
        """Every assumption behind the numbers: the engine's, then the pricing agent's."""
        return [*self.recommendation.assumptions, *self.added_assumptions]


class PlanResult(BaseModel):
    """What a plan run hands back: the three plans and every model call."""

    run_id: str = Field(..., description="The thread the run used.")
    release_plan: ReleasePlan = Field(..., description="Release window and platforms.")
    promotion_plan: PromotionPlan = Field(..., description="Promotion split, ad copy and targets.")
    pricing_plan: PricingPlan = Field(..., description="Price points and offers.")
    calls: list[CallRecord] = Field(default_factory=list, description="Every model call, in order.")
