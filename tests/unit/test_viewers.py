"""Viewer histories, cold-start scores, send windows and per-viewer lists, on a small catalog and history."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from greenroom import launch
from greenroom.agents.context import AgentContext
from greenroom.core.brief import load_brief
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.api import create_app
from greenroom.interfaces.cli import EXIT_BAD_INPUT, app
from greenroom.interfaces.runs import agent_context, launch_run
from greenroom.interfaces.settings import Settings
from greenroom.interfaces.targeting import targeting_csv
from greenroom.models.llm import build_model
from greenroom.store.catalog import Catalog, Title
from greenroom.store.importer import ImportFileError
from greenroom.store.keys import KeyStore
from greenroom.store.viewers import ViewerStore, import_viewers
from greenroom.tools.viewers import ViewerPanels, movielens_panel, owned_channel_curves, target, title_profile, viewer_list
from tests.conftest import ROOT

TITLES = [
    {"title": "Lost in Space", "year": 1998, "genres": ["sci-fi", "adventure"], "synopsis": "A family is lost in deep space."},
    {"title": "28 Days Later", "year": 2002, "genres": ["horror", "sci-fi"], "synopsis": "A virus empties London."},
    {"title": "Alien", "year": 1979, "genres": ["sci-fi", "horror"], "synopsis": "A crew meets a creature in space."},
    {"title": "Moon", "year": 2009, "genres": ["sci-fi", "drama"], "synopsis": "A lone worker on the moon."},
    {"title": "Notting Hill", "year": 1999, "genres": ["romance", "comedy"], "synopsis": "A bookseller meets a film star."},
    {"title": "Pretty Woman", "year": 1990, "genres": ["romance", "comedy"], "synopsis": "A businessman falls in love."},
    {"title": "Love Actually", "year": 2003, "genres": ["romance", "comedy"], "synopsis": "Love stories at Christmas."},
    {"title": "Sleepless in Seattle", "year": 1993, "genres": ["romance", "drama"], "synopsis": "A widower on the radio."},
]
SCI_FI = ["Lost in Space", "28 Days Later", "Alien", "Moon"]
ROMANCE = ["Notting Hill", "Pretty Woman", "Love Actually", "Sleepless in Seattle"]
YEARS = {t["title"]: t["year"] for t in TITLES}
FRIDAYS = [dt.datetime(2024, 5, 3) + dt.timedelta(weeks=w) for w in range(12)]  # 2024-05-03 is a Friday


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in TITLES])
    return catalog


def _rows() -> list[dict[str, Any]]:
    """Sci-fi fans who watch on Friday evenings, romance fans on weekday mornings, and one viewer with a single event."""
    rows: list[dict[str, Any]] = []
    for fan in ("sf1", "sf2", "sf3", "sf4"):
        for week, friday in enumerate(FRIDAYS):
            title = SCI_FI[week % len(SCI_FI)] if not (fan == "sf4" and week % len(SCI_FI) == 3) else ROMANCE[0]
            at = friday.replace(hour=20, minute=15)
            rows.append({"user": fan, "title": title, "year": YEARS[title], "timestamp": at.isoformat(), "rating": 5,
                         "device": "tv"})  # fmt: skip
    for fan in ("rom1", "rom2", "rom3"):
        for week, friday in enumerate(FRIDAYS):
            title = ROMANCE[week % len(ROMANCE)]
            at = (friday - dt.timedelta(days=3)).replace(hour=8)  # Tuesday mornings
            rows.append({"user": fan, "title": title, "year": YEARS[title], "timestamp": at.isoformat(), "rating": 4.5,
                         "device": "phone"})  # fmt: skip
    rows.append({"user": "thin", "title": "Alien", "year": 1979, "timestamp": "2024-05-07T09:00:00", "rating": 3})
    return rows


def _write_csv(path: Path, rows: list[dict[str, Any]], extra_lines: list[str] = ()) -> Path:  # type: ignore[assignment]
    columns = ["user", "title", "year", "timestamp", "rating", "device"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: r.get(c, "") for c in columns} for r in rows)
        for line in extra_lines:
            handle.write(line + "\n")
    return path


@pytest.fixture
def store(tmp_path: Path) -> ViewerStore:
    return ViewerStore(tmp_path / "viewers.sqlite")


@pytest.fixture
def imported(tmp_path: Path, store: ViewerStore, catalog: Catalog) -> ViewerStore:
    import_viewers(_write_csv(tmp_path / "history.csv", _rows()), store, catalog, tenant="acme")
    return store


@pytest.fixture
def panels(imported: ViewerStore, catalog: Catalog) -> ViewerPanels:
    return ViewerPanels(imported, catalog)


def _sci_fi_title(panels: ViewerPanels, catalog: Catalog, tenant: str = "acme") -> Any:
    panel = panels.panel(tenant)
    vector = catalog.embedding(["Starfall (2027), film. Genres: sci-fi, thriller. A crew wakes on a derelict ship in space."])[0]
    return panel, title_profile(panel, name="Starfall", year=2027, genres=["sci-fi", "thriller"], vector=vector)


# --- import ---------------------------------------------------------------------------


def test_import_reports_bad_and_unmatched_rows_by_line_and_stores_the_rest(
    tmp_path: Path, store: ViewerStore, catalog: Catalog
) -> None:
    bad = [
        ",Alien,1979,2024-05-03T20:00:00,5,tv",  # line 2: no user
        "u1,Alien,1979,last friday,5,tv",  # line 3
        "u1,Moon,2009,2024-05-03T20:00:00,9,tv",  # line 4: rating above the scale
        "u1,Solaris,1972,2024-05-03T20:00:00,4,tv",  # line 5: not in the catalog
        "u1,Moon,2009,2024-05-03,4,tv",  # line 6: a date without a time
        "u1,Alien,1979,1714766400,4.5,tv",  # line 7: Unix seconds are fine
    ]
    path = _write_csv(tmp_path / "history.csv", [], bad)
    report = import_viewers(path, store, catalog, tenant="acme")
    errors = {e.line: e.reason for e in report.errors}
    assert set(errors) == {2, 3, 4, 6}
    assert "user (column 'user'): missing" in errors[2]
    assert "timestamp (column 'timestamp')" in errors[3] and "last friday" in errors[3]
    assert "rating (column 'rating')" in errors[4] and "0-5" in errors[4]
    assert "no time of day" in errors[6]
    assert [(u.line, u.title) for u in report.unmatched] == [(5, "Solaris")]
    assert "no catalog title matches 'Solaris' (1972)" in report.unmatched[0].reason
    assert report.rows == 6 and report.imported == 1 and report.viewers == 1
    events = store.events("acme")
    assert len(events) == 1 and events.loc[0, "rating"] == pytest.approx(0.9)


def test_json_lines_with_watch_share_and_title_ids_import(tmp_path: Path, store: ViewerStore, catalog: Catalog) -> None:
    alien = next(t.id for t in catalog.get([t for t, _, _ in catalog.index(tenant=None)]) if t.title == "Alien")
    lines = [
        json.dumps({"viewer_id": "v1", "title_id": alien, "watched_at": "2024-05-03T20:15:00-04:00", "completion": "80%"}),
        "{not json",
        json.dumps({"viewer_id": "v1", "title_id": "nope", "watched_at": "2024-05-03T20:15:00", "completion": 0.5}),
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_viewers(path, store, catalog, tenant="acme")
    assert [e.line for e in report.errors] == [2] and "invalid JSON" in report.errors[0].reason
    assert [u.line for u in report.unmatched] == [3] and "title_id 'nope'" in report.unmatched[0].reason
    events = store.events("acme")
    assert events.loc[0, "watch_share"] == pytest.approx(0.8)
    assert (events.loc[0, "weekday"], events.loc[0, "hour"]) == (4, 20)  # the viewer's own clock: Friday 20:00


def test_tenant_b_cannot_see_tenant_a_viewers(imported: ViewerStore, panels: ViewerPanels) -> None:
    assert imported.events("other").empty and imported.summary("other").viewers == 0
    assert panels.panel("acme").info.kind == "tenant"
    other = panels.panel("other")
    assert other.info.kind == "movielens"
    with pytest.raises(KeyError, match="sf1"):
        viewer_list(other, "sf1")


# --- scores, windows, lists -----------------------------------------------------------


def test_sci_fi_fans_top_the_targeting_list_with_checkable_reasons(panels: ViewerPanels, catalog: Catalog) -> None:
    panel, title = _sci_fi_title(panels, catalog)
    result = target(panel, title, top=20)
    ranked = [v.user_id for v in result.viewers]
    assert set(ranked[:4]) == {"sf1", "sf2", "sf3", "sf4"}
    assert ranked.index("rom1") > 3
    best = result.viewers[0]
    assert best.explanation.startswith("Rated ") and "highly" in best.explanation
    assert any(name in best.explanation for name in SCI_FI)
    assert "watches sci-fi on Friday evenings" in best.explanation
    assert best.affinity > 1 > result.viewers[-1].affinity
    assert result.high_affinity == sum(v.affinity >= result.high_affinity_threshold for v in result.viewers)
    thin = next(v for v in result.viewers if v.user_id == "thin")
    assert thin.confidence_label == "low" and best.confidence > thin.confidence


def test_a_friday_evening_history_gets_a_friday_evening_window(panels: ViewerPanels, catalog: Catalog) -> None:
    panel, title = _sci_fi_title(panels, catalog)
    windows = {v.user_id: v.window for v in target(panel, title, top=20).viewers}
    assert windows["sf1"].daypart == "Friday evening" and windows["sf1"].label == "Friday 19:00-22:00"
    assert windows["sf1"].device == "tv" and windows["sf1"].sessions == 12
    assert windows["rom1"].daypart == "Tuesday morning" and windows["rom1"].device == "phone"
    assert windows["thin"].basis == "panel profile"  # one session: the panel's profile decides


def test_the_new_title_appears_in_a_viewers_list_at_its_rank(panels: ViewerPanels, catalog: Catalog) -> None:
    panel, title = _sci_fi_title(panels, catalog)
    listing = viewer_list(panel, "rom1", title, k=5)
    assert [item.rank for item in listing.items] == list(range(1, len(listing.items) + 1))
    new = [item for item in listing.items if item.new]
    assert len(new) == 1 and new[0].title == "Starfall"
    assert listing.new_title_rank == new[0].rank
    seen = set(ROMANCE)
    assert not seen & {item.title for item in listing.items if not item.new}  # only titles the viewer has not seen
    assert listing.new_title_position is not None and 1 <= listing.new_title_position <= listing.candidates + 1
    assert listing.score is not None and listing.score.user_id == "rom1"
    fan = viewer_list(panel, "sf1", title, k=5)
    assert fan.new_title_rank == 1  # everything else the fan has not seen is romance


def test_the_bundled_panel_ranks_sci_fi_viewers_for_a_sci_fi_title() -> None:
    panel = movielens_panel(None)
    sci_fi = title_profile(panel, name="Starfall", year=2027, genres=["science fiction"], vector=None)
    romance = title_profile(panel, name="Paper Hearts", year=2027, genres=["romance"], vector=None)
    share = panel.genre_share[:, panel.genre_names.index("Sci-Fi")]
    top_sci_fi = [panel.user(v.user_id) for v in target(panel, sci_fi, top=50).viewers]
    top_romance = [panel.user(v.user_id) for v in target(panel, romance, top=50).viewers]
    assert share[top_sci_fi].mean() > share[top_romance].mean()
    assert any("content similarity is left out" in n for n in target(panel, sci_fi, top=1).notes)


def test_owned_channels_are_sized_to_a_tenants_high_affinity_audience(panels: ViewerPanels, catalog: Catalog) -> None:
    panel, title = _sci_fi_title(panels, catalog)
    result = target(panel, title, top=5, threshold=1.5)
    curves = {c.name: c for c in owned_channel_curves(result)}
    assert set(curves) <= {"push", "email"} and curves
    assert all(c.top <= result.high_affinity and "owned_channels.yaml" in c.source for c in curves.values())
    bundled = target(movielens_panel(None), title_profile(movielens_panel(None), name="x", year=2027, genres=["drama"],
                                                          vector=None), top=1)  # fmt: skip
    assert owned_channel_curves(bundled) == []


def test_targeting_csv_keeps_spreadsheets_from_running_viewer_ids(tmp_path: Path, store: ViewerStore, catalog: Catalog) -> None:
    rows = [{**r, "user": '=HYPERLINK("http://x")'} if r["user"] == "sf1" else r for r in _rows()]
    import_viewers(_write_csv(tmp_path / "h.csv", rows), store, catalog, tenant="acme")
    panel, title = _sci_fi_title(ViewerPanels(store, catalog), catalog)
    text = targeting_csv(target(panel, title, top=20))
    parsed = list(csv.DictReader(text.splitlines()))
    assert parsed[0].keys() >= {"rank", "user_id", "affinity", "send_window", "explanation"}
    assert '\'=HYPERLINK("http://x")' in [r["user_id"] for r in parsed]


# --- CLI and REST ----------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "fake")
    monkeypatch.setenv("GREENROOM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GREENROOM_SEED_CATALOG", "false")
    with (tmp_path / "titles.json").open("w", encoding="utf-8") as handle:
        json.dump(TITLES, handle)
    assert CliRunner().invoke(app, ["catalog", "import", str(tmp_path / "titles.json")]).exit_code == 0
    return tmp_path


def test_cli_import_lists_bad_rows_by_line_then_recommends_for_a_viewer(env: Path) -> None:
    path = _write_csv(env / "history.csv", _rows(), ["sf1,Alien,1979,not a time,5,tv"])
    bad_line = len(_rows()) + 2
    result = CliRunner().invoke(app, ["viewers", "import", str(path), "--tenant", "acme"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"line {bad_line}: timestamp (column 'timestamp')" in " ".join(result.stderr.split())
    assert "for tenant acme: 8 viewers" in " ".join(result.stdout.split())
    shown = CliRunner().invoke(app, ["recommend", "--user", "rom1", "--tenant", "acme", "--json"])
    assert shown.exit_code == 0, shown.stderr
    listing = json.loads(shown.stdout)
    assert listing["window"]["daypart"] == "Tuesday morning" and listing["items"]
    missing = CliRunner().invoke(app, ["recommend", "--user", "rom1", "--tenant", "other"])
    assert missing.exit_code == EXIT_BAD_INPUT and "no viewer 'rom1'" in missing.stderr


def test_rest_api_keeps_each_tenants_viewers_to_itself(tmp_path: Path, catalog: Catalog) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                        model=ModelSettings(provider="fake"))  # fmt: skip
    settings.ensure_dirs()
    keys = KeyStore(settings.data_dir / "api_keys.sqlite")
    a, b = keys.create("acme")[1], keys.create("beta")[1]
    path = _write_csv(tmp_path / "history.csv", _rows(), ["sf1,Alien,1979,soon,5,tv"])

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), catalog=catalog, trained=None)

    with TestClient(create_app(settings, context)) as client:
        with path.open("rb") as handle:
            answer = client.post("/v1/viewers/import", headers={"Authorization": f"Bearer {a}"},
                                 files={"file": ("history.csv", handle, "text/csv")})  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert answer.json()["imported"] == len(_rows()) and answer.json()["errors"][0]["line"] == len(_rows()) + 2
        mine = client.get("/v1/viewers/sf1/recommendations", headers={"Authorization": f"Bearer {a}"})
        assert mine.status_code == 200 and mine.json()["window"]["daypart"] == "Friday evening"
        theirs = client.get("/v1/viewers/sf1/recommendations", headers={"Authorization": f"Bearer {b}"})
        assert theirs.status_code == 404
        assert client.get("/v1/runs/nope/targeting", headers={"Authorization": f"Bearer {a}"}).status_code == 404


# --- a launch ----------------------------------------------------------------------------


@pytest.fixture
def launch_settings(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, trained_small: Any) -> Settings:
    shutil.copytree(tmp_path_factory.getbasetemp() / "greenroom-data" / "models", tmp_path / "data" / "models")
    return Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                    max_edit_rounds=1, model=ModelSettings(provider="fake"))  # fmt: skip


def test_a_launch_writes_its_targeting_list_beside_the_package_and_reports_it(launch_settings: Settings) -> None:
    package = launch(ROOT / "examples" / "briefs" / "night-shift-film.yaml", launch_settings)
    targeting = package.audience.targeting
    assert targeting is not None and targeting.panel.kind == "movielens" and len(targeting.viewers) == 100
    folder = launch_settings.output_dir / package.run_id / "v1"
    rows = list(csv.DictReader((folder / "targeting.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 100 and rows[0]["user_id"] == targeting.viewers[0].user_id
    assert rows[0]["send_window"] == targeting.viewers[0].window.label
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "### Who to notify, and when" in markdown
    assert f"| 1 | {targeting.viewers[0].user_id} |" in markdown and f"**{targeting.high_affinity:,} viewers**" in markdown
    assert 'id="chart-send-windows"' in (folder / "report.html").read_text(encoding="utf-8")
    assert not {c.channel for c in package.promotion_plan.allocation.channels} & {"push", "email"}


def test_a_tenants_launch_targets_its_own_viewers_and_sizes_push_and_email(launch_settings: Settings, tmp_path: Path) -> None:
    catalog = Catalog.persistent(launch_settings.data_dir / "catalog")
    catalog.upsert([Title(source="test", **row) for row in TITLES])
    extra = [{**r, "user": f"rom{n}"} for n in range(4, 14) for r in _rows() if r["user"] == "rom1"]
    hostile = [{**r, "user": "<b>x</b>"} for r in _rows() if r["user"] == "sf1"]  # a viewer id that is markup
    rows = [*_rows(), *extra, *hostile]
    import_viewers(_write_csv(tmp_path / "h.csv", rows), ViewerStore(launch_settings.data_dir / "viewers.sqlite"), catalog,
                   tenant="acme")  # fmt: skip
    outcome = launch_run(load_brief(ROOT / "examples" / "briefs" / "orbital-series.yaml"), launch_settings,
                         agent_context(launch_settings), tenant="acme")  # fmt: skip
    targeting = outcome.package.audience.targeting
    assert targeting.panel.kind == "tenant" and targeting.panel.viewers == 19
    assert {v.user_id for v in targeting.viewers[:5]} == {"sf1", "sf2", "sf3", "sf4", "<b>x</b>"}
    assert targeting.high_affinity >= 3
    channels = {c.channel: c for c in outcome.package.promotion_plan.allocation.channels}
    assert "push" in channels and channels["push"].expected_reach <= targeting.high_affinity * 10  # ten weeks at most
    assert any("high-affinity viewers" in a for a in outcome.package.promotion_plan.added_assumptions)
    assert outcome.output_dir is not None
    markdown = (outcome.output_dir / "report.md").read_text(encoding="utf-8")
    html = (outcome.output_dir / "report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;x&lt;/b&gt;" in markdown and "<b>x</b>" not in markdown
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_a_file_that_is_not_text_is_refused_whole(tmp_path: Path, store: ViewerStore, catalog: Catalog) -> None:
    path = tmp_path / "history.csv"
    path.write_bytes(b"user,title,timestamp\n\xff\xfe\x00garbage\n")
    with pytest.raises(ImportFileError, match="UTF-8"):
        import_viewers(path, store, catalog, tenant="acme")
    assert store.events("acme").empty
