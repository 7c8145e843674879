"""The chat page's sessions: a reloaded page or a shared link gets its session back, the panel reads as words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from greenroom.agents.context import AgentContext
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.api import create_app
from greenroom.interfaces.chat import MAX_CHARS, MAX_LINES, ChatDesk, brief_rows, progress_line, still_needed
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import build_model
from greenroom.store.catalog import Catalog
from greenroom.store.keys import KeyStore

FILM = [
    "A film called Night Shift at the Lighthouse",
    "A retired lighthouse keeper and a runaway teenager keep the lamp burning through a week-long storm.",
    "thriller, drama",
    "104 minutes",
]


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[Any]:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                        model=ModelSettings(provider="fake"))  # fmt: skip
    settings.ensure_dirs()
    keys = KeyStore(settings.data_dir / "api_keys.sqlite")
    app = create_app(settings, lambda s: AgentContext(model=build_model(s.model), catalog=Catalog.memory(), trained=None))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.keys = {t: {"Authorization": f"Bearer {keys.create(t)[1]}"} for t in ("acme", "beta")}  # type: ignore[attr-defined]
        yield client


def _open(chat: Any, *messages: str, headers: dict[str, str] | None = None) -> str:
    session = str(chat.post("/chat/sessions", headers=headers).json()["session_id"])
    for text in messages:
        assert chat.post(f"/chat/sessions/{session}/messages", json={"text": text}, headers=headers).status_code == 200
    return session


def test_a_reloaded_page_gets_every_message_so_far_and_the_brief_panel_back(chat: Any) -> None:
    session = _open(chat, *FILM)
    restored = chat.get(f"/chat/sessions/{session}").json()
    mine = [line["text"] for line in restored["transcript"] if line["who"] == "me"]
    assert mine == FILM
    said = [line["who"] for line in restored["transcript"]]
    assert said[0] == "bot" and said.count("bot") > len(FILM)  # the greeting and every answer
    assert restored["transcript"][-1]["text"] == "What is the launch budget (e.g. 250000 USD)?"
    panel = {row["label"]: row["value"] for row in restored["turn"]["panel"]}
    assert panel["Working title"] == "Night Shift at the Lighthouse" and panel["Genres"] == "thriller, drama"
    assert panel["Budget"] == "still needed" and restored["turn"]["needed"] == ["budget", "business model", "release"]
    assert restored["turn"]["say"] == [] and restored["turn"]["status"] == "brief in progress"


def test_a_session_is_restored_only_for_its_own_tenant(chat: Any) -> None:
    keyed = _open(chat, "title: Deep Dish", headers=chat.keys["acme"])
    keyless = _open(chat, "title: Night Shift")
    assert chat.get(f"/chat/sessions/{keyed}", headers=chat.keys["acme"]).status_code == 200
    assert chat.get(f"/chat/sessions/{keyed}", headers=chat.keys["beta"]).status_code == 404
    assert chat.get(f"/chat/sessions/{keyed}").status_code == 404
    assert chat.get(f"/chat/sessions/{keyless}").status_code == 200
    assert chat.get(f"/chat/sessions/{keyless}", headers=chat.keys["beta"]).status_code == 404
    assert chat.get(f"/chat/sessions/{'0' * 32}").status_code == 404
    assert chat.get(f"/chat/sessions/{keyless}", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_session_list_names_each_known_session_and_leaves_out_the_rest(chat: Any) -> None:
    first = _open(chat, "A film called Night Shift at the Lighthouse")
    second = _open(chat)
    keyed = _open(chat, "title: Deep Dish", headers=chat.keys["acme"])
    found = chat.post("/chat/sessions/summaries", json={"ids": [second, "f" * 32, first, keyed]}).json()
    assert found == [{"session_id": second, "title": "Untitled brief", "status": "brief in progress"},
                     {"session_id": first, "title": "Night Shift at the Lighthouse", "status": "brief in progress"}]  # fmt: skip
    assert chat.post("/chat/sessions/summaries", json={"ids": ["a" * 32] * 51}).status_code == 422


def test_the_panel_reads_as_words() -> None:
    draft = {"working_title": "Night Shift", "format": "film", "genres": ["thriller", "drama"],
             "length": {"minutes": 104.0, "episodes": None}, "budget": {"amount": 250000.0, "currency": "USD"},
             "business_model": "ad_supported", "release": {"earliest": "2027-09-01", "latest": "2027-12-15"},
             "audience": {"age_min": 18, "age_max": 34, "regions": ["US", "GB"], "interests": []},
             "territories": ["US", "GB"], "tone": "", "studio": None,
             "constraints": {"age_rating_ceiling": "PG-13", "avoid_topics": ["gore", "smoking"], "must_include": []}}  # fmt: skip
    rows = {row.label: row.value for row in brief_rows(draft, ["logline"])}
    assert rows == {"Working title": "Night Shift", "Format": "Film", "Logline": "still needed",
                    "Genres": "thriller, drama", "Length": "104 minutes", "Budget": "$250K",
                    "Business model": "Ad-supported", "Release": "1 Sep 2027 – 15 Dec 2027",
                    "Audience": "ages 18–34, US, GB", "Territories": "US, GB", "Rating ceiling": "PG-13",
                    "Avoid": "gore, smoking"}  # fmt: skip
    assert not any(c in value for value in rows.values() for c in '{}[]"_')
    assert still_needed(["working_title", "business_model"]) == ["working title", "business model"]


def test_run_statuses_are_said_in_words() -> None:
    assert progress_line("status", {"status": "queued", "message": "approve queued"}) == (
        "Status: queued — your answer is waiting for a worker"
    )
    assert progress_line("status", {"status": "running", "message": "revise started again"}) == (
        "Status: running — working on the revision again"
    )
    line = progress_line("status", {"status": "awaiting_approval", "message": "waiting for a person"})
    assert line == "Status: awaiting your approval — waiting for a person"
    assert progress_line("step_started", {"step": "writer"}) == "▶ Writer started"


def test_a_long_chat_keeps_its_latest_lines() -> None:
    desk = ChatDesk(service=None, max_sessions=2, max_per_tenant=2)  # type: ignore[arg-type]
    session, _ = desk.open("chat", keyed=False)
    for n in range(MAX_LINES):
        desk.send(session, "chat", f"message {n}")
    transcript = desk.session(session, "chat").transcript
    mine = [line.text for line in transcript if line.who == "me"]
    assert len(transcript) == MAX_LINES and mine[-1] == f"message {MAX_LINES - 1}" and "message 0" not in mine
    for n in range(MAX_CHARS // 3000 + 5):
        desk.send(session, "chat", f"note {n} " + "x" * 3000)
    held = desk.session(session, "chat")
    assert sum(len(line.text) for line in held.transcript) == held.chars <= MAX_CHARS
    mine = [line.text for line in held.transcript if line.who == "me"]
    assert mine[-1].startswith(f"note {MAX_CHARS // 3000 + 4} ") and len(mine) < MAX_CHARS // 3000


def test_the_chat_reads_with_a_model_only_where_the_model_is_able() -> None:
    from greenroom.core.settings import ModelSettings
    from greenroom.interfaces.chat import model_reader_for

    assert model_reader_for(ModelSettings(provider="embedded")) is None
    assert model_reader_for(ModelSettings(provider="fake")) is None
    assert callable(model_reader_for(ModelSettings(provider="openai", base_url="http://127.0.0.1:9/v1")))


def _app(settings: Settings) -> Any:
    return create_app(settings, lambda s: AgentContext(model=build_model(s.model), catalog=Catalog.memory(), trained=None))


def test_a_session_survives_a_server_restart(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out", seed_catalog=False,  # type: ignore[call-arg]
                        model=ModelSettings(provider="fake"))  # fmt: skip
    settings.ensure_dirs()
    with TestClient(_app(settings), base_url="http://127.0.0.1:8000") as first:
        session = _open(first, *FILM, "budget is around two and a half million")
    with TestClient(_app(settings), base_url="http://127.0.0.1:8000") as second:  # a new server on the same data
        restored = second.get(f"/chat/sessions/{session}").json()
        assert [line["text"] for line in restored["transcript"] if line["who"] == "me"][
            -1
        ] == "budget is around two and a half million"
        form = {f["field"]: f["value"] for f in restored["turn"]["form"]}
        assert form["working_title"] == "Night Shift at the Lighthouse" and form["budget.amount"] == "2500000"
        turn = second.post(f"/chat/sessions/{session}/messages", json={"text": "theatrical"}).json()
        assert turn["say"][-1].startswith("What is the release window")  # the conversation goes on where it was
        assert second.get(f"/chat/sessions/{session}", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_field_edited_in_the_form_shows_in_the_chat_and_can_be_undone(chat: Any) -> None:
    session = _open(chat, *FILM, "budget 2M")
    turn = chat.post(f"/chat/sessions/{session}/brief", json={"field": "budget.amount", "value": "3.5M"}).json()
    assert turn["say"][0] == "Changed in the form: Budget: $3.5M. Say 'undo' to take it back."
    assert {f["field"]: f["value"] for f in turn["form"]}["budget.amount"] == "3500000"
    bad = chat.post(f"/chat/sessions/{session}/brief", json={"field": "territories", "value": "Canada, Mars"}).json()
    assert bad["say"][0] == "Territories: “Mars” is not a country or region I know; nothing changed."
    turn = chat.post(f"/chat/sessions/{session}/messages", json={"text": "undo"}).json()
    assert {f["field"]: f["value"] for f in turn["form"]}["budget.amount"] == "2000000"
    assert chat.post(f"/chat/sessions/{session}/brief", json={"field": "brief.secret", "value": "x"}).status_code == 422
    transcript = chat.get(f"/chat/sessions/{session}").json()["transcript"]
    assert any(line["text"].startswith("Changed in the form: Budget: $3.5M") for line in transcript)
