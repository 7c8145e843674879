"""The run registry: one row per launch run, shared by every interface.

SQLite in the data folder. The graph's own state lives in the checkpointer;
this table says what a person needs to find a run: its brief, status, the
message that explains the status, and where its outputs are.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pydantic import BaseModel, Field

from store.sqlite import SqliteStore

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


class RunRegistry(SqliteStore):
    """Create, update and list runs."""

    schema = SCHEMA

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


# --- the REST service's bookkeeping: idempotency keys, pending jobs, event feeds --------

SERVICE_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant TEXT NOT NULL,
    key TEXT NOT NULL,
    run_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, key)
);
CREATE TABLE IF NOT EXISTS run_jobs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    started INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_options (
    run_id TEXT PRIMARY KEY,
    approval INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS run_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_events_run ON run_events (run_id, seq);
"""


class IdempotencyConflictError(ValueError):
    """An idempotency key was reused with a different request."""


class RunJob(BaseModel):
    """Work the service owes a run: launch it, resume it, answer its approval or revise it."""

    run_id: str = Field(..., description="The run.")
    kind: str = Field(..., description="launch, resume, approve or revise.")
    payload: dict = Field(default_factory=dict, description="The answer or revision the job carries.")
    started: bool = Field(False, description="Whether a worker began it (a restart then resumes from the checkpoint).")


class RunEvent(BaseModel):
    """One entry of a run's event feed."""

    seq: int = Field(..., description="Position in the feed (global, increasing); the SSE event id.")
    run_id: str = Field(..., description="The run.")
    type: str = Field(..., description="status, step_started, step_finished or approval_requested.")
    data: dict = Field(..., description="What happened.")
    created_at: str = Field(..., description="UTC time, ISO 8601.")


class ServiceRegistry(RunRegistry):
    """The run registry plus what the REST service needs; the extra tables leave `runs` as it is."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SERVICE_SCHEMA)

    def create_queued(self, run_id: str, title: str, brief: dict, *, tenant: str, approval: bool, job: str = "launch",
                      idempotency_key: str | None = None, fingerprint: str = "") -> tuple[RunRecord, bool]:  # fmt: skip
        """Register a queued run with its launch job in one transaction; with a key already used, return its run."""
        now = _now()
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            if idempotency_key is not None:
                row = conn.execute(
                    "SELECT run_id, fingerprint FROM idempotency_keys WHERE tenant = ? AND key = ?", (tenant, idempotency_key)
                ).fetchone()
                if row is not None:
                    if row["fingerprint"] != fingerprint:
                        raise IdempotencyConflictError(f"Idempotency-Key {idempotency_key!r} was used with a different brief")
                    existing = row["run_id"]
                    conn.commit()
                    return self.get(existing), False
                conn.execute(
                    "INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?)", (tenant, idempotency_key, run_id, fingerprint, now)
                )
            conn.execute(
                "INSERT INTO runs (id, tenant, title, brief, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)",
                (run_id, tenant, title, json.dumps(brief), now, now),
            )
            conn.execute("INSERT INTO run_options VALUES (?, ?)", (run_id, int(approval)))
            conn.execute("INSERT INTO run_jobs VALUES (?, ?, '{}', 0, ?)", (run_id, job, now))
        return self.get(run_id), True

    def queue_job(self, run_id: str, kind: str, payload: dict, *, from_status: tuple[str, ...]) -> RunRecord:
        """Move a run to `queued` with a job, only when its status is one of `from_status` (else ValueError)."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise UnknownRunError(run_id)
            if row["status"] not in from_status:
                raise ValueError(f"run {run_id} is {row['status']}; this needs it to be {' or '.join(from_status)}")
            conn.execute(
                "UPDATE runs SET status = 'queued', message = ?, updated_at = ? WHERE id = ?", (f"{kind} queued", _now(), run_id)
            )
            conn.execute("INSERT OR REPLACE INTO run_jobs VALUES (?, ?, ?, 0, ?)", (run_id, kind, json.dumps(payload), _now()))
        return self.get(run_id)

    def start_job(self, run_id: str) -> RunJob | None:
        """Mark a run's pending job as begun and return it (None when there is none)."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM run_jobs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE run_jobs SET started = 1 WHERE run_id = ?", (run_id,))
        return RunJob(run_id=run_id, kind=row["kind"], payload=json.loads(row["payload"]), started=bool(row["started"]))

    def finish_job(self, run_id: str) -> None:
        """The run's job is done (whatever its outcome)."""
        with self._connect() as conn:
            conn.execute("DELETE FROM run_jobs WHERE run_id = ?", (run_id,))

    def pending_jobs(self) -> list[str]:
        """Runs with a job not yet finished, oldest first (what a restarted server picks up)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT run_id FROM run_jobs ORDER BY created_at, rowid").fetchall()
        return [r["run_id"] for r in rows]

    def approval_requested(self, run_id: str) -> bool:
        """Whether the run was submitted with an approval step."""
        with self._connect() as conn:
            row = conn.execute("SELECT approval FROM run_options WHERE run_id = ?", (run_id,)).fetchone()
        return bool(row and row["approval"])

    def add_event(self, run_id: str, type: str, data: dict) -> RunEvent:
        """Append to a run's feed."""
        now = _now()
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO run_events (run_id, type, data, created_at) VALUES (?, ?, ?, ?)",
                (run_id, type, json.dumps(data), now),
            )
            seq = int(cursor.lastrowid or 0)
        return RunEvent(seq=seq, run_id=run_id, type=type, data=data, created_at=now)

    def events(self, run_id: str, after: int = 0, limit: int = 500) -> list[RunEvent]:
        """A run's feed after position `after`, in order."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", (run_id, after, limit)
            ).fetchall()
        return [RunEvent(**{**dict(r), "data": json.loads(r["data"])}) for r in rows]

    def last_event(self, run_id: str, type: str) -> RunEvent | None:
        """The latest event of one type."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT * FROM run_events WHERE run_id = ? AND type = ? ORDER BY seq DESC LIMIT 1", (run_id, type)
            ).fetchone()
        return RunEvent(**{**dict(row), "data": json.loads(row["data"])}) if row else None
