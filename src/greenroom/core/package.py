"""The launch package: everything one brief produced, with the accounting behind it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from greenroom.core.audience import AudienceReport
from greenroom.core.brief import Brief
from greenroom.core.funnel import AudienceFunnel
from greenroom.core.plans import PricingPlan, PromotionPlan, ReleasePlan
from greenroom.core.results import ResultsUpdate
from greenroom.core.schemas import CallRecord, Draft, EditReview
from greenroom.core.times import UtcTime


class StepRecord(BaseModel):
    """Accounting for one step of a run."""

    step: str = Field(..., description="Node name, e.g. analyst or writer.")
    started_at: UtcTime = Field(..., description="Start time (UTC), ISO 8601 in JSON.")
    seconds: float = Field(..., ge=0, description="Wall time of the step.")
    model_calls: int = Field(0, ge=0, description="Model calls the step made.")
    input_tokens: int = Field(0, ge=0, description="Prompt tokens over those calls.")
    cached_input_tokens: int = Field(0, ge=0, description="Of those, prompt tokens the server reused from its cache.")
    output_tokens: int = Field(0, ge=0, description="Completion tokens over those calls.")
    model_seconds: float = Field(0.0, ge=0, description="Time spent inside the model.")
    cost: float = Field(0.0, ge=0, description="Estimated cost in USD from the provider price table.")


class Accounting(BaseModel):
    """Totals and per-step figures for a run."""

    steps: list[StepRecord] = Field(default_factory=list, description="Every step in the order it finished.")
    model_calls: int = Field(0, description="Model calls in total.")
    input_tokens: int = Field(0, description="Prompt tokens in total.")
    cached_input_tokens: int = Field(
        0, description="Of those, prompt tokens the server reused from its cache (read fresh: the rest)."
    )
    output_tokens: int = Field(0, description="Completion tokens in total.")
    cost: float = Field(0.0, description="Estimated cost in USD.")
    price_source: str = Field("", description="Which price-table entry the estimate used.")


class LaunchPackage(BaseModel):
    """Content, audience, release, promotion and pricing for one brief."""

    run_id: str = Field(..., description="The run's thread id.")
    version: int = Field(1, ge=1, description="1 for the first package of a run, +1 per revision.")
    created_at: UtcTime = Field(..., description="When this version was assembled (UTC), ISO 8601 in JSON.")
    brief: Brief = Field(..., description="The brief this version was built from.")
    audience: AudienceReport = Field(..., description="The analyst's report.")
    draft: Draft = Field(..., description="The content.")
    review: EditReview = Field(..., description="The editor's last review of the content.")
    edit_outcome: Literal["approved", "max_rounds"] = Field(..., description="How the writer/editor loop ended.")
    release_plan: ReleasePlan = Field(..., description="When and where it comes out.")
    promotion_plan: PromotionPlan = Field(..., description="How the promotion budget is spent.")
    pricing_plan: PricingPlan = Field(..., description="What viewers pay.")
    extras: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="What further declared agents produced, by step name (the sections above have fields of their own).",
    )
    funnel: AudienceFunnel | None = Field(
        None, description="Population -> addressable -> reached -> viewers -> paying -> revenue; None in packages made before it."
    )
    accounting: Accounting = Field(default_factory=Accounting, description="Time, calls, tokens and cost per step.")
    calls: list[CallRecord] = Field(default_factory=list, description="Every model call of the run, in order.")
    revision_note: str = Field("", description="What the revision that produced this version asked for, if any.")
    results: ResultsUpdate | None = Field(
        None, description="After launch: what the campaign's results showed and the re-plan of the weeks left, if any."
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="What a person should know before using the package, e.g. fields written from the brief.",
    )


def fallback_warning(fields: list[str]) -> str:
    """The warning for draft fields written from the brief instead of by the model."""
    return f"written from the brief because the model's answers stayed unusable; rewrite before use: {', '.join(fields)}"
