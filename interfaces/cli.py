"""The `greenroom` command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from graphs.brief import BriefError, load_brief
from graphs.launch_steps import STEP_LABELS
from interfaces.settings import Settings
from tools.llm import ModelUnavailableError
from tools.structured import StructuredOutputError

EXIT_BAD_INPUT = 2
EXIT_MODEL_FAILED = 3
EXIT_CAP = 4

app = typer.Typer(help="greenroom: from a creative brief to a launch package.", no_args_is_help=True, add_completion=False)
console = Console(stderr=True)
out = Console()


def _register_subcommands() -> None:
    """Attach the command groups that live in their own modules (they import this one, so this runs last)."""
    from interfaces import cli_api, cli_catalog, cli_chat, cli_models, cli_plan, cli_promotion, cli_slack

    cli_promotion.register(cli_models.models_app)
    app.add_typer(cli_catalog.catalog_app, name="catalog")
    app.add_typer(cli_models.models_app, name="models")
    for module in (cli_plan, cli_api, cli_slack, cli_chat):
        module.register(app)


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Say what went wrong and exit with `code`."""
    console.print(f"[red]✘[/red] {escape(message)}")
    raise typer.Exit(code)


def _fail_brief(exc: BriefError) -> NoReturn:
    """Name every bad field of a brief and exit with code 2."""
    console.print(f"[red]✘[/red] {exc.source} is invalid:")
    for error in exc.errors:
        console.print(f"  [bold]{error.field}[/bold]: {error.message}")
    raise typer.Exit(EXIT_BAD_INPUT)


def _load(brief_path: Path) -> Any:
    try:
        return load_brief(brief_path)
    except BriefError as exc:
        _fail_brief(exc)


