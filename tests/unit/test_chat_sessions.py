"""Chat sessions on the runs' checkpointer: they outlive the server and are resumed in the terminal and in Slack,
each by its own tenant only."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from greenroom.core.settings import ModelSettings
from greenroom.interfaces.chat import ChatSessions, UnknownChatError
from greenroom.interfaces.cli import app
from greenroom.interfaces.service import RunService
from greenroom.interfaces.settings import Settings
from greenroom.interfaces.slack import SlackBot, tenant_of

FILM = [
    "A film called Night Shift at the Lighthouse",
    "A retired lighthouse keeper and a runaway teenager keep the lamp burning through a week-long storm.",
    "thriller, drama",
    "an hour and 44 minutes",
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                        model=ModelSettings(provider="fake"))  # fmt: skip
    settings.ensure_dirs()
    return settings


def _started(settings: Settings, tenant: str, *messages: str) -> str:
    """A session as the chat page starts one: opened for `tenant`, then talked to."""
    sessions = ChatSessions(settings)
    session_id, _ = sessions.open(tenant)
    for text in messages:
        sessions.step(session_id, tenant, {"kind": "message", "text": text})
    return session_id


def test_a_session_is_kept_by_the_checkpointer_and_survives_new_graph_objects(settings: Settings) -> None:
    session_id = _started(settings, "acme", *FILM, "budget is around two and a half million")
    restarted = ChatSessions(settings)  # a new process: new graph, new checkpointer connection, the same file
    values = restarted.values(session_id, "acme")
    assert values is not None
    assert values["draft"]["working_title"] == "Night Shift at the Lighthouse"
    assert values["draft"]["length"] == {"minutes": 104} and values["draft"]["budget"]["amount"] == 2_500_000
    assert values["asking"] == "business_model" and values["undo"][-1]["length"] == {"minutes": 104}
    after = restarted.step(session_id, "acme", {"kind": "message", "text": "undo"})
    assert "budget" not in after["draft"]  # the undo stack came back with the session
    with sqlite3.connect(settings.checkpoint_path) as conn:  # the runs' checkpointer holds it, one thread per session
        threads = {row[0] for row in conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}
        kept = conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (session_id,)).fetchone()[0]
    assert threads == {session_id} and kept == 1  # only the latest state of a session is kept
    with sqlite3.connect(settings.data_dir / "runs.sqlite") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "chat_sessions" not in tables  # nothing else keeps the sessions a second time


def test_sessions_an_earlier_version_kept_in_a_table_of_their_own_move_onto_the_checkpointer(settings: Settings) -> None:
    import json

    old = {"keyed": True, "chars": 60, "events_seen": 0, "report": False, "last": None,
           "conversation": {"draft": {"working_title": "Night Shift", "format": "film"}, "asking": "logline",
                            "stage": "building", "run_id": None, "run_status": None, "undo": [{}], "asked_sets": {},
                            "panel": True, "today": None},
           "transcript": [{"who": "me", "text": "A film called Night Shift"}, {"who": "bot", "text": "What is it about?"}]}  # fmt: skip
    with sqlite3.connect(settings.data_dir / "runs.sqlite") as conn:
        conn.execute("CREATE TABLE chat_sessions (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, state TEXT NOT NULL, "
                     "updated_at TEXT NOT NULL)")  # fmt: skip
        conn.execute("INSERT INTO chat_sessions VALUES (?, ?, ?, ?)", ("a" * 32, "acme", json.dumps(old), "2026-01-01"))
    assert ChatSessions(settings).adopt_saved() == 1
    sessions = ChatSessions(settings)
    assert sessions.values("a" * 32, "beta") is None
    after = sessions.step("a" * 32, "acme", {"kind": "message", "text": "Two keepers and a storm."})
    assert after["draft"] == {"working_title": "Night Shift", "format": "film", "logline": "Two keepers and a storm."}
    assert [line["text"] for line in after["transcript"]][:2] == ["A film called Night Shift", "What is it about?"]
    with sqlite3.connect(settings.data_dir / "runs.sqlite") as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'chat_sessions'").fetchone() is None
    assert ChatSessions(settings).adopt_saved() == 0


def test_a_session_of_another_tenant_is_not_found(settings: Settings) -> None:
    session_id = _started(settings, "acme", FILM[0])
    sessions = ChatSessions(settings)
    assert sessions.values(session_id, "beta") is None
    with pytest.raises(UnknownChatError):
        sessions.step(session_id, "beta", {"kind": "message", "text": "budget 1 dollar"})
    assert sessions.values(session_id, "acme")["draft"].get("budget") is None  # type: ignore[index]


@pytest.fixture
def terminal(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(settings.data_dir.parent)
    for key, value in {"MODEL__PROVIDER": "fake", "DATA_DIR": str(settings.data_dir), "SEED_CATALOG": "false",
                       "OUTPUT_DIR": str(settings.output_dir)}.items():  # fmt: skip
        monkeypatch.setenv(f"GREENROOM_{key}", value)
    return settings


def test_the_terminal_resumes_a_session_from_the_chat_page(terminal: Settings) -> None:
    session_id = _started(terminal, "chat", *FILM)  # a key-less session of the chat page
    result = CliRunner().invoke(app, ["chat", "--session", session_id], input="budget 2.5 million\nquit\n")
    assert result.exit_code == 0, result.output
    assert f"Resuming chat session {session_id}" in result.output
    assert "Night Shift at the Lighthouse" in result.output and "104 minutes" in result.output  # the brief so far
    assert "What is the launch budget (e.g. 250000 USD)?" in result.output  # and the open question
    assert "How does it earn money" in result.output  # the answer went on where the page left off
    values = ChatSessions(terminal).values(session_id, "chat")
    assert values is not None and values["draft"]["budget"]["amount"] == 2_500_000
    assert [line["text"] for line in values["transcript"] if line["who"] == "me"][-1] == "budget 2.5 million"


def test_the_terminal_does_not_resume_another_tenants_session(terminal: Settings) -> None:
    session_id = _started(terminal, "acme", *FILM)
    result = CliRunner().invoke(app, ["chat", "--session", session_id], input="quit\n")
    assert result.exit_code != 0 and f"There is no chat session {session_id} for tenant chat" in result.output
    assert "Night Shift" not in result.output
    resumed = CliRunner().invoke(app, ["chat", "--session", session_id, "--tenant", "acme"], input="quit\n")
    assert resumed.exit_code == 0 and "Night Shift at the Lighthouse" in resumed.output


def test_a_new_terminal_chat_says_its_session_id_and_words_its_replies_for_a_terminal(terminal: Settings) -> None:
    lines = [*FILM, "budget 250k", "theatrical", "2027-09-01 to 2027-12-15", "quit"]
    result = CliRunner().invoke(app, ["chat"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert "greenroom chat --session " in result.output
    assert "type `brief` to see the fields so far" in result.output and "brief form" not in result.output


class FakeSlackClient:
    """Slack's Web API as the bot calls it: each message kept, each given a timestamp."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    def chat_postMessage(self, **args: Any) -> dict[str, Any]:
        self.posted.append(args)
        return {"ok": True, "ts": f"1700000000.{len(self.posted):06d}", "channel": args["channel"]}

    def chat_update(self, **args: Any) -> dict[str, Any]:
        return {"ok": True, **args}

    def in_thread(self, thread_ts: str) -> list[str]:
        return [str(p["text"]) for p in self.posted if p.get("thread_ts") == thread_ts]


