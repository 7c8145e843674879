"""Kill a real `greenroom launch` process mid-run with SIGKILL, then `greenroom resume` it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _env(data_dir: Path, out_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENROOM_")}
    env.update({
        "GREENROOM_MODEL__PROVIDER": "fake", "GREENROOM_MODEL__FAKE_DELAY_S": "0.4",
        "GREENROOM_DATA_DIR": str(data_dir), "GREENROOM_OUTPUT_DIR": str(out_dir),
        "GREENROOM_MAX_EDIT_ROUNDS": "1", "GREENROOM_SEED_CATALOG": "false",
        "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200",
    })  # fmt: skip
    return env


def test_a_killed_launch_resumes_from_its_last_step(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, trained_small: Any
) -> None:
    data_dir = tmp_path / "data"
    # The session's small trained models (training is not what this test is about).
    shutil.copytree(tmp_path_factory.getbasetemp() / "greenroom-data" / "models", data_dir / "models")
    env = _env(data_dir, tmp_path / "out")
    brief = str(ROOT / "examples" / "briefs" / "night-shift-film.yaml")
    proc = subprocess.Popen([sys.executable, "-m", "greenroom", "launch", brief], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 240
    for line in proc.stderr:
        seen.append(line)
        if line.strip().startswith("editor"):  # the writer and editor are checkpointed; the plans are under way
            time.sleep(0.5)
            proc.send_signal(signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "".join(seen)
    proc.wait(timeout=30)
    proc.stderr.close()
    assert proc.stdout is not None
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    run_id = next(line.split()[1] for line in seen if line.startswith("run "))

    resumed = subprocess.run([sys.executable, "-m", "greenroom", "resume", run_id], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert "analyst" not in resumed.stderr and "writer" not in resumed.stderr  # no step ran twice
    folder = Path(resumed.stdout.strip().splitlines()[-1])
    package = json.loads((tmp_path / folder / "package.json").read_text())
    agents = [c["agent"] for c in package["calls"]]
    assert agents.count("analyst") == 1 and agents.count("editor") == 1 and agents.count("writer") == 3
    assert package["pricing_plan"]["recommendation"]["tiers"] and package["promotion_plan"]["allocation"]["channels"]
