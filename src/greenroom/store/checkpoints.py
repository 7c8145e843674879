"""The checkpointer every run's thread is saved in: SQLite in the data folder, or PostgreSQL by setting.

Finished runs' checkpoints are pruned after a retention period, keeping each
thread's latest checkpoint (its final state): PostgreSQL through the saver's own
`prune(strategy="keep_latest")`, SQLite with the same rule in `prune_sqlite`,
since its saver has none.
"""

from __future__ import annotations

import enum
import functools
import importlib
import inspect
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel

# Only our own artifact models may be revived from a checkpoint.
ARTIFACT_MODULES = (
    "greenroom.core.brief", "greenroom.core.schemas", "greenroom.core.plans", "greenroom.core.market",
    "greenroom.core.audience", "greenroom.core.analysis", "greenroom.core.package",
)  # fmt: skip


@functools.cache
def artifact_types() -> tuple[type, ...]:
    """greenroom's pydantic models and enums that a checkpoint may hold, and so may revive."""
    types: list[type] = []
    for name in ARTIFACT_MODULES:
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == name and issubclass(obj, BaseModel | enum.Enum):
                types.append(obj)
    return tuple(types)


def serializer() -> JsonPlusSerializer:
    """A serializer that revives greenroom's pydantic models and enums, and nothing else."""
    return JsonPlusSerializer(allowed_msgpack_modules=artifact_types())


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


SETUP_LOCK = 0x6772_6E72  # a PostgreSQL advisory lock id of ours ("grnr")


def postgres_conninfo(url: str) -> str:
    """A libpq connection string from a database URL (SQLAlchemy's `postgresql+psycopg://` accepted too)."""
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


@functools.cache
def _postgres_pool(conninfo: str, pid: int) -> Any:
    """One connection pool per database and process; the tables are created once, on first use."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(conninfo, min_size=1, max_size=4, open=True,
                          kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})  # fmt: skip
    with pool.connection() as conn:  # workers starting together would race on the saver's migrations: one at a time
        # Polled, not waited for: a waiting session would hold a snapshot that the holder's
        # CREATE INDEX CONCURRENTLY waits on, a deadlock.
        while not conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (SETUP_LOCK,)).fetchone()["got"]:  # type: ignore[index,call-overload]
            time.sleep(0.1)
        try:
            PostgresSaver(conn).setup()  # type: ignore[arg-type]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
    return pool


@contextmanager
def open_checkpointer(sqlite_path: Path, database_url: str = "") -> Iterator[BaseCheckpointSaver]:
    """The PostgreSQL checkpointer when `database_url` is set, else the SQLite one at `sqlite_path`."""
    if not database_url:
        with sqlite_checkpointer(sqlite_path) as saver:
            yield saver
        return
    from langgraph.checkpoint.postgres import PostgresSaver

    yield PostgresSaver(_postgres_pool(postgres_conninfo(database_url), os.getpid()), serde=serializer())


def prune_sqlite(saver: SqliteSaver, thread_ids: Sequence[str]) -> None:
    """Keep each thread's latest checkpoint per namespace, with its pending writes; delete the rest.

    A subgraph call's namespace (`node:task_id`) goes entirely: only finished runs are pruned, and a
    finished call's state lives on in the root checkpoint.
    """
    with saver.cursor() as cur:
        for thread_id in thread_ids:
            cur.execute(
                "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ? GROUP BY checkpoint_ns",
                (thread_id,),
            )
            for ns, latest in cur.fetchall():
                keep = "" if ":" in ns else latest
                for table in ("checkpoints", "writes"):
                    cur.execute(
                        f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id <> ?",
                        (thread_id, ns, keep),
                    )


def prune_threads(saver: BaseCheckpointSaver, thread_ids: Sequence[str]) -> None:
    """Keep only the final state of each thread (checkpoint ids sort by time, so the latest is the final one)."""
    if isinstance(saver, SqliteSaver):
        prune_sqlite(saver, thread_ids)
    else:
        saver.prune(list(thread_ids), strategy="keep_latest")  # type: ignore[attr-defined]


def checkpoint_count(saver: BaseCheckpointSaver, thread_id: str) -> int:
    """How many checkpoints a thread has, across its namespaces."""
    return sum(1 for _ in saver.list({"configurable": {"thread_id": thread_id}}))
