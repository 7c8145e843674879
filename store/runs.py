"""The run registry: one row per launch run, shared by every interface.

SQLite in the data folder. The graph's own state lives in the checkpointer;
this table says what a person needs to find a run: its brief, status, the
message that explains the status, and where its outputs are.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL DEFAULT 'default',
    title TEXT NOT NULL,
    brief TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 0,
    output_dir TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (tenant, status, created_at);
"""


class RunRecord(BaseModel):
    """What the registry knows about one run."""

    id: str = Field(..., description="Run id, also the checkpointer's thread id.")
    tenant: str = Field("default", description="Who owns the run.")
    title: str = Field(..., description="The brief's working title.")
    brief: dict = Field(..., description="The brief as submitted (JSON).")
    status: str = Field(..., description="queued, running, awaiting_approval, done, approved, rejected, stopped_cap or failed.")
    message: str = Field("", description="Why the run has this status, in words.")
    version: int = Field(0, description="Latest package version (0 before the first).")
    output_dir: str = Field("", description="Folder holding the latest package and reports.")
    created_at: str = Field(..., description="UTC time the run was created, ISO 8601.")
    updated_at: str = Field(..., description="UTC time of the last change, ISO 8601.")


class UnknownRunError(KeyError):
    """No run has this id."""

    def __str__(self) -> str:
        return f"no run with id {self.args[0]!r}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class RunRegistry:
    """Create, update and list runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def create(self, run_id: str, title: str, brief: dict, *, tenant: str = "default", status: str = "queued") -> RunRecord:
        """Register a new run."""
        now = _now()
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO runs (id, tenant, title, brief, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, tenant, title, json.dumps(brief), status, now, now),
            )
        return self.get(run_id)

    def update(self, run_id: str, *, status: str | None = None, message: str | None = None, version: int | None = None,
               output_dir: str | None = None, brief: dict | None = None) -> RunRecord:  # fmt: skip
        """Change what is given; the rest stays."""
        fields = {"status": status, "message": message, "version": version, "output_dir": output_dir,
                  "brief": json.dumps(brief) if brief is not None else None}  # fmt: skip
        sets = {k: v for k, v in fields.items() if v is not None}
        with self._connect() as conn:
            assignments = ", ".join(f"{k} = ?" for k in sets)
            cursor = conn.execute(f"UPDATE runs SET {assignments}, updated_at = ? WHERE id = ?", (*sets.values(), _now(), run_id))
            if cursor.rowcount == 0:
                raise UnknownRunError(run_id)
        return self.get(run_id)

    def get(self, run_id: str) -> RunRecord:
        """One run by id."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRunError(run_id)
        return RunRecord(**{**dict(row), "brief": json.loads(row["brief"])})

    def list(self, *, tenant: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0) -> list[RunRecord]:
        """Runs newest first, optionally filtered by tenant and status."""
        where, args = [], []
        if tenant is not None:
            where.append("tenant = ?")
            args.append(tenant)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT * FROM runs {clause} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?", (*args, limit, offset)
            ).fetchall()
        return [RunRecord(**{**dict(r), "brief": json.loads(r["brief"])}) for r in rows]
