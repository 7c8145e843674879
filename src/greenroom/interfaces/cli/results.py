"""`greenroom results ...`: a running campaign's daily results in, the curves updated and the rest of the budget re-planned.

greenroom results import RUN results.csv [--tenant acme]   # rows that fail are listed by line
greenroom results update RUN [--tenant acme]               # new package version: what moved, creative winners
greenroom results simulate --week 4 --out sim-week4        # the same report for a simulated campaign
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from greenroom.interfaces.cli.common import EXIT_BAD_INPUT, column_mapping, console, fail, out
from greenroom.interfaces.settings import Settings

results_app = typer.Typer(name="results", help="After launch: import results, update the curves, re-plan the rest.",
                          no_args_is_help=True)  # fmt: skip

Tenant = Annotated[str, typer.Option(help="Whose run: results are kept per tenant.")]


def _tenant(value: str) -> str:
    from greenroom.store.viewers import check_tenant

    try:
        return check_tenant(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tenant") from exc


@results_app.command("import")
def import_(
    run: Annotated[str, typer.Argument(help="Run id whose campaign the results are for.")],
    file: Annotated[Path, typer.Argument(help="CSV or Parquet (or JSON, JSON Lines): one row per day, channel and creative.")],
    tenant: Tenant = "default",
    mapping: Annotated[str | None, typer.Option(help='JSON {our_field: their_column}, e.g. \'{"day": "Date"}\'.')] = None,
) -> None:
    """Import daily results for a run; rows that fail are listed by line, the rest stored (a repeat changes nothing)."""
    from greenroom.interfaces.results import import_run_results
    from greenroom.store.importer import ImportFileError
    from greenroom.store.runs import UnknownRunError

    settings = Settings()
    tenant = _tenant(tenant)
    try:
        report = import_run_results(settings, run, tenant, file, column_mapping(mapping))
    except UnknownRunError:
        fail(f"no run {run!r} with a package for tenant {tenant!r}")
    except ImportFileError as exc:
        fail(f"Import failed: {exc}")
    days = f", days {report.first_day} to {report.last_day} stored" if report.first_day else ""
    out.print(
        f"Read {report.rows} rows from {escape(str(file))} for run {escape(run)}: {report.added} added, "
        f"{report.updated} updated, {report.unchanged} unchanged{days}."
    )
    for error in report.errors:
        console.print(f"  [yellow]skipped[/yellow] {escape(str(error))}")
    if report.errors:
        raise typer.Exit(EXIT_BAD_INPUT)


@results_app.command("update")
def update(
    run: Annotated[str, typer.Argument(help="Run id to update from its imported results.")],
    tenant: Tenant = "default",
    new_variants: Annotated[
        bool, typer.Option("--new-variants", help="Ask the model for a new line in each stopped test's winning direction.")
    ] = False,
) -> None:
    """Update the channel curves from the results, re-plan the weeks left and write the next package version."""
    from greenroom.interfaces.cli.common import start_model
    from greenroom.interfaces.results import PlanCurvesError, update_run
    from greenroom.store.runs import UnknownRunError

    settings = Settings()
    tenant = _tenant(tenant)
    model = start_model(settings) if new_variants else None
    try:
        package, paths = update_run(settings, run, tenant, model=model)
    except UnknownRunError:
        fail(f"no run {run!r} with a package for tenant {tenant!r}")
    except PlanCurvesError as exc:
        fail(str(exc))
    assert package.results is not None
    _summary(package.results)
    out.print(f"Version {package.version} written to {escape(str(paths['results'].parent))}")


@results_app.command("simulate")
def simulate(
    week: Annotated[int, typer.Option(min=0, max=10, help="Report after this many weeks of a 10-week campaign.")] = 4,
    seed: Annotated[int, typer.Option(help="Which simulated campaign.")] = 7,
    budget: Annotated[float, typer.Option(min=10_000, help="Promotion budget (USD).")] = 3_000_000.0,
    output: Annotated[Path, typer.Option("--out", help="Folder for results.md, curves.svg and truth.md.")] = Path("sim-results"),
) -> None:
    """Run a simulated campaign (plan curves off by 0.5-2x) to a week and write its results report."""
    from greenroom.interfaces.results import save_update, simulated_truth
    from greenroom.tools.campaign_sim import run_campaign
    from greenroom.tools.promotion import load_channel_curves
    from greenroom.tools.results import update_results

    campaign, plan, rows = run_campaign(load_channel_curves(), seed, budget=budget, through_week=week)
    result = update_results(f"simulated-{seed}", plan, campaign.prior, rows, str(campaign.start), seed=seed)
    paths = save_update(result, output)
    truth = output / "truth.md"
    truth.write_text(simulated_truth(campaign, result), encoding="utf-8")
    _summary(result)
    out.print(f"Report written to {escape(str(paths['results']))} (hidden truth in {escape(str(truth))})")


def _summary(result: object) -> None:
    from greenroom.core.results import ResultsUpdate
    from greenroom.interfaces.results import results_lines

    assert isinstance(result, ResultsUpdate)
    first, *rest = results_lines(result)  # the same lines the chat and Slack reply with
    out.print(escape(first))
    for line in rest:
        out.print(f"  {escape(line)}")


def register(app: typer.Typer) -> None:
    """Add the `results` group."""
    app.add_typer(results_app, name="results")
