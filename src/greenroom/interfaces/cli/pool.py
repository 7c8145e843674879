"""`greenroom worker` and `greenroom model-server`: a worker of the pool, and the model server the workers share."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from greenroom.interfaces.cli.common import EXIT_MODEL_FAILED, console, fail
from greenroom.interfaces.settings import Settings


def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Runs this worker executes at once.")] = 1,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
    name: Annotated[str | None, typer.Option(help="Worker name (default: celery@HOST).")] = None,
) -> None:
    """Run a worker of the pool: take launch runs from the broker (GREENROOM_QUEUE__BROKER_URL) until stopped."""
    from greenroom.interfaces.worker import run_worker
    from greenroom.models.llm import ModelUnavailableError

    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per model or catalog request is noise here
    try:
        run_worker(Settings(), concurrency=concurrency, loglevel=loglevel, name=name)
    except ValueError as exc:
        fail(str(exc))
    except ModelUnavailableError as exc:
        fail(str(exc), EXIT_MODEL_FAILED)


def model_server(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 lets other machines' workers in.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8081,
) -> None:
    """Serve the embedded model over HTTP (llama.cpp's OpenAI-compatible server) for every worker to share."""
    from greenroom.models.llm import ModelUnavailableError, embedded_alias, embedded_server_command

    settings = Settings()
    try:
        args = embedded_server_command(settings.model, host=host, port=port)
    except ModelUnavailableError as exc:
        fail(str(exc), EXIT_MODEL_FAILED)
    where = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    alias = embedded_alias(settings.model)
    console.print(
        f"serving {alias} on http://{host}:{port}/v1 ({settings.model.parallel} requests at once); point each worker at it with\n"
        f"  GREENROOM_MODEL__PROVIDER=openai GREENROOM_MODEL__BASE_URL=http://{where}:{port}/v1 "
        f"GREENROOM_MODEL__NAME={alias} GREENROOM_MODEL__STRUCTURED=llamacpp"
    )
    os.execv(args[0], args)  # the server replaces this process, so signals and exit codes are its own


def register(app: typer.Typer) -> None:
    """Add `worker` and `model-server` to the main command."""
    app.command()(worker)
    app.command("model-server")(model_server)
