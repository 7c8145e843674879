"""One pydantic model per artifact the agents produce.

The same model is the structured-output target, the REST response and the
report's input. String and list lengths are bounded on purpose: under a
JSON-schema grammar a small model repeats list items and sentences until its
token limit unless the schema stops it (measured on SmolLM2-135M), and scores are
`Literal` because grammars do not enforce integer minimum/maximum.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from greenroom.core.brief import AgeRating, BusinessModel, Format
from greenroom.core.text import AdLine, Heading, Logline, Note, PartSummary, Synopsis, Tag, Tagline, plain_text

Score = Literal[1, 2, 3, 4, 5]
"""A rubric score: 1 poor, 3 acceptable, 5 excellent."""


class OutlineItem(BaseModel):
    """One scene, episode, segment or track of the outline."""

    heading: Heading = Field(..., description="Short name of this part.")
    summary: PartSummary = Field(..., description="What happens in this part, one or two sentences.")


class DraftPitch(BaseModel):
    """The first part the writer asks the model for: the story."""

    model_config = ConfigDict(title="Pitch")

    logline: Logline = Field(..., description="The story or concept in one sentence.")
    synopsis: Synopsis = Field(..., description="A synopsis of three to six sentences.")


class DraftOutline(BaseModel):
    """The second part: the structure."""

    model_config = ConfigDict(title="Outline")

    outline: list[OutlineItem] = Field(..., min_length=3, max_length=6, description="The parts in order.")


class DraftHooks(BaseModel):
    """The third part: the lines that sell it, and its rating."""

    model_config = ConfigDict(title="Hooks")

    taglines: list[Tagline] = Field(..., min_length=3, max_length=4, description="Short poster lines.")
    ad_copy: list[AdLine] = Field(..., min_length=3, max_length=4, description="One- or two-sentence ad lines.")
    content_tags: list[Tag] = Field(..., min_length=1, max_length=6, description="Themes and content descriptors.")
    age_rating: AgeRating = Field(..., description="The rating this content would most likely receive.")


class Fallback(BaseModel):
    """A field of the draft written from the brief because the model's answers stayed unusable."""

    field: str = Field(..., description="The field, as a dotted path: pitch.logline, outline, hooks.taglines, ...")
    reason: str = Field(..., description="Why the model's answers were not used, in plain words.")


DRAFT_FIELDS = (
    "pitch.logline", "pitch.synopsis", "outline",
    "hooks.taglines", "hooks.ad_copy", "hooks.content_tags", "hooks.age_rating",
)  # fmt: skip
"""The fields of a draft whose source (model or fallback) is tracked."""


class Draft(BaseModel):
    """The content the writer produces for a brief: its three parts, and which fields were written from the brief."""

    model_config = ConfigDict(title="Draft")

    pitch: DraftPitch = Field(..., description="The story: logline and synopsis.")
    outline: DraftOutline = Field(..., description="The structure: the parts in order.")
    hooks: DraftHooks = Field(..., description="The lines that sell it (taglines, ad copy), its tags and its rating.")
    fallbacks: list[Fallback] = Field(
        default_factory=list,
        description="Fields written from the brief (source: fallback), with the reason; every other field is the model's.",
    )

    settled: list[str] = Field(
        default_factory=list,
        description="Parts no later round redrafts: every answer of their last round failed the same check.",
    )

    def source(self, field: str) -> Literal["model", "fallback"]:
        """Who wrote a field (a dotted path from DRAFT_FIELDS): the model, or the fallback built from the brief."""
        return "fallback" if any(f.field == field for f in self.fallbacks) else "model"


class EditorJudgement(BaseModel):
    """What the model thinks of a draft; the deterministic checks are separate."""

    model_config = ConfigDict(title="EditorJudgement")

    fit_to_brief: Score = Field(..., description="How well the draft serves the brief's concept, genres and audience.")
    voice: Score = Field(..., description="How well the writing matches the requested tone and voice.")
    originality: Score = Field(..., description="How fresh the concept and lines feel.")
    verdict: Literal["approve", "revise"] = Field(..., description="approve if ready, revise if it needs another pass.")
    notes: list[Note] = Field(default_factory=list, max_length=3, description="Concrete changes to make, if any.")


class CheckResult(BaseModel):
    """The outcome of one deterministic check on a draft."""

    name: str = Field(..., description="Which rule was checked, e.g. 'synopsis length'.")
    criterion: Literal["fit_to_brief", "length", "voice", "constraints", "content_policy", "age_rating", "completeness"] = Field(
        ..., description="The rubric criterion this check belongs to."
    )
    part: Literal["pitch", "outline", "hooks"] = Field(
        "pitch", description="The part of the draft the writer rewrites when the check fails."
    )
    passed: bool = Field(..., description="Whether the draft meets the rule.")
    detail: str = Field("", description="What was found, and what to change when it failed.")
    hard: bool = Field(
        False,
        description="A gate: after the last round, a field that still fails it ships its fallback written from the brief.",
    )


class RubricScore(BaseModel):
    """One line of the editor's rubric."""

    criterion: str = Field(..., description="The rubric criterion.")
    score: int = Field(..., ge=1, le=5, description="1 poor to 5 excellent.")
    source: Literal["checks", "model", "checks+model"] = Field(..., description="Where the score comes from.")


