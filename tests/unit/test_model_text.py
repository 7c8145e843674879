"""Every string the model writes is constrained so that JSON debris cannot get through the grammar."""

from __future__ import annotations

import json
import re

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field, ValidationError

from greenroom.core.audience import AnalystSummary
from greenroom.core.plans import AdCopy, AdCopyLong, AdCopyShort, MarketingRationale, PricingRationale
from greenroom.core.schemas import DATE_PATTERN, BriefFields, DraftHooks, DraftOutline, DraftPitch, EditorJudgement
from greenroom.models.structured import generate, unguarded_strings
from tests.drafts import GOOD_HOOKS

MODEL_FILLED = (
    DraftPitch, DraftOutline, DraftHooks, EditorJudgement, AnalystSummary,
    MarketingRationale, PricingRationale, AdCopyShort, AdCopy, AdCopyLong, BriefFields,
)  # fmt: skip


@pytest.mark.parametrize("schema", MODEL_FILLED, ids=lambda s: s.__name__)
def test_every_string_the_model_fills_carries_the_plain_text_pattern(schema: type[BaseModel]) -> None:
    assert unguarded_strings(schema) == []
    patterns = re.findall(r'"pattern": "([^"]+)"', json.dumps(schema.model_json_schema()))
    assert patterns and all(p.startswith("^[A-Za-z0-9]") or p == DATE_PATTERN for p in patterns)


@pytest.mark.parametrize("debris", ["]\n,\n,", "] { 3 different poster lines,, taglines: [", '"quoted"', "<b>bold</b> line"])
def test_debris_seen_on_the_embedded_model_is_not_a_valid_tagline(debris: str) -> None:
    with pytest.raises(ValidationError):
        DraftHooks.model_validate({**GOOD_HOOKS, "taglines": [debris, *GOOD_HOOKS["taglines"][1:]]})


def test_a_schema_with_an_unguarded_string_is_refused_before_any_call(scripted) -> None:  # type: ignore[no-untyped-def]
    class Loose(BaseModel):
        text: str = Field(..., max_length=50)

    model = scripted()  # no replies: any call would fail the test
    with pytest.raises(TypeError, match="Loose: string fields without a plain-text pattern: text"):
        generate(model, [HumanMessage("hi")], Loose, agent="test")
