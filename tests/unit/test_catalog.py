"""The title catalog: search and filters, stable ids, seeding, imports, comparables, CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from greenroom.core.brief import Brief
from greenroom.interfaces.cli.catalog import catalog_app
from greenroom.store import seed as seed_module
from greenroom.store.catalog import Catalog, Title, title_id
from greenroom.store.importer import ImportFileError, import_file
from greenroom.store.seed import SEED_SOURCE, ensure_seeded
from greenroom.tools.comparables import find_comparables

TITLES = [
    Title(
        title="Alien",
        year=1979,
        genres="sci-fi, horror",
        directors="Ridley Scott",
        cast="Sigourney Weaver",
        rotten_tomatoes=98,
        box_office=104_931_801,
    ),
    Title(
        title="The Martian",
        year=2015,
        genres="sci-fi, adventure",
        synopsis="An astronaut stranded on Mars grows potatoes to survive.",
    ),
    Title(title="When Harry Met Sally", year=1989, genres="romance, comedy", rotten_tomatoes=92),
    Title(title="Heat", year=1995, genres="crime, thriller", synopsis="A detective hunts a crew of bank robbers in Los Angeles."),
    Title(
        title="The Lighthouse",
        year=2019,
        genres="horror, drama",
        synopsis="Two lighthouse keepers lose their minds on a storm-battered island.",
    ),
    Title(
        title="Serial",
        year=2014,
        format="podcast",
        genres="crime, documentary",
        synopsis="A reporter reinvestigates a murder case.",
    ),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    cat = Catalog.memory()
    cat.upsert(TITLES)
    return cat


def _names(hits: list) -> list[str]:
    return [h.title.title for h in hits]


# --- search and filters -------------------------------------------------------------


def test_the_nearest_title_comes_first_with_a_distance(catalog: Catalog) -> None:
    hits = catalog.similar("astronaut stuck on Mars must survive", k=3)
    assert hits[0].title.title == "The Martian"
    assert hits[0].distance < hits[1].distance <= hits[2].distance
    assert 0 < hits[0].similarity <= 1


def test_year_range_is_inclusive(catalog: Catalog) -> None:
    hits = catalog.similar("film", k=10, year_from=1979, year_to=1995)
    assert sorted(_names(hits)) == ["Alien", "Heat", "When Harry Met Sally"]


def test_genre_filter_keeps_titles_with_any_of_the_genres(catalog: Catalog) -> None:
    assert sorted(_names(catalog.similar("film", k=10, genres=["Horror"]))) == ["Alien", "The Lighthouse"]
    assert sorted(_names(catalog.similar("film", k=10, genres=["romance", "documentary"]))) == ["Serial", "When Harry Met Sally"]


def test_format_and_year_filters_combine(catalog: Catalog) -> None:
    assert _names(catalog.similar("murder", k=10, format="podcast")) == ["Serial"]
    assert _names(catalog.similar("murder", k=10, format="film", year_from=2010, genres=["crime", "horror"])) == [
        "The Lighthouse"
    ]


def test_a_filter_that_few_near_titles_pass_still_finds_the_nearest_that_do(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("greenroom.store.catalog.OVERFETCH", (1,))  # the unfiltered nearest title fails the filter
    assert _names(catalog.similar("astronaut on Mars", k=1, genres=["romance"])) == ["When Harry Met Sally"]


def test_a_reversed_year_range_is_an_error_naming_both_years(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match=r"year_to \(1990\) is before year_from \(2000\)"):
        catalog.similar("film", year_from=2000, year_to=1990)


def test_get_returns_titles_in_the_order_asked_and_skips_unknown_ids(catalog: Catalog) -> None:
    got = catalog.get([TITLES[2].id, "no-such-id", TITLES[0].id])
    assert [t.title for t in got] == ["When Harry Met Sally", "Alien"]
    assert got[1] == TITLES[0]  # every field survives the round trip


def test_documents_are_built_from_the_structured_fields_and_synopsis() -> None:
    text = TITLES[0].document()
    assert "Alien (1979)" in text and "sci-fi, horror" in text and "Ridley Scott" in text and "Sigourney Weaver" in text
    assert "potatoes" in TITLES[1].document()


# --- stable ids and idempotent upserts -----------------------------------------------


def test_ids_ignore_case_accents_and_punctuation_but_not_year_or_source() -> None:
    assert title_id("Amélie", 2001, "x") == title_id("  AMELIE! ", 2001, "x")
    assert title_id("Amélie", 2001, "x") != title_id("Amélie", 2002, "x")
    assert title_id("Amélie", 2001, "x") != title_id("Amélie", 2001, "y")


def test_upserting_again_replaces_instead_of_duplicating() -> None:
    cat = Catalog.memory()
    cat.upsert(TITLES[:3])
    cat.upsert([TITLES[0].model_copy(update={"rotten_tomatoes": 50}), *TITLES[1:3]])
    assert cat.count() == 3
    assert cat.get([TITLES[0].id])[0].rotten_tomatoes == 50


def test_a_persistent_catalog_keeps_its_titles_after_reopening(tmp_path: Path) -> None:
    Catalog.persistent(tmp_path / "cat").upsert(TITLES[:2])
    reopened = Catalog.persistent(tmp_path / "cat")
    assert reopened.count() == 2
    assert reopened.similar("Mars", k=1)[0].title.title == "The Martian"


def test_a_bad_server_url_is_rejected_before_connecting() -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        Catalog.http("localhost:8000")


# --- seeding ----------------------------------------------------------------------


def _movies_db(path: Path, rows: list[tuple]) -> Path:
    """A movies.db in bokeh-sampledata's shape holding `rows` (id, imdb, title, year, genre, meter)."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE omdb (ID INTEGER, imdbID TEXT, Title TEXT, Year INTEGER, Rating TEXT, Genre TEXT, Director TEXT, "
        'Writer TEXT, "Cast" TEXT, Metacritic INTEGER, Language TEXT, Country TEXT, Awards TEXT)'
    )
    conn.execute("CREATE TABLE tomatoes (ID INTEGER, Meter INTEGER, BoxOffice REAL)")
    for id_, imdb, title, year, genre, meter in rows:
        conn.execute(
            "INSERT INTO omdb VALUES (?, ?, ?, ?, 'PG', ?, 'A Director', '', '', NULL, 'English', 'USA', NULL)",
            (id_, imdb, title, year, genre),
        )
        conn.execute("INSERT INTO tomatoes VALUES (?, ?, NULL)", (id_, meter))
    conn.commit()
    conn.close()
    return path


