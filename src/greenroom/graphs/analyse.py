"""The analyst on its own: brief in, AudienceReport out (the launch graph runs the same node)."""

from __future__ import annotations

import operator
from typing import Annotated

from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from greenroom.agents.analyst import analyse
from greenroom.agents.context import AgentContext
from greenroom.core.audience import AudienceReport
from greenroom.core.brief import Brief
from greenroom.core.schemas import CallRecord
from greenroom.graphs.inputs import with_checked_inputs
from greenroom.graphs.served import served


class AnalysisInput(TypedDict):
    """What the analyst starts from."""

    brief: Brief
    """The brief (sent as JSON, it is checked before the analyst reads it)."""


class AnalysisState(AnalysisInput, total=False):
    """The analysis graph's state."""

    audience: AudienceReport
    """The analyst's report."""
    calls: Annotated[list[CallRecord], operator.add]
    """Every model call, for accounting."""


def build_analysis_graph() -> StateGraph[AnalysisState, AgentContext, AnalysisInput, AnalysisState]:
    """The uncompiled one-node analysis graph."""
    builder = StateGraph(AnalysisState, context_schema=AgentContext, input_schema=AnalysisInput)
    builder.add_node("analyst", with_checked_inputs(analyse))
    builder.add_edge(START, "analyst")
    builder.add_edge("analyst", END)
    return builder


graph = served(build_analysis_graph())
