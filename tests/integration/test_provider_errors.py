"""Retries, backoff and dead endpoints, against a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from langchain_core.messages import HumanMessage

from greenroom.core.schemas import EditorJudgement
from greenroom.core.settings import ModelSettings
from greenroom.models.llm import ModelUnavailableError, build_model
from greenroom.models.structured import generate
from tests.drafts import APPROVE


def _completion(content: str) -> bytes:
    return json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42},
    }).encode()  # fmt: skip


class _Flaky(BaseHTTPRequestHandler):
    script: ClassVar[list[int]] = []
    hits: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        type(self).hits.append(body)
        status = self.script.pop(0) if self.script else 200
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("retry-after-ms", "10")
        self.end_headers()
        self.wfile.write(_completion(json.dumps(APPROVE)) if status == 200 else b'{"error": {"message": "busy"}}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[str]:
    _Flaky.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _model(url: str, retries: int):
    return build_model(
        ModelSettings(provider="openai", base_url=url, name="m", structured="llamacpp", max_retries=retries, timeout_s=5)
    )


def test_429_and_5xx_are_retried_with_backoff(flaky_server: str) -> None:
    _Flaky.script = [429, 503]
    judgement, calls = generate(_model(flaky_server, retries=3), [HumanMessage("judge")], EditorJudgement, agent="editor")
    assert judgement.verdict == "approve"
    assert len(_Flaky.hits) == 3 and calls[0].input_tokens == 12
    # llama.cpp ignores max_completion_tokens: the limit also travels as max_tokens in the body.
    assert _Flaky.hits[-1]["max_tokens"] == 900 and "schema" in _Flaky.hits[-1]["response_format"]


def test_a_provider_that_keeps_failing_gives_a_clear_error(flaky_server: str) -> None:
    _Flaky.script = [500, 500, 500]
    with pytest.raises(ModelUnavailableError, match="failed for the editor"):
        generate(_model(flaky_server, retries=1), [HumanMessage("judge")], EditorJudgement, agent="editor")
    assert len(_Flaky.hits) == 2


def test_a_dead_endpoint_names_the_model() -> None:
    with pytest.raises(ModelUnavailableError, match="openai:m failed"):
        generate(_model("http://127.0.0.1:9/v1", retries=0), [HumanMessage("judge")], EditorJudgement, agent="editor")
