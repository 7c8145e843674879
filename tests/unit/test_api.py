from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from greenroom import BriefError, LaunchPackage, alaunch, launch
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.settings import Settings
from tests.conftest import ROOT


@pytest.fixture
def api_settings(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, trained_small: Any) -> Settings:
    shutil.copytree(tmp_path_factory.getbasetemp() / "greenroom-data" / "models", tmp_path / "data" / "models")
    return Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                    max_edit_rounds=1, model=ModelSettings(provider="fake"))  # fmt: skip


def test_launch_takes_a_path_and_returns_the_package(api_settings: Settings) -> None:
    package = launch(ROOT / "examples" / "briefs" / "orbital-series.yaml", api_settings)
    assert isinstance(package, LaunchPackage) and package.brief.working_title == "Orbital Decay"
    assert (api_settings.output_dir / package.run_id / "v1" / "package.json").exists()


def test_alaunch_takes_a_mapping(api_settings: Settings) -> None:
    data = launch(ROOT / "examples" / "briefs" / "paper-lanterns-album.json", api_settings).brief.model_dump(mode="json")
    package = asyncio.run(alaunch(data, api_settings))
    assert package.pricing_plan.recommendation.business_model.value == "transactional"


def test_a_bad_brief_raises_before_any_work(api_settings: Settings) -> None:
    with pytest.raises(BriefError, match="budget"):
        launch({"working_title": "x", "budget": {"amount": 0}}, api_settings)
    assert not (api_settings.data_dir / "runs.sqlite").exists()