class Acks:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **args: Any) -> None:
        self.calls.append(args)


def _bot(settings: Settings) -> tuple[SlackBot, FakeSlackClient]:
    client = FakeSlackClient()
    return SlackBot(settings, RunService(settings), client), client  # type: ignore[arg-type]


def _command(text: str, team: str = "T1") -> dict[str, Any]:
    return {"text": text, "channel_id": "C1", "user_id": "U1", "team_id": team}


def test_slack_resumes_a_session_of_its_workspace_and_carries_it_on_in_the_thread(settings: Settings) -> None:
    session_id = _started(settings, tenant_of("T1"), *FILM)  # e.g. the chat page, with the workspace tenant's key
    bot, client = _bot(settings)
    ack = Acks()
    bot.on_command(ack, _command(f"resume {session_id}"))
    assert ack.calls == [{}]
    root = client.posted[0]
    assert "thread_ts" not in root and session_id in root["text"] and "Night Shift at the Lighthouse" in root["text"]
    thread = "1700000000.000001"
    resumed = client.in_thread(thread)[-1]
    assert "*Working title*: Night Shift at the Lighthouse" in resumed and "*Budget*: _still needed_" in resumed
    assert resumed.endswith("What is the launch budget (e.g. 250000 USD)?")
    reply = {"channel": "C1", "user": "U1", "text": "around two and a half million", "ts": "1700000001.0", "thread_ts": thread}
    bot.on_message(reply, {"team_id": "T1"}, {})
    said = client.in_thread(thread)[-1]
    assert "Budget: $2.5M (from “around two and a half million”)" in said and said.endswith(
        "ad-supported, transactional, theatrical or free?"
    )
    values = ChatSessions(settings).values(session_id, tenant_of("T1"))
    assert values is not None and values["draft"]["budget"]["amount"] == 2_500_000  # the same session as the page's
    bot.on_message({**reply, "text": "brief", "ts": "1700000002.0"}, {"team_id": "T1"}, {})
    assert "*Budget*: $2.5M" in client.in_thread(thread)[-1]


