"""`greenroom viewers ...` and `greenroom recommend`: viewer histories in, who to notify and when out.

greenroom viewers import history.csv [--tenant acme]   # rows that fail are listed by line
greenroom recommend RUN_ID --top 50 [--csv audience.csv]
greenroom recommend --user 42 [RUN_ID]                  # one viewer's list, the run's title placed in it
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from greenroom.interfaces.cli.common import (
    EXIT_BAD_INPUT,
    Tenant,
    checked_tenant,
    column_mapping,
    console,
    fail,
    out,
    progress_printer,
)
from greenroom.interfaces.settings import Settings

if TYPE_CHECKING:  # the viewer engines load when a command runs, so `greenroom --help` stays quick
    from greenroom.core.viewers import TargetingList, ViewerList

viewers_app = typer.Typer(name="viewers", help="Import and inspect viewer histories, per tenant.", no_args_is_help=True)


@viewers_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, JSON, JSON Lines or Parquet file: one row per viewing event.")],
    tenant: Tenant = "default",
    mapping: Annotated[
        str | None, typer.Option(help='JSON {our_field: their_column}, e.g. \'{"user": "Member", "timestamp": "Started"}\'.')
    ] = None,
    rating_scale: Annotated[float, typer.Option(min=0.001, help="The highest rating in the file (5 for stars).")] = 5.0,
    source: Annotated[str | None, typer.Option(help="Name of the import (default: the file name without suffix).")] = None,
) -> None:
    """Import viewing events; rows that fail or name a title the catalog lacks are listed by line, the rest stored."""
    from greenroom.interfaces.runs import open_catalog
    from greenroom.interfaces.viewers import import_history
    from greenroom.store.importer import ImportFileError

    settings = Settings()
    columns = column_mapping(mapping)
    tenant = checked_tenant(tenant)
    catalog = open_catalog(settings, progress_printer())
    try:
        report = import_history(settings, file, tenant=tenant, mapping=columns, rating_scale=rating_scale, source=source,
                                catalog=catalog)  # fmt: skip
    except ImportFileError as exc:
        fail(f"Import failed: {exc}")
    out.print(
        f"Imported {report.imported} of {report.rows} rows from {escape(str(file))} for tenant {escape(tenant)}: "
        f"{report.viewers} viewers, {report.titles} titles."
    )
    for error in report.errors:
        console.print(f"  [yellow]skipped[/yellow] {escape(str(error))}")
    for row in report.unmatched:
        console.print(f"  [yellow]unmatched[/yellow] {escape(str(row))}")
    if report.errors:
        raise typer.Exit(EXIT_BAD_INPUT)


@viewers_app.command("show")
def show(tenant: Tenant = "default") -> None:
    """How many viewers, titles and events a tenant's history holds."""
    from greenroom.interfaces.viewers import viewer_store

    summary = viewer_store(Settings()).summary(checked_tenant(tenant))
    if not summary.events:
        out.print(f"Tenant {escape(summary.tenant)} has imported no viewers: recommendations use the bundled MovieLens panel.")
        return
    out.print(
        f"Tenant {escape(summary.tenant)}: {summary.viewers:,} viewers, {summary.titles:,} titles, "
        f"{summary.events:,} events from {summary.imports} import(s)."
    )


def targeting_table(targeting: TargetingList) -> Table:
    """The top of a targeting list as a rich table (every tenant string escaped)."""
    table = Table(title=f"Who to notify about {escape(targeting.title)}", caption=escape(_panel_line(targeting)))
    for name in ("#", "viewer", "affinity", "confidence", "send window", "device", "why"):
        table.add_column(name, justify="right" if name in ("#", "affinity") else "left", overflow="fold")
    for v in targeting.viewers:
        table.add_row(str(v.rank), escape(v.user_id), f"{v.affinity:.2f}x", v.confidence_label, escape(v.window.label),
                      escape(v.window.device or "-"), escape(v.explanation))  # fmt: skip
    return table


