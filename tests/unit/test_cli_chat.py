"""`greenroom chat` in a terminal: a brief built in conversation, launched, revised and approved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from greenroom.interfaces.cli import app
from greenroom.interfaces.runs import registry
from greenroom.interfaces.settings import Settings
from tests.unit.test_chat import FILM


@pytest.fixture
def env(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, trained_small: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(tmp_path_factory.getbasetemp() / "greenroom-data" / "models", tmp_path / "data" / "models")
    monkeypatch.chdir(tmp_path)
    for key, value in {"MODEL__PROVIDER": "fake", "DATA_DIR": str(tmp_path / "data"), "SEED_CATALOG": "false",
                       "MAX_EDIT_ROUNDS": "1"}.items():  # fmt: skip
        monkeypatch.setenv(f"GREENROOM_{key}", value)
    return tmp_path


def test_a_conversation_becomes_an_approved_revised_launch(env: Path) -> None:
    lines = [*FILM, "brief", "yes", "what if the budget were halved?", "approve", "quit"]
    result = CliRunner().invoke(app, ["chat"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    runs = registry(Settings(data_dir=env / "data")).list()  # type: ignore[call-arg]
    assert len(runs) == 1 and runs[0].status == "approved"
    folders = sorted((env / "out" / runs[0].id).iterdir())
    budgets = [json.loads((f / "package.json").read_text())["brief"]["budget"]["amount"] for f in folders]
    assert budgets[0] == 250000 and budgets[-1] == 125000
    assert "What is the working title?" in result.output
    assert "Budget: $250K" in result.output and "Release: 1 Sep 2027 – 15 Dec 2027" in result.output  # 'brief' lists it
    assert "panel" not in result.output and "is below" not in result.output  # words for a terminal
