"""The worker pool: launch runs executed by Celery workers (`greenroom worker`).

The REST API and the Slack bot register each job in the run registry, then
send its run id to the broker; a worker claims the job in the registry with a
lease, runs it on the shared checkpointer, and acknowledges the message only
afterwards (`acks_late`). Delivery is at least once; the registry's claim makes
each job run once:

- a second delivery of a job that is held, or already finished, is dropped;
- a worker killed mid-run stops renewing its lease, and the next sweep (every
  worker runs one) sends the job again; the worker that takes it resumes from
  the run's last checkpoint, so no finished step repeats its model calls;
- a message lost by the broker (a restart without persistence, say) is sent
  again once the job has waited `requeue_after_s` without a worker.

Every worker builds its agents' context once: the model is a client of the
shared model server, the catalog a client of the Chroma server, and the trained
predictors are loaded from the shared data folder (trained once, under a lock,
if they are missing).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

from greenroom.interfaces.queue import TASK, celery_app, sender
from greenroom.interfaces.runs import checkpointer, prune_finished_runs
from greenroom.interfaces.service import RunService
from greenroom.interfaces.settings import Settings

logger = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0


_service: Any = None
"""The worker process's RunService (set by `run_worker` before the first task)."""


def _run_job(run_id: str) -> dict[str, Any]:
    if _service is None:
        raise RuntimeError("this process is not a greenroom worker (start it with `greenroom worker`)")
    status = _service.work(run_id)
    return {"run_id": run_id, "status": status, "worker": _service.owner, "skipped": status is None}


def sweep_once(service: Any) -> list[str]:
    """Send again the jobs whose worker died or whose message was lost; return their run ids."""
    sent = []
    for run_id in service.registry.orphaned_jobs(service.settings.queue.requeue_after_s):
        logger.info("run %s: no live worker holds it; sending it again", run_id)
        if service.dispatch(run_id):
            sent.append(run_id)
    return sent


def _sweeper(service: Any, stop: threading.Event) -> None:
    last_prune = -math.inf  # the first sweep prunes too
    while not stop.wait(service.settings.queue.sweep_s):
        try:
            sweep_once(service)
            if time.monotonic() - last_prune > PRUNE_EVERY_S:
                last_prune = time.monotonic()
                if pruned := prune_finished_runs(service.settings):
                    logger.info("pruned the checkpoints of %d finished runs", len(pruned))
        except Exception:  # the sweep's boundary: a database or broker blip is retried at the next sweep
            logger.warning("sweep failed; retrying in %.0f s", service.settings.queue.sweep_s, exc_info=True)


def run_worker(settings: Settings, *, concurrency: int = 1, loglevel: str = "INFO", name: str | None = None) -> None:
    """Build this worker's context, start its sweep and serve the queue until stopped."""
    global _service
    if not settings.queue.enabled:
        raise ValueError("queue.broker_url: set GREENROOM_QUEUE__BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker")
    if settings.model.provider == "embedded":
        logger.warning(
            "this worker starts its own embedded model; point GREENROOM_MODEL__PROVIDER=openai and "
            "GREENROOM_MODEL__BASE_URL at one shared model server instead (see the README's deployment section)"
        )
    try:
        service = RunService(settings, worker=True)
        with checkpointer(settings):  # creates the checkpoint tables now, not in the middle of a first run
            pass
    except Exception as exc:  # the database's boundary: say which setting points at what does not answer
        where = settings.checkpoint_location if settings.database_url else str(settings.data_dir)
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ValueError(f"database_url: cannot open the run registry and checkpoints at {where}: {detail}") from exc
    service.start()  # builds the model client, opens the catalog, loads the trained predictors
    _service = service
    service._send = sender(settings)  # the sweep sends jobs again through the broker
    stop = threading.Event()
    threading.Thread(target=_sweeper, args=(service, stop), name="greenroom-sweep", daemon=True).start()
    app = celery_app(settings)
    app.task(name=TASK, ignore_result=False)(_run_job)
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", "-Q", settings.queue.queue,
            "--pool", "solo" if concurrency == 1 else "threads", "--without-gossip", "--without-mingle"]  # fmt: skip
    if name:
        argv += ["-n", name]
    try:
        app.worker_main(argv=argv)
    finally:
        stop.set()
        service.close()  # stops its webhook sender; deliveries not yet sent stay pending for the next worker