SEED_ROWS = [
    (1, "tt1", "Storm Warning", 1951, "Drama, Thriller", 80),
    (2, "tt2", "Noise", 2007, "Comedy", 40),
    (3, "tt3", "Noise", 2007, "Drama", None),  # same title and year, a different film
]


def test_seeding_loads_every_film_once_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    db = _movies_db(tmp_path / "movies.db", SEED_ROWS)
    cat = Catalog.memory()
    calls: list[tuple[int, int]] = []
    first = ensure_seeded(cat, progress=lambda done, total: calls.append((done, total)), path=db)
    assert (first.added, cat.count(), cat.count(source=SEED_SOURCE)) == (3, 3, 3)
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)
    second = ensure_seeded(cat, path=db)
    assert (second.added, second.already_present, cat.count()) == (0, 3, 3)


def test_an_interrupted_seed_only_adds_what_is_missing(tmp_path: Path) -> None:
    db = _movies_db(tmp_path / "movies.db", SEED_ROWS)
    cat = Catalog.memory()
    cat.upsert(seed_module.load_seed_titles(db)[:1])
    report = ensure_seeded(cat, path=db)
    assert (report.added, report.already_present, cat.count()) == (2, 1, 3)


def test_seed_records_carry_scores_and_normalised_genres(tmp_path: Path) -> None:
    titles = seed_module.load_seed_titles(_movies_db(tmp_path / "movies.db", SEED_ROWS))
    assert titles[0].genres == ["drama", "thriller"] and titles[0].rotten_tomatoes == 80 and titles[0].mpaa == "PG"


def test_the_real_seed_database_has_the_documented_shape() -> None:
    assert seed_module.seed_size() == 17472


