"""The Slack bot in HTTP mode on a real API server, against a fake Slack Web API on loopback (fake model)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from greenroom.interfaces.settings import SlackSettings
from greenroom.store.runs import RunRegistry
from greenroom.store.slack_threads import SlackThreads
from tests.conftest import ROOT
from tests.integration.api_helpers import Served, api_settings, thread_server

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
BRIEF_YAML = (ROOT / "examples" / "briefs" / "night-shift-film.yaml").read_text()
FILE_PATH = "/files-pri/T1-F1/brief.yaml"


@dataclass
class FakeSlack:
    """Records every Web API call and file download; answers like Slack would."""

    url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def record(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls.append((method, args))
            self.counter += 1
            ts = f"1700000000.{self.counter:06d}"
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "greenroom"}
        if method == "files.info":
            return {"ok": True, "file": {"id": args.get("file"), "name": "brief.yaml", "size": len(BRIEF_YAML),
                                         "url_private": f"{self.url}{FILE_PATH}"}}  # fmt: skip
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": {"ts": ts, **args}}

    def of(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [args for m, args in self.calls if m == method]

    def wait_for(self, method: str, check: Callable[[dict[str, Any]], bool], timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [a for a in self.of(method) if check(a)]
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"no {method} call matched within {timeout} s; calls: {[m for m, _ in self.calls]}")


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return  # keep the test output clean

        def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == FILE_PATH:
                fake.record("file.download", {"authorization": self.headers.get("Authorization", "")})
                ok = self.headers.get("Authorization") == f"Bearer {TOKEN}"
                self._answer(200 if ok else 403, BRIEF_YAML.encode() if ok else b"forbidden", "text/yaml")
                return
            self._api(parts.path, dict(parse_qsl(parts.query)))

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            is_json = "json" in (self.headers.get("Content-Type") or "")
            args = json.loads(raw or "{}") if is_json else dict(parse_qsl(raw))
            self._api(parts.path, {**dict(parse_qsl(parts.query)), **args})

        def _api(self, path: str, args: dict[str, Any]) -> None:
            assert self.headers.get("Authorization") == f"Bearer {TOKEN}", "the bot token must be sent"
            self._answer(200, json.dumps(fake.record(path.removeprefix("/api/"), args)).encode())

    return Handler


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Bot:
    served: Served
    fake: FakeSlack
    data_dir: Path

    def post(self, body: str, content_type: str, *, ts: int | None = None, signed: bool = True) -> httpx.Response:
        timestamp = str(ts if ts is not None else int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp}
        if signed:
            digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
            headers["X-Slack-Signature"] = f"v0={digest}"
        return httpx.post(f"{self.served.url}/slack/events", content=body.encode(), headers=headers, timeout=30)

    def command(self, text: str, **kw: Any) -> httpx.Response:
        form = {"command": "/greenroom", "text": text, "team_id": "T1", "channel_id": "C1", "user_id": "U1",
                "response_url": f"{self.fake.url}/respond", "trigger_id": "1.2.3", "api_app_id": "A1"}  # fmt: skip
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict[str, Any]) -> httpx.Response:
        body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"Ev{time.monotonic_ns()}",
                "event_time": int(time.time()), "event": {"channel": "C1", "user": "U1", **event}}  # fmt: skip
        return self.post(json.dumps(body), "application/json")

    def click(self, action_id: str, run_id: str, message: dict[str, Any]) -> httpx.Response:
        payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T1"},
                   "api_app_id": "A1", "trigger_id": "1.2.3", "channel": {"id": "C1"}, "message": message,
                   "container": {"type": "message", "message_ts": message["ts"], "channel_id": "C1"},
                   "actions": [{"action_id": action_id, "block_id": "greenroom_approval", "type": "button",
                                "value": run_id, "action_ts": "1.2"}]}  # fmt: skip
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def status(self, run_id: str) -> str:
        return RunRegistry(self.data_dir / "runs.sqlite").get(run_id).status

    def wait_status(self, run_id: str, status: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.status(run_id) != status:
            assert time.monotonic() < deadline, f"run {run_id} is {self.status(run_id)}, not {status}"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, trained_small: Any, fake_slack: FakeSlack) -> Iterator[Bot]:
    from greenroom.store.catalog import Catalog, Title
    from tests.conftest import SMALL_CATALOG

    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in SMALL_CATALOG])
    root = tmp_path_factory.mktemp("slack")
    settings = api_settings(root / "data", root / "out")
    settings.slack = SlackSettings(bot_token=TOKEN, signing_secret=SECRET, api_base_url=f"{fake_slack.url}/api")  # type: ignore[arg-type]
    with thread_server(settings, catalog, trained_small) as served:
        yield Bot(served, fake_slack, root / "data")


def _package_message(fake: FakeSlack, thread_ts: str, version: int = 1) -> dict[str, Any]:
    def is_package(args: dict[str, Any]) -> bool:
        blocks = args.get("blocks") or []
        return args.get("thread_ts") == thread_ts and any(
            b["type"] == "header" and f"package v{version}" in b["text"]["text"] for b in blocks
        )

    return fake.wait_for("chat.postMessage", is_package)


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def _run_of(bot: Bot, thread_ts: str) -> str:
    link = SlackThreads(bot.data_dir / "runs.sqlite").run_for("C1", thread_ts)
    assert link is not None, f"no run linked to thread {thread_ts}"
    return link.run_id


def test_a_slash_command_brief_runs_in_its_thread_then_approve_and_a_reply_revises(bot: Bot) -> None:
    response = bot.command(BRIEF_YAML)
    assert response.status_code == 200, response.text
    bot.fake.wait_for("chat.postMessage", lambda a: "thread_ts" not in a and "sent the brief" in a.get("text", ""))
    progress = bot.fake.wait_for("chat.postMessage", lambda a: bool(a.get("thread_ts")) and "queued" in a.get("text", ""))
    thread_ts = str(progress["thread_ts"])
    run_id = _run_of(bot, thread_ts)
    message = _package_message(bot.fake, thread_ts)
    # Progress: one message in the thread, updated as steps finished.
    updates = [a["text"] for a in bot.fake.of("chat.update") if a.get("channel") == "C1"]
    assert any("draft written" in text for text in updates) and any("awaiting your approval" in text for text in updates)
    fields = " ".join(f["text"] for b in message["blocks"] if b["type"] == "section" for f in b["fields"])
    for label in ("Launch date", "Promotion budget", "People reached", "Recommended prices", "Editor"):
        assert label in fields
    assert _buttons(message) == {"greenroom_approve": run_id, "greenroom_reject": run_id}
    assert bot.status(run_id) == "awaiting_approval"

    # Approve with the button (a signed block_actions payload).
    click = bot.click("greenroom_approve", run_id, {"ts": "1700000000.999999", "thread_ts": thread_ts, **message})
    assert click.status_code == 200, click.text
    bot.wait_status(run_id, "approved")
    answered = bot.fake.wait_for("chat.update", lambda a: a.get("ts") == "1700000000.999999")
    assert "approved by <@U1>" in answered["text"] and not _buttons(answered)

    # A reply in the thread becomes a revision, with the text as its note.
    bot.fake.wait_for("chat.postMessage", lambda a: a.get("thread_ts") == thread_ts and "is approved" in a.get("text", ""))
    reply = bot.event({"type": "message", "text": "make the tagline darker", "ts": "1700000001.000001", "thread_ts": thread_ts})
    assert reply.status_code == 200, reply.text
    revised = _package_message(bot.fake, thread_ts, version=2)
    assert "make the tagline darker" in json.dumps(revised["blocks"])


def test_an_attached_brief_file_is_fetched_with_the_bot_token(bot: Bot) -> None:
    mention = {"type": "app_mention", "text": "<@UBOT> here is the brief", "ts": "1700000002.000001",
               "files": [{"id": "F1", "name": "brief.yaml"}]}  # fmt: skip
    assert bot.event(mention).status_code == 200
    message = _package_message(bot.fake, "1700000002.000001")
    assert {"file": "F1"}.items() <= bot.fake.of("files.info")[-1].items()
    assert bot.fake.of("file.download")[-1]["authorization"] == f"Bearer {TOKEN}"
    assert _buttons(message)["greenroom_approve"] == _run_of(bot, "1700000002.000001")


def test_a_bad_brief_is_answered_in_the_thread_with_every_failing_field(bot: Bot) -> None:
    bad = BRIEF_YAML.replace("amount:", "amount: 0\n  was:", 1) + "\nmystery: 1\n"
    assert bot.event({"type": "app_mention", "text": f"<@UBOT> {bad}", "ts": "1700000003.000001"}).status_code == 200
    answer = bot.fake.wait_for("chat.postMessage", lambda a: a.get("thread_ts") == "1700000003.000001")
    assert "budget.amount" in answer["text"] and "mystery" in answer["text"]
    assert SlackThreads(bot.data_dir / "runs.sqlite").run_for("C1", "1700000003.000001") is None
    # The slash command answers a bad brief at once, to its sender only.
    response = bot.command("title: x")
    assert response.status_code == 200 and "problems" in response.text and "logline" in response.text


@pytest.mark.parametrize("case", ["unsigned", "stale", "wrong secret"])
def test_unsigned_or_stale_requests_get_401_and_do_nothing(bot: Bot, case: str) -> None:
    before = len(bot.fake.calls)
    runs_before = len(RunRegistry(bot.data_dir / "runs.sqlite").list(limit=1000))
    if case == "unsigned":
        response = bot.command(BRIEF_YAML, signed=False)
    elif case == "stale":
        response = bot.command(BRIEF_YAML, ts=int(time.time()) - 600)
    else:
        body = urlencode({"command": "/greenroom", "text": BRIEF_YAML, "team_id": "T1", "channel_id": "C1"})
        ts = str(int(time.time()))
        digest = hmac.new(b"not-the-secret", f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        response = httpx.post(f"{bot.served.url}/slack/events", content=body,
                              headers={"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                                       "X-Slack-Signature": f"v0={digest}"})  # fmt: skip
    assert response.status_code == 401
    time.sleep(0.3)
    assert len(bot.fake.calls) == before
    assert len(RunRegistry(bot.data_dir / "runs.sqlite").list(limit=1000)) == runs_before
