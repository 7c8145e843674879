"""The analyst on its own: brief in, AudienceReport out (the launch graph runs the same node)."""

from __future__ import annotations

import operator
from typing import Annotated

from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from agents.analyst import analyse
from graphs.audience import AudienceReport
from graphs.brief import Brief
from graphs.context import AgentContext
from graphs.schemas import CallRecord


class AnalysisState(TypedDict, total=False):
    """The analysis graph's state."""

    brief: Brief
    """The validated brief."""
    audience: AudienceReport
    """The analyst's report."""
    calls: Annotated[list[CallRecord], operator.add]
    """Every model call, for accounting."""


def build_analysis_graph() -> StateGraph[AnalysisState, AgentContext, AnalysisState, AnalysisState]:
    """The uncompiled one-node analysis graph."""
    builder = StateGraph(AnalysisState, context_schema=AgentContext)
    builder.add_node("analyst", analyse)
    builder.add_edge(START, "analyst")
    builder.add_edge("analyst", END)
    return builder


graph = build_analysis_graph().compile()
