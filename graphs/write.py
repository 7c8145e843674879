"""The writer ⇄ editor loop as a subgraph: draft, review, revise until approved or out of rounds."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agents.editor import review_draft
from agents.writer import write
from graphs.context import AgentContext
from graphs.state import WriteInput, WriteState


def route_after_review(state: WriteState, runtime: Runtime[AgentContext]) -> Literal["writer", "finish"]:
    """Back to the writer unless the draft is approved or the rounds are spent."""
    review = state.get("review")
    if (review and review.approved) or state.get("round", 0) >= runtime.context.max_edit_rounds:
        return "finish"
    return "writer"


def finish(state: WriteState) -> dict[str, Any]:
    """Record how the loop ended."""
    review = state.get("review")
    return {"outcome": "approved" if review and review.approved else "max_rounds"}


def build_write_graph() -> StateGraph[WriteState, AgentContext, WriteInput, WriteState]:
    """The uncompiled writer/editor graph."""
    builder = StateGraph(WriteState, context_schema=AgentContext, input_schema=WriteInput)
    builder.add_node("writer", write)
    builder.add_node("editor", review_draft)
    builder.add_node("finish", finish)
    builder.add_edge(START, "writer")
    builder.add_edge("writer", "editor")
    builder.add_conditional_edges("editor", route_after_review)
    builder.add_edge("finish", END)
    return builder


graph = build_write_graph().compile()
"""Compiled without a checkpointer, for LangGraph's own tooling; runs use `store.checkpoints`."""
