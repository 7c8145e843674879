"""What every command of the `greenroom` CLI shares: the app, the consoles, exit codes and a few helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from greenroom.core.brief import BriefError, load_brief
from greenroom.interfaces.settings import Settings

EXIT_BAD_INPUT = 2
EXIT_MODEL_FAILED = 3
EXIT_CAP = 4

app = typer.Typer(help="greenroom: from a creative brief to a launch package.", no_args_is_help=True, add_completion=False)


def version() -> str:
    """The installed greenroom's version ('unknown' when it is run from a source tree that was never installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("greenroom")
    except PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"greenroom {version()}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: bool = typer.Option(
        False, "--version", help="Print greenroom's version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """greenroom: from a creative brief to a launch package."""
    from pydantic import ValidationError

    from greenroom.interfaces.telemetry import configure_tracing

    with contextlib.suppress(ValidationError):  # the command itself reports settings it cannot read
        configure_tracing(Settings())  # exports traces only when an OTLP endpoint is configured


console = Console(stderr=True)
"""Progress, messages and errors (stderr)."""
out = Console()
"""What a command produces (stdout): a folder, JSON, a table."""


def column_mapping(value: str | None) -> dict[str, str]:
    """The --mapping option of an import, read as JSON {our_field: their_column}."""
    from greenroom.store.importer import parse_mapping  # pandas and pyarrow load only when an import runs

    try:
        return parse_mapping(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--mapping") from exc


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Say what went wrong and exit with `code`."""
    console.print(f"[red]✘[/red] {escape(message)}")
    raise typer.Exit(code)


DOCTOR_HINT = "run `greenroom doctor` to check the model and the rest of this setup"


def fail_model(exc: Exception) -> NoReturn:
    """Say that the model could not answer, point to `greenroom doctor`, and exit 3."""
    console.print(f"[red]✘[/red] model unavailable: {escape(str(exc))}")
    console.print(f"  {DOCTOR_HINT}")
    raise typer.Exit(EXIT_MODEL_FAILED)


def fail_brief(exc: BriefError) -> NoReturn:
    """Name every bad field of a brief and exit with code 2."""
    console.print(f"[red]✘[/red] {exc.source} is invalid:")
    for error in exc.errors:
        console.print(f"  [bold]{error.field}[/bold]: {error.message}")
    raise typer.Exit(EXIT_BAD_INPUT)


def load(brief_path: Path) -> Any:
    """The brief in a file, or exit 2 naming each bad field."""
    try:
        return load_brief(brief_path)
    except BriefError as exc:
        fail_brief(exc)


def progress_printer() -> Callable[[str, int, int], None]:
    """Progress for long one-off work (seeding the catalog, training models), as rich bars."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)
    tasks: dict[str, Any] = {}

    def report(what: str, done: int, total: int) -> None:
        if what not in tasks:
            bars.start()
            tasks[what] = bars.add_task(what, total=total)
        bars.update(tasks[what], completed=done, total=total)
        if done >= total and all(bars.tasks[i].finished for i in tasks.values()):
            bars.stop()

    return report


def step_printer() -> Callable[[str, dict[str, Any]], None]:
    """One line per finished step: what it did, its model calls, tokens and time."""
    from greenroom.graphs.steps import STEP_LABELS  # the declarations import every agent: loaded when a run starts

    def on_step(node: str, changes: dict[str, Any]) -> None:
        record = (changes.get("steps") or [None])[0]
        detail = STEP_LABELS.get(node, node)
        if node == "editor" and changes.get("review"):
            review = changes["review"]
            detail = f"round {review.round}: " + ("approved" if review.approved else f"{len(review.notes)} revision notes")
        if node == "writer" and "round" in changes:
            detail = f"round {changes['round']}: draft written"
        stats = ""
        if record is not None:
            stats = f" · {record.seconds:.1f} s"
            if record.model_calls:
                stats += f" · {record.model_calls} calls, {record.input_tokens}+{record.output_tokens} tokens"
        console.print(f"  [cyan]{node:<9}[/cyan] {detail}{stats}")

    return on_step


def context_for(settings: Settings, *, approval: bool = False, max_tokens: int = 0, max_cost: float = 0.0) -> Any:
    """The agents' context for a run in this process: the model started, progress shown here, caps and approval set."""
    from greenroom.interfaces.runs import agent_context

    with console.status(f"starting the {settings.model.provider} model…"):
        model = start_model(settings)
    return agent_context(settings, model=model, progress=progress_printer(), approval=approval, max_tokens=max_tokens,
                         max_cost=max_cost)  # fmt: skip


def start_model(settings: Settings) -> Any:
    """The configured model, started; exit 3 when it cannot be reached."""
    from greenroom.interfaces.runs import model_for
    from greenroom.models.llm import ModelUnavailableError

    try:
        return model_for(settings)
    except ModelUnavailableError as exc:
        fail_model(exc)


Tenant = Annotated[str, typer.Option(help="Whose viewers: a tenant's own imported history, else the bundled MovieLens panel.")]


def checked_tenant(value: str) -> str:
    """The tenant name, or a usage error saying what a tenant name may hold."""
    from greenroom.store.viewers import check_tenant

    try:
        return check_tenant(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tenant") from exc
