"""Integration fixtures: cassettes recorded against llama.cpp's OpenAI-compatible server.

To re-record (needs the embedded model, no network):
    .venv/bin/python -m greenroom.models.llama_server --model "$(.venv/bin/python -c "from greenroom.models.llm import embedded_model_path; print(embedded_model_path())")" \\
        --alias smollm2-135m-instruct --host 127.0.0.1 --port 8765 --ctx 4096 --threads 2 --parallel 1 &
    .venv/bin/python -m pytest tests/integration -m "not embedded" --record-mode=rewrite
Cassettes keep no secrets, client fingerprints or machine paths (see `vcr_config`).
"""

from __future__ import annotations

from typing import Any

import pytest

from greenroom.core.settings import ModelSettings
from greenroom.models.llm import ModelHandle, build_model

RECORDING_URL = "http://127.0.0.1:8765/v1"
_DROP_HEADERS = ("authorization", "user-agent", "x-stainless", "openai-", "x-request-id", "server", "date")


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if name.lower().startswith(_DROP_HEADERS):
            del request.headers[name]
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {k: v for k, v in response["headers"].items() if not k.lower().startswith(_DROP_HEADERS)}
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "match_on": ["method", "scheme", "host", "port", "path", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(request.path.parent / "cassettes")


@pytest.fixture(scope="session")
def embedded_model(tmp_path_factory: pytest.TempPathFactory) -> ModelHandle:
    """One embedded model server for the whole test session, shared by every embedded test."""
    # A long deadline: on a busy machine the 30-second default would cut calls off, and these tests check structure.
    return build_model(ModelSettings(provider="embedded", tier="small", deadline_s=300), log_dir=tmp_path_factory.mktemp("llama"))
