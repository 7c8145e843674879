"""`greenroom models ...`: train the predictive models and show how good they are.

`register(app)` adds the `models` group to the main command; other modules add
commands to the group with a `register(models_app)` of their own (`fit-promotion`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from greenroom.interfaces.settings import Settings

if TYPE_CHECKING:  # training loads scikit-learn and friends: only when a command runs
    from greenroom.tools.training import MetricRow

models_app = typer.Typer(help="Train the predictive models and show their metrics.", no_args_is_help=True)
console = Console()


@models_app.callback()
def _models() -> None:
    """Train the predictive models and show their metrics."""


def metrics_table(rows: list[MetricRow], title: str = "Metrics on data the models never saw") -> Table:
    """A rich table with each metric beside its naive baseline."""
    caption = (
        "forecasts: trained up to a year, scored on the releases after it (forward in time), against the "
        "genre-and-decade median of the same training years; recommender: leave-one-out, against the most-rated films"
    )
    table = Table(title=title, caption=caption)
    for col in ("model", "metric", "value", "baseline", "ratio", "target", "met"):
        table.add_column(col, justify="right" if col in ("value", "baseline", "ratio") else "left")
    for r in rows:
        baseline = f"{r.baseline:.4f}" if r.baseline is not None else "-"
        met = "-" if r.met is None else ("[green]yes[/green]" if r.met else "[red]no[/red]")
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else "-"
        table.add_row(r.model, r.metric, f"{r.value:.4f}", baseline, ratio, r.target, met)
    return table


@models_app.command("train")
def train(
    small: Annotated[bool, typer.Option(help="Fewer boosting rounds and factors (faster, for trying things out).")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder; defaults to the settings' data_dir.")] = None,
) -> None:
    """Fit every model on its training data, save it with its metrics, and print the metrics table."""
    from greenroom.tools.training import TrainingConfig, load_cards, metric_rows, models_dir, train_all

    settings = Settings()
    target = data_dir or settings.data_dir
    config = TrainingConfig.small() if small else TrainingConfig()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("starting", total=None)

        def progress(message: str, step: int, total: int) -> None:
            bar.update(task, description=message, completed=step, total=total)

        train_all(target, progress=progress, config=config)
    console.print(metrics_table(metric_rows(load_cards(target))))
    console.print(f"Models and metrics saved in {models_dir(target)}")


@models_app.command("metrics")
def metrics(
    data_dir: Annotated[Path | None, typer.Option(help="Data folder; defaults to the settings' data_dir.")] = None,
) -> None:
    """Print the saved models' metrics without training."""
    from greenroom.tools.training import load_cards, metric_rows, models_dir

    settings = Settings()
    target = data_dir or settings.data_dir
    cards = load_cards(target)
    if not cards:
        console.print(f"[red]No trained models in {models_dir(target)}[/red]: run `models train` first.")
        raise typer.Exit(code=1)
    console.print(metrics_table(metric_rows(cards)))


def register(app: typer.Typer) -> None:
    """Add the `models` group to the main command."""
    app.add_typer(models_app, name="models")