def _panel_line(targeting: TargetingList) -> str:
    panel = targeting.panel
    who = "the bundled MovieLens panel" if panel.kind == "movielens" else f"tenant {panel.tenant}'s viewers"
    return (f"{targeting.high_affinity:,} of {panel.viewers:,} viewers in {who} ({targeting.high_affinity_share:.1%}) are at "
            f"least {targeting.high_affinity_threshold:g}x as likely as the average viewer to watch it")  # fmt: skip


def list_table(listing: ViewerList) -> Table:
    """A viewer's list as a rich table, best first, each title with why it is there; fits an 80-column terminal."""
    table = Table(
        title=f"Viewer {escape(listing.user_id)}: top {len(listing.items)} of {listing.candidates:,} unseen titles",
        caption="affinity: relevance against the viewer's average unseen title",
    )
    table.add_column("#", justify="right")
    table.add_column("title", overflow="fold", ratio=2, min_width=12)
    table.add_column("affinity", justify="right", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=3, min_width=20)
    for item in listing.items:
        name = (
            escape(item.title) + (f" ({item.year})" if item.year else "") + (" [bold green]new[/bold green]" if item.new else "")
        )
        table.add_row(str(item.rank), name, f"{item.affinity:.2f}x", escape(item.explanation))
    return table


def recommend(
    run: Annotated[str | None, typer.Argument(help="Run id: its title is scored (needed unless --user is given).")] = None,
    top: Annotated[int, typer.Option(min=1, max=100_000, help="Viewers in the targeting list.")] = 20,
    user: Annotated[
        str | None, typer.Option(help="Show this viewer's list instead (with the run's title if RUN is given).")
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=100, help="Titles in a viewer's list.")] = 10,
    tenant: Tenant = "default",
    csv: Annotated[Path | None, typer.Option(help="Also write the targeting list to this CSV file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Who to notify about a run's title and when; or, with --user, one viewer's recommendations."""
    from greenroom.interfaces.runs import open_catalog
    from greenroom.interfaces.targeting import write_targeting_csv
    from greenroom.interfaces.viewers import run_targeting, user_recommendations, viewer_panels
    from greenroom.store.runs import UnknownRunError

    if run is None and user is None:
        raise typer.BadParameter("give a RUN id, --user, or both", param_hint="RUN")
    settings = Settings()
    tenant = checked_tenant(tenant)
    panels = viewer_panels(settings, open_catalog(settings, progress_printer()))
    try:
        if user is not None:
            listing = user_recommendations(settings, user, tenant, panels, run_id=run, k=k)
            _print_list(listing, as_json)
            return
        assert run is not None
        targeting = run_targeting(settings, run, tenant, panels, top=top)
    except UnknownRunError:
        fail(f"no run {run!r} with a package for tenant {tenant!r}")
    except KeyError as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
    if csv is not None:
        write_targeting_csv(targeting, csv)
        console.print(f"Targeting list written to {escape(str(csv))}")
    if as_json:
        out.print_json(targeting.model_dump_json())
        return
    out.print(targeting_table(targeting))


def _print_list(listing: ViewerList, as_json: bool) -> None:
    if as_json:
        out.print_json(listing.model_dump_json())
        return
    out.print(list_table(listing))
    w = listing.window
    device = f" on {escape(w.device)}" if w.device else ""
    out.print(f"Send window: {escape(w.label)}{device} ({w.share:.0%} of their sessions; basis: {w.basis}).")
    if listing.title is not None:
        placed = f"#{listing.new_title_rank} in the list" if listing.new_title_rank else "not in the top of the list"
        out.print(f"{escape(listing.title)}: {placed}, {listing.new_title_position} of {listing.candidates + 1:,} by relevance.")
    if listing.history:
        out.print("Recently: " + escape(", ".join(listing.history)))


def register(app: typer.Typer) -> None:
    """Add the `viewers` group and the `recommend` command."""
    app.add_typer(viewers_app, name="viewers")
    app.command("recommend")(recommend)
