"""The writer ⇄ editor loop as a subgraph: draft, review, revise until approved or out of rounds."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from greenroom.agents.context import AgentContext
from greenroom.agents.editor import review_draft
from greenroom.agents.writer import parts_to_write, write
from greenroom.core.state import LaunchState, WriteInput, WriteState
from greenroom.graphs.inputs import with_checked_inputs
from greenroom.graphs.served import served


def writing_done(state: WriteState | LaunchState, max_rounds: int) -> bool:
    """Whether the writer/editor loop ends here: the draft is approved, the rounds are spent, or no part is left
    that another round could change (each failing part is settled)."""
    review, draft = state.get("review"), state.get("draft")
    if bool(review and review.approved) or state.get("round", 0) >= max_rounds:
        return True
    return bool(draft and draft.settled) and not parts_to_write(review, draft, state.get("revision_note", ""))


def route_after_review(state: WriteState, runtime: Runtime[AgentContext]) -> Literal["writer", "finish"]:
    """Back to the writer unless the draft is approved or the rounds are spent."""
    return "finish" if writing_done(state, runtime.context.max_edit_rounds) else "writer"


def finish(state: WriteState) -> dict[str, Any]:
    """Record how the loop ended."""
    review = state.get("review")
    return {"outcome": "approved" if review and review.approved else "max_rounds"}


def build_write_graph() -> StateGraph[WriteState, AgentContext, WriteInput, WriteState]:
    """The uncompiled writer/editor graph."""
    builder = StateGraph(WriteState, context_schema=AgentContext, input_schema=WriteInput)
    builder.add_node("writer", with_checked_inputs(write))  # a brief sent as JSON is checked before a node reads it
    builder.add_node("editor", with_checked_inputs(review_draft))
    builder.add_node("finish", finish)
    builder.add_edge(START, "writer")
    builder.add_edge("writer", "editor")
    builder.add_conditional_edges("editor", route_after_review)
    builder.add_edge("finish", END)
    return builder


graph = served(build_write_graph())
"""Compiled without a checkpointer, for LangGraph's own tooling; runs use `store.checkpoints`."""
