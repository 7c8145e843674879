"""`greenroom launch|resume|revise|approve` and `greenroom runs ...`: launch runs, steer them and look them up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from greenroom.core.brief import BriefError
from greenroom.core.vocabulary import status_display, status_words
from greenroom.interfaces.cli.common import (
    DOCTOR_HINT,
    EXIT_CAP,
    EXIT_MODEL_FAILED,
    Tenant,
    checked_tenant,
    console,
    context_for,
    fail,
    fail_brief,
    load,
    out,
    step_printer,
)
from greenroom.interfaces.settings import Settings

runs_app = typer.Typer(help="The run registry.", no_args_is_help=True)


def _ask_approval(outcome: Any) -> dict[str, Any]:
    """Ask a person at the terminal what to do with the package."""
    from rich.prompt import Prompt

    console.print(f"[bold]Approve this launch package?[/bold] (version {outcome.package.version}, files in {outcome.output_dir})")
    action = Prompt.ask(
        "accept, edit, respond or reject", choices=["accept", "edit", "respond", "reject"], default="accept", console=console
    )
    if action == "edit":
        field = Prompt.ask("field (e.g. draft.hooks.taglines.0)", console=console)
        return {"action": "edit", "field": field, "value": Prompt.ask("new value", console=console)}
    if action == "respond":
        return {"action": "respond", "text": Prompt.ask("what should change", console=console)}
    if action == "reject":
        return {"action": "reject", "reason": Prompt.ask("why (optional)", default="", console=console)}
    return {"action": "accept"}


def _finish(outcome: Any, settings: Settings, context: Any, interactive: bool) -> None:
    from greenroom.interfaces.runs import answer_approval

    while interactive and outcome.status == "awaiting_approval":
        try:
            outcome = answer_approval(outcome.run_id, _ask_approval(outcome), settings, context, on_step=step_printer())
        except ValueError as exc:
            console.print(f"[red]✘[/red] {exc}")
    shown = status_display(outcome.status)
    colour = shown.colour if shown else "red"
    console.print(
        f"[{colour}]●[/{colour}] run [bold]{outcome.run_id}[/bold]: {status_words(outcome.status)}"
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
        if outcome.status == "failed":
            console.print(f"  {DOCTOR_HINT}")
        raise typer.Exit(EXIT_MODEL_FAILED if outcome.status == "failed" else EXIT_CAP)


def launch(
    brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")],
    approve: Annotated[bool, typer.Option("--approve", help="Pause after assembly and ask for approval here.")] = False,
    max_tokens: Annotated[int, typer.Option(help="Stop cleanly once this many tokens are spent (0: no cap).")] = 0,
    max_cost: Annotated[float, typer.Option(help="Stop cleanly once this much USD is spent, estimated (0: no cap).")] = 0.0,
    tenant: Tenant = "default",
) -> None:
    """The main job: brief in, launch package out (JSON, Markdown and HTML report)."""
    from greenroom.interfaces.runs import launch_run, new_run_id

    loaded = load(brief)
    settings = Settings()
    context = context_for(settings, approval=approve, max_tokens=max_tokens, max_cost=max_cost)
    run_id = new_run_id()
    console.print(f"run [bold]{run_id}[/bold] · model {context.model.label} · up to {settings.max_edit_rounds} edit rounds")
    outcome = launch_run(loaded, settings, context, run_id=run_id, tenant=checked_tenant(tenant), on_step=step_printer())
    _finish(outcome, settings, context, interactive=approve)


def resume(
    run_id: Annotated[str, typer.Argument(help="The run to continue.")],
    max_tokens: Annotated[int, typer.Option(help="New token cap (0: no cap).")] = 0,
    max_cost: Annotated[float, typer.Option(help="New cost cap in USD (0: no cap).")] = 0.0,
) -> None:
    """Continue a run from its last completed step (after a crash, a failure or a cap)."""
    from greenroom.interfaces.runs import resume_run
    from greenroom.store.runs import UnknownRunError

    settings = Settings()
    context = context_for(settings, max_tokens=max_tokens, max_cost=max_cost)
    try:
        outcome = resume_run(run_id, settings, context, on_step=step_printer())
    except UnknownRunError as exc:
        fail(str(exc))
    _finish(outcome, settings, context, interactive=False)


def revise(
    run_id: Annotated[str, typer.Argument(help="The run to revise.")],
    request: Annotated[str, typer.Argument(help="A change in words, e.g. 'make the tagline darker'.")] = "",
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Change a brief field, e.g. budget.amount=20000 (repeatable).")
    ] = None,
) -> None:
    """Re-run only the steps a change touches; the earlier version is kept for comparison."""
    import yaml

    from greenroom.interfaces.runs import revise_run
    from greenroom.store.runs import UnknownRunError

    sets: dict[str, Any] = {}
    for item in set_ or []:
        if "=" not in item:
            fail(f"--set {item}: expected FIELD=VALUE, e.g. budget.amount=20000")
        key, value = item.split("=", 1)
        sets[key.strip()] = yaml.safe_load(value)
    if not request and not sets:
        fail("say what should change: a request in words, or --set FIELD=VALUE")
    settings = Settings()
    context = context_for(settings)
    try:
        outcome = revise_run(run_id, settings, context, note=request, sets=sets, on_step=step_printer())
    except BriefError as exc:
        fail_brief(exc)
    except (UnknownRunError, ValueError) as exc:
        fail(str(exc))
    _finish(outcome, settings, context, interactive=False)


def approve(
    run_id: Annotated[str, typer.Argument(help="A run awaiting approval.")],
    action: Annotated[str, typer.Argument(help="accept, reject, respond or edit.")],
    args: Annotated[
        list[str] | None, typer.Argument(help="respond: the change in words; edit: FIELD VALUE; reject: a reason.")
    ] = None,
) -> None:
    """Answer a run's approval request."""
    from greenroom.interfaces.runs import answer_approval
    from greenroom.store.runs import UnknownRunError

    words = args or []
    answers: dict[str, dict[str, Any]] = {
        "accept": {"action": "accept"},
        "reject": {"action": "reject", "reason": " ".join(words)},
        "respond": {"action": "respond", "text": " ".join(words)},
        "edit": {"action": "edit", "field": words[0] if words else "", "value": " ".join(words[1:])},
    }
    if action not in answers or (action == "edit" and len(words) < 2) or (action == "respond" and not words):
        fail("use: accept | reject [REASON] | respond TEXT | edit FIELD VALUE")
    settings = Settings()
    context = context_for(settings, approval=True)
    try:
        outcome = answer_approval(run_id, answers[action], settings, context, on_step=step_printer())
    except (UnknownRunError, ValueError) as exc:
        fail(str(exc))
    _finish(outcome, settings, context, interactive=False)


