from __future__ import annotations

import pytest

from greenroom.agents.context import AgentContext
from greenroom.core.brief import Brief, load_brief
from greenroom.interfaces.runs import run_analysis
from greenroom.interfaces.settings import Settings
from greenroom.store.catalog import Catalog
from greenroom.tools.forecasting.audience import forecast_audience
from greenroom.tools.training import TrainedModels
from tests.conftest import ROOT


@pytest.fixture
def trained(trained_small: TrainedModels) -> TrainedModels:
    return trained_small


@pytest.fixture
def catalog(small_catalog: Catalog) -> Catalog:
    return small_catalog


def _summary(headline: str, summary: str) -> dict[str, str]:
    return {"headline": headline, "summary": summary}


def test_the_report_numbers_come_from_the_tools(
    scripted, settings: Settings, film_brief: Brief, catalog: Catalog, trained: TrainedModels
) -> None:
    model = scripted(_summary("Thriller fans are the core audience for this film.",
                              "The comparables are lighthouse dramas and thrillers. The forecast interval is wide, so plan for both ends."))  # fmt: skip
    _, report, calls = run_analysis(film_brief, settings, AgentContext(model=model, catalog=catalog, trained=trained))
    assert report.summary_source == "model" and report.headline.startswith("Thriller fans")
    assert report.comparables[0].title == "Storm Light"
    assert report.forecast == forecast_audience(film_brief, trained.forecast)
    assert report.forecast.votes.lower <= report.forecast.votes.point <= report.forecast.votes.upper  # type: ignore[union-attr]
    assert report.segments is not None and report.segments.segments[0].affinity >= report.segments.segments[-1].affinity
    assert report.reception is not None and report.reception.critics.rotten_tomatoes.n >= 2
    assert [c.agent for c in calls] == ["analyst"]
    # The model saw the tools' numbers in its prompt.
    prompt = model.chat.calls[0]["messages"][-1].content  # type: ignore[attr-defined]
    assert "Storm Light" in prompt and "IMDb votes" in prompt


def test_a_summary_that_invents_numbers_is_replaced_by_the_facts(
    scripted, settings: Settings, film_brief: Brief, catalog: Catalog, trained: TrainedModels
) -> None:
    invented = _summary(
        "This film will sell 4,500,000 tickets on its first weekend.",
        "It will earn 93,000,000 dollars and win 7 awards at the big festivals.",
    )
    model = scripted(invented, invented)
    _, report, calls = run_analysis(
        film_brief, settings, AgentContext(model=model, catalog=catalog, trained=trained, writer_candidates=1)
    )
    assert report.summary_source == "template"
    assert "4,500,000" not in report.summary and "Storm Light" in report.summary
    assert [c.valid for c in calls] == [False, False]
    assert "4,500,000" in calls[0].error


def test_without_catalog_or_models_the_report_says_what_is_missing(scripted, settings: Settings, film_brief: Brief) -> None:
    model = scripted(
        _summary(
            "Little is known yet about this film's audience.",
            "No comparables or forecasts were available, so this report has no numbers yet.",
        )
    )
    _, report, _ = run_analysis(film_brief, settings, AgentContext(model=model))
    assert report.comparables == [] and report.forecast is None
    assert any("no catalog" in c for c in report.caveats) and any("no trained models" in c for c in report.caveats)


def test_a_podcast_is_flagged_out_of_the_forecasters_domain(
    scripted, settings: Settings, catalog: Catalog, trained: TrainedModels
) -> None:
    brief = load_brief(ROOT / "examples" / "briefs" / "deep-dish-podcast.yaml")
    model = scripted(
        _summary(
            "Food and history listeners are the likely audience.",
            "The forecasters were trained on films, so this podcast gets no reach numbers from them.",
        )
    )
    _, report, _ = run_analysis(brief, settings, AgentContext(model=model, catalog=catalog, trained=trained))
    assert report.forecast is not None and report.forecast.out_of_domain and report.forecast.votes is None
    assert any("not a film" in c for c in report.caveats)
    # 'food' is unknown to both the forecasters and the segments; the reader is told once.
    assert [c for c in report.caveats if "'food'" in c] == ["genre 'food' is not in the shared genre vocabulary and was ignored"]


def test_a_summary_that_repeats_the_instructions_is_replaced(
    scripted, settings: Settings, film_brief: Brief, catalog: Catalog, trained: TrainedModels
) -> None:
    echo = _summary(
        "One sentence with the single most useful finding for the launch team",
        "Three or four sentences that explain these facts for a producer.",
    )
    _, report, calls = run_analysis(
        film_brief, settings, AgentContext(model=scripted(echo, echo), catalog=catalog, trained=trained, writer_candidates=1)
    )
    assert report.summary_source == "template" and "most useful finding" not in report.headline
    assert [c.valid for c in calls] == [False, False]
