"""The graphs as LangGraph's own server loads them (langgraph.json: `langgraph dev`, Studio, the SDK).

The server's checkpointer revives only the types it is told to. langgraph.json
turns on LangGraph's strict mode (`LANGGRAPH_STRICT_MSGPACK`), in which the
server's serializer revives LangGraph's safe types and nothing else. The server
runs a copy of each graph with its own checkpointer (`graph.copy(update=...)`),
so `ServedGraph.copy` hands that checkpointer greenroom's artifact types through
the checkpointer's public `with_allowlist`: without it every resumed run would
find its artifacts blocked and handed back as plain dicts. (langgraph.json's own
`checkpointer.serde.allowed_msgpack_modules` would say the same in data, but the
server does not read it yet: langchain-ai/langgraph#7695.)

A served run's context is a `ServedContext`: `langgraph dev` has no authentication of its own, so what a run
may set stops at its options (approval, caps, tenant); the model's address and key and the folders are the
server's own settings.
"""

from __future__ import annotations

from typing import Any, Self

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

from greenroom.agents.context import ServedContext
from greenroom.store.checkpoints import artifact_types


class ServedGraph(CompiledStateGraph[Any, Any, Any, Any]):
    """A compiled graph whose copies' checkpointers revive greenroom's artifacts."""

    def copy(self, update: dict[str, Any] | None = None) -> Self:
        update = dict(update or {})
        saver = update.get("checkpointer")
        if isinstance(saver, BaseCheckpointSaver):
            update["checkpointer"] = saver.with_allowlist([(t.__module__, t.__name__) for t in artifact_types()])
        return super().copy(update)


def served(builder: StateGraph[Any, Any, Any, Any]) -> ServedGraph:
    """`builder` compiled without a checkpointer (the server brings its own), ready to be copied by the server.

    Its context is a `ServedContext`: a run's JSON chooses its options only; the model's base URL and key, the
    data folder and the Chroma server come from the server (`agents.context.serve_with`), never from a run.
    """
    graph = builder.compile()
    # `compile` has no parameter for the class it builds; a ServedGraph adds one method and no state, so the
    # compiled graph is re-classed rather than rebuilt from its attributes.
    graph.__class__ = ServedGraph
    graph.context_schema = ServedContext
    return graph  # type: ignore[return-value]  # re-classed just above
