"""The planning step: the marketer and the pricing agent, side by side, from the brief."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from agents.marketer import market
from agents.pricing import price
from graphs.context import AgentContext
from graphs.state import PlanInput, PlanState


def build_plan_graph() -> StateGraph[PlanState, AgentContext, PlanInput, PlanState]:
    """The uncompiled plan graph: START → marketer and pricing in parallel → END."""
    builder = StateGraph(PlanState, context_schema=AgentContext, input_schema=PlanInput)
    builder.add_node("marketer", market)
    builder.add_node("pricing", price)
    builder.add_edge(START, "marketer")
    builder.add_edge(START, "pricing")
    builder.add_edge("marketer", END)
    builder.add_edge("pricing", END)
    return builder


graph = build_plan_graph().compile()
"""Compiled without a checkpointer, for LangGraph's own tooling; runs use `store.checkpoints`."""
