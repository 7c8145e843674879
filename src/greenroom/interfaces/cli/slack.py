"""`greenroom slack`: the Slack bot, over Socket Mode or as `/slack/events` on the REST API server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from greenroom.interfaces.cli.common import fail
from greenroom.interfaces.settings import Settings

err_console = Console(stderr=True)


def slack(
    socket: Annotated[
        bool, typer.Option("--socket", help="Connect over Socket Mode (needs GREENROOM_SLACK__APP_TOKEN).")
    ] = False,
    host: Annotated[str | None, typer.Option(help="HTTP mode: address to listen on (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP mode: port to listen on (default from settings).")] = None,
) -> None:
    """Run the Slack bot: Socket Mode with --socket, else the REST API server with POST /slack/events."""
    settings = Settings()
    missing = _missing(settings, socket)
    if missing:
        fail(f"set {', '.join(missing)} first (see the README's 'Slack bot' section)")
    if socket:
        _socket_mode(settings)
    else:
        _http_mode(settings, host, port)


def _missing(settings: Settings, socket: bool) -> list[str]:
    needed = {"GREENROOM_SLACK__BOT_TOKEN": settings.slack.bot_token}
    if socket:
        needed["GREENROOM_SLACK__APP_TOKEN"] = settings.slack.app_token
    else:
        needed["GREENROOM_SLACK__SIGNING_SECRET"] = settings.slack.signing_secret
    return [name for name, value in needed.items() if not value.get_secret_value()]


def _socket_mode(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from greenroom.interfaces.service import RunService
    from greenroom.interfaces.slack import create_slack_app

    service = RunService(settings)
    service.start()
    try:
        handler = SocketModeHandler(create_slack_app(settings, service), settings.slack.app_token.get_secret_value())
        err_console.print("Slack bot connected over Socket Mode; Ctrl-C stops it")
        handler.start()
    finally:
        service.close()


def _http_mode(settings: Settings, host: str | None, port: int | None) -> None:
    import uvicorn

    from greenroom.interfaces.api import create_app
    from greenroom.interfaces.cli.api import log_requests

    bind_host, bind_port = host or settings.api.host, port or settings.api.port
    err_console.print(f"Slack events at http://{bind_host}:{bind_port}/slack/events (behind your public HTTPS URL)")
    log_requests()
    uvicorn.run(create_app(settings), host=bind_host, port=bind_port, timeout_graceful_shutdown=10, access_log=False)


def register(app: typer.Typer) -> None:
    """Add `slack` to the main command."""
    app.command("slack")(slack)
