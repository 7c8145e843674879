"""The real embedded model (SmolLM2-135M under llama.cpp) through the writer/editor loop, offline."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from greenroom.core.brief import Brief
from greenroom.core.schemas import Draft
from greenroom.interfaces.runs import run_write
from greenroom.interfaces.settings import Settings
from greenroom.tools.llm import EMBEDDED_ALIAS, ModelHandle

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
    """The server checks the grammar on the sampled token first (tools.llama_server); a rejected token is
    replaced by one the grammar allows, so every answer fits the schema however far the prompt pulls away."""
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
            "max_tokens": 60, "seed": seed, "temperature": 1.0,
            "response_format": {"type": "json_object", "schema": schema},
        }  # fmt: skip
        answer = json.loads(httpx.post(url, json=body, timeout=120).json()["choices"][0]["message"]["content"])
        assert re.fullmatch(r"[0-9]{4}-[A-Z]{2}", answer["code"]), answer
        assert isinstance(answer["count"], int) and answer["kind"] in ("north", "south"), answer
