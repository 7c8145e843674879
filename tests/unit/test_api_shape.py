"""The REST API as a program meets it: one error shape, request ids, Location, strict filters, one time format,
reports served by the API, and documentation pages that work offline."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from greenroom.agents.context import AgentContext
from greenroom.core.settings import ModelSettings
from greenroom.core.vocabulary import AT_REST, RUN_STATUSES
from greenroom.interfaces.api import create_app
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import build_model
from greenroom.store.catalog import Catalog, Title
from greenroom.store.keys import KeyStore
from tests.conftest import ROOT, SMALL_CATALOG

ISO_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


@dataclass
class Api:
    client: TestClient
    auth: dict[str, dict[str, str]]
    run_id: str
    submitted: Any


def _brief() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples" / "briefs" / "night-shift-film.yaml").read_text())
    return dict(json.loads(json.dumps(data, default=str)))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, trained_small: Any) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("shape")
    settings = Settings(_env_file=None, data_dir=root / "data", output_dir=root / "out", seed_catalog=False,  # type: ignore[call-arg]
                        max_edit_rounds=1, model=ModelSettings(provider="fake"))  # fmt: skip
    settings.ensure_dirs()
    keys = KeyStore(settings.data_dir / "api_keys.sqlite")
    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in SMALL_CATALOG])

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), max_edit_rounds=1, catalog=catalog, trained=trained_small)

    with TestClient(create_app(settings, context)) as client:
        auth = {name: {"Authorization": f"Bearer {keys.create(name)[1]}"} for name in ("acme", "globex")}
        submitted = client.post("/v1/briefs", json=_brief(), headers={**auth["acme"], "Idempotency-Key": "shape-1"})
        assert submitted.status_code == 202, submitted.text
        run_id = submitted.json()["run_id"]
        deadline = time.monotonic() + 180
        while client.get(f"/v1/runs/{run_id}", headers=auth["acme"]).json()["status"] not in AT_REST:
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.2)
        yield Api(client, auth, run_id, submitted)


def _is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS and body["status"] == status and body["type"] == "about:blank"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


# --- one error shape -----------------------------------------------------------


def test_every_error_status_is_problem_details(api: Api) -> None:
    client, acme, run = api.client, api.auth["acme"], api.run_id
    missing_key = _is_problem(client.get("/v1/runs"), 401)
    assert missing_key["detail"] == "missing or invalid API key" and missing_key["instance"] == "/v1/runs"
    other_tenant = _is_problem(client.get(f"/v1/runs/{run}", headers=api.auth["globex"]), 404)
    assert run in other_tenant["detail"] and other_tenant["instance"] == f"/v1/runs/{run}"
    _is_problem(client.get("/v1/nothing-here", headers=acme), 404)
    not_waiting = _is_problem(client.post(f"/v1/runs/{run}/approval", json={"action": "accept"}, headers=acme), 409)
    assert not_waiting["detail"] and not_waiting["instance"] == f"/v1/runs/{run}/approval"
    too_large = _is_problem(
        client.post("/v1/briefs", content=b" " * 300_000, headers={**acme, "Content-Type": "application/json"}), 413
    )
    assert too_large["detail"] == "request body is larger than 262144 bytes"


def test_a_bad_request_is_a_422_problem_naming_each_field_in_words(api: Api) -> None:
    bad = _is_problem(api.client.post("/v1/briefs", json={"working_title": "x", "budget": {"amount": -5}},
                                      headers=api.auth["acme"]), 422)  # fmt: skip
    fields = {e["field"]: e["message"] for e in bad["errors"]}
    assert "budget.amount" in fields and "logline" in fields, fields
    assert f"budget.amount: {fields['budget.amount']}" in bad["detail"]
    query = _is_problem(api.client.get("/v1/runs", params={"limit": 0}, headers=api.auth["acme"]), 422)
    assert query["errors"] == [{"field": "limit", "message": "must be at least 1"}]


def test_a_server_failure_is_a_generic_problem_that_leaks_nothing(api: Api, monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret table runs_v2 is corrupt at /srv/data")

    service = api.client.app.state.service  # type: ignore[attr-defined]
    monkeypatch.setattr(service.registry, "list", broken)
    with caplog.at_level(logging.INFO, logger="greenroom.api"):
        failed = _is_problem(api.client.get("/v1/runs", headers=api.auth["acme"]), 500)
    assert "secret" not in failed["detail"] and "runs_v2" not in json.dumps(failed)
    assert failed["request_id"] in caplog.text and "secret table" in caplog.text  # the operator finds it by the id


# --- request ids ---------------------------------------------------------------


def test_every_response_carries_a_request_id_that_the_log_names(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    client, acme = api.client, api.auth["acme"]
    assert re.fullmatch(r"[0-9a-f]{32}", api.submitted.headers["x-request-id"])  # 202
    with caplog.at_level(logging.INFO, logger="greenroom.api"):
        answers = {
            202: client.post("/v1/briefs", json=_brief(), headers={**acme, "Idempotency-Key": "shape-1"}),  # the same run
            200: client.get("/v1/runs", headers=acme),
            404: client.get("/v1/runs/nope", headers=acme),
            422: client.get("/v1/runs", params={"status": "finished"}, headers=acme),
        }
        echoed = client.get("/v1/runs", headers={**acme, "X-Request-ID": "order-7781.retry-2"})
        unsafe = client.get("/v1/runs", headers={**acme, "X-Request-ID": "evil\tid " + "x" * 200})
    for status, answer in answers.items():
        assert answer.status_code == status
        rid = answer.headers["x-request-id"]
        assert re.search(rf"(GET|POST) /v1/\S+ {status} \d+ ms request_id={rid}", caplog.text), caplog.text
    assert echoed.headers["x-request-id"] == "order-7781.retry-2" and "request_id=order-7781.retry-2" in caplog.text
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"]) and "evil" not in caplog.text


# --- Location, filters, times --------------------------------------------------


def test_an_accepted_run_says_where_it_lives(api: Api) -> None:
    location = api.submitted.headers["location"]
    assert location == f"/v1/runs/{api.run_id}"
    assert api.client.get(location, headers=api.auth["acme"]).json()["run_id"] == api.run_id


def test_an_unknown_status_filter_is_refused_with_the_allowed_values(api: Api) -> None:
    refused = _is_problem(api.client.get("/v1/runs", params={"status": "finished"}, headers=api.auth["acme"]), 422)
    [error] = refused["errors"]
    assert error["field"] == "status" and all(status in error["message"] for status in RUN_STATUSES), error
    done = api.client.get("/v1/runs", params={"status": "done"}, headers=api.auth["acme"]).json()["runs"]
    assert [r["run_id"] for r in done] == [api.run_id]


def test_times_are_iso_utc_in_the_run_its_package_and_its_events(api: Api) -> None:
    client, acme, run = api.client, api.auth["acme"], api.run_id
    view = client.get(f"/v1/runs/{run}", headers=acme).json()
    assert ISO_UTC.fullmatch(view["created_at"]) and ISO_UTC.fullmatch(view["updated_at"])
    package = client.get(f"/v1/runs/{run}/package.json", headers=acme).json()
    assert ISO_UTC.fullmatch(package["created_at"])
    assert all(ISO_UTC.fullmatch(step["started_at"]) for step in package["accounting"]["steps"])
    with client.stream("GET", f"/v1/runs/{run}/events", headers=acme) as stream:
        events = [json.loads(line[len("data: ") :]) for line in stream.iter_lines() if line.startswith("data: ")]
    assert events and all(ISO_UTC.fullmatch(e["at"]) for e in events)
    started = [e["started_at"] for e in events if "started_at" in e]
    assert started and all(ISO_UTC.fullmatch(s) for s in started)  # no epoch numbers beside the ISO `at`


# --- reports over the API --------------------------------------------------------


def test_the_run_view_is_small_and_links_its_reports(api: Api) -> None:
    client, acme, run = api.client, api.auth["acme"], api.run_id
    answer = client.get(f"/v1/runs/{run}", headers=acme)
    view = answer.json()
    assert len(answer.content) < 4_000 and "package" not in view
    assert view["latest"] == {"version": 1, "package": f"/v1/runs/{run}/package.json",
                              "report_html": f"/v1/runs/{run}/report.html", "report_md": f"/v1/runs/{run}/report.md"}  # fmt: skip
    assert [v["version"] for v in view["versions"]] == [1] and view["events"] == f"/v1/runs/{run}/events"
    package = client.get(view["latest"]["package"], headers=acme)
    assert package.status_code == 200 and package.json()["run_id"] == run and package.json()["version"] == 1
    html = client.get(view["versions"][0]["report_html"], headers=acme)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Night Shift" in html.text and "default-src 'none'" in html.headers["content-security-policy"]
    markdown = client.get(view["latest"]["report_md"], headers=acme)
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("#") and "Night Shift" in markdown.text


def test_reports_are_tenant_checked_and_a_missing_version_is_a_404_problem(api: Api) -> None:
    client, run = api.client, api.run_id
    for path in ("package.json", "report.html", "report.md"):
        _is_problem(client.get(f"/v1/runs/{run}/{path}", headers=api.auth["globex"]), 404)
        assert client.get(f"/v1/runs/{run}/{path}", headers=api.auth["acme"]).status_code == 200
    absent = _is_problem(client.get(f"/v1/runs/{run}/report.md", params={"version": 7}, headers=api.auth["acme"]), 404)
    assert absent["detail"] == f"run {run} has no version 7; it has version 1"


def test_a_report_is_drawn_from_the_checkpoint_when_its_files_are_not_on_this_machine(api: Api) -> None:
    service = api.client.app.state.service  # type: ignore[attr-defined]
    folder = service.settings.output_dir / api.run_id / "v1"
    moved = folder.with_name("elsewhere")
    folder.rename(moved)
    try:
        markdown = api.client.get(f"/v1/runs/{api.run_id}/report.md", params={"version": 1}, headers=api.auth["acme"])
        package = api.client.get(f"/v1/runs/{api.run_id}/package.json", headers=api.auth["acme"])
    finally:
        moved.rename(folder)
    assert markdown.status_code == 200 and "Night Shift" in markdown.text
    assert package.status_code == 200 and package.json()["version"] == 1


# --- documentation offline -------------------------------------------------------


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_documentation_pages_load_nothing_from_elsewhere(api: Api, page: str) -> None:
    html = api.client.get(page)
    assert html.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']|spec-url=["']([^"']+)["']""", html.text)
    found = [u for group in urls for u in group if u]
    assert found and not re.search(r"https?://", html.text), found
    for url in found:
        assert url.startswith("/") and api.client.get(url).status_code == 200, url
    assert any(u.endswith(".js") for u in found)
