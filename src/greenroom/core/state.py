"""What flows through the graphs: input, internal state, output."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, Required

from typing_extensions import TypedDict

from greenroom.core.audience import AudienceReport
from greenroom.core.brief import Brief
from greenroom.core.market import PricingAssumptions
from greenroom.core.package import LaunchPackage, StepRecord
from greenroom.core.plans import MarketingInputs, PricingPlan, PromotionPlan, ReleasePlan
from greenroom.core.schemas import CallRecord, Draft, EditReview
from greenroom.core.vocabulary import RunStatus


class WriteInput(TypedDict):
    """What the writer/editor loop starts from."""

    brief: Brief
    """The validated brief."""


class WriteState(WriteInput, total=False):
    """The writer/editor loop's working state."""

    draft: Draft | None
    """The latest draft."""
    review: EditReview | None
    """The editor's latest review."""
    reviews: Annotated[list[EditReview], operator.add]
    """Every review so far, oldest first."""
    round: int
    """How many writer rounds have run."""
    calls: Annotated[list[CallRecord], operator.add]
    """Every model call, for accounting."""
    outcome: Literal["approved", "max_rounds"]
    """How the loop ended."""
    revision_note: str
    """A change asked for in words; only the launch graph sets it (see LaunchState), the writer reads it."""


class PlanInput(TypedDict, total=False):
    """What the marketer and pricing agents start from: the brief, and whatever earlier agents or the user added."""

    brief: Required[Brief]
    """The validated brief."""
    draft: Draft | None
    """The writer's draft, if there is one: its taglines and ad lines seed the ad copy."""
    audience: AudienceReport | None
    """The analyst's audience report, if there is one: its segments steer the targeting."""
    marketing: MarketingInputs | None
    """Competitors, channel curves and spend bounds the user added."""
    pricing_assumptions: PricingAssumptions | None
    """Overrides for the pricing engine's priors and settings."""


class PlanState(PlanInput, total=False):
    """The planning step's state: its inputs, the three plans and the model calls."""

    release_plan: ReleasePlan
    """The marketer's release plan."""
    promotion_plan: PromotionPlan
    """The marketer's promotion plan."""
    pricing_plan: PricingPlan
    """The pricing agent's plan."""
    calls: Annotated[list[CallRecord], operator.add]
    """Every model call, for accounting."""


class LaunchInput(TypedDict, total=False):
    """What a launch run (or a revision on the same thread) starts from: the brief, and what a person may add."""

    brief: Required[Brief]
    """The brief (a revision may change it)."""
    marketing: MarketingInputs | None
    """Competitors, channel curves and spend bounds the user added."""
    pricing_assumptions: PricingAssumptions | None
    """Overrides for the pricing engine."""
    revision_note: str
    """A change asked for in words (by `revise` or at approval), for the writer."""


class LaunchState(LaunchInput, total=False):
    """The launch graph's state: every agent's artifact, the packages, and the accounting."""

    audience: AudienceReport
    """The analyst's AudienceReport."""
    draft: Draft | None
    """The latest draft."""
    review: EditReview | None
    """The editor's latest review."""
    reviews: Annotated[list[EditReview], operator.add]
    """Every review so far, oldest first."""
    round: int
    """Writer rounds in the current writing pass."""
    outcome: Literal["approved", "max_rounds"]
    """How the last writing pass ended."""
    release_plan: ReleasePlan
    """The marketer's release plan."""
    promotion_plan: PromotionPlan
    """The marketer's promotion plan."""
    pricing_plan: PricingPlan
    """The pricing agent's plan."""
    extras: Annotated[dict[str, Any], operator.or_]
    """What further declared agents produced, by step name (JSON), for the package's `extras`."""
    package: LaunchPackage
    """The latest LaunchPackage."""
    versions: Annotated[list[LaunchPackage], operator.add]
    """Every LaunchPackage this run assembled, first to last."""
    calls: Annotated[list[CallRecord], operator.add]
    """Every model call, for accounting."""
    steps: Annotated[list[StepRecord], operator.add]
    """A StepRecord per finished step."""
    rerun: list[str]
    """Steps the current pass must run; set by intake (everything on a first run)."""
    status: RunStatus
    """running while the graph works; approved or rejected once a person answered the approval request."""
