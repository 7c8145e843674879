"""The real embedded model (SmolLM2-135M under llama.cpp) through the writer/editor loop, offline."""

from __future__ import annotations

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
