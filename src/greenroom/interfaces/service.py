"""Launch runs executed in the background of one server process.

`RunService` is the core the REST API (and later the chat page and the Slack
bot) reuse: it registers a run, hands it to a bounded pool of worker threads
(the graph, Chroma and SQLite are blocking), and records an event feed per run
in the registry (each step's start and end, the approval request, every status
change) that subscribers follow live or replay from any position.

Every accepted piece of work is written to the registry as a job before it is
queued. A server that stops mid-run picks its jobs up again on start: a job
that had begun continues from the run's last checkpoint (no finished step runs
twice); one that never began is carried out as asked.

With a broker configured (`GREENROOM_QUEUE__BROKER_URL`) the same service
sends each job to the Celery worker pool instead (`interfaces/worker.py`); a
worker claims the job with a lease it renews while it works, so a job whose
worker died is taken over by another, from the run's last checkpoint.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from greenroom.agents.context import AgentContext
from greenroom.core.brief import Brief
from greenroom.core.package import LaunchPackage
from greenroom.core.vocabulary import ACTIVE, REVISABLE, status_words
from greenroom.interfaces.runs import RunOutcome, advance_run, agent_context, checkpointer, latest_package, revised_brief
from greenroom.interfaces.settings import Settings
from greenroom.store.runs import RunEvent, RunJob, RunRecord, RunRegistry, UnknownRunError

if TYPE_CHECKING:
    from greenroom.interfaces.webhooks import WebhookSender
    from greenroom.store.catalog import Catalog

logger = logging.getLogger(__name__)

ACCEPTING_THREADS = 64
"""Submits recorded at once: each waits on the registry's shared commit, so many waiting together cost one write."""

ContextFactory = Callable[[Settings], AgentContext]
"""Builds the agents' context (model, catalog, trained models) once per server."""


class RunBusyError(ValueError):
    """The run's status does not allow this request now."""


class LeaseLost(RuntimeError):
    """Another worker took this run over (this one stopped renewing in time): stop before the next step."""


class EventHub:
    """Wakes asyncio subscribers when a worker thread appends to a run's feed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    @contextmanager
    def watch(self, run_id: str) -> Iterator[asyncio.Event]:
        """An asyncio.Event set whenever the run's feed grows (call inside the subscriber's loop)."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(run_id, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._waiters[run_id].discard(entry)
                if not self._waiters[run_id]:
                    del self._waiters[run_id]

    def notify(self, run_id: str | None = None) -> None:
        """Wake the run's subscribers (every subscriber when run_id is None)."""
        with self._lock:
            entries = [e for rid, group in self._waiters.items() if run_id in (None, rid) for e in group]
        for loop, event in entries:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)


