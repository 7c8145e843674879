"""A pool worker that loses its lease mid-run stops at its next step and leaves the run to the new holder."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from greenroom.agents.context import AgentContext
from greenroom.core.brief import load_brief
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.service import RunService
from greenroom.interfaces.settings import QueueSettings, Settings
from greenroom.models.llm import build_model
from tests.conftest import ROOT


def test_a_worker_whose_lease_is_taken_stops_between_steps_and_leaves_the_run_alone(
    tmp_path: Path, small_catalog: Any, trained_small: Any
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data", output_dir=tmp_path / "out", max_edit_rounds=1,
        model=ModelSettings(provider="fake", fake_delay_s=0.2),
        queue=QueueSettings(broker_url="redis://127.0.0.1:9/0", lease_s=0.3),  # never contacted: this service only works
    )  # fmt: skip

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), max_edit_rounds=1, catalog=small_catalog, trained=trained_small)

    service = RunService(settings, context, worker=True)
    service.start()
    brief = load_brief(ROOT / "examples" / "briefs" / "night-shift-film.yaml")
    run_id = "leased1"
    service.registry.register(run_id, brief.working_title, brief.model_dump(mode="json"), tenant="acme", approval=False)
    result: list[str | None] = []
    worker = threading.Thread(target=lambda: result.append(service.work(run_id)))
    worker.start()
    deadline = time.monotonic() + 60
    while not any(e.type == "step_finished" and e.data.get("step") == "analyst" for e in service.registry.events(run_id)):
        assert time.monotonic() < deadline and worker.is_alive()
        time.sleep(0.02)
    with service.registry._connect() as conn:  # another worker's sweep gave the run to it
        conn.execute(text("UPDATE run_jobs SET owner = 'elsewhere:1', lease_until = :t WHERE run_id = :id"),
                     {"t": time.time() + 60, "id": run_id})  # fmt: skip
    worker.join(timeout=60)

    assert result == ["lease_lost"]
    finished = [e.data["step"] for e in service.registry.events(run_id) if e.type == "step_finished"]
    assert "assemble" not in finished  # it stopped before the end
    assert service.registry.get(run_id).status == "running"  # not marked failed: the new holder reports the outcome
    assert not [e for e in service.registry.events(run_id) if e.type == "status" and e.data["status"] == "failed"]
    assert service.registry.pending_jobs() == [run_id]
    assert service.registry.start_job(run_id, "elsewhere:1", 60) is not None  # the job is still the new holder's
