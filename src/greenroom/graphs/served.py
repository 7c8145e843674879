"""The graphs as LangGraph's own server loads them (langgraph.json: `langgraph dev`, Studio, the SDK).

The server's checkpointer revives only the types it is told to. langgraph.json
turns on LangGraph's strict mode (`LANGGRAPH_STRICT_MSGPACK`), in which a
compiled graph allows the models its state schema names (the brief, the
drafts, the plans, the package) and nothing else. The server runs a copy of
each graph, and `Pregel.copy` leaves that allowlist behind: without it every
resumed run would find its artifacts blocked and handed back as plain dicts.
`ServedGraph` keeps it.

A served run's context is a `ServedContext`: `langgraph dev` has no authentication of its own, so what a run
may set stops at its options (approval, caps, tenant); the model's address and key and the folders are the
server's own settings.
"""

from __future__ import annotations

from typing import Any, Self

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

from greenroom.agents.context import ServedContext


class ServedGraph(CompiledStateGraph[Any, Any, Any, Any]):
    """A compiled graph whose copies keep the checkpoint allowlist LangGraph derived from its schema."""

    def copy(self, update: dict[str, Any] | None = None) -> Self:
        copied = super().copy(update)
        copied._serde_allowlist = self._serde_allowlist
        return copied


def served(builder: StateGraph[Any, Any, Any, Any]) -> ServedGraph:
    """`builder` compiled without a checkpointer (the server brings its own), ready to be copied by the server.

    Its context is a `ServedContext`: a run's JSON chooses its options only; the model's base URL and key, the
    data folder and the Chroma server come from the server (`agents.context.serve_with`), never from a run.
    """
    compiled = builder.compile()
    graph = ServedGraph(**{k: v for k, v in compiled.__dict__.items() if k not in ("__orig_class__", "_serde_allowlist")})
    graph._serde_allowlist = compiled._serde_allowlist
    graph.context_schema = ServedContext
    return graph
