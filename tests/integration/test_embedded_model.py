"""The real embedded model (SmolLM2-135M under llama.cpp) through the writer/editor loop, offline."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from langchain_core.messages import BaseMessage, HumanMessage

from greenroom.core.brief import Brief
from greenroom.core.schemas import CallRecord, Draft
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.doctor import Probe
from greenroom.interfaces.runs import run_write
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import EMBEDDED_ALIAS, ModelHandle, build_model, embedded_model_path
from greenroom.models.structured import generate

pytestmark = pytest.mark.embedded


def test_the_embedded_model_writes_a_complete_reviewed_draft(
    embedded_model: ModelHandle, settings: Settings, film_brief: Brief
) -> None:
    settings.max_edit_rounds = 1
    result = run_write(film_brief, settings, model=embedded_model)
    assert embedded_model.label == f"embedded:{EMBEDDED_ALIAS}"
    # Whatever the small model's prose is worth, the draft is complete and schema-valid.
    draft = Draft.model_validate(result.draft.model_dump())
    assert len(draft.hooks.taglines) >= 3 and len(draft.hooks.ad_copy) >= 3 and len(draft.outline.outline) >= 3
    assert result.review.round == 1 and len(result.review.checks) >= 10
    assert sum(c.output_tokens for c in result.calls) > 50


def test_answers_stay_inside_the_grammar_when_the_model_would_rather_write_prose(embedded_model: ModelHandle) -> None:
    """llama.cpp's server (xllamacpp) keeps every sampled token inside the grammar, so every answer fits the
    schema however far the prompt pulls away."""
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[0-9]{4}-[A-Z]{2}$"},
            "count": {"type": "integer"},
            "kind": {"type": "string", "enum": ["north", "south"]},
        },
        "required": ["code", "count", "kind"],
    }
    url = f"{embedded_model.chat.openai_api_base}/chat/completions"  # type: ignore[attr-defined]
    for seed in range(1, 6):
        body = {
            "model": EMBEDDED_ALIAS,
            "messages": [{"role": "user", "content": "Tell me a long story about a lighthouse keeper and a storm."}],
            "max_tokens": 250, "seed": seed, "temperature": 1.0,
            "response_format": {"type": "json_object", "schema": schema},
        }  # fmt: skip
        answer = json.loads(httpx.post(url, json=body, timeout=120).json()["choices"][0]["message"]["content"])
        assert re.fullmatch(r"[0-9]{4}-[A-Z]{2}", answer["code"]), answer
        assert isinstance(answer["count"], int) and answer["kind"] in ("north", "south"), answer


def test_two_requests_are_answered_at_once_in_the_servers_parallel_slots(embedded_model: ModelHandle) -> None:
    assert embedded_model.parallel == 2
    ask: list[BaseMessage] = [HumanMessage(content="Name things a lighthouse keeper needs in a storm.")]

    def one(index: int) -> tuple[Probe, list[CallRecord]]:
        return generate(embedded_model, ask, Probe, agent="writer", seed_offset=index, max_tokens=150)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(one, (0, 1)))
    for probe, calls in answers:  # a grammar-bound answer with room to finish: valid, whatever its words
        assert probe.words and calls[-1].valid and calls[-1].output_tokens > 0


def test_a_local_gguf_file_is_served_with_the_chat_template_it_carries(tmp_path: Path) -> None:
    """`model.path` names any GGUF file: the embedded server loads it and reads its chat template from it."""
    own = tmp_path / "my-own-model.gguf"
    own.symlink_to(embedded_model_path())
    handle = build_model(ModelSettings(path=str(own), parallel=1), log_dir=tmp_path)
    assert handle.label == "embedded:my-own-model"
    probe, calls = generate(handle, [HumanMessage(content="Name things a storm brings.")], Probe, agent="writer", max_tokens=150)
    assert probe.words and calls[-1].input_tokens > 5
