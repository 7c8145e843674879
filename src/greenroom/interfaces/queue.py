"""The broker side of the worker pool: the Celery application and sending a run to it.

The API, the Slack bot and every worker's sweep send run ids through `sender`;
`interfaces/worker.py` registers the task that runs them.
"""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery

from greenroom.interfaces.settings import Settings

TASK = "greenroom.run_job"
"""The Celery task name a run id is sent to."""


def celery_app(settings: Settings) -> Celery:
    """The Celery application the settings describe (Redis or RabbitMQ broker)."""
    queue = settings.queue
    backend = queue.result_backend or (queue.broker_url if queue.broker_url.startswith(("redis://", "rediss://")) else None)
    app = Celery("greenroom", broker=queue.broker_url, backend=backend, set_as_current=False)
    app.conf.update(
        task_default_queue=queue.queue,
        task_acks_late=True,  # a message is acknowledged after its run, so a killed worker's run is delivered again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds one message at a time: the rest stay for the others
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=24 * 3600,
        broker_transport_options={"visibility_timeout": queue.visibility_timeout_s},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker restart is waited out, not fatal
        worker_hijack_root_logger=False,
    )
    return app


def sender(settings: Settings) -> Callable[[str], None]:
    """A function that sends one run id to the pool (raises when the broker cannot be reached)."""
    q = settings.queue
    app = celery_app(settings)

    def send(run_id: str) -> None:
        app.send_task(TASK, args=[run_id], queue=q.queue, retry=True,
                      retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5})  # fmt: skip

    return send
