"""Webhooks: run events queued with the status change, signed posts to a receiver on loopback, retries, redelivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from greenroom.interfaces.settings import Settings, WebhookSettings
from greenroom.interfaces.webhooks import WebhookAddressError, WebhookSender, check_address
from greenroom.store.runs import RunRegistry
from greenroom.store.webhooks import UnknownDeliveryError, WebhookStore


def verify(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    """The receiver's check, as the README gives it (written here independently of the sender's code)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 answering with the scripted status codes in turn (then 200)."""

    url: str
    answers: list[int]
    received: list[dict[str, Any]] = field(default_factory=list)

    def wait_for(self, n: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < n:
            assert time.monotonic() < deadline, f"{len(self.received)} of {n} posts arrived"
            time.sleep(0.02)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            me = box[0]
            code = me.answers.pop(0) if me.answers else 200
            me.received.append({"body": body, "headers": dict(self.headers), "answered": code})
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks", answers=[]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()


@pytest.fixture
def hook_settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out",  # type: ignore[call-arg]
                    webhooks=WebhookSettings(allow_private=True, backoff_s=0.05, backoff_max_s=0.2, max_attempts=3,
                                             timeout_s=5, sweep_s=0.2))  # fmt: skip


@pytest.fixture
def runs(hook_settings: Settings) -> RunRegistry:
    hook_settings.ensure_dirs()
    return RunRegistry(hook_settings.registry_target)


@pytest.fixture
def store(hook_settings: Settings, runs: RunRegistry) -> WebhookStore:
    return WebhookStore(hook_settings.registry_target)


@pytest.fixture
def sender(hook_settings: Settings, store: WebhookStore) -> Iterator[WebhookSender]:
    sender = WebhookSender(hook_settings, store)
    yield sender
    sender.close()


def _wait_state(store: WebhookStore, delivery_id: str, tenant: str, state: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while store.delivery(delivery_id, tenant).state != state:
        assert time.monotonic() < deadline, store.delivery(delivery_id, tenant)
        time.sleep(0.02)


# --- addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com/hook", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("http://127.0.0.1:9000/hook", "private, loopback or reserved"),
        ("http://localhost/hook", "private, loopback or reserved"),
        ("http://10.1.2.3/hook", "private, loopback or reserved"),
        ("http://169.254.169.254/latest/meta-data", "private, loopback or reserved"),
        ("http://[::1]:8080/hook", "private, loopback or reserved"),
        ("http://[::ffff:192.168.0.1]/hook", "private, loopback or reserved"),
        ("https://user:pw@93.184.216.34/hook", "no user name or password"),
    ],
)
def test_addresses_a_tenant_cannot_own_are_refused_in_words(url: str, words: str) -> None:
    with pytest.raises(WebhookAddressError, match=words):
        check_address(url)


def test_public_addresses_pass_and_the_setting_lets_loopback_through() -> None:
    assert check_address("https://93.184.216.34/hooks") == "https://93.184.216.34/hooks"
    assert check_address("http://127.0.0.1:9000/hook", allow_private=True) == "http://127.0.0.1:9000/hook"


# --- queueing ----------------------------------------------------------------------


def test_a_status_change_queues_one_event_for_the_owning_tenant_only(runs: RunRegistry, store: WebhookStore) -> None:
    _, secret = store.put("acme", "http://127.0.0.1:1/hooks", ["run.ended", "run.failed", "run.awaiting_approval"])
    assert secret and secret.startswith("whsec_")
    assert store.put("acme", "http://127.0.0.1:2/hooks", ["run.ended"])[1] is None  # the secret is shown once
    store.put("acme", "http://127.0.0.1:2/hooks", ["run.ended", "run.failed", "run.awaiting_approval"])
    runs.register("r1", "Night Shift", {}, tenant="acme", job=None)
    runs.register("r2", "Other", {}, tenant="globex", job=None)  # no webhook
    runs.update("r1", status="running")
    assert store.deliveries("acme") == []  # running is no event
    runs.update("r1", status="done", version=1)
    runs.update("r1", status="done", message="written again")  # not a new status: no second event
    runs.update("r2", status="done")
    (delivery,) = store.deliveries("acme")
    assert delivery.event == "run.ended" and delivery.state == "pending"
    assert delivery.payload["data"] == {"run_id": "r1", "title": "Night Shift", "status": "done", "message": "", "version": 1}
    assert store.deliveries("globex") == []
    with pytest.raises(UnknownDeliveryError):
        store.delivery(delivery.id, "globex")  # another tenant's delivery does not exist for it
    with pytest.raises(UnknownDeliveryError):
        store.redeliver(delivery.id, "globex")


def test_a_tenant_hears_only_the_events_it_chose(runs: RunRegistry, store: WebhookStore) -> None:
    store.put("acme", "http://127.0.0.1:1/hooks", ["run.failed"])
    runs.register("r1", "A", {}, tenant="acme", job=None)
    runs.register("r2", "B", {}, tenant="acme", job=None)
    runs.update("r1", status="done")
    runs.update("r2", status="failed", message="the model did not answer")
    assert [(d.run_id, d.event) for d in store.deliveries("acme")] == [("r2", "run.failed")]


# --- delivery ------------------------------------------------------------------------


def test_a_500_is_retried_and_each_post_is_signed(
    runs: RunRegistry, store: WebhookStore, sender: WebhookSender, receiver: Receiver
) -> None:
    _, secret = store.put("acme", receiver.url, ["run.ended", "run.failed", "run.awaiting_approval"])
    assert secret is not None
    receiver.answers = [500]
    sender.start()
    runs.register("r1", "Night Shift", {}, tenant="acme", job=None)
    runs.update("r1", status="awaiting_approval")
    receiver.wait_for(2)
    (delivery,) = store.deliveries("acme")
    _wait_state(store, delivery.id, "acme", "delivered")
    first, second = receiver.received
    assert [first["answered"], second["answered"]] == [500, 200]
    for post in (first, second):
        assert verify(secret, post["body"], post["headers"]["Greenroom-Signature"])
        assert not verify(secret + "x", post["body"], post["headers"]["Greenroom-Signature"])
        assert post["headers"]["Greenroom-Delivery"] == delivery.id
        assert post["headers"]["Greenroom-Event"] == "run.awaiting_approval"
    body = json.loads(second["body"])
    assert body["id"] == delivery.id and body["data"]["status"] == "awaiting_approval"
    log = store.attempts(delivery.id)
    assert [(a.attempt, a.status_code) for a in log] == [(1, 500), (2, 200)]
    assert log[0].error == "the receiver answered 500" and log[1].error == ""
    assert all(a.duration_ms >= 0 for a in log)


def test_deliveries_queued_while_no_sender_ran_go_out_when_one_starts(
    runs: RunRegistry, store: WebhookStore, sender: WebhookSender, receiver: Receiver
) -> None:
    store.put("acme", receiver.url, ["run.ended"])
    runs.register("r1", "A", {}, tenant="acme", job=None)
    runs.update("r1", status="done")  # e.g. a CLI run, or a server that stopped before posting
    assert receiver.received == []
    sender.start()
    receiver.wait_for(1)
    assert json.loads(receiver.received[0]["body"])["data"]["run_id"] == "r1"


def test_a_delivery_that_keeps_failing_is_marked_failed_and_can_be_redelivered(
    runs: RunRegistry, store: WebhookStore, sender: WebhookSender, receiver: Receiver
) -> None:
    _, secret = store.put("acme", receiver.url, ["run.failed"])
    receiver.answers = [503, 503, 503]
    sender.start()
    runs.register("r1", "A", {}, tenant="acme", job=None)
    runs.update("r1", status="failed", message="stopped")
    (delivery,) = store.deliveries("acme")
    _wait_state(store, delivery.id, "acme", "failed")
    assert store.delivery(delivery.id, "acme").attempts == 3
    store.redeliver(delivery.id, "acme")
    _wait_state(store, delivery.id, "acme", "delivered")
    assert [a.status_code for a in store.attempts(delivery.id)] == [503, 503, 503, 200]
    assert secret is not None and verify(
        secret, receiver.received[-1]["body"], receiver.received[-1]["headers"]["Greenroom-Signature"]
    )


def test_a_refused_address_is_not_posted_to(
    hook_settings: Settings, runs: RunRegistry, store: WebhookStore, receiver: Receiver
) -> None:
    store.put("acme", receiver.url, ["run.ended"])  # registered while loopback was allowed
    strict = WebhookSender(hook_settings.model_copy(update={"webhooks": WebhookSettings(allow_private=False)}), store)
    runs.register("r1", "A", {}, tenant="acme", job=None)
    runs.update("r1", status="done")
    (delivery,) = store.deliveries("acme")
    assert strict.deliver(delivery) is False
    strict.close()
    assert receiver.received == []
    (attempt,) = store.attempts(delivery.id)
    assert "loopback" in attempt.error and store.delivery(delivery.id, "acme").state == "failed"