class EditReview(BaseModel):
    """The editor's verdict on one draft."""

    round: int = Field(..., ge=1, description="Which writer/editor round this review closes.")
    approved: bool = Field(..., description="True when every check passes and the model does not ask for a revision.")
    rubric: list[RubricScore] = Field(..., description="Score per criterion.")
    checks: list[CheckResult] = Field(..., description="Every deterministic check and its outcome.")
    notes: list[str] = Field(default_factory=list, description="Revision notes for the writer, most important first.")
    model_verdict: Literal["approve", "revise", "unavailable"] = Field(..., description="What the model said, before the checks.")


class CallRecord(BaseModel):
    """Accounting for one model call."""

    agent: str = Field(..., description="Which agent made the call.")
    model: str = Field(..., description="provider:model that answered.")
    purpose: str = Field(..., description="What the call produced, e.g. the schema name.")
    input_tokens: int = Field(0, ge=0, description="Prompt tokens, as the provider reported them.")
    cached_input_tokens: int = Field(
        0, ge=0, description="Of the prompt tokens, those the server reused from its cache rather than read afresh."
    )
    cached_estimated: bool = Field(
        False, description="True when cached_input_tokens is estimated (shared prefix with the server's last request)."
    )
    output_tokens: int = Field(0, ge=0, description="Completion tokens, as the provider reported them.")
    seconds: float = Field(0.0, ge=0, description="Wall time of the call.")
    attempt: int = Field(1, ge=1, description="1 for the first try, 2 for the repair round.")
    valid: bool = Field(True, description="Whether the output parsed and validated.")
    finish_reason: str = Field(
        "",
        description="Why generation stopped (stop, length, ...); deadline when the call ran past its deadline and was cut off.",
    )
    error: str = Field("", description="Why the output was rejected, when it was.")
    seed: int | None = Field(None, description="The sampling seed the request carried; None where the provider takes none.")


class WriteResult(BaseModel):
    """What the writer/editor loop hands back."""

    run_id: str = Field(..., description="The thread the loop ran on.")
    draft: Draft = Field(..., description="The last draft.")
    review: EditReview = Field(..., description="The editor's last review.")
    outcome: Literal["approved", "max_rounds"] = Field(..., description="approved, or max_rounds when the cap ended the loop.")
    rounds: int = Field(..., ge=1, description="How many writer/editor rounds ran.")
    calls: list[CallRecord] = Field(default_factory=list, description="Every model call, in order.")


DATE_PATTERN = r"^20[2-9][0-9]-[01][0-9]-[0-3][0-9]$"
BriefDate = Annotated[str, StringConstraints(pattern=DATE_PATTERN)]
"""A date as YYYY-MM-DD, digits and dashes only, so no debris either; the brief validates it as a date afterwards."""


class BriefFields(BaseModel):
    """The brief fields one chat message states, as a model reads them; a field the message does not state stays null."""

    model_config = ConfigDict(extra="forbid")

    working_title: Annotated[str, plain_text(1, 120)] | None = Field(None, description="The title, if the message names it.")
    format: Format | None = Field(None, description="What kind of media it is.")
    logline: Annotated[str, plain_text(10, 600)] | None = Field(None, description="What it is about, one or two sentences.")
    genres: list[Tag] | None = Field(None, max_length=6, description="Genres, most important first.")
    tone: Annotated[str, plain_text(2, 300)] | None = Field(None, description="Tone or brand voice.")
    length_minutes: float | None = Field(None, gt=0, le=10_000, description="Running time in minutes.")
    length_episodes: int | None = Field(None, gt=0, le=10_000, description="Number of episodes.")
    budget_amount: float | None = Field(None, gt=0, le=1e12, description="Launch budget, as a plain number.")
    budget_currency: Annotated[str, plain_text(3, 3)] | None = Field(None, description="ISO currency code, e.g. USD.")
    business_model: BusinessModel | None = Field(None, description="How it earns money.")
    release_earliest: BriefDate | None = Field(None, description="First acceptable release date, YYYY-MM-DD.")
    release_latest: BriefDate | None = Field(None, description="Last acceptable release date, YYYY-MM-DD.")
    audience_age_min: int | None = Field(None, ge=0, le=120, description="Youngest age targeted.")
    audience_age_max: int | None = Field(None, ge=0, le=120, description="Oldest age targeted.")
    audience_regions: list[Tag] | None = Field(None, max_length=20, description="Where the audience lives.")
    territories: list[Tag] | None = Field(None, max_length=20, description="Where it will be released (ISO codes).")
    age_rating_ceiling: AgeRating | None = Field(None, description="Most restrictive rating allowed.")
    avoid_topics: list[Note] | None = Field(None, max_length=20, description="Topics the content must not touch.")
    must_include: list[Note] | None = Field(None, max_length=20, description="Elements the content must contain.")
    studio: Annotated[str, plain_text(2, 120)] | None = Field(None, description="Studio or distributor.")

    def dotted(self) -> dict[str, object]:
        """The stated fields by the brief's dotted paths ('budget_amount' -> 'budget.amount')."""
        paths = {"length_minutes": "length.minutes", "length_episodes": "length.episodes", "budget_amount": "budget.amount",
                 "budget_currency": "budget.currency", "release_earliest": "release.earliest",
                 "release_latest": "release.latest", "audience_age_min": "audience.age_min",
                 "audience_age_max": "audience.age_max", "audience_regions": "audience.regions",
                 "age_rating_ceiling": "constraints.age_rating_ceiling", "avoid_topics": "constraints.avoid_topics",
                 "must_include": "constraints.must_include"}  # fmt: skip
        stated = self.model_dump(mode="json", exclude_none=True)
        return {paths.get(name, name): value for name, value in stated.items() if value != []}
