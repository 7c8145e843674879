"""The writer: drafts the content for a brief, and revises it from the editor's notes."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from graphs.brief import Brief, Format
from graphs.context import AgentContext
from graphs.schemas import Draft, DraftHooks, DraftOutline, DraftPitch
from graphs.state import WriteState
from prompts import render
from tools.structured import generate

# What the outline is made of, per format.
OUTLINE_UNIT: dict[Format, str] = {
    Format.FILM: "scenes",
    Format.SERIES: "episodes",
    Format.PODCAST: "episodes",
    Format.MUSIC_RELEASE: "tracks",
    Format.GAME: "levels or chapters",
    Format.SHORT_VIDEO: "beats",
    Format.ARTICLE: "sections",
}

# Three small requests instead of one large one: a small model keeps short,
# tightly bounded schemas valid (DESIGN.md), and each part can build on the last.
PART_MAX_TOKENS = {"pitch": 450, "outline": 650, "hooks": 500}


def outline_count(brief: Brief) -> int:
    """How many outline parts to ask for: the episode or track count when it is small, else 5."""
    count = brief.length.episodes or brief.length.tracks or 5
    return max(3, min(6, count))


def _messages(template: str, **variables: Any) -> list[BaseMessage]:
    return [SystemMessage(render("writer/system.j2")), HumanMessage(render(template, **variables))]


def write(state: WriteState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Draft (or redraft, following the editor's notes) the content in three parts."""
    brief = state["brief"]
    round_ = state.get("round", 0) + 1
    review = state.get("review")
    notes = (list(review.notes) if review else []) + ([state["revision_note"]] if state.get("revision_note") else [])
    common = {"brief": brief, "notes": notes, "round": round_}
    model = runtime.context.model
    pitch, calls = generate(
        model, _messages("writer/pitch.j2", synopsis_sentences="3 to 5", **common), DraftPitch,
        agent="writer", max_tokens=PART_MAX_TOKENS["pitch"],
    )  # fmt: skip
    outline, more = generate(
        model, _messages("writer/outline.j2", pitch=pitch, outline_count=outline_count(brief),
                         outline_unit=OUTLINE_UNIT[brief.format], **common),
        DraftOutline, agent="writer", max_tokens=PART_MAX_TOKENS["outline"],
    )  # fmt: skip
    calls += more
    hooks, more = generate(
        model, _messages("writer/hooks.j2", pitch=pitch, **common), DraftHooks,
        agent="writer", max_tokens=PART_MAX_TOKENS["hooks"],
    )  # fmt: skip
    calls += more
    draft = Draft(**pitch.model_dump(), **outline.model_dump(), **hooks.model_dump())
    return {"draft": draft, "round": round_, "calls": calls}
