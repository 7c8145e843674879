"""The editor: scores a draft on the rubric and approves it or sends notes back.

Deterministic checks carry the review (a small model approves almost anything);
the model adds its judgement of fit, voice and originality, and its notes.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from greenroom.agents.context import AgentContext
from greenroom.agents.writer import outline_count
from greenroom.core.schemas import CallRecord, CheckResult, EditorJudgement, EditReview, RubricScore
from greenroom.core.state import WriteState
from greenroom.models.structured import StructuredOutputError, generate
from greenroom.prompts import render
from greenroom.tools.draft_checks import check_draft, criterion_score

EDITOR_MAX_TOKENS = 400
CHECK_ONLY = ("length", "constraints", "content_policy", "age_rating", "completeness")


def approves(checks: list[CheckResult], verdict: str) -> bool:
    """The editor's threshold: a draft is approved when every deterministic check passes and the model does not ask for
    a revision.

    Every check, not a score above a line: each failed check is a concrete fault a producer would have to fix (a
    repeated part, a synopsis of 20 words, a missing must-include element), so a draft with one is not ready, and the
    rubric's scores (`draft_checks.criterion_score`) only describe it. A field drafted from the brief fails the check
    "every field written by the model", so such a draft is never approved as written. The model's verdict can hold a
    draft back but never approve one the checks fail: a 135M model approves almost anything (measured on SmolLM2-135M). When the
    model's answer is unusable (verdict "unavailable"), the checks decide alone.
    """
    return all(c.passed for c in checks) and verdict != "revise"


def _rubric(checks: list[CheckResult], judgement: EditorJudgement | None) -> list[RubricScore]:
    rubric = []
    for criterion in ("fit_to_brief", "voice", "originality"):
        checked = criterion_score(checks, criterion)
        judged = getattr(judgement, criterion) if judgement else None
        if checked is not None and judged is not None:
            rubric.append(RubricScore(criterion=criterion, score=min(checked, judged), source="checks+model"))
        elif judged is not None:
            rubric.append(RubricScore(criterion=criterion, score=judged, source="model"))
        elif checked is not None:
            rubric.append(RubricScore(criterion=criterion, score=checked, source="checks"))
    for criterion in CHECK_ONLY:
        score = criterion_score(checks, criterion)
        if score is not None:
            rubric.append(RubricScore(criterion=criterion, score=score, source="checks"))
    return rubric


def review_draft(state: WriteState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Check the draft, ask the model for its judgement, and decide."""
    brief, draft = state["brief"], state["draft"]
    assert draft is not None, "the editor runs after the writer"
    checks = check_draft(draft, brief, outline_wanted=outline_count(brief))
    failed = [c.detail for c in checks if not c.passed]
    messages = [
        SystemMessage(render("common/system.j2")),
        HumanMessage(render("editor/review.j2", brief=brief, draft=draft, failed_checks=failed)),
    ]
    calls: list[CallRecord]
    judgement: EditorJudgement | None
    try:
        judgement, calls = generate(
            runtime.context.model, messages, EditorJudgement, agent="editor", max_tokens=EDITOR_MAX_TOKENS
        )
    except StructuredOutputError as exc:
        # The checks still stand on their own; the review says the model's view is missing.
        judgement, calls = None, exc.calls
    verdict = judgement.verdict if judgement else "unavailable"
    notes = failed + (list(judgement.notes) if judgement and judgement.verdict == "revise" else [])
    review = EditReview(
        round=state["round"],
        approved=approves(checks, verdict),
        rubric=_rubric(checks, judgement),
        checks=checks,
        notes=notes,
        model_verdict=verdict,
    )
    return {"review": review, "reviews": [review], "calls": calls}