def _when(iso: str) -> str:
    """An ISO 8601 UTC time as 'YYYY-MM-DD HH:MM'."""
    return iso[:16].replace("T", " ")


def _folder(path: str) -> str:
    """A run's output folder, relative to here when it is below here."""
    if not path:
        return "(no package yet)"
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


@runs_app.command("list")
def runs_list(
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
) -> None:
    """List runs, newest first: id, title and output folder, status, version, last change."""
    from rich import box
    from rich.table import Table

    from greenroom.interfaces.runs import registry

    records = registry(Settings()).list(status=status, limit=limit)
    if not records:
        console.print("No runs yet." if status is None else f"No runs with status {status}.")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, width=min(out.width, 80))
    table.add_column("run", no_wrap=True)
    table.add_column("title / folder", overflow="fold", ratio=1)
    table.add_column("status", max_width=14)  # "awaiting your approval" wraps, so the folder keeps its room
    table.add_column("v", justify="right", no_wrap=True)
    table.add_column("updated (UTC)", no_wrap=True)
    for record in records:
        title = f"{escape(record.title)}\n[dim]{escape(_folder(record.output_dir))}[/dim]"
        table.add_row(record.id, title, status_words(record.status), str(record.version),
                      _when(record.updated_at))  # fmt: skip
    out.print(table)


def _package_lines(folder: Path) -> list[tuple[str, str]]:
    """The latest package's key numbers, as (label, value) rows; none when the folder holds no package."""
    from pydantic import ValidationError

    from greenroom.core.package import LaunchPackage
    from greenroom.interfaces.outputs import amount, editor_outcome, label, price

    try:
        package = LaunchPackage.model_validate_json((folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return []
    promo = package.promotion_plan.allocation
    reach = promo.expected_reach
    prices = "; ".join(
        f"{label(t.tier)} {price(t.recommended.price, t.currency)}" for t in package.pricing_plan.recommendation.tiers
    )
    return [
        ("launch", f"{package.release_plan.chosen.start:%a %d %b %Y}"),
        ("promotion", f"{amount(promo.budget, promo.currency)} over {promo.weeks} weeks"),
        ("reached", f"{amount(reach.expected)} people (gross; {amount(reach.low)} – {amount(reach.high)})"),
        ("prices", prices or "no viewer price"),
        ("editor's verdict", editor_outcome(package)),
    ]


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="The run.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run's record as JSON (for scripts).")] = False,
) -> None:
    """Show one run: status, folder, files and the latest package's key numbers."""
    from greenroom.interfaces.runs import registry
    from greenroom.store.runs import UnknownRunError

    try:
        record = registry(Settings()).get(run_id)
    except UnknownRunError as exc:
        fail(str(exc))
    if as_json:
        out.print_json(record.model_dump_json(exclude={"brief"}))
        return
    status = status_words(record.status)
    rows = [
        ("status", f"{status}: {record.message}" if record.message else status),
        ("version", str(record.version)),
        ("created", f"{_when(record.created_at)} UTC"),
        ("updated", f"{_when(record.updated_at)} UTC"),
        ("folder", _folder(record.output_dir)),
    ]
    if record.output_dir and (folder := Path(record.output_dir)).is_dir():
        rows.append(("files", ", ".join(sorted(p.name for p in folder.iterdir() if p.is_file())) or "none"))
        rows += _package_lines(folder)
    out.print(f"[bold]{escape(record.title)}[/bold] (run {record.id})")
    for name, value in rows:
        out.print(f"  {name:<9} {escape(value)}", soft_wrap=False)


@runs_app.command("prune")
def runs_prune(
    older_than_days: Annotated[float | None, typer.Option(min=0, help="Retention in days (default from settings: 7).")] = None,
) -> None:
    """Cut finished runs' checkpoints down to their final state once they are older than the retention period."""
    from greenroom.interfaces.runs import prune_finished_runs

    settings = Settings()
    pruned = prune_finished_runs(settings, older_than_days=older_than_days)
    days = settings.checkpoint_retention_days if older_than_days is None else older_than_days
    console.print(f"pruned the checkpoints of {len(pruned)} finished run(s) older than {days:g} day(s)")
    for run_id in pruned:
        out.print(run_id)


def register(app: typer.Typer) -> None:
    """Add `launch`, `resume`, `revise`, `approve` and the `runs` group to the main command."""
    for command in (launch, resume, revise, approve):
        app.command()(command)
    app.add_typer(runs_app, name="runs")
