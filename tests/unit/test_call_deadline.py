"""A model call that runs past its deadline is cut off: the next candidate or the part's fallback is used,
and the call's record says so."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.messages import HumanMessage

from greenroom.core.brief import Brief
from greenroom.core.schemas import DraftPitch
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.runs import run_write
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import build_model
from greenroom.models.structured import DEADLINE_FINISH, StructuredOutputError, generate

STALL_S = 2.0


class _Stalling(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that takes longer than any deadline here, then answers nothing useful."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(STALL_S)
        try:
            self.send_response(500)
            self.end_headers()
        except OSError:
            pass  # the client hung up at its deadline

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stalling_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    server.daemon_threads = False
    server.block_on_close = True  # server_close waits for every stalled request to end and close its socket
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _stalling_model(url: str) -> ModelSettings:
    return ModelSettings(provider="openai", base_url=url, name="slow", structured="llamacpp", deadline_s=0.5, max_retries=0)


def test_a_call_past_its_deadline_is_cut_off_and_recorded(stalling_url: str) -> None:
    handle = build_model(_stalling_model(stalling_url))
    with pytest.raises(StructuredOutputError) as caught:
        generate(handle, [HumanMessage(content="a pitch")], DraftPitch, agent="writer")
    (call,) = caught.value.calls  # cut off: no repair round is sent to a model that did not answer in time
    assert call.finish_reason == DEADLINE_FINISH and not call.valid
    assert call.error == "cut off at the 0.5-second deadline for one model call"
    assert call.seconds < STALL_S  # the call ended at its deadline, not when the server answered


def test_the_writer_ships_marked_fallbacks_when_every_call_runs_past_its_deadline(
    stalling_url: str, settings: Settings, film_brief: Brief
) -> None:
    settings.max_edit_rounds = 1
    result = run_write(film_brief, settings, model=build_model(_stalling_model(stalling_url)))
    writer_calls = [c for c in result.calls if c.agent == "writer"]
    assert writer_calls and all(c.finish_reason == DEADLINE_FINISH for c in writer_calls)
    marked = {f.field.split(".")[0] for f in result.draft.fallbacks}
    assert {"pitch", "outline", "hooks"} <= marked  # every part shipped as its fallback, and says so
    assert result.draft.pitch.logline and len(result.draft.hooks.taglines) >= 3