@pytest.mark.seed
def test_the_full_seed_loads_and_answers(tmp_path: Path) -> None:  # 5-15 minutes on 2 cores (embeds all 17,472 films)
    cat = Catalog.persistent(tmp_path / "cat")
    assert ensure_seeded(cat).added == 17472
    assert ensure_seeded(cat).added == 0
    assert all(h.title.year >= 1990 for h in cat.similar("space horror", k=5, year_from=1990))


# --- imports --------------------------------------------------------------------


CSV_TEXT = (
    "Film,Released,genres,synopsis,rotten_tomatoes\n"
    "Good One,1999,drama,A quiet story.,85%\n"
    'Multi Line,2001,comedy,"Line one\nline two",\n'
    "Bad Year,19x9,drama,,\n"
    ",2005,drama,,\n"
    "Too Fresh,2010,drama,,140\n"
    "Date Year,2011-05-21,horror,,\n"
)
MAPPING = {"title": "Film", "year": "Released"}


def test_csv_import_reports_bad_rows_by_line_and_imports_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(CSV_TEXT)
    cat = Catalog.memory()
    report = import_file(path, cat, mapping=MAPPING)
    assert report.imported == 3 and cat.count() == 3 and report.rows == 6
    assert [(e.line, e.reason.split(":")[0]) for e in report.errors] == [
        (5, "year (column 'Released')"),  # the quoted synopsis above spans lines 3-4
        (6, "title (column 'Film')"),
        (7, "rotten_tomatoes (column 'rotten_tomatoes')"),
    ]
    assert "'19x9' is not a year" in report.errors[0].reason and "missing" in report.errors[1].reason
    assert report.source == "mine"
    assert {t.year for t in cat.get([title_id("Date Year", 2011, "mine")])} == {2011}


