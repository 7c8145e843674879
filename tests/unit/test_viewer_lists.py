"""Viewer lists that explain themselves, targeting normalised for activity, and `--tenant` on the commands."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from greenroom.interfaces.cli import app
from greenroom.interfaces.cli import viewers as viewers_cli
from greenroom.interfaces.cli.plan import register
from greenroom.store.catalog import Catalog, Title
from greenroom.store.viewers import ViewerStore, import_viewers
from greenroom.tools.viewers import Items, ViewerPanels, build_panel, target, title_profile, title_scores, viewer_list
from greenroom.tools.viewers.scoring import affinity
from tests.conftest import ROOT
from tests.unit.test_viewers import SCI_FI, TITLES, _rows, _write_csv

FILM = ROOT / "examples" / "briefs" / "night-shift-film.yaml"
SERIES = ROOT / "examples" / "briefs" / "orbital-series.yaml"  # sci-fi: the sci-fi fans stand out


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in TITLES])
    return catalog


@pytest.fixture
def panels(tmp_path: Path, catalog: Catalog) -> ViewerPanels:
    store = ViewerStore(tmp_path / "viewers.sqlite")
    import_viewers(_write_csv(tmp_path / "history.csv", _rows()), store, catalog, tenant="acme")
    return ViewerPanels(store, catalog)


def _starfall(panels: ViewerPanels, catalog: Catalog) -> Any:
    panel = panels.panel("acme")
    vector = catalog.embedding(["Starfall (2027), film. Genres: sci-fi, thriller. A crew wakes on a derelict ship in space."])[0]
    return panel, title_profile(panel, name="Starfall", year=2027, genres=["sci-fi", "thriller"], vector=vector)


def test_a_viewers_list_is_in_the_order_of_the_affinity_it_shows(panels: ViewerPanels, catalog: Catalog) -> None:
    panel, title = _starfall(panels, catalog)
    for user in ("rom1", "sf1", "sf4", "thin"):
        for listing in (viewer_list(panel, user, title, k=6), viewer_list(panel, user, k=6)):
            shown = [item.affinity for item in listing.items]
            assert shown == sorted(shown, reverse=True), (user, shown)
            assert [item.rank for item in listing.items] == list(range(1, len(shown) + 1))


def test_every_title_is_explained_with_the_number_the_list_shows(panels: ViewerPanels, catalog: Catalog) -> None:
    panel, title = _starfall(panels, catalog)
    listing = viewer_list(panel, "rom1", title, k=5)
    for item in listing.items:
        number = re.search(r"(\d+\.\d\d)x your average unseen title$", item.explanation)
        assert number is not None, item.explanation
        assert number.group(1) == f"{item.affinity:.2f}"
    new = next(item for item in listing.items if item.new)
    assert new.explanation.startswith(("Because you rated", "Because you watched", "Popular with viewers like you"))
    fan = viewer_list(panel, "sf1", title, k=3)
    reasons = " ".join(item.explanation for item in fan.items)
    assert any(name in reasons for name in SCI_FI)  # names titles from the fan's own history


def _activity_panel() -> Any:
    """60 heavy viewers who watch all 40 titles; 30 light sci-fi fans and 30 light romance fans with 5 titles each."""
    genres = [("Sci-Fi",) if n % 2 == 0 else ("Romance",) for n in range(40)]
    items = Items(ids=[f"t{n}" for n in range(40)], titles=[f"Title {n}" for n in range(40)], years=[2000] * 40,
                  genres=genres, vectors=np.zeros((40, 1), dtype=np.float32), has_vector=np.zeros(40, dtype=bool))  # fmt: skip
    rows: list[tuple[str, str]] = [(f"heavy{u}", f"t{n}") for u in range(60) for n in range(40)]
    rows += [(f"scifi{u}", f"t{2 * ((u + n) % 20)}") for u in range(30) for n in range(5)]
    rows += [(f"romance{u}", f"t{2 * ((u + n) % 20) + 1}") for u in range(30) for n in range(5)]
    at = 1_700_000_000.0
    events = pd.DataFrame({"user_id": [u for u, _ in rows], "title_id": [t for _, t in rows], "at": at, "weekday": 4,
                           "hour": 20, "preference": 0.9, "device": ""})  # fmt: skip
    return build_panel(events, items, kind="tenant", tenant="t", source="test", clock="UTC")


def test_targeting_compares_viewers_with_viewers_as_active_and_says_so() -> None:
    panel = _activity_panel()
    title = title_profile(panel, name="Starfall", year=2027, genres=["sci-fi"], vector=None)
    raw = affinity(title_scores(panel, title))
    assert all(str(panel.user_ids[r]).startswith("heavy") for r in np.argsort(-raw)[:10])  # unnormalised: volume wins
    result = target(panel, title, top=10)
    assert all(v.user_id.startswith("scifi") for v in result.viewers), [v.user_id for v in result.viewers]
    assert max(v.affinity for v in result.viewers) < 10
    assert any(n.startswith("normalised for activity") for n in result.notes)
    assert "viewers with about as much history" in result.method
    assert "as likely as viewers with about as much history" in result.viewers[0].explanation


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "fake")
    monkeypatch.setenv("GREENROOM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GREENROOM_SEED_CATALOG", "false")
    (tmp_path / "titles.json").write_text(json.dumps(TITLES), encoding="utf-8")
    assert CliRunner().invoke(app, ["catalog", "import", str(tmp_path / "titles.json")]).exit_code == 0
    path = _write_csv(tmp_path / "history.csv", _rows())
    assert CliRunner().invoke(app, ["viewers", "import", str(path), "--tenant", "acme"]).exit_code == 0
    return tmp_path


def test_recommend_prints_an_explanation_column_in_80_columns_and_json(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(viewers_cli, "out", Console())  # a terminal 80 columns wide
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["recommend", "--user", "rom1", "--tenant", "acme"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "affinity" in line and "title" in line)
    assert "why" in header
    assert "your average" in result.stdout
    shown = CliRunner().invoke(app, ["recommend", "--user", "rom1", "--tenant", "acme", "--json"])
    items = json.loads(shown.stdout)["items"]
    assert items and all(item["explanation"].endswith(f"{item['affinity']:.2f}x your average unseen title") for item in items)


def test_plan_with_a_tenant_sizes_push_and_email_to_its_viewers(env: Path) -> None:
    if "plan" not in {c.name for c in app.registered_commands}:
        register(app)
    extra = [{**r, "user": f"rom{n}"} for n in range(4, 14) for r in _rows() if r["user"] == "rom1"]
    import_viewers(_write_csv(env / "more.csv", extra), ViewerStore(env / "data" / "viewers.sqlite"),
                   Catalog.persistent(env / "data" / "catalog"), tenant="acme")  # fmt: skip
    plans: dict[str, set[str]] = {}
    for tenant in ("acme", "nobody"):
        result = CliRunner().invoke(app, ["plan", str(SERIES), "--tenant", tenant, "--out", str(env / tenant)])
        assert result.exit_code == 0, result.stderr
        saved = json.loads((env / tenant / "plans.json").read_text(encoding="utf-8"))
        plans[tenant] = {c["channel"] for c in saved["promotion_plan"]["allocation"]["channels"]}
    assert plans["acme"] & {"push", "email"}  # the tenant's own viewers: owned channels sized to them
    assert not plans["nobody"] & {"push", "email"}  # no imported viewers: the bundled panel, no owned channels


def test_launch_with_a_tenant_targets_that_tenants_viewers(env: Path, tmp_path_factory: pytest.TempPathFactory,
                                                           trained_small: Any) -> None:  # fmt: skip
    shutil.copytree(tmp_path_factory.getbasetemp() / "greenroom-data" / "models", env / "data" / "models")
    result = CliRunner().invoke(app, ["launch", str(FILM), "--tenant", "acme"], env={"GREENROOM_MAX_EDIT_ROUNDS": "1"})
    assert result.exit_code == 0, result.stderr
    package = json.loads(next((env / "out").rglob("package.json")).read_text(encoding="utf-8"))
    targeting = package["audience"]["targeting"]
    assert targeting["panel"]["kind"] == "tenant" and targeting["panel"]["tenant"] == "acme"
    assert {v["user_id"] for v in targeting["viewers"]} <= {"sf1", "sf2", "sf3", "sf4", "rom1", "rom2", "rom3", "thin"}
