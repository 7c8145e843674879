"""Providers over HTTP, replayed from cassettes (record mode none): the writer/editor loop against llama.cpp's
server, and a structured answer from Ollama's API."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from greenroom.core.brief import Brief
from greenroom.core.schemas import Draft
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.doctor import Probe
from greenroom.interfaces.runs import run_write
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import EMBEDDED_ALIAS, build_model
from greenroom.models.structured import generate
from tests.integration.conftest import RECORDING_URL


def _server_settings(settings: Settings) -> Settings:
    settings.model = ModelSettings(
        provider="openai", base_url=RECORDING_URL, name=EMBEDDED_ALIAS, structured="llamacpp", max_retries=0
    )
    settings.max_edit_rounds = 1
    return settings


@pytest.mark.vcr
def test_one_round_through_an_openai_compatible_llama_cpp_server(settings: Settings, film_brief: Brief) -> None:
    settings = _server_settings(settings)
    result = run_write(film_brief, settings, model=build_model(settings.model), run_id="cassette-run")
    assert isinstance(result.draft, Draft)
    assert result.rounds == 1 and result.outcome in ("approved", "max_rounds")
    writer_calls = [c for c in result.calls if c.agent == "writer"]
    # Each part was asked for in turn; a part whose checks failed was asked again with another seed.
    assert list(dict.fromkeys(c.purpose for c in writer_calls)) == ["DraftPitch", "DraftOutline", "DraftHooks"]
    for purpose in ("DraftPitch", "DraftOutline", "DraftHooks"):
        seeds = [c.seed for c in writer_calls if c.purpose == purpose]
        assert len(set(seeds)) == len(seeds)  # the same request never went out twice
    # Token counts come from the server's usage block, per call.
    assert all(c.input_tokens > 100 and c.output_tokens > 0 for c in result.calls)
    assert all(c.model == f"openai:{EMBEDDED_ALIAS}" for c in result.calls)
    # The editor's checks ran on the real draft, whatever the small model's verdict.
    assert len(result.review.checks) >= 10


@pytest.mark.vcr(match_on=["method", "scheme", "host", "port", "path"])
def test_ollama_answers_under_a_json_schema_with_its_token_counts() -> None:
    """Ollama's own API through langchain-ollama: the schema goes as Ollama's `format`, the answer is parsed
    into the schema, and the token counts come from Ollama's final line."""
    handle = build_model(ModelSettings(provider="ollama", name="llama3.2", base_url="http://127.0.0.1:11434"))
    probe, calls = generate(handle, [HumanMessage(content="Name things a lighthouse keeper needs.")], Probe, agent="doctor")
    assert probe.words == ["lamp", "oil", "radio"]
    (call,) = calls
    assert call.model == "ollama:llama3.2" and call.valid and (call.input_tokens, call.output_tokens) == (31, 14)
