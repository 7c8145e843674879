"""The audience funnel: people counted in the territories, reach bounded by them, stages that agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenroom.agents.marketer import CAMPAIGN_WEEKS, MarketingInputs, channel_plan
from greenroom.core.brief import Brief, load_brief
from greenroom.core.funnel import AudienceFunnel
from greenroom.core.market import PromotionAllocation
from greenroom.tools.funnel import addressable_audience, build_funnel, frequency_cap
from greenroom.tools.population import count_people
from greenroom.tools.pricing import recommend_pricing
from greenroom.tools.promotion import allocate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "briefs"
AUDIENCE = ROOT / "benchmarks" / "briefs" / "audience"


def _plan(brief: Brief) -> tuple[PromotionAllocation, AudienceFunnel]:
    found = addressable_audience(brief)
    curves, _ = channel_plan(brief, MarketingInputs(), None, found)
    allocation = allocate(brief.budget.amount, CAMPAIGN_WEEKS[brief.format], curves, audience=found.people,
                          frequency_cap=frequency_cap(), n_draws=200, n_starts=3)  # fmt: skip
    pricing = recommend_pricing(brief.business_model, None, currency=brief.budget.currency, fmt=brief.format)
    return allocation, build_funnel(brief, allocation, pricing, addressable=found)


def test_new_zealand_alone_reaches_at_most_its_people_in_the_age_band() -> None:
    brief = load_brief(EXAMPLES / "night-shift-film.yaml").model_copy(update={"territories": ["NZ"]})
    brief.budget.amount = 2_500_000
    nz = count_people(["NZ"], brief.audience.age_min, brief.audience.age_max)
    assert 1_000_000 < nz.people < 3_000_000  # about 4.5 million New Zealanders, 16-45 about two in five
    allocation, funnel = _plan(brief)
    assert allocation.unique_reach is not None and allocation.unique_reach <= nz.people
    assert funnel.stage("reached").point <= funnel.stage("addressable").point <= nz.people
    wider = brief.model_copy(update={"territories": ["CA", "AU", "NZ"]})
    assert _plan(wider)[1].stage("reached").point > 2 * funnel.stage("reached").point


def test_a_podcast_plan_spends_on_podcast_ads() -> None:
    allocation, _ = _plan(load_brief(AUDIENCE / "true-crime-podcast.yaml"))
    spend = {c.channel: c.share for c in allocation.channels}
    assert spend["podcast_ads"] >= 0.25
    assert max(spend, key=spend.__getitem__) == "podcast_ads"


def test_a_preschool_series_spends_nothing_on_display_aimed_at_children() -> None:
    brief = load_brief(AUDIENCE / "preschool-series.yaml")
    found = addressable_audience(brief)
    curves, left_out = channel_plan(brief, MarketingInputs(), None, found)
    assert "display" not in {c.name for c in curves}
    assert any(reason.startswith("Display banners: not aimed at children") for reason in left_out)
    allocation, _ = _plan(brief)
    assert {c.channel for c in allocation.channels if c.total > 0} <= {"ctv", "out_of_home"}


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json")))
def test_funnel_stages_never_exceed_the_stage_before(name: str) -> None:
    brief = load_brief(EXAMPLES / name)
    _, funnel = _plan(brief)
    points = [s.point for s in funnel.stages[:-1]]
    assert points == sorted(points, reverse=True)
    assert all(s.low <= s.point <= s.high for s in funnel.stages)
    paying = funnel.stage("paying").point
    assert funnel.stage("revenue").point == pytest.approx(paying * funnel.revenue_per_paying, rel=1e-6, abs=0.01)
    assert funnel.stage("reached").high <= funnel.stage("addressable").point
    assert funnel.gross_impressions >= funnel.stage("reached").point  # impressions count repeats, people do not


def test_an_unknown_territory_is_named_and_not_counted() -> None:
    count = count_people(["GB", "Narnia"], 18, 34)
    assert count.unknown == ["Narnia"] and [t.code for t in count.territories] == ["GB"]
    assert any("Narnia" in note for note in count.notes)


def test_money_that_would_buy_only_repeats_above_the_frequency_cap_stays_unspent() -> None:
    brief = load_brief(EXAMPLES / "orbital-series.yaml").model_copy(update={"territories": ["NZ"]})
    brief.budget.amount = 20_000_000  # for about 170,000 New Zealanders aged 13-17 who watch series
    brief.audience.age_min, brief.audience.age_max = 13, 17
    allocation, _ = _plan(brief)
    assert allocation.unique_reach is not None and allocation.frequency_cap == frequency_cap()
    assert allocation.gross_impressions <= allocation.frequency_cap * allocation.unique_reach * 1.001
    assert allocation.unspent > 0
    assert round(sum(c.total for c in allocation.channels) + allocation.unspent, 2) == allocation.budget
    assert any("left unspent" in a for a in allocation.assumptions)
