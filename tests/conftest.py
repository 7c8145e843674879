"""Shared fixtures. Network is limited to loopback by pytest-socket (see pyproject addopts)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from greenroom.core.brief import Brief, load_brief
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.settings import Settings
from greenroom.models.fake_model import ScriptedChatModel
from greenroom.models.llm import ModelHandle

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "briefs").glob("*.*"))


@pytest.fixture(autouse=True)
def _small_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests that start the embedded model from the environment use the small tier, even where `make run`
    installed the capable one into the same environment."""
    monkeypatch.setenv("GREENROOM_MODEL__TIER", "small")


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of its own for a CLI run: the working directory, the data folder inside it, the fake model."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "fake")
    monkeypatch.setenv("GREENROOM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings that keep every file inside the test's folder and use the fake model."""
    return Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", model=ModelSettings(provider="fake"))  # type: ignore[call-arg]


@pytest.fixture
def film_brief() -> Brief:
    """The example feature-film brief."""
    return load_brief(ROOT / "examples" / "briefs" / "night-shift-film.yaml")


@pytest.fixture
def scripted() -> Callable[..., ModelHandle]:
    """Build a model handle whose chat model answers with the given replies in order."""

    def make(*replies: Any, finish_reason: str = "stop") -> ModelHandle:
        chat = ScriptedChatModel(
            replies=[r if isinstance(r, str) or callable(r) else json.dumps(r) for r in replies], finish_reason=finish_reason
        )
        return ModelHandle(
            chat=chat,
            label="fake:scripted",
            structured_mode="llamacpp",
            max_tokens=300,
            llamacpp_params={"max_tokens": 300, "repeat_penalty": 1.1},
        )

    return make


@pytest.fixture(scope="session")
def trained_small(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The analyst's models in their small test configuration, trained once per session."""
    from greenroom.tools.training import TrainingConfig, load_or_train

    return load_or_train(tmp_path_factory.getbasetemp() / "greenroom-data", config=TrainingConfig.small())


SMALL_CATALOG = [
    {"title": "Storm Light", "year": 2009, "genres": ["thriller", "drama"], "rotten_tomatoes": 81,
     "synopsis": "A lighthouse keeper shelters a runaway during a storm while salvagers circle a wreck."},
    {"title": "The Keeper's Daughter", "year": 1998, "genres": ["drama"], "rotten_tomatoes": 64,
     "synopsis": "A girl grows up on a lighthouse island and keeps the lamp lit.", "reviews": "A moving, beautiful film."},
    {"title": "Laser Knights", "year": 2011, "genres": ["sci-fi", "action"], "rotten_tomatoes": 30,
     "synopsis": "Knights with lasers fight robots on a space station."},
    {"title": "Pasta Love", "year": 2005, "genres": ["romance", "comedy"], "synopsis": "Two chefs fall in love in Rome."},
]  # fmt: skip


@pytest.fixture
def small_catalog() -> Any:
    """An in-memory catalog of four titles."""
    from greenroom.store.catalog import Catalog, Title

    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in SMALL_CATALOG])
    return catalog
