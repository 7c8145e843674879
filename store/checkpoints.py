"""The checkpointer every run's thread is saved in."""

from __future__ import annotations

import enum
import importlib
import inspect
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel

# Only our own artifact models may be revived from a checkpoint.
ARTIFACT_MODULES = (
    "graphs.brief", "graphs.schemas", "graphs.plans", "graphs.audience", "graphs.package",
    "tools.release", "tools.promotion", "tools.pricing", "tools.comparables", "tools.forecast", "tools.segments", "tools.reception",
)  # fmt: skip


def _artifact_types() -> list[type]:
    types: list[type] = []
    for name in ARTIFACT_MODULES:
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == name and issubclass(obj, BaseModel | enum.Enum):
                types.append(obj)
    return types


def serializer() -> JsonPlusSerializer:
    """A serializer that revives greenroom's pydantic models and enums, and nothing else."""
    return JsonPlusSerializer(allowed_msgpack_modules=_artifact_types())


@contextmanager
def sqlite_checkpointer(path: Path) -> Iterator[SqliteSaver]:
    """A SQLite checkpointer at `path`, closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        saver = SqliteSaver(conn, serde=serializer())
        saver.setup()
        yield saver
    finally:
        conn.close()