@app.command()
def validate(brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")]) -> None:
    """Check a brief and print it normalised."""
    loaded = _load(brief)
    console.print(f"[green]✔[/green] {brief} is a valid {loaded.format.value} brief.")
    out.print_json(loaded.model_dump_json())


@app.command()
def write(
    brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the draft (default: out/<run id>).")] = None,
    rounds: Annotated[int | None, typer.Option(help="Writer/editor rounds at most (default from settings: 2).")] = None,
) -> None:
    """Write the content for a brief: the writer drafts, the editor reviews, up to N rounds."""
    from interfaces.runs import model_for, new_run_id, run_write, save_write_result

    loaded = _load(brief)
    settings = Settings()
    if rounds is not None:
        settings.max_edit_rounds = rounds
    run_id = new_run_id()
    try:
        with console.status(f"starting the {settings.model.provider} model…"):
            model = model_for(settings)
        console.print(f"run [bold]{run_id}[/bold] · model {model.label} · up to {settings.max_edit_rounds} rounds")
        status = console.status("writer: drafting…")
        status.start()

        def on_step(node: str, changes: dict[str, Any]) -> None:
            calls = changes.get("calls", [])
            tokens = sum(c.output_tokens for c in calls)
            seconds = sum(c.seconds for c in calls)
            repaired = " (after a repair round)" if any(c.attempt > 1 for c in calls) else ""
            if node == "writer":
                console.print(
                    f"  [cyan]writer[/cyan]   round {changes['round']}: draft written, {tokens} tokens in {seconds:.1f} s{repaired}"
                )
                status.update("editor: reviewing…")
            elif node == "editor":
                review = changes["review"]
                failed = sum(not c.passed for c in review.checks)
                verdict = "approved" if review.approved else f"{len(review.notes)} revision notes"
                console.print(
                    f"  [magenta]editor[/magenta]   round {review.round}: {verdict} "
                    f"({failed} checks failed, model says {review.model_verdict}){repaired}"
                )
                status.update("writer: revising…")

        try:
            result = run_write(loaded, settings, model=model, run_id=run_id, on_step=on_step)
        finally:
            status.stop()
    except StructuredOutputError as exc:
        console.print(f"[red]✘[/red] {exc}")
        console.print(f"  the run's checkpoints are kept in {settings.checkpoint_location} (thread {run_id})")
        raise typer.Exit(EXIT_MODEL_FAILED) from exc
    except ModelUnavailableError as exc:
        _fail(f"model unavailable: {exc}", EXIT_MODEL_FAILED)
    folder = output or settings.output_dir / run_id
    paths = save_write_result(result, loaded, folder)
    outcome = "approved by the editor" if result.outcome == "approved" else f"not approved after {result.rounds} rounds"
    console.print(f"[green]✔[/green] draft {outcome}")
    out.print(str(folder))
    console.print(f"  {paths['json'].name}, {paths['markdown'].name}")


def _progress_printer() -> Callable[[str, int, int], None]:
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


@app.command()
def analyse(
    brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the report (default: out/<run id>).")] = None,
) -> None:
    """The analyst's report: comparables, audience forecast, segments, reception and caveats."""
    from interfaces.runs import agent_context, new_run_id, run_analysis, save_audience_report

    loaded = _load(brief)
    settings = Settings()
    run_id = new_run_id()
    try:
        context = agent_context(settings, progress=_progress_printer())
        with console.status("analyst: comparables, forecast, segments…"):
            run_id, report, calls = run_analysis(loaded, settings, context, run_id=run_id)
    except ModelUnavailableError as exc:
        _fail(f"model unavailable: {exc}", EXIT_MODEL_FAILED)
    folder = output or settings.output_dir / run_id
    save_audience_report(report, loaded, calls, folder)
    console.print(f"[green]✔[/green] {report.headline}")
    for caveat in report.caveats[:4]:
        console.print(f"  [yellow]![/yellow] {caveat}")
    out.print(str(folder))


def _step_printer() -> Callable[[str, dict[str, Any]], None]:
    """One line per finished step: what it did, its model calls, tokens and time."""

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


def _context_for(settings: Settings, *, approval: bool = False, max_tokens: int = 0, max_cost: float = 0.0) -> Any:
    from interfaces.runs import agent_context

    with console.status(f"starting the {settings.model.provider} model…"):
        model = _model(settings)
    context = agent_context(settings, model=model, progress=_progress_printer())
    context.approval, context.max_tokens, context.max_cost = approval, max_tokens, max_cost
    return context


def _model(settings: Settings) -> Any:
    from interfaces.runs import model_for

    try:
        return model_for(settings)
    except ModelUnavailableError as exc:
        _fail(f"model unavailable: {exc}", EXIT_MODEL_FAILED)


def _ask_approval(outcome: Any) -> dict[str, Any]:
    """Ask a person at the terminal what to do with the package."""
    from rich.prompt import Prompt

    console.print(f"[bold]Approve this launch package?[/bold] (version {outcome.package.version}, files in {outcome.output_dir})")
    action = Prompt.ask(
        "accept, edit, respond or reject", choices=["accept", "edit", "respond", "reject"], default="accept", console=console
    )
    if action == "edit":
        field = Prompt.ask("field (e.g. draft.taglines.0)", console=console)
        return {"action": "edit", "field": field, "value": Prompt.ask("new value", console=console)}
    if action == "respond":
        return {"action": "respond", "text": Prompt.ask("what should change", console=console)}
    if action == "reject":
        return {"action": "reject", "reason": Prompt.ask("why (optional)", default="", console=console)}
    return {"action": "accept"}


def _finish(outcome: Any, settings: Settings, context: Any, interactive: bool) -> None:
    from interfaces.runs import answer_approval

    while interactive and outcome.status == "awaiting_approval":
        try:
            outcome = answer_approval(outcome.run_id, _ask_approval(outcome), settings, context, on_step=_step_printer())
        except ValueError as exc:
            console.print(f"[red]✘[/red] {exc}")
    colour = {"done": "green", "approved": "green", "awaiting_approval": "yellow"}.get(outcome.status, "red")
    console.print(
        f"[{colour}]●[/{colour}] run [bold]{outcome.run_id}[/bold]: {outcome.status}"
        + (f" — {outcome.message}" if outcome.message else "")
    )
    if outcome.package is not None:
        acct = outcome.package.accounting
        console.print(f"  version {outcome.package.version} · {acct.model_calls} model calls · "
                      f"{acct.input_tokens}+{acct.output_tokens} tokens · est. ${acct.cost:.4f}")  # fmt: skip
        out.print(str(outcome.output_dir))
    if outcome.status == "awaiting_approval":
        console.print(f"  answer with: greenroom approve {outcome.run_id} accept|reject|respond TEXT|edit FIELD VALUE")
    if outcome.status in ("failed", "stopped_cap"):
        console.print(f"  continue with: greenroom resume {outcome.run_id}")
        raise typer.Exit(EXIT_MODEL_FAILED if outcome.status == "failed" else EXIT_CAP)


@app.command()
def launch(
    brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")],
    approve: Annotated[bool, typer.Option("--approve", help="Pause after assembly and ask for approval here.")] = False,
    max_tokens: Annotated[int, typer.Option(help="Stop cleanly once this many tokens are spent (0: no cap).")] = 0,
    max_cost: Annotated[float, typer.Option(help="Stop cleanly once this much USD is spent, estimated (0: no cap).")] = 0.0,
) -> None:
    """The main job: brief in, launch package out (JSON, Markdown and HTML report)."""
    from interfaces.runs import launch_run, new_run_id

    loaded = _load(brief)
    settings = Settings()
    context = _context_for(settings, approval=approve, max_tokens=max_tokens, max_cost=max_cost)
    run_id = new_run_id()
    console.print(f"run [bold]{run_id}[/bold] · model {context.model.label} · up to {settings.max_edit_rounds} edit rounds")
    outcome = launch_run(loaded, settings, context, run_id=run_id, on_step=_step_printer())
    _finish(outcome, settings, context, interactive=approve)


@app.command()
def resume(
    run_id: Annotated[str, typer.Argument(help="The run to continue.")],
    max_tokens: Annotated[int, typer.Option(help="New token cap (0: no cap).")] = 0,
    max_cost: Annotated[float, typer.Option(help="New cost cap in USD (0: no cap).")] = 0.0,
) -> None:
    """Continue a run from its last completed step (after a crash, a failure or a cap)."""
    from interfaces.runs import resume_run
    from store.runs import UnknownRunError

    settings = Settings()
    context = _context_for(settings, max_tokens=max_tokens, max_cost=max_cost)
    try:
        outcome = resume_run(run_id, settings, context, on_step=_step_printer())
    except UnknownRunError as exc:
        _fail(str(exc))
    _finish(outcome, settings, context, interactive=False)


@app.command()
def revise(
    run_id: Annotated[str, typer.Argument(help="The run to revise.")],
    request: Annotated[str, typer.Argument(help="A change in words, e.g. 'make the tagline darker'.")] = "",
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Change a brief field, e.g. budget.amount=20000 (repeatable).")
    ] = None,
) -> None:
    """Re-run only the steps a change touches; the earlier version is kept for comparison."""
    import yaml

    from interfaces.runs import revise_run
    from store.runs import UnknownRunError

    sets: dict[str, Any] = {}
    for item in set_ or []:
        if "=" not in item:
            _fail(f"--set {item}: expected FIELD=VALUE, e.g. budget.amount=20000")
        key, value = item.split("=", 1)
        sets[key.strip()] = yaml.safe_load(value)
    if not request and not sets:
        _fail("say what should change: a request in words, or --set FIELD=VALUE")
    settings = Settings()
    context = _context_for(settings)
    try:
        outcome = revise_run(run_id, settings, context, note=request, sets=sets, on_step=_step_printer())
    except BriefError as exc:
        _fail_brief(exc)
    except (UnknownRunError, ValueError) as exc:
        _fail(str(exc))
    _finish(outcome, settings, context, interactive=False)


