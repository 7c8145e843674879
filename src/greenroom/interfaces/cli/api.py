"""`greenroom serve` and `greenroom keys ...`: the REST API server and its API keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from greenroom.interfaces.cli.common import fail
from greenroom.interfaces.settings import Settings

if TYPE_CHECKING:
    from greenroom.store.keys import KeyStore

keys_app = typer.Typer(name="keys", help="Create, list and revoke REST API keys (one tenant per key).", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _keys(settings: Settings) -> KeyStore:
    from greenroom.store.keys import KeyStore

    settings.ensure_dirs()
    return KeyStore(settings.data_dir / "api_keys.sqlite")


def log_requests() -> None:
    """Print the API's one line per request (method, path, status, time, request id) in place of uvicorn's access log."""
    import logging

    from greenroom.interfaces.problems import logger

    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default from settings: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default from settings: 8000).")] = None,
    workers_per_server: Annotated[
        int | None, typer.Option("--workers-per-server", min=1, help="Launch runs executed at once (default from settings: 2).")
    ] = None,
) -> None:
    """Serve the REST API (OpenAPI at /docs); unfinished runs of an earlier server continue."""
    import uvicorn

    from greenroom.interfaces.api import create_app

    settings = Settings()
    app = create_app(settings, workers=workers_per_server)
    log_requests()
    uvicorn.run(app, host=host or settings.api.host, port=port or settings.api.port, timeout_graceful_shutdown=10,
                access_log=False)  # fmt: skip


@keys_app.command("create")
def create(tenant: Annotated[str, typer.Argument(help="The tenant the key acts for.")]) -> None:
    """Create a key and print it once (only its salted hash is stored)."""
    try:
        record, key = _keys(Settings()).create(tenant)
    except ValueError as exc:
        fail(str(exc))
    err_console.print(f"key [bold]{record.id}[/bold] for tenant [bold]{tenant}[/bold]; it is shown only now:")
    print(key)


@keys_app.command("list")
def list_() -> None:
    """Every key's id, tenant and dates (never the secret)."""
    table = Table("id", "tenant", "created", "revoked")
    for key in _keys(Settings()).list():
        table.add_row(key.id, key.tenant, key.created_at, key.revoked_at or "")
    console.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (the part after gr_).")]) -> None:
    """Revoke a key; requests with it get 401 from then on."""
    try:
        key = _keys(Settings()).revoke(key_id)
    except KeyError as exc:
        fail(str(exc.args[0]))
    err_console.print(f"revoked key {key.id} of tenant {key.tenant}")


def register(app: typer.Typer) -> None:
    """Add `serve` and the `keys` group to the main command."""
    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys")