def brief_fingerprint(brief: dict[str, Any], approval: bool) -> str:
    """What an idempotent retry must repeat exactly (the checked brief as JSON, and the approval step)."""
    payload = json.dumps({"brief": brief, "approval": approval}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


class RunService:
    """Submit, approve and revise launch runs; follow their events."""

    def __init__(self, settings: Settings, context_factory: ContextFactory | None = None, *, workers: int | None = None,
                 worker: bool = False) -> None:  # fmt: skip
        """`worker=True` is a pool worker's service: it executes jobs handed to `work` and sends none to the queue."""
        from greenroom.interfaces.runs import new_run_id

        settings.ensure_dirs()
        self.settings = settings
        self.registry = RunRegistry(settings.registry_target)
        self.is_worker = worker
        self.sends_to_queue = settings.queue.enabled and not worker
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.lease_s = settings.queue.lease_s if settings.queue.enabled else 0.0
        self.poll_s = 1.0 if settings.queue.enabled else None
        """How often followers read the feed: other processes' events wake no one here."""
        self._send: Callable[[str], None] | None = None
        self.hub = EventHub()
        self.workers = workers or settings.api.workers
        self._context_factory = context_factory or (lambda s: agent_context(s))
        self._context: AgentContext | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._accepting = ThreadPoolExecutor(max_workers=ACCEPTING_THREADS, thread_name_prefix="greenroom-accept")
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self._new_id = new_run_id
        self.closing = False
        self.webhooks: WebhookSender | None = None

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> list[str]:
        """Build the agents' context, start the workers and pick up unfinished jobs; return their run ids.

        A service that sends jobs to the worker pool builds no context and picks nothing up: the
        workers hold the models, and their sweep takes over what a dead worker left.
        """
        from greenroom.interfaces.telemetry import configure_tracing
        from greenroom.interfaces.webhooks import WebhookSender

        configure_tracing(self.settings)
        self.webhooks = WebhookSender(self.settings)  # posts run events from this process's own threads, never a run's
        self.webhooks.start()
        if self.sends_to_queue:
            from greenroom.interfaces.queue import sender  # celery: only for a service that sends to the pool

            self._send = sender(self.settings)
            return []
        self._context = self._context_factory(self.settings)
        if self.is_worker:
            return []
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="greenroom-run")
        pending = self.registry.pending_jobs()
        for run_id in pending:
            self._enqueue(run_id)
        if pending:
            logger.info("picked up %d unfinished runs: %s", len(pending), ", ".join(pending))
        return pending

    def close(self) -> None:
        """Stop taking work; jobs not yet begun stay in the registry for the next start."""
        self.closing = True
        self.hub.notify()
        if self.webhooks is not None:
            self.webhooks.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._accepting.shutdown(wait=False)

    @property
    def catalog(self) -> Catalog | None:
        """The catalog this process already holds, if any."""
        return self._context.catalog if self._context is not None else None

    @property
    def context(self) -> AgentContext:
        """The agents' context (after `start`)."""
        if self._context is None:
            raise RuntimeError("RunService.start() has not been called")
        return self._context

    # --- requests ------------------------------------------------------------

    def submit(
        self, brief: Brief, tenant: str, idempotency_key: str | None = None, *, approval: bool = False
    ) -> tuple[RunRecord, bool]:
        """Register and queue a run; return it and whether it is new (False: an Idempotency-Key retry)."""
        data = brief.model_dump(mode="json")
        record, created = self.registry.register(
            self._new_id(), brief.working_title, data, tenant=tenant, approval=approval,
            idempotency_key=idempotency_key, fingerprint=brief_fingerprint(data, approval),
            event={"status": "queued", "message": "waiting for a worker"},
        )  # fmt: skip
        if created:
            self.hub.notify(record.id)
            self._enqueue(record.id)
        return record, created

    async def accept(
        self, brief: Brief, tenant: str, idempotency_key: str | None = None, *, approval: bool = False
    ) -> tuple[RunRecord, bool]:
        """`submit` for an event loop: the request waits on a thread of the service's own, never the loop's few."""
        call = functools.partial(self.submit, brief, tenant, idempotency_key, approval=approval)
        return await asyncio.get_running_loop().run_in_executor(self._accepting, call)

    def approve(self, run_id: str, answer: dict[str, Any]) -> RunRecord:
        """Queue a person's answer to a run awaiting approval (ValueError for an edit that cannot apply)."""
        if answer.get("action") == "edit":
            from greenroom.graphs.launch import apply_edit

            package = self.latest_package(run_id)
            if package is None:
                raise RunBusyError(f"run {run_id} has no package to edit")
            apply_edit(package, str(answer.get("field", "")), answer.get("value"))  # raises ValueError
        return self._queue(run_id, "approve", answer, ("awaiting_approval",))

    def revise(self, run_id: str, note: str = "", sets: dict[str, Any] | None = None) -> RunRecord:
        """Queue a revision (BriefError for changes that do not validate, RunBusyError when it cannot run now)."""
        record = self.registry.get(run_id)
        allowed = (*REVISABLE, "awaiting_approval")  # a what-if builds a new version beside the one awaiting approval
        if record.status not in allowed:
            raise RunBusyError(f"run {run_id} is {status_words(record.status)}: wait for it to finish")
        package = self.latest_package(run_id)
        if package is None:
            raise RunBusyError(f"run {run_id} has no package yet: it cannot be revised")
        revised_brief(package.brief, sets or {})  # raises BriefError with every bad field
        return self._queue(run_id, "revise", {"note": note, "sets": sets or {}}, allowed)

    def cancel(self, run_id: str) -> RunRecord:
        """Cancel a queued run now, or stop a running one before its next step (RunBusyError for a run at rest)."""
        kept = self.registry.get(run_id).version  # a queued revision's run keeps its earlier versions
        message = "cancelled before it started" + (f"; version {kept} is kept" if kept else "")
        try:
            record, stopped = self.registry.cancel(run_id, message)
        except ValueError as exc:
            raise RunBusyError(str(exc)) from exc
        if stopped:
            self.emit(run_id, "status", {"status": "cancelled", "message": record.message})
        return record

    def _queue(self, run_id: str, kind: str, payload: dict[str, Any], from_status: tuple[str, ...]) -> RunRecord:
        try:
            record = self.registry.queue_job(run_id, kind, payload, from_status=from_status)
        except ValueError as exc:
            raise RunBusyError(str(exc)) from exc
        self.emit(run_id, "status", {"status": "queued", "message": f"{kind} queued"})
        self._enqueue(run_id)
        return record

    def run_for(self, run_id: str, tenant: str) -> RunRecord:
        """The run when `tenant` owns it; UnknownRunError otherwise (another tenant's run does not exist for you)."""
        record = self.registry.get(run_id)
        if record.tenant != tenant:
            raise UnknownRunError(run_id)
        return record

    def latest_package(self, run_id: str) -> LaunchPackage | None:
        """The run's latest package from its checkpoint, if it has one."""
        return latest_package(run_id, self.settings)

    # --- events --------------------------------------------------------------

    def emit(self, run_id: str, type: str, data: dict[str, Any]) -> RunEvent:
        """Append to the run's feed and wake its subscribers."""
        event = self.registry.add_event(run_id, type, data)
        self.hub.notify(run_id)
        return event

    def feed_finished(self, run_id: str, after: int) -> bool:
        """Whether a subscriber who has seen up to `after` has seen the run come to rest."""
        last = self.registry.last_event(run_id, "status")
        return last is not None and last.seq <= after and last.data.get("status") not in ACTIVE

    # --- workers -------------------------------------------------------------

    def _enqueue(self, run_id: str) -> None:
        if self._send is not None:
            self.dispatch(run_id)
            return
        if self._pool is None:
            raise RuntimeError("RunService.start() has not been called")
        with self._lock:
            if run_id in self._queued:
                return
            self._queued.add(run_id)
        self._pool.submit(self._work, run_id)

    def dispatch(self, run_id: str) -> bool:
        """Send a job to the worker pool; False (and logged) when the broker is unreachable.

        The job is in the registry either way: a worker's sweep sends it again.
        """
        assert self._send is not None
        try:
            self._send(run_id)
        except Exception as exc:  # the broker's boundary: any transport error leaves the job for the sweep
            logger.warning("run %s: could not reach the broker (%s); a worker will send it again", run_id, exc)
            self.registry.mark_dispatched(run_id, None)
            return False
        self.registry.mark_dispatched(run_id)
        return True

    def work(self, run_id: str) -> str | None:
        """Carry out a run's pending job here (a pool worker's task); the run's status, or None when skipped."""
        return self._work(run_id)

    @contextmanager
    def _holding(self, run_id: str) -> Iterator[threading.Event]:
        """Renew this worker's lease on the run's job while the block runs; the event is set if it is lost."""
        lost = threading.Event()
        if not self.lease_s:
            yield lost
            return
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.lease_s / 3):
                try:
                    if not self.registry.renew_lease(run_id, self.owner, self.lease_s):
                        logger.warning("run %s: another worker took the run over; this one stops at its next step", run_id)
                        lost.set()
                        return
                except Exception:  # a database blip: keep trying until the lease runs out
                    logger.warning("run %s: could not renew the lease", run_id, exc_info=True)

        thread = threading.Thread(target=renew, name=f"lease-{run_id}", daemon=True)
        thread.start()
        try:
            yield lost
        finally:
            done.set()
            thread.join()

    def _work(self, run_id: str) -> str | None:
        with self._lock:
            self._queued.discard(run_id)
        job = self.registry.start_job(run_id, self.owner, self.lease_s)
        if job is None:
            return None
        with self._holding(run_id) as lost:
            return self._run_job(job, lost)

    def _run_job(self, job: RunJob, lost: threading.Event) -> str:
        run_id = job.run_id
        record = self.registry.get(run_id)  # the analyst scores the viewers of the tenant that owns the run
        context = replace(self.context, approval=self.registry.approval_requested(run_id), tenant=record.tenant,
                          should_stop=lambda: self.registry.cancel_requested(run_id))  # fmt: skip
        self.emit(run_id, "status", {"status": "running", "message": f"{job.kind} started" + (" again" if job.started else "")})
        try:
            outcome = self._execute(job, record, context, lost)
        except LeaseLost:  # the run, its job and its status now belong to the worker that took it over
            return "lease_lost"
        except Exception as exc:  # a worker's boundary: record the failure where the client will look, keep the trace in the log
            if self.closing:  # the server is stopping under the run: its job stays, and the next start resumes it
                logger.warning(
                    "run %s: %s job interrupted by shutdown (%s); it continues on the next start", run_id, job.kind, exc
                )
                return "interrupted"
            logger.exception("run %s: %s job failed", run_id, job.kind)
            message = (
                f"the {job.kind} stopped on an unexpected error (the server log has the details for run {run_id}); "
                "the steps before it are kept"
            )
            self.registry.update(run_id, status="failed", message=message)
            self.registry.finish_job(run_id, self.owner)
            self.emit(run_id, "status", {"status": "failed", "message": message})
            return "failed"
        self.registry.finish_job(run_id, self.owner)
        if outcome.question is not None:
            self.emit(run_id, "approval_requested", {"question": outcome.question})
        version = outcome.package.version if outcome.package is not None else 0
        self.emit(run_id, "status", {"status": outcome.status, "message": outcome.message, "version": version})
        return outcome.status

    def _execute(self, job: RunJob, record: RunRecord, context: AgentContext, lost: threading.Event | None = None) -> RunOutcome:
        """Carry out one job; a job that had begun before a restart continues from the checkpoint."""
        run_id = job.run_id

        def on_event(type: str, data: dict[str, Any]) -> None:
            if lost is not None and lost.is_set():  # between steps: what is checkpointed stays, nothing more is written
                raise LeaseLost(run_id)
            self.emit(run_id, type, data)

        def drive(graph_input: Any) -> RunOutcome:
            return advance_run(graph_input, run_id, self.settings, context, on_event=on_event)

        if job.started and (job.kind != "launch" or self._has_checkpoint(run_id)):
            return drive(None)
        if job.kind == "launch":  # the brief as accepted: the graph's intake turns it into a Brief
            return drive({"brief": record.brief})
        if job.kind == "approve":
            from langgraph.types import Command

            return drive(Command(resume=job.payload))
        if job.kind == "revise":
            package = self.latest_package(run_id)
            if package is None:
                raise RuntimeError(f"run {run_id} lost its package before the revision ran")
            brief = revised_brief(package.brief, job.payload.get("sets") or {})
            self.registry.update(run_id, brief=brief.model_dump(mode="json"))
            return drive({"brief": brief, "revision_note": job.payload.get("note", "")})
        return drive(None)

    def _has_checkpoint(self, run_id: str) -> bool:
        with checkpointer(self.settings) as saver:
            return saver.get_tuple({"configurable": {"thread_id": run_id}}) is not None
