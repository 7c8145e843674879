"""The deployment description names only real settings, with values the settings accept."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from greenroom.interfaces.settings import Settings
from tests.conftest import ROOT


def _environment() -> dict[str, str]:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    env: dict[str, str] = {}
    for service in compose["services"].values():
        env.update({k: str(v) for k, v in (service.get("environment") or {}).items() if k.startswith("GREENROOM_")})
    return env


def _field(model: type[BaseModel], path: list[str]) -> Any:
    field = model.model_fields.get(path[0])
    assert field is not None, f"no setting {path[0]!r} in {model.__name__}"
    if len(path) == 1:
        return field
    assert isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel), path
    return _field(field.annotation, path[1:])


def test_every_variable_in_the_compose_file_is_a_setting_and_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _environment()
    assert {"GREENROOM_QUEUE__BROKER_URL", "GREENROOM_DATABASE_URL", "GREENROOM_CHROMA_URL", "GREENROOM_MODEL__BASE_URL"} <= set(
        env
    )
    for name in env:
        _field(Settings, name.removeprefix("GREENROOM_").lower().split("__"))
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace("${SLACK_BOT_TOKEN}", "xoxb-1").replace("${SLACK_APP_TOKEN}", "xapp-1"))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.queue.enabled and settings.database_url.startswith("postgresql://")
    assert settings.model.provider == "openai" and settings.model.structured == "llamacpp"
    assert settings.checkpoint_location == "postgresql://greenroom:***@postgres:5432/greenroom"  # no password in messages
