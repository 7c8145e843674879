"""`greenroom catalog ...`: seed, import into and search the title catalog."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from greenroom.core.brief import Format
from greenroom.interfaces.cli.common import column_mapping, fail
from greenroom.interfaces.settings import Settings

if TYPE_CHECKING:  # the catalog's engines load when a command runs, so `greenroom --help` stays quick
    from greenroom.store.catalog import Catalog
    from greenroom.store.seed import SeedReport

catalog_app = typer.Typer(name="catalog", help="Seed, import into and search the title catalog.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def open_catalog(settings: Settings) -> Catalog:
    """The catalog the settings point at: a Chroma server when chroma_url is set, else data_dir/catalog."""
    from greenroom.store.catalog import Catalog

    return Catalog.open(settings.data_dir / "catalog", url=settings.chroma_url)


@contextmanager
def _seed_progress() -> Iterator[Progress]:
    columns = (TextColumn("[bold]Seeding catalog"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=False) as progress:
        yield progress


def seed_with_progress(catalog: Catalog) -> SeedReport:
    """ensure_seeded with a rich progress bar (shown only when there is something to add)."""
    from greenroom.store.seed import ensure_seeded

    with _seed_progress() as progress:
        task = progress.add_task("seed", total=None, visible=False)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, visible=total > 0)

        return ensure_seeded(catalog, progress=update)


@catalog_app.command("seed")
def seed() -> None:
    """Load the bundled film catalog (17,472 films, 1940-2014); does nothing when it is already loaded."""
    catalog = open_catalog(Settings())
    report = seed_with_progress(catalog)
    if report.added:
        console.print(
            f"Added {report.added} titles ({report.already_present} were already there); catalog holds {catalog.count()}."
        )
        console.print(f"Vectors: {report.vectors}.")
    else:
        console.print(f"Catalog already seeded: all {report.total} seed titles present; catalog holds {catalog.count()}.")


@catalog_app.command("build-vectors")
def build_vectors() -> None:
    """Embed the bundled films with the pinned model and write the vectors file that seeding uses (minutes)."""
    from greenroom.store.seed import load_seed_titles
    from greenroom.store.seed_vectors import build_seed_vectors

    titles = load_seed_titles()
    console.print(f"Embedding {len(titles)} seed titles (a few minutes on two cores)...")
    started = time.perf_counter()
    written = build_seed_vectors(titles)
    console.print(
        f"Wrote {written.rows} vectors to {written.path} ({written.bytes / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s; "
        f"cosine to the unrounded vectors: lowest {written.min_cosine:.5f}, mean {written.mean_cosine:.5f}."
    )


@catalog_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, JSON, JSON Lines or Parquet file of titles.")],
    mapping: Annotated[
        str | None, typer.Option(help='JSON {our_field: their_column}, e.g. \'{"title": "Film", "year": "Released"}\'.')
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Source name stored on the titles (default: the file name without suffix).")
    ] = None,
) -> None:
    """Import titles from a file; rows that fail are listed by line and the rest are imported."""
    columns = column_mapping(mapping)
    from greenroom.store.importer import ImportFileError, import_file

    catalog = open_catalog(Settings())
    try:
        report = import_file(file, catalog, mapping=columns, source=source)
    except ImportFileError as exc:  # an unreadable file is bad input, like a bad row: exit code 2
        fail(f"Import failed: {exc}")
    console.print(f"Imported {report.imported} of {report.rows} rows from {file} as source {report.source!r}.")
    for error in report.errors:
        err_console.print(f"  [yellow]skipped[/yellow] {error}")
    if report.errors:
        raise typer.Exit(2)


@catalog_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in words.")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=200, help="How many titles to show.")] = 10,
    year_from: Annotated[int | None, typer.Option(help="Earliest release year.")] = None,
    year_to: Annotated[int | None, typer.Option(help="Latest release year.")] = None,
    genre: Annotated[list[str] | None, typer.Option(help="Genre to keep (repeat for any of several).")] = None,
    format: Annotated[Format | None, typer.Option(help="Keep only this format.")] = None,
) -> None:
    """Find titles similar to QUERY; seeds the catalog first when it is empty of seed titles."""
    if year_from is not None and year_to is not None and year_to < year_from:
        raise typer.BadParameter(f"{year_to} is before --year-from {year_from}", param_hint="--year-to")
    catalog = open_catalog(Settings())
    seed_with_progress(catalog)
    hits = catalog.similar(query, k=k, year_from=year_from, year_to=year_to, genres=genre or [], format=format)
    if not hits:
        console.print("No titles match those filters.")
        return
    table = Table(title=f"Titles like {query!r}")
    for name, justify in (
        ("#", "right"),
        ("Title", "left"),
        ("Year", "right"),
        ("Genres", "left"),
        ("Similarity", "right"),
        ("RT", "right"),
        ("Box office", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for rank, hit in enumerate(hits, start=1):
        t = hit.title
        table.add_row(
            str(rank),
            t.title,
            str(t.year),
            ", ".join(t.genres),
            f"{hit.similarity:.3f}",
            "" if t.rotten_tomatoes is None else f"{t.rotten_tomatoes}%",
            "" if t.box_office is None else f"${t.box_office:,.0f}",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `catalog` group to the main command."""
    app.add_typer(catalog_app, name="catalog")
