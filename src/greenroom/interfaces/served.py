"""The graphs as langgraph.json hands them to LangGraph's own server (`langgraph dev`, Studio, the SDK).

The server's settings are read here, once, from the `GREENROOM_*` environment (or `.env`) of the process
that runs `langgraph dev`: the model's provider, address and key, the data folder and the Chroma server.
A run's JSON context chooses only its options (approval, caps, tenant); one that names a server-side
setting is refused (`agents.context.ServedContext`).
"""

from __future__ import annotations

from greenroom.agents.context import RunSettings, serve_with
from greenroom.graphs.analyse import graph as analyse
from greenroom.graphs.launch import graph as launch
from greenroom.graphs.plan import graph as plan
from greenroom.graphs.write import graph as write
from greenroom.interfaces.settings import Settings

_settings = Settings()
serve_with(RunSettings(model_settings=_settings.model, data_dir=str(_settings.data_dir), chroma_url=_settings.chroma_url,
                       seed_catalog=_settings.seed_catalog))  # fmt: skip

__all__ = ["analyse", "launch", "plan", "write"]
