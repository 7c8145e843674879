"""The writer: drafts the content for a brief, and revises it from the editor's notes."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from graphs.brief import Brief, Format
from graphs.context import AgentContext
from graphs.schemas import Draft
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

WRITER_MAX_TOKENS = 1400


def outline_count(brief: Brief) -> int:
    """How many outline parts to ask for: the episode or track count when it is small, else 5."""
    count = brief.length.episodes or brief.length.tracks or 5
    return max(3, min(6, count))


def writer_messages(brief: Brief, *, round_: int, previous: Draft | None, notes: list[str]) -> list[Any]:
    """The writer's prompt for one round."""
    return [
        SystemMessage(render("writer/system.j2")),
        HumanMessage(
            render(
                "writer/draft.j2",
                brief=brief,
                outline_unit=OUTLINE_UNIT[brief.format],
                outline_count=outline_count(brief),
                synopsis_sentences="3 to 5",
                previous=previous,
                notes=notes,
                round=round_,
            )
        ),
    ]


def write(state: WriteState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Draft (or redraft) the content."""
    round_ = state.get("round", 0) + 1
    review = state.get("review")
    messages = writer_messages(
        state["brief"], round_=round_, previous=state.get("draft"), notes=review.notes if review else []
    )
    draft, calls = generate(runtime.context.model, messages, Draft, agent="writer", max_tokens=WRITER_MAX_TOKENS)
    return {"draft": draft, "round": round_, "calls": calls}