@app.command()
def approve(
    run_id: Annotated[str, typer.Argument(help="A run awaiting approval.")],
    action: Annotated[str, typer.Argument(help="accept, reject, respond or edit.")],
    args: Annotated[
        list[str] | None, typer.Argument(help="respond: the change in words; edit: FIELD VALUE; reject: a reason.")
    ] = None,
) -> None:
    """Answer a run's approval request."""
    from interfaces.runs import answer_approval
    from store.runs import UnknownRunError

    words = args or []
    answers: dict[str, dict[str, Any]] = {
        "accept": {"action": "accept"},
        "reject": {"action": "reject", "reason": " ".join(words)},
        "respond": {"action": "respond", "text": " ".join(words)},
        "edit": {"action": "edit", "field": words[0] if words else "", "value": " ".join(words[1:])},
    }
    if action not in answers or (action == "edit" and len(words) < 2) or (action == "respond" and not words):
        _fail("use: accept | reject [REASON] | respond TEXT | edit FIELD VALUE")
    settings = Settings()
    context = _context_for(settings, approval=True)
    try:
        outcome = answer_approval(run_id, answers[action], settings, context, on_step=_step_printer())
    except (UnknownRunError, ValueError) as exc:
        _fail(str(exc))
    _finish(outcome, settings, context, interactive=False)


