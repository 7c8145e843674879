"""SQL engines for the stores that several processes share: SQLite in the data folder, or PostgreSQL by setting.

SQLAlchemy Core carries the dialect differences; the stores write portable SQL
with named parameters. One engine per URL and process, so a worker's many
short transactions share a pool instead of opening a connection each.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool


def database_url(target: Path | str) -> str:
    """A SQLAlchemy URL: a Path is a SQLite file; `postgresql://…` uses psycopg 3."""
    if isinstance(target, Path):
        return f"sqlite:///{target}"
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    return target


@functools.cache
def _writer_lock(url: str, pid: int) -> threading.RLock:
    """One SQLite file's writer lock in this process.

    SQLite lets one writer in at a time; a second one waits in its busy handler, which sleeps in growing steps (up to
    100 ms) and misses the moment the lock frees. Queueing this process's threads on a lock of their own hands the
    file over as soon as a transaction ends; other processes still meet on SQLite's own lock.
    """
    return threading.RLock()


@functools.cache
def _engine(url: str, pid: int) -> Engine:
    if url.startswith("sqlite"):
        # One connection kept open per file and process (its threads take turns, see `_writer_lock`): opening a WAL
        # file costs more than a short transaction, and the last connection to close flushes the log into the
        # database. BEGIN IMMEDIATE takes the write lock when a transaction starts, so writers of several processes
        # queue on the busy timeout instead of deadlocking.
        engine = create_engine(url, poolclass=QueuePool, pool_size=1, max_overflow=4,
                               connect_args={"timeout": 30, "check_same_thread": False})  # fmt: skip

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.isolation_level = None  # the driver leaves transactions to the "begin" hook below
            dbapi_conn.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def engine_for(target: Path | str) -> Engine:
    """The process's engine for a SQLite file or a database URL (a forked worker gets its own)."""
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    return _engine(database_url(target), os.getpid())


class SqlStore:
    """A store whose tables live behind an engine; each operation is one transaction."""

    schema: ClassVar[str] = ""
    """CREATE TABLE / CREATE INDEX statements (IF NOT EXISTS); `{serial}` is an auto-numbered primary key."""

    added_columns: ClassVar[dict[str, dict[str, str]]] = {}
    """Columns added after a table first shipped: table -> column -> SQL type, added to older databases on open."""

    def __init__(self, target: Path | str) -> None:
        self.engine = engine_for(target)
        self._lock: AbstractContextManager[Any] = (
            _writer_lock(str(self.engine.url), os.getpid()) if self.engine.dialect.name == "sqlite" else nullcontext()
        )
        serial = "BIGSERIAL PRIMARY KEY" if self.dialect == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    for statement in filter(str.strip, self.schema.replace("{serial}", serial).split(";")):
                        conn.execute(text(statement))
                    break
            except DBAPIError:  # processes creating the same tables at once: PostgreSQL lets one win, the others retry
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        for table, columns in self.added_columns.items():
            have = {c["name"] for c in inspect(self.engine).get_columns(table)}
            missing = {name: kind for name, kind in columns.items() if name not in have}
            for name, kind in missing.items():
                try:
                    with self.engine.begin() as conn:
                        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))
                except DBAPIError:  # another process added it first
                    if name not in {c["name"] for c in inspect(self.engine).get_columns(table)}:
                        raise

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    @property
    def dialect(self) -> str:
        """sqlite or postgresql."""
        return self.engine.dialect.name
