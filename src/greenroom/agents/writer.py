"""The writer: drafts the content for a brief, and revises only what the editor's checks failed.

Each of the three parts (pitch, outline, hooks) is its own small request: a
small model keeps short, tightly bounded schemas valid (measured on SmolLM2-135M), and each
part builds on the last. For every part the writer samples, checks and selects
(`models.candidates`): it asks again with another seed only while the part's
deterministic checks fail, up to `writer_candidates` answers, and pools the
hooks' lines across answers. A later round asks again only for the parts whose
checks failed, quoting what failed. When no answer is usable, the part's fields
are written from the brief (`tools.fallbacks`) and marked as such: a launch
never fails because of words.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables.config import ContextThreadPoolExecutor
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, RootModel, model_validator

from greenroom.agents.context import AgentContext
from greenroom.core.brief import AGE_RATINGS, Brief, Format
from greenroom.core.rules import load_rules, missing_formats
from greenroom.core.schemas import CallRecord, CheckResult, Draft, DraftHooks, DraftOutline, DraftPitch, EditReview, Fallback
from greenroom.core.state import WriteState
from greenroom.models import candidates as cand
from greenroom.models.structured import StructuredOutputError, generate
from greenroom.prompts import render
from greenroom.tools import fallbacks
from greenroom.tools.draft_checks import (
    PARTS,
    TAG_MAX_WORDS,
    TAGLINE_MAX_WORDS,
    Part,
    check_hooks,
    check_outline,
    check_pitch,
    mentions,
    scaffolding,
    similar,
    words,
)

T = TypeVar("T", bound=BaseModel)


# What the outline is made of, per format.
class OutlineUnit(BaseModel):
    """What one part of a format's outline is called, and why."""

    unit: str = Field(..., min_length=1, description="The part's name in the plural: scenes, episodes, tracks.")
    reason: str = Field(..., min_length=1, description="Why the format is outlined in it.")


class OutlineUnits(RootModel[dict[Format, OutlineUnit]]):
    """The contents of `data/outline_units.yaml`: one outline unit per format."""

    @model_validator(mode="after")
    def _every_format(self) -> OutlineUnits:
        if problem := missing_formats(set(self.root)):
            raise ValueError(problem)
        return self


OUTLINE_UNITS_PATH = Path(__file__).parent / "data" / "outline_units.yaml"
"""What each format's outline parts are called, each with its reason."""
OUTLINE_UNIT: dict[Format, str] = {fmt: u.unit for fmt, u in load_rules(OUTLINE_UNITS_PATH, OutlineUnits).root.items()}

PART_MAX_TOKENS = {"pitch": 450, "outline": 650, "hooks": 500}
UNUSABLE = "the model's answers stayed unusable"


def outline_count(brief: Brief) -> int:
    """How many outline parts to ask for: the episode or track count when it is small, else 5."""
    count = brief.length.episodes or brief.length.tracks or 5
    return max(3, min(6, count))


def candidates_for(context: AgentContext) -> int:
    """How many answers an agent may draw for one request (the `writer.candidates` setting, else by model)."""
    return cand.answers_per_request(context.model.structured_mode, context.writer_candidates)


def _messages(template: str, **variables: Any) -> list[BaseMessage]:
    return [SystemMessage(render("common/system.j2")), HumanMessage(render(template, **variables))]


def parts_to_write(review: EditReview | None, previous: Draft | None, revision_note: str) -> set[Part]:
    """Every part on a first draft or a change asked for in words; after a review, only the parts that failed,
    less those settled (every answer of their last round failed the same check: another round would not change them)."""
    if previous is None or review is None or revision_note:
        return set(PARTS)
    failed = {c.part for c in review.checks if not c.passed}
    return (failed or set(PARTS)) - set(previous.settled)  # no failed check: the model's notes concern the whole draft


class Written(NamedTuple, Generic[T]):
    """One part as the writer wrote it this round."""

    answer: T
    fallbacks: list[Fallback]
    calls: list[CallRecord]
    stuck: bool = False
    """Every answer failed the same check: no later round redrafts the part (Draft.settled)."""


def _gated(draft: Draft, brief: Brief, settled: set[Part]) -> Draft:
    """The draft with the hard-check gate applied to the settled parts only; the others still have a round to go."""
    gated = fallbacks.gate(draft, brief, outline_count=outline_count(brief), outline_unit=OUTLINE_UNIT[brief.format])
    update: dict[str, Any] = {p: getattr(gated if p in settled else draft, p) for p in PARTS}
    update["fallbacks"] = [f for f in gated.fallbacks if f in draft.fallbacks or f.field.split(".")[0] in settled]
    return draft.model_copy(update=update)