def test_slack_does_not_resume_a_session_of_another_tenant(settings: Settings) -> None:
    other = _started(settings, "chat", *FILM)  # a key-less session of the chat page
    elsewhere = _started(settings, tenant_of("T2"), *FILM)  # another workspace's
    bot, client = _bot(settings)
    for session_id in (other, elsewhere):
        ack = Acks()
        bot.on_command(ack, _command(f"resume {session_id}"))
        assert ack.calls == [{"text": ack.calls[0]["text"]}] and "There is no chat session" in ack.calls[0]["text"]
    mention = {"channel": "C1", "user": "U1", "text": f"<@B1> resume {elsewhere}", "ts": "1700000005.0"}
    bot.on_mention(mention, {"team_id": "T1"})
    assert client.posted and all("Night Shift" not in str(p["text"]) for p in client.posted)
    assert "There is no chat session" in client.posted[-1]["text"]


FULL = [*FILM, "budget 250k", "theatrical", "2027-09-01 to 2027-12-15"]


def _rest(service: RunService, run_id: str, timeout: float = 120) -> str:
    """The run's status once it has come to rest."""
    import time

    from greenroom.core.vocabulary import AT_REST

    deadline = time.monotonic() + timeout
    while (status := service.registry.get(run_id).status) not in AT_REST:
        assert time.monotonic() < deadline, f"run {run_id} is still {status}"
        time.sleep(0.1)
    return status


def test_a_revision_asked_for_in_the_chat_of_an_approved_run_goes_back_to_awaiting_approval(
    settings: Settings, trained_small: Any
) -> None:
    from fastapi.testclient import TestClient

    from greenroom.agents.context import AgentContext
    from greenroom.interfaces.api import create_app
    from greenroom.models.llm import build_model
    from greenroom.store.catalog import Catalog

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), max_edit_rounds=1, catalog=Catalog.memory(), trained=trained_small)

    app = create_app(settings, context, workers=1)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        service, desk = app.state.service, app.state.chat
        session_id, _ = desk.open("chat", keyed=False)
        for text in FULL:
            desk.send(session_id, "chat", text)
        run_id = desk.send(session_id, "chat", "yes").run_id
        assert run_id and _rest(service, run_id) == "awaiting_approval"
        assert desk.settle(session_id, "chat").offers == ["Approve", "Change", "Reject"]
        assert desk.settle(session_id, "chat").say == []  # a package is shown once
        desk.send(session_id, "chat", "approve")
        assert _rest(service, run_id) == "approved"
        assert "approved by a person" in desk.settle(session_id, "chat").say[0]
        asked = desk.send(session_id, "chat", "what if the budget were halved?")
        assert asked.say == ["Revising: budget → $125K."] and asked.stage == "running"
        assert _rest(service, run_id) == "awaiting_approval"  # the new version is put up for approval again
        settled = desk.settle(session_id, "chat")
        assert settled.offers == ["Approve", "Change", "Reject"] and "version 2" in " ".join(settled.say)
        restored = client.get(f"/chat/sessions/{session_id}").json()
        assert restored["turn"]["status"] == "awaiting your approval"


def test_a_run_launched_from_a_resumed_slack_chat_is_followed_in_its_thread(settings: Settings, trained_small: Any) -> None:
    from greenroom.agents.context import AgentContext
    from greenroom.models.llm import build_model
    from greenroom.store.catalog import Catalog

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), max_edit_rounds=1, catalog=Catalog.memory(), trained=trained_small)

    session_id = _started(settings, tenant_of("T1"), *FULL)
    service = RunService(settings, context, workers=1)
    service.start()
    try:
        client = FakeSlackClient()
        bot = SlackBot(settings, service, client)  # type: ignore[arg-type]
        bot.on_command(Acks(), _command(f"resume {session_id}"))
        thread = "1700000000.000001"
        assert client.in_thread(thread)[-1].endswith("The brief is complete (say `brief` in this thread to see the fields "
                                                     "so far). Shall I launch it? You can still change any field.")  # fmt: skip
        bot.on_message({"channel": "C1", "user": "U1", "text": "yes", "ts": "1700000001.0", "thread_ts": thread},
                       {"team_id": "T1"}, {})  # fmt: skip
        bot.join(timeout=120)
        said = client.in_thread(thread)
        assert "Launching it now. I will show each agent's progress." in said
        assert any("launch package v1" in text for text in said)  # the run's package, posted by the follower
        assert said[-1].endswith(
            "Approve it, tell me what to change (e.g. 'make it darker', 'what if the budget were halved?'), or reject it."
        )
        assert "The package is posted in this thread." in said[-1] and "below" not in said[-1]
        run_id = ChatSessions(settings).values(session_id, tenant_of("T1"))["run_id"]  # type: ignore[index]
        record = service.registry.get(run_id)
        assert record.status == "awaiting_approval" and record.tenant == tenant_of("T1")
    finally:
        service.close()
