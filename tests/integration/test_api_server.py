"""The REST API on a real uvicorn server (loopback, fake model): briefs, events, tenants, approval, restarts."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import ROOT
from tests.integration.api_helpers import (
    Served,
    api_settings,
    follow,
    free_port,
    process_server,
    server_env,
    thread_server,
)

BRIEFS = ROOT / "examples" / "briefs"


def _brief(name: str = "night-shift-film.yaml") -> dict[str, Any]:
    path = BRIEFS / name
    data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    return dict(json.loads(json.dumps(data, default=str)))  # YAML dates as ISO strings, as a client sends them


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, trained_small: Any) -> Iterator[Served]:
    from greenroom.store.catalog import Catalog, Title
    from tests.conftest import SMALL_CATALOG

    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in SMALL_CATALOG])
    root = tmp_path_factory.mktemp("api")
    with thread_server(api_settings(root / "data", root / "out"), catalog, trained_small, "acme", "globex") as server:
        yield server


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=30) as c:
        yield c


def _submit(client: httpx.Client, served: Served, tenant: str = "acme", brief: Any = None, **params: Any) -> str:
    response = client.post("/v1/briefs", json=brief or _brief(), headers=served.auth(tenant), params=params)
    assert response.status_code == 202, response.text
    return str(response.json()["run_id"])


def test_a_brief_runs_to_a_package_and_its_events_stream_to_the_end(client: httpx.Client, served: Served) -> None:
    run_id = _submit(client, served)
    events = follow(client, f"/v1/runs/{run_id}", served.auth("acme"))
    statuses = [e.data["status"] for e in events if e.type == "status"]
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "done"
    assert events[-1].type == "status" and [e.id for e in events] == sorted(e.id for e in events)
    started = [e.data["step"] for e in events if e.type == "step_started"]
    finished = {e.data["step"]: e.data for e in events if e.type == "step_finished"}
    assert started[:4] == ["intake", "analyst", "writer", "editor"] and {"marketer", "pricing", "assemble"} <= set(started)
    assert finished["writer"]["output_tokens"] > 0 and finished["writer"]["model_calls"] >= 1
    run = client.get(f"/v1/runs/{run_id}", headers=served.auth("acme")).json()
    package = client.get(run["latest"]["package"], headers=served.auth("acme")).json()
    assert run["status"] == "done" and package["run_id"] == run_id and package["pricing_plan"]["recommendation"]["tiers"]
    # Replay from the start and from Last-Event-ID.
    assert [e.id for e in follow(client, f"/v1/runs/{run_id}", served.auth("acme"))] == [e.id for e in events]
    tail = follow(client, f"/v1/runs/{run_id}", served.auth("acme"), last_id=events[-3].id)
    assert [e.id for e in tail] == [e.id for e in events[-2:]]


def test_a_bad_brief_gets_422_naming_every_field(client: httpx.Client, served: Served) -> None:
    bad = _brief() | {"budget": {"amount": 0, "currency": "USD"}, "genres": [], "mystery": 1}
    response = client.post("/v1/briefs", json=bad, headers=served.auth("acme"))
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert {"budget.amount", "mystery"} <= set(fields) and fields["mystery"] == "is not a known field"
    assert client.post("/v1/briefs", content=b"{nope", headers=served.auth("acme")).status_code == 422
    assert client.post("/v1/briefs", json=[1], headers=served.auth("acme")).json()["errors"][0]["field"] == "brief"
    huge = client.post("/v1/briefs", content=b"x" * 300_000, headers=served.auth("acme"))
    assert huge.status_code == 413
    assert client.get("/v1/runs", params={"limit": 0}, headers=served.auth("acme")).json()["errors"][0]["field"] == "limit"


def test_requests_without_a_valid_key_get_401(client: httpx.Client, served: Served) -> None:
    assert client.get("/v1/runs").status_code == 401
    assert client.get("/v1/runs", headers={"Authorization": "Bearer gr_000000000000_notakeyatallnotakey"}).status_code == 401
    tampered = served.keys["acme"][:-2] + ("AA" if not served.keys["acme"].endswith("AA") else "BB")
    assert client.post("/v1/briefs", json=_brief(), headers={"Authorization": f"Bearer {tampered}"}).status_code == 401


def test_a_tenant_never_sees_another_tenants_runs(client: httpx.Client, served: Served) -> None:
    run_id = _submit(client, served, "acme")
    other = served.auth("globex")
    assert client.get(f"/v1/runs/{run_id}", headers=other).status_code == 404
    assert client.get(f"/v1/runs/{run_id}/events", headers=other).status_code == 404
    assert client.post(f"/v1/runs/{run_id}/approval", json={"action": "accept"}, headers=other).status_code == 404
    assert client.post(f"/v1/runs/{run_id}/revisions", json={"note": "darker"}, headers=other).status_code == 404
    assert run_id not in {r["run_id"] for r in client.get("/v1/runs", headers=other).json()["runs"]}
    assert run_id in {r["run_id"] for r in client.get("/v1/runs", headers=served.auth("acme")).json()["runs"]}
    follow(client, f"/v1/runs/{run_id}", served.auth("acme"))


def test_a_retry_with_the_same_idempotency_key_returns_the_same_run(client: httpx.Client, served: Served) -> None:
    headers = {**served.auth("acme"), "Idempotency-Key": "order-42"}
    first = client.post("/v1/briefs", json=_brief("orbital-series.yaml"), headers=headers).json()["run_id"]
    again = client.post("/v1/briefs", json=_brief("orbital-series.yaml"), headers=headers).json()["run_id"]
    assert again == first
    assert client.post("/v1/briefs", json=_brief(), headers=headers).status_code == 409  # same key, another brief
    # Keys are per tenant: another tenant's same key is a new run.
    theirs = client.post(
        "/v1/briefs", json=_brief("orbital-series.yaml"), headers={**served.auth("globex"), "Idempotency-Key": "order-42"}
    )
    assert theirs.json()["run_id"] != first
    runs = client.get("/v1/runs", params={"limit": 200}, headers=served.auth("acme")).json()["runs"]
    assert sum(r["run_id"] == first for r in runs) == 1
    for run_id, tenant in ((first, "acme"), (theirs.json()["run_id"], "globex")):
        assert follow(client, f"/v1/runs/{run_id}", served.auth(tenant))[-1].data["status"] == "done"


def test_approval_over_http(client: httpx.Client, served: Served) -> None:
    auth = served.auth("acme")
    run_id = _submit(client, served, approval="true")
    events = follow(client, f"/v1/runs/{run_id}", auth)
    assert events[-1].data["status"] == "awaiting_approval" and events[-2].type == "approval_requested"
    run = client.get(f"/v1/runs/{run_id}", headers=auth).json()
    assert run["question"]["answers"] == ["accept", "edit", "respond", "reject"] and run["latest"]["version"] == 1
    bad_edit = client.post(
        f"/v1/runs/{run_id}/approval", json={"action": "edit", "field": "nope.nothing", "value": 1}, headers=auth
    )
    assert bad_edit.status_code == 422
    assert client.post(f"/v1/runs/{run_id}/approval", json={"action": "edit"}, headers=auth).status_code == 422
    edit = {"action": "edit", "field": "draft.hooks.taglines.0", "value": "The night never ends."}
    assert client.post(f"/v1/runs/{run_id}/approval", json=edit, headers=auth).status_code == 202
    assert client.post(f"/v1/runs/{run_id}/approval", json={"action": "accept"}, headers=auth).status_code == 409  # busy
    events = follow(client, f"/v1/runs/{run_id}", auth, last_id=events[-1].id)
    assert events[-1].data == events[-1].data | {"status": "awaiting_approval", "version": 2}
    assert client.post(f"/v1/runs/{run_id}/approval", json={"action": "accept"}, headers=auth).status_code == 202
    assert follow(client, f"/v1/runs/{run_id}", auth, last_id=events[-1].id)[-1].data["status"] == "approved"
    run = client.get(f"/v1/runs/{run_id}", headers=auth).json()
    package = client.get(run["latest"]["package"], headers=auth).json()
    assert run["status"] == "approved" and package["draft"]["hooks"]["taglines"][0] == "The night never ends."
    first = client.get(run["versions"][0]["package"], headers=auth).json()  # the version before the edit stays
    assert first["version"] == 1 and first["draft"]["hooks"]["taglines"][0] != "The night never ends."


def test_a_revision_reruns_only_what_changed(client: httpx.Client, served: Served) -> None:
    auth = served.auth("acme")
    run_id = _submit(client, served)
    last = follow(client, f"/v1/runs/{run_id}", auth)[-1]
    bad = client.post(f"/v1/runs/{run_id}/revisions", json={"sets": {"budget.amount": -5}}, headers=auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sets.budget.amount"
    assert client.post(f"/v1/runs/{run_id}/revisions", json={}, headers=auth).status_code == 422
    response = client.post(f"/v1/runs/{run_id}/revisions", json={"sets": {"budget.amount": 20000}}, headers=auth)
    assert response.status_code == 202 and response.headers["location"] == f"/v1/runs/{run_id}"
    events = follow(client, f"/v1/runs/{run_id}", auth, last_id=last.id)
    started = {e.data["step"] for e in events if e.type == "step_started"}
    assert {"marketer", "pricing", "assemble"} <= started and not started & {"writer", "editor"}  # the content stands
    assert events[-1].data["version"] == 2
    revised = client.get(f"/v1/runs/{run_id}/package.json", headers=auth).json()
    assert revised["promotion_plan"]["allocation"]["budget"] == pytest.approx(20000)
    first = client.get(f"/v1/runs/{run_id}/package.json", params={"version": 1}, headers=auth).json()
    assert first["version"] == 1 and first["promotion_plan"]["allocation"]["budget"] != pytest.approx(20000)
    markdown = client.get(f"/v1/runs/{run_id}/report.md", headers=auth)
    assert markdown.status_code == 200 and "version 2" in markdown.text


def test_catalog_search_and_import(client: httpx.Client, served: Served) -> None:
    auth = served.auth("acme")
    hits = client.get("/v1/catalog/search", params={"q": "a lighthouse in a storm", "k": 2}, headers=auth).json()["hits"]
    assert len(hits) == 2 and hits[0]["title"]["title"] in ("Storm Light", "The Keeper's Daughter")
    csv = b"title,year,genres,synopsis\nHarbour Lights,2012,drama,A harbour master's last winter.\nNo Year,,drama,x\n"
    report = client.post("/v1/catalog/import", files={"file": ("ours.csv", csv, "text/csv")}, headers=auth).json()
    assert report["imported"] == 1 and report["errors"][0]["line"] == 3
    assert report["source"] == "tenant:acme/ours"  # the importing tenant's own namespace: no other tenant sees it
    wrong = client.post("/v1/catalog/import", files={"file": ("ours.txt", b"hello", "text/plain")}, headers=auth)
    assert wrong.status_code == 422 and "unsupported file type" in wrong.json()["errors"][0]["message"]


@pytest.mark.slow
def test_a_server_killed_mid_run_continues_it_after_a_restart(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, trained_small: Any
) -> None:
    from tests.integration.api_helpers import make_keys

    data_dir = tmp_path / "data"
    shutil.copytree(tmp_path_factory.getbasetemp() / "greenroom-data" / "models", data_dir / "models")
    key = make_keys(data_dir, "acme")["acme"]
    auth = {"Authorization": f"Bearer {key}"}
    env = server_env(data_dir, tmp_path / "out", fake_delay_s=0.4)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with process_server(env, tmp_path, port) as proc, httpx.Client(base_url=url, timeout=30) as client:
        run_id = client.post("/v1/briefs", json=_brief(), headers=auth).json()["run_id"]
        before = follow(
            client, f"/v1/runs/{run_id}", auth, stop=lambda e: e.type == "step_finished" and e.data["step"] == "editor"
        )
        proc.send_signal(signal.SIGKILL)  # the writer and editor are checkpointed; the plans are under way
        proc.wait(timeout=30)
    with process_server(env, tmp_path, port), httpx.Client(base_url=url, timeout=30) as client:
        after = follow(client, f"/v1/runs/{run_id}", auth, last_id=before[-1].id)
        run = client.get(f"/v1/runs/{run_id}/package.json", headers=auth).json()
    assert after[-1].data["status"] == "done", after
    assert any(e.type == "status" and e.data["message"] == "launch started again" for e in after)
    rerun = {e.data["step"] for e in after if e.type == "step_started"}
    assert not rerun & {"intake", "analyst", "writer", "editor"}, rerun
    agents = [c["agent"] for c in run["calls"]]
    assert agents.count("analyst") == 1 and agents.count("editor") == 1
    package = run
    assert package["pricing_plan"]["recommendation"]["tiers"] and package["promotion_plan"]["allocation"]["channels"]