def _notes(part: Part, review: EditReview | None, revision_note: str) -> list[str]:
    notes = [c.detail for c in review.checks if not c.passed and c.part == part] if review else []
    if review and not notes:
        notes = [n for n in review.notes if n not in {c.detail for c in review.checks}]
    return notes + ([revision_note] if revision_note else [])


def _why(sampling: cand.Sampling[Any]) -> str:
    if sampling.candidates:
        failed = sorted({c.name for c in sampling.candidates[0].checks if not c.passed})
        return f"{UNUSABLE}: every answer failed the checks ({', '.join(failed)})"
    return f"{UNUSABLE}: no answer was valid after {len(sampling.calls)} attempts"


def _sample(
    context: AgentContext, template: str, schema: type[T], part: Part, check: Callable[[T], list[CheckResult]],
    lines: Callable[[T], list[str]], brief: Brief, **variables: Any,
) -> cand.Sampling[T]:  # fmt: skip
    messages = _messages(template, brief=brief, **variables)
    k = candidates_for(context)

    def ask(index: int) -> tuple[T, list[CallRecord]]:
        return generate(context.model, messages, schema, agent="writer", max_tokens=PART_MAX_TOKENS[part],
                        seed_offset=index, repair=k == 1)  # fmt: skip

    return cand.sample(ask, check, lines, query=brief.logline, candidates=k, errors=(StructuredOutputError,),
                       at_once=context.model.parallel)  # fmt: skip


def _write_pitch(context: AgentContext, brief: Brief, common: dict[str, Any]) -> Written[DraftPitch]:
    sampling = _sample(context, "writer/pitch.j2", DraftPitch, "pitch", lambda p: check_pitch(p, brief),
                       lambda p: [p.logline, p.synopsis], brief, synopsis_sentences="3 to 5", **common)  # fmt: skip
    backup = fallbacks.fallback_pitch(brief)
    if sampling.best is None:
        reason = _why(sampling)
        return Written(backup, [Fallback(field=f, reason=reason) for f in ("pitch.logline", "pitch.synopsis")], sampling.calls)
    return Written(sampling.best.answer, [], sampling.calls, sampling.stuck)  # `fallbacks.gate` replaces a broken field


def _write_outline(context: AgentContext, brief: Brief, pitch: DraftPitch, common: dict[str, Any]) -> Written[DraftOutline]:
    count, unit = outline_count(brief), OUTLINE_UNIT[brief.format]
    sampling = _sample(context, "writer/outline.j2", DraftOutline, "outline",
                       lambda o: check_outline(o, brief, wanted=count),
                       lambda o: [i.summary for i in o.outline], brief,
                       pitch=pitch, outline_count=count, outline_unit=unit, **common)  # fmt: skip
    if sampling.best is not None:
        return Written(sampling.best.answer, [], sampling.calls, sampling.stuck)  # `fallbacks.gate` replaces a broken outline
    return Written(
        fallbacks.fallback_outline(brief, count, unit), [Fallback(field="outline", reason=_why(sampling))], sampling.calls
    )


def _write_hooks(
    context: AgentContext, brief: Brief, pitch: DraftPitch, common: dict[str, Any], final: bool
) -> Written[DraftHooks]:
    sampling = _sample(context, "writer/hooks.j2", DraftHooks, "hooks", lambda h: check_hooks(h, brief, pitch),
                       lambda h: [*h.taglines, *h.ad_copy], brief, pitch=pitch, **common)  # fmt: skip
    best = sampling.best
    if best is not None and (best.passed_all or (not final and len(sampling.candidates) == 1)):
        return Written(best.answer, [], sampling.calls)  # one answer and rounds to go: the editor asks again with notes
    hooks, missing = _pooled_hooks(brief, pitch, [c.answer for c in sampling.candidates])
    if best is not None and sum(c.passed for c in check_hooks(hooks, brief, pitch)) < sum(c.passed for c in best.checks):
        return Written(best.answer, [], sampling.calls, sampling.stuck)
    reason = _why(sampling)
    return Written(hooks, [Fallback(field=f, reason=reason) for f in missing], sampling.calls, sampling.stuck)


