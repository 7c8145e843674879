"""The seed catalog: 17,472 films (1940-2014) from bokeh-sampledata's `movies.db`.

`movies.db` is SQLite with two tables joined on `ID`: `omdb` (title, year,
MPAA rating, genre, director, writer, cast, Metacritic, language, country,
awards) and `tomatoes` (Tomatometer `Meter`, `BoxOffice`). Data CC0, from
Wikidata. `ensure_seeded(catalog)` loads it on first use and writes only the
titles that are missing, so a second run (or a run after an interrupted one)
writes nothing that is already there. Their vectors come from the shipped file
(store/seed_vectors.py: a Chroma insert, seconds) when it verifies, and are
embedded here (minutes) when it does not.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import BaseModel, Field

from greenroom.store.catalog import Catalog, Title
from greenroom.store.seed_vectors import SEED_VECTORS_PATH, load_seed_vectors

SEED_SOURCE = "bokeh-movies"
"""`Title.source` of every seed record."""
SEED_BATCH = 256
"""Titles written per step (one progress callback per step)."""

Progress = Callable[[int, int], None]
"""Called as progress(done, total) after each batch of titles written."""

_QUERY = """
SELECT o.ID, o.imdbID, o.Title, o.Year, o.Rating, o.Genre, o.Director, o.Writer, o."Cast",
       o.Metacritic, o.Language, o.Country, o.Awards, t.Meter, t.BoxOffice
FROM omdb AS o LEFT JOIN tomatoes AS t ON t.ID = o.ID
ORDER BY o.ID
"""


class SeedError(RuntimeError):
    """The seed database is missing or not in the expected shape."""


class SeedReport(BaseModel):
    """What one seeding run did."""

    total: int = Field(..., description="Titles in the seed data.")
    added: int = Field(..., description="Titles embedded and written in this run (0 when already complete).")
    already_present: int = Field(..., description="Seed titles that were already in the catalog.")
    vectors: str = Field("", description="Where the added titles' vectors came from, and why when they were embedded here.")


def movies_db_path() -> Path:
    """Path of `movies.db` inside the installed bokeh-sampledata package."""
    try:
        version("bokeh-sampledata")
        from bokeh_sampledata.movies_data import movie_path
    except (PackageNotFoundError, ImportError) as exc:
        raise SeedError("package bokeh-sampledata is not installed; pip install bokeh-sampledata") from exc
    path = Path(movie_path)
    if not path.is_file():
        raise SeedError(f"bokeh-sampledata is installed but {path} is missing; reinstall bokeh-sampledata")
    return path


def _row_to_title(row: sqlite3.Row) -> Title:
    """One joined omdb/tomatoes row as a Title."""
    return Title(
        title=row["Title"],
        year=row["Year"],
        genres=row["Genre"] or [],
        directors=row["Director"] or [],
        writers=row["Writer"] or [],
        cast=row["Cast"] or [],
        language=row["Language"] or "",
        country=row["Country"] or "",
        awards=row["Awards"] or "",
        rotten_tomatoes=row["Meter"],
        metacritic=row["Metacritic"],
        box_office=row["BoxOffice"],
        mpaa=row["Rating"] or "",
        source=SEED_SOURCE,
        external_id=row["imdbID"] or f"omdb:{row['ID']}",
    )


def iter_seed_titles(path: Path | None = None) -> Iterator[Title]:
    """Every film in `movies.db`, in a fixed order."""
    db = path or movies_db_path()
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute(_QUERY).fetchall()
        except sqlite3.DatabaseError as exc:
            raise SeedError(f"{db} is not the expected movies database: {exc}") from exc
    for row in rows:
        yield _row_to_title(row)


def load_seed_titles(path: Path | None = None) -> list[Title]:
    """All seed films as Titles with distinct ids (the IMDb id tells same-named films apart)."""
    unique: dict[str, Title] = {}
    for title in iter_seed_titles(path):
        unique.setdefault(title.id, title)  # a repeated record keeps its first row
    return list(unique.values())


def seed_size(path: Path | None = None) -> int:
    """How many films the seed database holds (a quick count, no parsing)."""
    db = path or movies_db_path()
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM omdb").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise SeedError(f"{db} is not the expected movies database: {exc}") from exc


def ensure_seeded(
    catalog: Catalog, progress: Progress | None = None, path: Path | None = None, vectors_path: Path = SEED_VECTORS_PATH
) -> SeedReport:
    """Load the seed films into `catalog` unless they are all there; writes only the missing ones.

    The shipped vectors (`vectors_path`) are used when they match the seed data and the model;
    otherwise the missing titles are embedded here, and the report says why.
    """
    present_count = catalog.count(source=SEED_SOURCE)
    if present_count == seed_size(path):  # the quick path for every run after the first
        return SeedReport(total=present_count, added=0, already_present=present_count)
    titles = load_seed_titles(path)
    present = catalog.existing([t.id for t in titles])
    missing = [t for t in titles if t.id not in present]
    shipped = load_seed_vectors(titles, vectors_path) if missing else None
    done = 0
    if progress:
        progress(0, len(missing))
    for start in range(0, len(missing), SEED_BATCH):
        done += catalog.upsert(missing[start : start + SEED_BATCH], vectors=shipped.vectors if shipped else None)
        if progress:
            progress(done, len(missing))
    how = "" if shipped is None else shipped.reason if shipped.usable else f"embedded here: {shipped.reason}"
    return SeedReport(total=len(titles), added=done, already_present=len(present), vectors=how)