runs_app = typer.Typer(help="The run registry.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")


@runs_app.command("list")
def runs_list(
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
) -> None:
    """List runs, newest first."""
    from rich.table import Table

    from interfaces.runs import registry

    table = Table("run", "title", "status", "version", "updated", "message")
    for record in registry(Settings()).list(status=status, limit=limit):
        table.add_row(record.id, record.title, record.status, str(record.version), record.updated_at, record.message[:60])
    out.print(table)


@runs_app.command("show")
def runs_show(run_id: Annotated[str, typer.Argument(help="The run.")]) -> None:
    """Show one run: status, files and the latest package's key numbers."""
    from interfaces.runs import registry
    from store.runs import UnknownRunError

    try:
        record = registry(Settings()).get(run_id)
    except UnknownRunError as exc:
        _fail(str(exc))
    out.print_json(record.model_dump_json(exclude={"brief"}))


@runs_app.command("prune")
def runs_prune(
    older_than_days: Annotated[float | None, typer.Option(min=0, help="Retention in days (default from settings: 7).")] = None,
) -> None:
    """Cut finished runs' checkpoints down to their final state once they are older than the retention period."""
    from interfaces.runs import prune_finished_runs

    settings = Settings()
    pruned = prune_finished_runs(settings, older_than_days=older_than_days)
    days = settings.checkpoint_retention_days if older_than_days is None else older_than_days
    console.print(f"pruned the checkpoints of {len(pruned)} finished run(s) older than {days:g} day(s)")
    for run_id in pruned:
        out.print(run_id)


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Runs this worker executes at once.")] = 1,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
    name: Annotated[str | None, typer.Option(help="Worker name (default: celery@HOST).")] = None,
) -> None:
    """Run a worker of the pool: take launch runs from the broker (GREENROOM_QUEUE__BROKER_URL) until stopped."""
    import logging

    from interfaces.worker import run_worker
    from tools.llm import ModelUnavailableError

    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per model or catalog request is noise here
    try:
        run_worker(Settings(), concurrency=concurrency, loglevel=loglevel, name=name)
    except ValueError as exc:
        _fail(str(exc))
    except ModelUnavailableError as exc:
        _fail(str(exc), EXIT_MODEL_FAILED)


@app.command("model-server")
def model_server(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 lets other machines' workers in.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8081,
) -> None:
    """Serve the embedded model over HTTP (llama.cpp's OpenAI-compatible server) for every worker to share."""
    import os

    from tools.llm import EMBEDDED_ALIAS, ModelUnavailableError, embedded_server_command

    settings = Settings()
    try:
        args = embedded_server_command(context_size=settings.model.context_size, threads=settings.model.threads,
                                       host=host, port=port)  # fmt: skip
    except ModelUnavailableError as exc:
        _fail(str(exc), EXIT_MODEL_FAILED)
    where = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(
        f"serving {EMBEDDED_ALIAS} on http://{host}:{port}/v1; point each worker at it with\n"
        f"  GREENROOM_MODEL__PROVIDER=openai GREENROOM_MODEL__BASE_URL=http://{where}:{port}/v1 "
        f"GREENROOM_MODEL__NAME={EMBEDDED_ALIAS} GREENROOM_MODEL__STRUCTURED=llamacpp"
    )
    os.execv(args[0], args)  # the server replaces this process, so signals and exit codes are its own


_register_subcommands()


def main() -> None:
    """Entry point of the `greenroom` console script."""
    app(prog_name="greenroom")
