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
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as it is installed (greenroom/ with its floors), copied so a test can break it."""
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    tree = tmp_path_factory.mktemp("tree")
    shutil.copytree(ROOT / "greenroom", tree / "greenroom", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "data", "templates"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_code_base_keeps_the_contract(tree_copy: Path) -> None:
    result = _lint_imports(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_a_tool_importing_an_interface_breaks_it(tree_copy: Path) -> None:
    module = tree_copy / "greenroom" / "tools" / "costs.py"
    original = module.read_text()
    module.write_text(original + "\nfrom greenroom.interfaces.settings import Settings  # noqa: E402\n")
    try:
        result = _lint_imports(tree_copy)
    finally:
        module.write_text(original)
    assert result.returncode != 0
    assert "greenroom.tools.costs -> greenroom.interfaces.settings" in result.stdout
