"""Cancelling a run over the REST API: a queued run never starts, a running one stops before its next step."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from greenroom.agents.context import AgentContext
from greenroom.core.brief import Brief
from greenroom.core.settings import ModelSettings
from greenroom.core.vocabulary import AT_REST
from greenroom.interfaces.api import create_app
from greenroom.interfaces.runs import checkpointer, graph_builder
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import build_model
from greenroom.store.keys import KeyStore
from greenroom.store.runs import RunEvent

DELAY_S = 0.3
"""Seconds the fake model waits per call: long enough to cancel a run between its steps."""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                        max_edit_rounds=1, model=ModelSettings(provider="fake", fake_delay_s=DELAY_S))  # fmt: skip
    settings.ensure_dirs()
    keys = KeyStore(settings.data_dir / "api_keys.sqlite")

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), catalog=None, trained=None)

    with TestClient(create_app(settings, context, workers=1)) as client:
        client.keys = {name: {"Authorization": f"Bearer {keys.create(name)[1]}"} for name in ("acme", "beta")}  # type: ignore[attr-defined]
        yield client


def _submit(client: Any, brief: Brief, tenant: str = "acme") -> str:
    answer = client.post("/v1/briefs", json=brief.model_dump(mode="json"), headers=client.keys[tenant])
    assert answer.status_code == 202, answer.text
    return str(answer.json()["run_id"])


def _events(client: Any, run_id: str) -> list[RunEvent]:
    return list(client.app.state.service.registry.events(run_id))


def _wait(client: Any, run_id: str, done: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = client.get(f"/v1/runs/{run_id}", headers=client.keys["acme"]).json()
        if done(view):
            return dict(view)
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not get there in {timeout} s")


def test_a_queued_run_is_cancelled_and_never_starts(client: Any, film_brief: Brief) -> None:
    first = _submit(client, film_brief)  # the one worker is busy with this one
    _wait(client, first, lambda view: view["status"] == "running")
    second = _submit(client, film_brief)
    answer = client.post(f"/v1/runs/{second}/cancel", headers=client.keys["acme"])
    assert answer.status_code == 202 and answer.json()["status"] == "cancelled", answer.text
    _wait(client, first, lambda view: view["status"] in AT_REST)
    view = client.get(f"/v1/runs/{second}", headers=client.keys["acme"]).json()
    assert view["status"] == "cancelled" and view["latest"] is None
    assert [e.type for e in _events(client, second)] == ["status", "status"]  # queued, cancelled: no step ever began
    again = client.post(f"/v1/runs/{second}/cancel", headers=client.keys["acme"])
    assert again.status_code == 409


def test_a_running_run_stops_before_its_next_step_and_makes_no_more_model_calls(client: Any, film_brief: Brief) -> None:
    run_id = _submit(client, film_brief)
    deadline = time.monotonic() + 60
    while not any(e.type == "step_finished" for e in _events(client, run_id)) and time.monotonic() < deadline:
        time.sleep(0.02)
    answer = client.post(f"/v1/runs/{run_id}/cancel", headers=client.keys["acme"])
    assert answer.status_code == 202 and answer.json()["status"] == "running", answer.text
    started_before = {e.data["step"] for e in _events(client, run_id) if e.type == "step_started"}
    view = _wait(client, run_id, lambda view: view["status"] in AT_REST)
    assert view["status"] == "cancelled" and "cancelled before the" in view["message"], view["message"]
    assert view["latest"] is None  # assembly never ran
    registry = client.app.state.service.registry  # the registry says cancelled just before the feed does
    _wait(client, run_id, lambda _: registry.last_event(run_id, "status").data["status"] == "cancelled")
    events = _events(client, run_id)
    finished = [e.data for e in events if e.type == "step_finished"]
    assert {f["step"] for f in finished} <= started_before  # only the steps already under way finished
    with checkpointer(client.app.state.service.settings) as saver:
        state = graph_builder("launch").compile(checkpointer=saver).get_state({"configurable": {"thread_id": run_id}}).values
    assert len(state.get("calls", [])) == sum(f.get("model_calls", 0) for f in finished)  # no call beyond those steps
    assert events[-1].type == "status" and events[-1].data["status"] == "cancelled"


def test_another_tenant_cannot_cancel_a_run(client: Any, film_brief: Brief) -> None:
    run_id = _submit(client, film_brief)
    answer = client.post(f"/v1/runs/{run_id}/cancel", headers=client.keys["beta"])
    assert answer.status_code == 404
    assert client.post("/v1/runs/nosuchrun/cancel", headers=client.keys["acme"]).status_code == 404
    view = _wait(client, run_id, lambda view: view["status"] in AT_REST)
    assert view["status"] != "cancelled"


def test_a_cancelled_revision_keeps_its_version_and_the_run_can_be_revised_again(client: Any, film_brief: Brief) -> None:
    run_id = _submit(client, film_brief)
    _wait(client, run_id, lambda view: view["status"] == "done", timeout=120)
    busy = _submit(client, film_brief)  # the one worker takes this one, so the revision below waits in the queue
    _wait(client, busy, lambda view: view["status"] == "running")
    revise = {"note": "", "sets": {"budget.amount": 1_500_000}}
    assert client.post(f"/v1/runs/{run_id}/revisions", json=revise, headers=client.keys["acme"]).status_code == 202
    answer = client.post(f"/v1/runs/{run_id}/cancel", headers=client.keys["acme"])
    assert answer.status_code == 202 and answer.json()["status"] == "cancelled", answer.text
    assert "version 1 is kept" in answer.json()["message"]
    _wait(client, busy, lambda view: view["status"] in AT_REST, timeout=120)
    again = client.post(f"/v1/runs/{run_id}/revisions", json=revise, headers=client.keys["acme"])
    assert again.status_code == 202, again.text
    view = _wait(client, run_id, lambda view: view["status"] == "done" and view["version"] == 2, timeout=120)
    assert [v["version"] for v in view["versions"]] == [1, 2]
