from __future__ import annotations

import json

import pytest
from langchain_core.messages import HumanMessage

from greenroom.core.schemas import EditorJudgement
from greenroom.models.structured import StructuredOutputError, generate, parse_json_object
from tests.drafts import APPROVE

ASK = [HumanMessage("judge this")]


def test_valid_first_try_is_one_accounted_call(scripted) -> None:
    model = scripted(APPROVE)
    judgement, calls = generate(model, ASK, EditorJudgement, agent="editor")
    assert judgement.verdict == "approve"
    assert [c.valid for c in calls] == [True]
    assert calls[0].input_tokens > 0 and calls[0].output_tokens > 0 and calls[0].agent == "editor"


def test_the_schema_and_token_limit_travel_in_the_request_body(scripted) -> None:
    model = scripted(APPROVE)
    generate(model, ASK, EditorJudgement, agent="editor", max_tokens=123)
    body = model.chat.calls[0]["kwargs"]["extra_body"]  # type: ignore[attr-defined]
    assert body["max_tokens"] == 123 and body["repeat_penalty"] == 1.1
    assert body["response_format"]["type"] == "json_object"
    assert body["response_format"]["schema"]["properties"]["verdict"]["enum"] == ["approve", "revise"]


def test_an_invalid_answer_is_repaired_once(scripted) -> None:
    model = scripted({**APPROVE, "voice": 250}, APPROVE)
    judgement, calls = generate(model, ASK, EditorJudgement, agent="editor")
    assert judgement.voice == 4
    assert [(c.attempt, c.valid) for c in calls] == [(1, False), (2, True)]
    assert "voice" in calls[0].error
    repair_prompt = model.chat.calls[1]["messages"][-1].content  # type: ignore[attr-defined]
    assert "voice" in repair_prompt and "EditorJudgement" in repair_prompt


def test_two_invalid_answers_raise_a_clear_error(scripted) -> None:
    model = scripted("I think it is great!", '{"verdict": "maybe"')
    with pytest.raises(StructuredOutputError) as info:
        generate(model, ASK, EditorJudgement, agent="editor")
    err = info.value
    assert err.schema == "EditorJudgement" and len(err.calls) == 2
    assert "after 2 attempts" in str(err) and err.raw.startswith('{"verdict"')


def test_a_truncated_answer_says_so(scripted) -> None:
    model = scripted('{"fit_to_brief": 4, "voice"', '{"fit_to_brief": 4, "voice"', finish_reason="length")
    with pytest.raises(StructuredOutputError, match="cut off at the 50-token limit"):
        generate(model, ASK, EditorJudgement, agent="editor", max_tokens=50)


def test_code_fences_and_raw_newlines_are_tolerated() -> None:
    text = "```json\n" + json.dumps({**APPROVE, "notes": ["line one"]}).replace("line one", "line\none") + "\n```"
    assert parse_json_object(text, EditorJudgement).notes == ["line one"]


def test_a_single_slot_server_is_credited_with_the_prompt_prefix_it_already_holds(scripted) -> None:
    import dataclasses
    import uuid

    from langchain_core.messages import SystemMessage

    model = dataclasses.replace(scripted(APPROVE, APPROVE, APPROVE), label=f"fake:{uuid.uuid4().hex}", single_slot=True)
    rules = SystemMessage("You judge drafts against the brief. " * 40)
    _, first = generate(model, [rules, HumanMessage("judge draft one")], EditorJudgement, agent="editor")
    _, second = generate(model, [rules, HumanMessage("judge draft two")], EditorJudgement, agent="editor")
    _, other = generate(scripted(APPROVE), [rules, HumanMessage("judge draft two")], EditorJudgement, agent="editor")
    assert first[0].cached_input_tokens == 0
    assert 0.8 * second[0].input_tokens < second[0].cached_input_tokens < second[0].input_tokens
    assert second[0].cached_estimated
    assert other[0].cached_input_tokens == 0 and not other[0].cached_estimated  # no cache known: nothing claimed
