"""The graphs as LangGraph's own server loads them (langgraph.json: `langgraph dev`, Studio, the SDK).

Each is compiled without a checkpointer (the server brings its own), with `ServedContext` as its context:
`langgraph dev` has no authentication of its own, so what a run may set stops at its options (approval, caps,
tenant); the model's address and key and the folders are the server's own settings (`agents.context.serve_with`).

Only LangGraph's public API is used. LangGraph's strict checkpoint mode (`LANGGRAPH_STRICT_MSGPACK`) is left
off in langgraph.json: in it a compiled graph carries the allowlist of types its checkpoints may revive, and
`Pregel.copy`, which the server calls for every run, does not pass that allowlist on (langgraph 1.2), so every
resumed run would get its artifacts back as plain dicts; keeping it would take a private attribute.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

from greenroom.agents.context import ServedContext


def served(builder: StateGraph[Any, Any, Any, Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """`builder` compiled for the server: no checkpointer of its own, and a run's context read as a `ServedContext`."""
    builder.context_schema = ServedContext
    return builder.compile()
