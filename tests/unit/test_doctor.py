"""`greenroom doctor`: each check says what it found, a broken part gets a plain fix, and the exit code tells."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenroom.interfaces.cli import app


@pytest.fixture
def env(cli_env: Path) -> Path:
    return cli_env


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_working_setup_passes_and_the_model_check_reports_its_speed(env: Path) -> None:
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.stdout
    model = next(line for line in result.stdout.splitlines() if "Model:" in line)
    assert model.startswith("✔") and "fake:schema-filler" in model and "tokens/s" in model
    # A fresh data folder: the catalog and the models come with the first launch, which is said, not failed.
    assert "first launch seeds" in result.stdout and "first launch trains" in result.stdout
    assert "everything greenroom needs is working" in result.stdout


def test_a_model_file_that_does_not_exist_fails_with_the_fix(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "embedded")
    monkeypatch.setenv("GREENROOM_MODEL__PATH", str(env / "no-such-model.gguf"))
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert f"✘ Model: model.path: there is no model file at {env / 'no-such-model.gguf'}" in result.stdout
    assert "fix: point GREENROOM_MODEL__PATH at a GGUF file that exists" in result.stdout
    assert "1 check failed" in result.stdout


def test_configured_services_that_do_not_answer_are_named_with_their_fix(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    monkeypatch.setenv("GREENROOM_DATABASE_URL", f"postgresql://greenroom:secret@127.0.0.1:{port}/greenroom")
    monkeypatch.setenv("GREENROOM_QUEUE__BROKER_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setenv("GREENROOM_CHROMA_URL", f"http://127.0.0.1:{port}")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    for name, fix in (("PostgreSQL", "unset GREENROOM_DATABASE_URL"), ("Queue broker", "unset GREENROOM_QUEUE__BROKER_URL"),
                      ("Chroma server", "unset GREENROOM_CHROMA_URL")):  # fmt: skip
        assert f"✘ {name}:" in result.stdout and fix in result.stdout
    assert "secret" not in result.stdout  # a password in a URL is never printed
