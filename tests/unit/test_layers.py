"""The floors' import contract: imports run downhill only, and a wrong import is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as it is installed (src/greenroom/ with its floors), copied so a test can break it."""
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    tree = tmp_path_factory.mktemp("tree")
    shutil.copytree(ROOT / "src" / "greenroom", tree / "src" / "greenroom", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "data", "templates"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_code_base_keeps_the_contract(tree_copy: Path) -> None:
    result = _lint_imports(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "line", "arrow"),
    [
        ("tools/release.py", "from greenroom.interfaces.settings import Settings", "greenroom.tools.release -> greenroom.interfaces.settings"),
        ("models/costs.py", "from greenroom.tools.release import RULES_PATH", "greenroom.models.costs -> greenroom.tools.release"),
    ],
)  # fmt: skip
def test_an_upward_import_breaks_it(tree_copy: Path, module: str, line: str, arrow: str) -> None:
    path = tree_copy / "src" / "greenroom" / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # noqa: E402\n")
    try:
        result = _lint_imports(tree_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert arrow in result.stdout


def test_the_package_has_no_symlinks() -> None:
    # Checkouts without symlink support (Windows by default) and tools that do not follow links see the whole package.
    links = [p for p in (ROOT / "src" / "greenroom").rglob("*") if p.is_symlink()]
    assert links == []
