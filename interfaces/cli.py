"""The `greenroom` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from graphs.brief import BriefError, load_brief
from interfaces.settings import Settings
from tools.llm import ModelUnavailableError
from tools.structured import StructuredOutputError

EXIT_BAD_INPUT = 2
EXIT_MODEL_FAILED = 3

app = typer.Typer(help="greenroom: from a creative brief to a launch package.", no_args_is_help=True, add_completion=False)
console = Console(stderr=True)
out = Console()


def _register_subcommands() -> None:
    # Sub-apps live in their own modules; a missing optional one is not an error.
    from importlib import import_module

    for module, attr, name in (
        ("interfaces.cli_catalog", "catalog_app", "catalog"),
        ("interfaces.cli_models", "models_app", "models"),
    ):
        try:
            sub = getattr(import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        if name == "models":
            try:
                import_module("interfaces.cli_promotion").register(sub)
            except ModuleNotFoundError as exc:
                if exc.name != "interfaces.cli_promotion":
                    raise
        app.add_typer(sub, name=name)


def _load(brief_path: Path) -> Any:
    try:
        return load_brief(brief_path)
    except BriefError as exc:
        console.print(f"[red]✘[/red] {exc.source} is invalid:")
        for error in exc.errors:
            console.print(f"  [bold]{error.field}[/bold]: {error.message}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc


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
                console.print(f"  [cyan]writer[/cyan]   round {changes['round']}: draft written, {tokens} tokens in {seconds:.1f} s{repaired}")
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
        console.print(f"  the run's checkpoints are kept under {settings.checkpoint_path} (thread {run_id})")
        raise typer.Exit(EXIT_MODEL_FAILED) from exc
    except ModelUnavailableError as exc:
        console.print(f"[red]✘[/red] model unavailable: {exc}")
        raise typer.Exit(EXIT_MODEL_FAILED) from exc
    folder = output or settings.output_dir / run_id
    paths = save_write_result(result, loaded, folder)
    outcome = "approved by the editor" if result.outcome == "approved" else f"not approved after {result.rounds} rounds"
    console.print(f"[green]✔[/green] draft {outcome}")
    out.print(str(folder))
    console.print(f"  {paths['json'].name}, {paths['markdown'].name}")


def main() -> None:
    """Entry point of the `greenroom` console script."""
    _register_subcommands()
    app(prog_name="greenroom")


if __name__ == "__main__":
    sys.exit(main())
