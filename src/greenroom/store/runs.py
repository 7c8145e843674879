"""The run registry: one row per launch run, shared by every interface.

SQLite in the data folder, or PostgreSQL when several machines share it
(`GREENROOM_DATABASE_URL`). The graph's own state lives in the checkpointer;
this table says what a person needs to find a run: its brief, status, the
message that explains the status, and where its outputs are.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, Field
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from greenroom.core.vocabulary import ACTIVE, FINAL, RunStatus, status_words
from greenroom.store.database import SqlStore
from greenroom.store.webhooks import WEBHOOK_SCHEMA, notify_new_delivery, queue_status_event

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
    updated_at TEXT NOT NULL,
    pruned_at TEXT
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (tenant, status, created_at)
"""


class RunRecord(BaseModel):
    """What the registry knows about one run."""

    id: str = Field(..., description="Run id, also the checkpointer's thread id.")
    tenant: str = Field("default", description="Who owns the run.")
    title: str = Field(..., description="The brief's working title.")
    brief: dict = Field(..., description="The brief as submitted (JSON).")
    status: RunStatus = Field(..., description="Where the run stands; the schema lists every status.")
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
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _record(row: object) -> RunRecord:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    return RunRecord(**{**data, "brief": json.loads(data["brief"])})


# --- the service's bookkeeping: idempotency keys, pending jobs, event feeds --------

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
    created_at TEXT NOT NULL,
    owner TEXT,
    lease_until DOUBLE PRECISION,
    dispatched_at DOUBLE PRECISION,
    cancel_requested INTEGER
);
CREATE TABLE IF NOT EXISTS run_options (
    run_id TEXT PRIMARY KEY,
    approval INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS run_events (
    seq {serial},
    run_id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_events_run ON run_events (run_id, seq)
"""

JOB_COLUMNS = {"owner": "TEXT", "lease_until": "DOUBLE PRECISION", "dispatched_at": "DOUBLE PRECISION",
               "cancel_requested": "INTEGER"}  # fmt: skip
"""Who holds a job and until when (epoch seconds), when it was last sent to the queue, and whether its run was
cancelled while a worker held it (the worker stops before the run's next step)."""


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


def _event(row: object) -> RunEvent:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    return RunEvent(**{**data, "data": json.loads(data["data"])})


@dataclass(frozen=True)
class _Registration:
    """One run to register (the arguments of `RunRegistry.register`)."""

    run_id: str
    title: str
    brief: dict
    tenant: str
    approval: bool
    job: str | None
    status: str
    idempotency_key: str | None
    fingerprint: str
    event: dict | None
    now: str


class _GroupCommit:
    """Registrations from many threads written in one transaction, for SQLite.

    SQLite commits one transaction at a time, each with a flush to disk: a hundred briefs submitted at once would
    wait for a hundred flushes in a row. One thread takes every registration waiting and writes them together, so a
    burst costs one flush, and each request still answers only once its run is on disk. (PostgreSQL takes concurrent
    writers as they come and does not need this.)
    """

    BATCH = 256

    def __init__(self, registry: RunRegistry) -> None:
        self.registry = registry
        self.pending: queue.SimpleQueue[tuple[_Registration, Future[str | None]]] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="greenroom-register", daemon=True).start()

    def write(self, item: _Registration) -> str | None:
        """Register `item` with whatever else is waiting; the run its idempotency key already made, if any."""
        done: Future[str | None] = Future()
        self.pending.put((item, done))
        return done.result()

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            while len(batch) < self.BATCH:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.registry._connect() as conn:
                    results = self.registry._write_registrations(conn, [item for item, _ in batch])
            except Exception as exc:  # the database's boundary: every request of the batch hears of it
                for _, done in batch:
                    done.set_exception(exc)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)


_group_commits: dict[tuple[str, int], _GroupCommit] = {}
_group_commits_lock = threading.Lock()


def _group_commit(registry: RunRegistry) -> _GroupCommit:
    """The process's group commit for the registry's SQLite file."""
    key = (str(registry.engine.url), os.getpid())
    with _group_commits_lock:
        if key not in _group_commits:
            _group_commits[key] = _GroupCommit(registry)
        return _group_commits[key]


class RunRegistry(SqlStore):
    """The run registry: runs, and what the run service needs (idempotency keys, jobs, event feeds).

    A job is claimed with a lease: its holder renews `lease_until` while it works, and a
    job whose lease ran out (its worker died) may be claimed by another worker, which
    then resumes the run from its checkpoint. In one process the lease is 0: the
    process's own queue decides who works on what.
    """

    schema = (
        SCHEMA + ";" + WEBHOOK_SCHEMA + ";" + SERVICE_SCHEMA
    )  # a status change queues its webhook delivery in the same transaction
    added_columns: ClassVar[dict[str, dict[str, str]]] = {"runs": {"pruned_at": "TEXT"}, "run_jobs": JOB_COLUMNS}

    def update(self, run_id: str, *, status: str | None = None, message: str | None = None, version: int | None = None,
               output_dir: str | None = None, brief: dict | None = None) -> RunRecord:  # fmt: skip
        """Change what is given; the rest stays. A new status a webhook hears of queues its delivery."""
        fields = {"status": status, "message": message, "version": version, "output_dir": output_dir,
                  "brief": json.dumps(brief) if brief is not None else None}  # fmt: skip
        sets = {k: v for k, v in fields.items() if v is not None}
        queued = False
        with self._connect() as conn:
            before = conn.execute(text("SELECT status FROM runs WHERE id = :id"), {"id": run_id}).scalar() if status else None
            assignments = ", ".join(f"{k} = :{k}" for k in sets)
            cursor = conn.execute(  # any change may add checkpoints: the run is due for pruning again
                text(f"UPDATE runs SET {assignments}, updated_at = :now, pruned_at = NULL WHERE id = :id"),
                {**sets, "now": _now(), "id": run_id},
            )
            if cursor.rowcount == 0:
                raise UnknownRunError(run_id)
            if status is not None and status != before:
                queued = queue_status_event(conn, run_id, status)
        if queued:
            notify_new_delivery()
        return self.get(run_id)

    def get(self, run_id: str) -> RunRecord:
        """One run by id."""
        with self._connect() as conn:
            row = conn.execute(text("SELECT * FROM runs WHERE id = :id"), {"id": run_id}).fetchone()
        if row is None:
            raise UnknownRunError(run_id)
        return _record(row)

    def list(
        self, *, tenant: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[RunRecord]:
        """Runs newest first, optionally filtered by tenant and status."""
        filters = {k: v for k, v in {"tenant": tenant, "status": status}.items() if v is not None}
        clause = ("WHERE " + " AND ".join(f"{k} = :{k}" for k in filters)) if filters else ""
        with self._connect() as conn:
            rows = conn.execute(
                text(f"SELECT * FROM runs {clause} ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset"),
                {**filters, "limit": limit, "offset": offset},
            ).fetchall()
        return [_record(r) for r in rows]

    def due_for_pruning(self, finished_before: dt.datetime, limit: int = 500) -> builtins.list[str]:
        """Finished runs last changed before `finished_before` whose checkpoints have not been pruned since."""
        statuses = {f"s{i}": status for i, status in enumerate(FINAL)}
        with self._connect() as conn:
            rows = conn.execute(
                text(f"SELECT id FROM runs WHERE pruned_at IS NULL AND updated_at < :before "
                     f"AND status IN ({', '.join(':' + k for k in statuses)}) ORDER BY updated_at LIMIT :limit"),
                {"before": finished_before.isoformat(timespec="microseconds"), "limit": limit, **statuses},
            ).fetchall()  # fmt: skip
        return [r.id for r in rows]

    def mark_pruned(self, run_ids: builtins.list[str]) -> None:
        """These runs' checkpoints were pruned to their final state."""
        with self._connect() as conn:
            for run_id in run_ids:
                conn.execute(text("UPDATE runs SET pruned_at = :now WHERE id = :id"), {"now": _now(), "id": run_id})

    def register(self, run_id: str, title: str, brief: dict, *, tenant: str = "default", approval: bool = False,
                 job: str | None = "launch", status: str = "queued", idempotency_key: str | None = None,
                 fingerprint: str = "", event: dict | None = None) -> tuple[RunRecord, bool]:  # fmt: skip
        """Register a run, with its job for the service's workers (`job=None`: the caller runs it itself) and the first
        `status` event of its feed (`event`), in one short transaction: the one way a run comes to exist.

        With an idempotency key already used, return that key's run and False; the same key with a different request
        raises IdempotencyConflictError. On SQLite, registrations arriving together share one transaction.
        """
        item = _Registration(run_id=run_id, title=title, brief=brief, tenant=tenant, approval=approval, job=job,
                             status=status, idempotency_key=idempotency_key, fingerprint=fingerprint, event=event,
                             now=_now())  # fmt: skip
        used = _group_commit(self).write(item) if self.dialect == "sqlite" else self._register_alone(item)
        if used is not None:
            return self.get(used), False
        return RunRecord(id=run_id, tenant=tenant, title=title, brief=brief, status=status, created_at=item.now,
                         updated_at=item.now), True  # fmt: skip

    def _register_alone(self, item: _Registration) -> str | None:
        """Write one registration in a transaction of its own; the run its idempotency key already made, if any."""
        try:
            with self._connect() as conn:
                result = self._write_registrations(conn, [item])[0]
        except IntegrityError:  # a concurrent first use of the same key (PostgreSQL): the other request's run
            if item.idempotency_key is None:
                raise
            with self._connect() as conn:
                result = self._idempotent(conn, item.tenant, item.idempotency_key, item.fingerprint)
            if result is None:
                raise
        if isinstance(result, Exception):
            raise result
        return result

    def _write_registrations(
        self, conn: Connection, items: builtins.list[_Registration]
    ) -> builtins.list[str | Exception | None]:
        """Write registrations inside `conn`'s transaction, one statement per table for all of them.

        Per item: None (registered), the run its idempotency key already made, or the IdempotencyConflictError of a
        key used with a different request (that item writes nothing; the others go on).
        """
        known: dict[tuple[str, str], tuple[str, str]] = {}
        keys = {f"k{n}": item.idempotency_key for n, item in enumerate(items) if item.idempotency_key is not None}
        if keys:
            rows = conn.execute(
                text(f"SELECT tenant, key, run_id, fingerprint FROM idempotency_keys WHERE key IN ({', '.join(':' + k for k in keys)})"),
                keys,
            ).fetchall()  # fmt: skip
            known = {(r.tenant, r.key): (r.run_id, r.fingerprint) for r in rows}
        results: builtins.list[str | Exception | None] = []
        new: builtins.list[_Registration] = []
        for item in items:
            key = (item.tenant, item.idempotency_key or "")
            if item.idempotency_key is not None and key in known:  # used before, or earlier in this batch
                run_id, fingerprint = known[key]
                conflict = IdempotencyConflictError(f"Idempotency-Key {item.idempotency_key!r} was used with a different brief")
                results.append(run_id if fingerprint == item.fingerprint else conflict)
                continue
            if item.idempotency_key is not None:
                known[key] = (item.run_id, item.fingerprint)
            results.append(None)
            new.append(item)
        rows_by_table: dict[str, builtins.list[dict[str, Any]]] = {
            "INSERT INTO idempotency_keys VALUES (:tenant, :key, :run_id, :fingerprint, :now)": [
                {"tenant": i.tenant, "key": i.idempotency_key, "run_id": i.run_id, "fingerprint": i.fingerprint, "now": i.now}
                for i in new if i.idempotency_key is not None
            ],
            "INSERT INTO runs (id, tenant, title, brief, status, created_at, updated_at) "
            "VALUES (:id, :tenant, :title, :brief, :status, :now, :now)": [
                {"id": i.run_id, "tenant": i.tenant, "title": i.title, "brief": json.dumps(i.brief), "status": i.status,
                 "now": i.now} for i in new
            ],
            "INSERT INTO run_options VALUES (:id, :approval)": [{"id": i.run_id, "approval": int(i.approval)} for i in new],
            "INSERT INTO run_jobs (run_id, kind, payload, started, created_at) VALUES (:id, :kind, '{}', 0, :now)": [
                {"id": i.run_id, "kind": i.job, "now": i.now} for i in new if i.job is not None
            ],
            "INSERT INTO run_events (run_id, type, data, created_at) VALUES (:id, 'status', :data, :now)": [
                {"id": i.run_id, "data": json.dumps(i.event), "now": i.now} for i in new if i.event is not None
            ],
        }  # fmt: skip
        for statement, params in rows_by_table.items():
            if params:
                conn.execute(text(statement), params)
        return results

    @staticmethod
    def _idempotent(conn: Connection, tenant: str, key: str, fingerprint: str) -> str | None:
        """The run an idempotency key already made, if any (IdempotencyConflictError for a different request)."""
        row = conn.execute(
            text("SELECT run_id, fingerprint FROM idempotency_keys WHERE tenant = :tenant AND key = :key"),
            {"tenant": tenant, "key": key},
        ).fetchone()
        if row is not None and row.fingerprint != fingerprint:
            raise IdempotencyConflictError(f"Idempotency-Key {key!r} was used with a different brief")
        return str(row.run_id) if row is not None else None

    def queue_job(self, run_id: str, kind: str, payload: dict, *, from_status: tuple[str, ...]) -> RunRecord:
        """Move a run to `queued` with a job, only when its status is one of `from_status` (else ValueError)."""
        allowed = {f"s{i}": status for i, status in enumerate(from_status)}
        with self._connect() as conn:
            moved = conn.execute(
                text(f"UPDATE runs SET status = 'queued', message = :message, updated_at = :now "
                     f"WHERE id = :id AND status IN ({', '.join(':' + k for k in allowed)})"),
                {"message": f"{kind} queued", "now": _now(), "id": run_id, **allowed},
            ).rowcount  # fmt: skip
            if moved:
                conn.execute(text("DELETE FROM run_jobs WHERE run_id = :id"), {"id": run_id})
                conn.execute(
                    text(
                        "INSERT INTO run_jobs (run_id, kind, payload, started, created_at) VALUES (:id, :kind, :payload, 0, :now)"
                    ),
                    {"id": run_id, "kind": kind, "payload": json.dumps(payload), "now": _now()},
                )
        if not moved:
            status = self.get(run_id).status  # raises UnknownRunError
            wanted = " or ".join(status_words(s) for s in from_status)
            raise ValueError(f"run {run_id} is {status_words(status)}; this needs it to be {wanted}")
        return self.get(run_id)

    def cancel(self, run_id: str, message: str) -> tuple[RunRecord, bool]:
        """Cancel a queued or running run; return it and whether it stopped here.

        A job no worker holds is dropped and the run is cancelled at once (True). A job a worker holds is marked,
        and that worker stops the run before its next step (False). ValueError for a run that is not moving.
        """
        queued = False
        with self._connect() as conn:
            row = conn.execute(text("SELECT status FROM runs WHERE id = :id"), {"id": run_id}).fetchone()
            if row is None:
                raise UnknownRunError(run_id)
            job = conn.execute(text("SELECT owner FROM run_jobs WHERE run_id = :id"), {"id": run_id}).fetchone()
            if row.status not in ACTIVE:
                raise ValueError(f"run {run_id} is {status_words(row.status)}: only a queued or running run can be cancelled")
            if job is None:  # running in a process of its own (`greenroom launch`), not in the service
                raise ValueError(f"run {run_id} runs outside the server: stop it where it was started")
            held = job.owner is not None
            if held:
                conn.execute(text("UPDATE run_jobs SET cancel_requested = 1 WHERE run_id = :id"), {"id": run_id})
            else:
                conn.execute(text("DELETE FROM run_jobs WHERE run_id = :id"), {"id": run_id})
                conn.execute(
                    text("UPDATE runs SET status = 'cancelled', message = :message, updated_at = :now WHERE id = :id"),
                    {"message": message, "now": _now(), "id": run_id},
                )
                queued = queue_status_event(conn, run_id, RunStatus.CANCELLED)
        if queued:  # only a run cancelled here queues its event; a held one's worker records it
            notify_new_delivery()
        return self.get(run_id), not held

    def cancel_requested(self, run_id: str) -> bool:
        """Whether the run was cancelled while a worker held its job."""
        with self._connect() as conn:
            row = conn.execute(text("SELECT cancel_requested FROM run_jobs WHERE run_id = :id"), {"id": run_id}).fetchone()
        return bool(row and row.cancel_requested)

    def start_job(self, run_id: str, owner: str = "", lease_s: float = 0.0) -> RunJob | None:
        """Claim a run's pending job for `owner` and return it; None when there is none or another worker holds it."""
        now = time.time()
        with self._connect() as conn:
            row = conn.execute(text("SELECT * FROM run_jobs WHERE run_id = :id"), {"id": run_id}).fetchone()
            if row is None:
                return None
            claimed = conn.execute(
                text("UPDATE run_jobs SET started = 1, owner = :owner, lease_until = :until WHERE run_id = :id "
                     "AND (owner IS NULL OR owner = :owner OR lease_until IS NULL OR lease_until < :now)"),
                {"owner": owner, "until": now + lease_s, "id": run_id, "now": now},
            ).rowcount  # fmt: skip
        if not claimed:
            return None
        return RunJob(run_id=run_id, kind=row.kind, payload=json.loads(row.payload), started=bool(row.started))

    def renew_lease(self, run_id: str, owner: str, lease_s: float) -> bool:
        """Extend `owner`'s hold on the run's job; False when the job is gone or another worker took it."""
        with self._connect() as conn:
            return bool(
                conn.execute(
                    text("UPDATE run_jobs SET lease_until = :until WHERE run_id = :id AND owner = :owner"),
                    {"until": time.time() + lease_s, "id": run_id, "owner": owner},
                ).rowcount
            )

    def finish_job(self, run_id: str, owner: str | None = None) -> None:
        """The run's job is done (whatever its outcome); a job queued since, by someone else, stays."""
        with self._connect() as conn:
            if owner is None:
                conn.execute(text("DELETE FROM run_jobs WHERE run_id = :id"), {"id": run_id})
            else:
                conn.execute(text("DELETE FROM run_jobs WHERE run_id = :id AND owner = :owner"), {"id": run_id, "owner": owner})

    def pending_jobs(self) -> builtins.list[str]:
        """Runs with a job not yet finished, oldest first (what a restarted server picks up)."""
        with self._connect() as conn:
            rows = conn.execute(text("SELECT run_id FROM run_jobs ORDER BY created_at, run_id")).fetchall()
        return [r.run_id for r in rows]

    def mark_dispatched(self, run_id: str, at: float | None = -1.0) -> None:
        """The job was handed to the queue now (`at` None: it could not be, so the next sweep sends it)."""
        when = time.time() if at == -1.0 else at
        with self._connect() as conn:
            conn.execute(text("UPDATE run_jobs SET dispatched_at = :at WHERE run_id = :id"), {"at": when, "id": run_id})

    def orphaned_jobs(self, requeue_after_s: float) -> builtins.list[str]:
        """Take back jobs to send again: held by a worker whose lease ran out, or sent long ago and never begun.

        Each job is returned to one caller only: the update that releases it is conditional, so
        two workers sweeping at once never both send it.
        """
        now = time.time()
        condition = ("((owner IS NOT NULL AND lease_until < :now) "
                     "OR (owner IS NULL AND (dispatched_at IS NULL OR dispatched_at < :stale)))")  # fmt: skip
        params = {"now": now, "stale": now - requeue_after_s}
        taken: builtins.list[str] = []
        with self._connect() as conn:
            rows = conn.execute(text(f"SELECT run_id FROM run_jobs WHERE {condition}"), params).fetchall()
        for row in rows:
            with self._connect() as conn:
                if conn.execute(
                    text(f"UPDATE run_jobs SET owner = NULL, dispatched_at = :now WHERE run_id = :id AND {condition}"),
                    {**params, "id": row.run_id},
                ).rowcount:
                    taken.append(row.run_id)
        return taken

    def approval_requested(self, run_id: str) -> bool:
        """Whether the run was submitted with an approval step."""
        with self._connect() as conn:
            row = conn.execute(text("SELECT approval FROM run_options WHERE run_id = :id"), {"id": run_id}).fetchone()
        return bool(row and row.approval)

    def add_event(self, run_id: str, type: str, data: dict) -> RunEvent:
        """Append to a run's feed."""
        now = _now()
        with self._connect() as conn:
            seq = conn.execute(
                text("INSERT INTO run_events (run_id, type, data, created_at) VALUES (:id, :type, :data, :now) RETURNING seq"),
                {"id": run_id, "type": type, "data": json.dumps(data), "now": now},
            ).scalar_one()
        return RunEvent(seq=int(seq), run_id=run_id, type=type, data=data, created_at=now)

    def events(self, run_id: str, after: int = 0, limit: int = 500) -> builtins.list[RunEvent]:
        """A run's feed after position `after`, in order."""
        with self._connect() as conn:
            rows = conn.execute(
                text("SELECT * FROM run_events WHERE run_id = :id AND seq > :after ORDER BY seq LIMIT :limit"),
                {"id": run_id, "after": after, "limit": limit},
            ).fetchall()
        return [_event(r) for r in rows]

    def last_event(self, run_id: str, type: str) -> RunEvent | None:
        """The latest event of one type."""
        with self._connect() as conn:
            row = conn.execute(
                text("SELECT * FROM run_events WHERE run_id = :id AND type = :type ORDER BY seq DESC LIMIT 1"),
                {"id": run_id, "type": type},
            ).fetchone()
        return _event(row) if row else None


"""The registry's earlier name, kept for code that imports it."""
