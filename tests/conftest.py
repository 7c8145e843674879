"""Shared fixtures. Network is limited to loopback by pytest-socket (see pyproject addopts)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graphs.brief import Brief, load_brief
from interfaces.settings import ModelSettings, Settings
from tools.fake_model import ScriptedChatModel
from tools.llm import ModelHandle

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "briefs").glob("*.*"))


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
        chat = ScriptedChatModel(replies=[r if isinstance(r, str) or callable(r) else json.dumps(r) for r in replies], finish_reason=finish_reason)
        return ModelHandle(chat=chat, label="fake:scripted", structured_mode="llamacpp", max_tokens=300, llamacpp_params={"max_tokens": 300, "repeat_penalty": 1.1})

    return make
