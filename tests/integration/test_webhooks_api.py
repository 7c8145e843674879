"""Webhooks over the REST API on a real server: register, secret shown once, a run's event arrives signed, tenants apart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from greenroom.interfaces.settings import WebhookSettings
from tests.integration.api_helpers import Served, api_settings, thread_server
from tests.unit.test_webhooks import Receiver, verify
from tests.unit.test_webhooks import receiver as receiver  # the loopback receiver fixture


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, trained_small: Any) -> Iterator[Served]:
    from greenroom.store.catalog import Catalog, Title
    from tests.conftest import SMALL_CATALOG

    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in SMALL_CATALOG])
    root = tmp_path_factory.mktemp("hooks")
    settings = api_settings(root / "data", root / "out")
    settings.webhooks = WebhookSettings(allow_private=True, backoff_s=0.05, backoff_max_s=0.2, sweep_s=0.2)
    with thread_server(settings, catalog, trained_small, "acme", "globex") as server:
        yield server


def _brief() -> dict[str, Any]:
    from tests.integration.test_api_server import _brief as example

    return example()


def test_a_tenant_registers_a_webhook_and_hears_its_run_end(served: Served, receiver: Receiver) -> None:
    with httpx.Client(base_url=served.url, timeout=30) as client:
        assert client.get("/v1/webhooks", headers=served.auth("acme")).status_code == 404
        bad = client.put("/v1/webhooks", json={"url": "ftp://example.com/x"}, headers=served.auth("acme"))
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "url"
        unknown = client.put("/v1/webhooks", json={"url": receiver.url, "events": ["run.exploded"]}, headers=served.auth("acme"))
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "events"
        receiver.answers = [500]
        made = client.put("/v1/webhooks", json={"url": receiver.url}, headers=served.auth("acme"))
        assert made.status_code == 200, made.text
        secret = made.json()["secret"]
        assert secret.startswith("whsec_")
        shown = client.get("/v1/webhooks", headers=served.auth("acme")).json()
        assert shown["url"] == receiver.url and shown["secret"] is None  # shown once
        assert client.get("/v1/webhooks", headers=served.auth("globex")).status_code == 404

        run_id = client.post("/v1/briefs", json=_brief(), headers=served.auth("acme")).json()["run_id"]
        receiver.wait_for(2, timeout=120)  # the first post gets a 500, the second arrives
        body = json.loads(receiver.received[-1]["body"])
        assert body["type"] == "run.ended" and body["data"]["run_id"] == run_id and body["data"]["status"] == "done"
        assert all(verify(secret, p["body"], p["headers"]["Greenroom-Signature"]) for p in receiver.received)

        listed = client.get("/v1/webhooks/deliveries", params={"run_id": run_id}, headers=served.auth("acme")).json()
        (delivery,) = listed["deliveries"]
        detail = client.get(f"/v1/webhooks/deliveries/{delivery['id']}", headers=served.auth("acme")).json()
        assert [a["status_code"] for a in detail["attempt_log"]] == [500, 200]
        # Another tenant neither sees nor redelivers it.
        assert client.get(f"/v1/webhooks/deliveries/{delivery['id']}", headers=served.auth("globex")).status_code == 404
        assert (
            client.post(f"/v1/webhooks/deliveries/{delivery['id']}/redeliver", headers=served.auth("globex")).status_code == 404
        )
        again = client.post(f"/v1/webhooks/deliveries/{delivery['id']}/redeliver", headers=served.auth("acme"))
        assert again.status_code == 202
        receiver.wait_for(3)
        assert json.loads(receiver.received[-1]["body"])["id"] == delivery["id"]
        assert client.delete("/v1/webhooks", headers=served.auth("acme")).status_code == 204
        assert client.delete("/v1/webhooks", headers=served.auth("acme")).status_code == 404