def test_reimporting_the_same_file_updates_in_place(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(CSV_TEXT)
    cat = Catalog.memory()
    import_file(path, cat, mapping=MAPPING)
    path.write_text(CSV_TEXT.replace("A quiet story.", "A louder story."))
    import_file(path, cat, mapping=MAPPING)
    assert cat.count() == 3
    assert cat.get([title_id("Good One", 1999, "mine")])[0].synopsis == "A louder story."


def test_json_import_reports_the_line_each_bad_record_starts_on(tmp_path: Path) -> None:
    records = [{"title": "Fine", "year": 1990, "genres": ["drama"]}, {"title": "No Year"}, {"title": "Weird", "year": "soon"}]
    path = tmp_path / "titles.json"
    path.write_text(json.dumps(records, indent=2))
    report = import_file(path, Catalog.memory(), source="studio")
    lines = path.read_text().splitlines()
    assert report.imported == 1
    assert [lines[e.line - 1].strip() for e in report.errors] == ["{", "{"]
    assert [e.title for e in report.errors] == ["No Year", "Weird"]
    assert [e.line for e in report.errors] == [9, 12]


def test_json_lines_and_parquet_report_line_and_row_numbers(tmp_path: Path) -> None:
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text('{"title": "A", "year": 2000}\n{"title": "B", "year": "x"}\nnot json\n')
    report = import_file(jsonl, Catalog.memory())
    assert report.imported == 1 and [e.line for e in report.errors] == [2, 3]

    parquet = tmp_path / "t.parquet"
    pq.write_table(pa.table({"name": ["A", None, "C"], "year": [2000, 2001, None], "plot": ["x", "y", "z"]}), parquet)
    report = import_file(parquet, Catalog.memory(), mapping={"title": "name", "synopsis": "plot"})
    assert report.imported == 1 and [(e.line, e.reason.split(" ")[0]) for e in report.errors] == [(2, "title"), (3, "year")]


def test_a_file_without_the_required_columns_is_refused_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(CSV_TEXT)
    with pytest.raises(ImportFileError, match="no column for title, year; columns: Film, Released"):
        import_file(path, Catalog.memory())
    with pytest.raises(ImportFileError, match="column 'Plot' \\(mapped to synopsis\\) is not in the file"):
        import_file(path, Catalog.memory(), mapping={**MAPPING, "synopsis": "Plot"})
    with pytest.raises(ImportFileError, match="unknown field\\(s\\) rating"):
        import_file(path, Catalog.memory(), mapping={"rating": "x"})
    with pytest.raises(ImportFileError, match=r"unsupported file type \.xlsx"):
        import_file(tmp_path / "x.xlsx", Catalog.memory())


# --- comparables --------------------------------------------------------------------


def _sequel_catalog() -> Catalog:
    cat = Catalog.memory()
    sequels = [
        Title(
            title=f"Harbour Storm {n}",
            year=2000 + n,
            genres="thriller, drama",
            synopsis="A lighthouse keeper keeps the lamp burning through a storm.",
        )
        for n in range(1, 6)
    ]
    others = [
        Title(
            title="Salvage",
            year=2012,
            genres="thriller, drama, adventure",
            synopsis="A salvage crew circles a wreck offshore.",
            rotten_tomatoes=71,
        ),
        Title(
            title="Runaway",
            year=2008,
            genres="drama",
            synopsis="A runaway teenager finds a friend in an old sailor.",
            metacritic=64,
        ),
        Title(title="Sunny Side Up", year=1995, genres="comedy, romance", synopsis="Two chefs fall in love in Paris."),
    ]
    cat.upsert(sequels + others)
    return cat


def test_comparables_are_diversified_instead_of_five_sequels(film_brief: Brief) -> None:
    cat = _sequel_catalog()
    plain = find_comparables(film_brief, cat, k=3, lam=1.0)
    diverse = find_comparables(film_brief, cat, k=3)
    assert sum(c.title.startswith("Harbour Storm") for c in plain) == 3
    assert sum(c.title.startswith("Harbour Storm") for c in diverse) < 3
    assert diverse[0] == plain[0] and "Salvage" in {c.title for c in diverse}
    assert all(c.title != "Sunny Side Up" for c in diverse)


def test_each_comparable_says_why_and_carries_its_numbers(film_brief: Brief) -> None:
    comps = {c.title: c for c in find_comparables(film_brief, _sequel_catalog(), k=8)}
    salvage = comps["Salvage"]
    assert salvage.why == "shares thriller, drama; 2010s release, 15 years before this one; matching terms: salvage, crew, circle"
    assert (salvage.critic_score, salvage.critic_source) == (71, "rotten_tomatoes")
    assert (comps["Runaway"].critic_score, comps["Runaway"].critic_source) == (64, "metacritic")
    assert find_comparables(film_brief, _sequel_catalog(), k=8) == list(comps.values())  # deterministic


def test_a_film_catalog_still_answers_a_podcast_brief(film_brief: Brief) -> None:
    podcast = film_brief.model_copy(update={"format": "podcast"})
    assert len(find_comparables(podcast, _sequel_catalog(), k=2)) == 2


# --- CLI ------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENROOM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GREENROOM_CHROMA_URL", raising=False)
    db = _movies_db(tmp_path / "movies.db", SEED_ROWS)
    monkeypatch.setattr(seed_module, "movies_db_path", lambda: db)
    return tmp_path


def test_cli_search_seeds_on_first_use_and_prints_a_table(cli_env: Path) -> None:
    result = CliRunner().invoke(catalog_app, ["search", "storm at sea", "--k", "2", "--genre", "thriller"])
    assert result.exit_code == 0, result.output
    assert "Storm Warning" in result.output and "1951" in result.output and "80%" in result.output
    assert "Noise" not in result.output  # filtered out by genre
    again = CliRunner().invoke(catalog_app, ["seed"])
    assert "already seeded" in again.output


def test_cli_import_lists_skipped_rows_and_exits_non_zero(cli_env: Path) -> None:
    (cli_env / "mine.csv").write_text(CSV_TEXT)
    result = CliRunner().invoke(catalog_app, ["import", "mine.csv", "--mapping", json.dumps(MAPPING), "--source", "studio"])
    assert result.exit_code == 2
    assert "Imported 3 of 6 rows" in result.output and "line 5: year (column 'Released')" in result.output
    bad = CliRunner().invoke(catalog_app, ["import", "mine.csv", "--mapping", "{not json"])
    assert bad.exit_code != 0 and "--mapping" in bad.output


def test_cli_import_of_a_file_it_cannot_read_exits_2_naming_the_file(cli_env: Path) -> None:
    (cli_env / "notes.txt").write_text("hello")
    result = CliRunner().invoke(catalog_app, ["import", "notes.txt"])
    assert result.exit_code == 2, result.output
    assert "Import failed" in result.output and "notes.txt" in result.output
