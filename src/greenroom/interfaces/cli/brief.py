"""`greenroom validate|write|analyse BRIEF`: check a brief, or run one part of the flow on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from greenroom.interfaces.cli.common import EXIT_MODEL_FAILED, console, fail_model, load, out, progress_printer
from greenroom.interfaces.settings import Settings


def validate(brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")]) -> None:
    """Check a brief and print it normalised."""
    loaded = load(brief)
    console.print(f"[green]✔[/green] {brief} is a valid {loaded.format.value} brief.")
    out.print_json(loaded.model_dump_json())


def write(
    brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the draft (default: out/<run id>).")] = None,
    rounds: Annotated[int | None, typer.Option(help="Writer/editor rounds at most (default from settings: 2).")] = None,
) -> None:
    """Write the content for a brief: the writer drafts, the editor reviews, up to N rounds."""
    from greenroom.interfaces.runs import model_for, new_run_id, run_write, save_write_result
    from greenroom.models.llm import ModelUnavailableError
    from greenroom.models.structured import StructuredOutputError

    loaded = load(brief)
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
        fail_model(exc)
    folder = output or settings.output_dir / run_id
    paths = save_write_result(result, loaded, folder)
    outcome = "approved by the editor" if result.outcome == "approved" else f"not approved after {result.rounds} rounds"
    console.print(f"[green]✔[/green] draft {outcome}")
    out.print(str(folder))
    console.print(f"  {paths['json'].name}, {paths['markdown'].name}")


def analyse(
    brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the report (default: out/<run id>).")] = None,
) -> None:
    """The analyst's report: comparables, audience forecast, segments, reception and caveats."""
    from greenroom.interfaces.runs import agent_context, new_run_id, run_analysis, save_audience_report
    from greenroom.models.llm import ModelUnavailableError

    loaded = load(brief)
    settings = Settings()
    run_id = new_run_id()
    try:
        context = agent_context(settings, progress=progress_printer())
        with console.status("analyst: comparables, forecast, segments…"):
            run_id, report, calls = run_analysis(loaded, settings, context, run_id=run_id)
    except ModelUnavailableError as exc:
        fail_model(exc)
    folder = output or settings.output_dir / run_id
    save_audience_report(report, loaded, calls, folder)
    console.print(f"[green]✔[/green] {report.headline}")
    for caveat in report.caveats[:4]:
        console.print(f"  [yellow]![/yellow] {caveat}")
    out.print(str(folder))


def register(app: typer.Typer) -> None:
    """Add `validate`, `write` and `analyse` to the main command."""
    for command in (validate, write, analyse):
        app.command()(command)