def _pooled_hooks(brief: Brief, pitch: DraftPitch, answers: list[DraftHooks]) -> tuple[DraftHooks, list[str]]:
    """The best distinct lines from every answer, topped up from the brief; the fields that needed topping up."""
    avoid = brief.constraints.avoid_topics

    def clean(line: str) -> bool:
        return not scaffolding(line) and not any(mentions(line, t) for t in avoid) and not similar(line, pitch.logline)

    def line_ok(max_words: int) -> Callable[[str], bool]:
        return lambda line: clean(line) and 0 < len(words(line)) <= max_words

    taglines = cand.pool((t for a in answers for t in a.taglines), line_ok(TAGLINE_MAX_WORDS), want=3, query=brief.logline)
    ads = cand.pool((t for a in answers for t in a.ad_copy), line_ok(60), want=3, query=brief.logline)
    tags = cand.pool((t for a in answers for t in a.content_tags), line_ok(TAG_MAX_WORDS), want=5, query=brief.logline)
    missing: list[str] = []
    if len(taglines) < 3:
        missing.append("hooks.taglines")
        taglines = (taglines + fallbacks.fallback_taglines(brief))[:3]
    if len(ads) < 3:
        missing.append("hooks.ad_copy")
        ads = (ads + fallbacks.fallback_ad_lines(brief))[:3]
    if not tags:
        missing.append("hooks.content_tags")
        tags = fallbacks.fallback_tags(brief)
    ceiling = brief.constraints.age_rating_ceiling
    ratings = [a.age_rating for a in answers if AGE_RATINGS.index(a.age_rating) <= AGE_RATINGS.index(ceiling)]
    rating = fallbacks.fallback_rating(brief, " ".join([pitch.synopsis, *taglines, *ads]))
    if not answers:
        missing.append("hooks.age_rating")
    elif ratings:
        rating = ratings[0]
    return DraftHooks(taglines=taglines, ad_copy=ads, content_tags=tags, age_rating=rating), missing


def write(state: WriteState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Draft the content, or redraft the parts whose checks failed, following the editor's notes."""
    brief, context = state["brief"], runtime.context
    round_ = state.get("round", 0) + 1
    review, previous = state.get("review"), state.get("draft")
    note = state.get("revision_note", "")
    todo = parts_to_write(review, previous, note)
    final = round_ >= context.max_edit_rounds  # no editor round follows: what still fails falls back
    kept = [f for f in previous.fallbacks if f.field.split(".")[0] not in todo] if previous else []
    calls: list[CallRecord] = []
    new_fallbacks: list[Fallback] = []

    def common(part: Part) -> dict[str, Any]:
        return {"notes": _notes(part, review, note), "round": round_}

    settled: set[Part] = {p for p in PARTS if previous and not note and p in previous.settled}

    def take(written: Written[Any], part: Part) -> Any:
        nonlocal new_fallbacks, calls
        new_fallbacks, calls = new_fallbacks + written.fallbacks, calls + written.calls
        if written.stuck:
            settled.add(part)
        return written.answer

    pitch = previous.pitch if previous and "pitch" not in todo else None
    if pitch is None:
        pitch = take(_write_pitch(context, brief, common("pitch")), "pitch")
    # The outline and the hooks depend on the pitch only, not on each other: they are asked for at once, and a
    # server with parallel slots (the embedded model's) decodes both in one batch.
    with ContextThreadPoolExecutor(max_workers=min(2, context.model.parallel)) as pool:
        outline_job = (
            None if previous and "outline" not in todo else pool.submit(_write_outline, context, brief, pitch, common("outline"))
        )
        hooks_job = (
            None if previous and "hooks" not in todo else pool.submit(_write_hooks, context, brief, pitch, common("hooks"), final)
        )
        outline = take(outline_job.result(), "outline") if outline_job is not None else previous.outline if previous else None
        hooks = take(hooks_job.result(), "hooks") if hooks_job is not None else previous.hooks if previous else None
    assert outline is not None and hooks is not None  # written now, or kept from the previous draft
    draft = Draft(pitch=pitch, outline=outline, hooks=hooks, fallbacks=kept + new_fallbacks, settled=sorted(settled))
    if final:  # no round follows: a field that still fails a hard check ships its fallback, marked
        draft = fallbacks.gate(draft, brief, outline_count=outline_count(brief), outline_unit=OUTLINE_UNIT[brief.format])
    elif settled:  # no round will redraft these parts: the gate applies to them now
        draft = _gated(draft, brief, settled)
    return {"draft": draft, "round": round_, "calls": calls}
