"""The real embedded model (SmolLM2-135M under llama.cpp) through the plan graph, offline."""

from __future__ import annotations

import pytest

from greenroom.core.brief import Brief
from greenroom.interfaces.plans import run_plan
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import ModelHandle

pytestmark = pytest.mark.embedded


def test_the_embedded_model_explains_a_computed_plan(embedded_model: ModelHandle, settings: Settings, film_brief: Brief) -> None:
    result = run_plan(film_brief, settings, model=embedded_model)
    release, promo, pricing = result.release_plan, result.promotion_plan, result.pricing_plan
    # Whatever the small model writes, the numbers are the engines' and the plan is complete.
    assert round(sum(c.total for c in promo.allocation.channels), 2) == film_brief.budget.amount
    assert film_brief.release.earliest <= release.chosen.start <= film_brief.release.latest
    assert [t.tier for t in pricing.recommendation.tiers] == ["ticket", "premium_vod"]
    assert promo.ad_copy and all(
        1 <= len(c.variants) <= 3 and all(len(v) <= c.max_chars for v in c.variants) for c in promo.ad_copy
    )
    for plan in (release, promo, pricing):
        assert plan.rationale and plan.rationale_source in ("model", "template")
    # On the embedded model only the ad copy is the model's, in one request for every channel it is written for;
    # the rationales state the numbers, unasked.
    assert [(c.agent, c.purpose, c.attempt) for c in result.calls][:1] == [("marketer", "AdCopyByChannel", 1)]
    assert {c.purpose for c in result.calls} == {"AdCopyByChannel"} and len(result.calls) <= 2  # one, or one and its repair
    assert all(plan.rationale_source == "template" for plan in (release, promo, pricing))
    assert sum(c.output_tokens for c in result.calls) > 20
