"""The planning step: the marketer and the pricing agent, side by side, from the brief."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from greenroom.agents.context import AgentContext
from greenroom.agents.marketer import market
from greenroom.agents.pricing import price
from greenroom.core.state import PlanInput, PlanState
from greenroom.graphs.inputs import with_checked_inputs
from greenroom.graphs.served import served


def build_plan_graph() -> StateGraph[PlanState, AgentContext, PlanInput, PlanState]:
    """The uncompiled plan graph: START → marketer and pricing in parallel → END."""
    builder = StateGraph(PlanState, context_schema=AgentContext, input_schema=PlanInput)
    builder.add_node("marketer", with_checked_inputs(market))  # inputs sent as JSON are checked before a node reads them
    builder.add_node("pricing", with_checked_inputs(price))
    builder.add_edge(START, "marketer")
    builder.add_edge(START, "pricing")
    builder.add_edge("marketer", END)
    builder.add_edge("pricing", END)
    return builder


graph = served(build_plan_graph())
"""Compiled without a checkpointer, for LangGraph's own tooling; runs use `store.checkpoints`."""
