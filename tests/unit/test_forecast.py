"""Audience forecast: intervals that hold, out-of-domain flags, saved metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from graphs.brief import Brief, parse_brief
from tools.forecast import IntervalForecaster, budget_lookup, canonical_genres, film_key, forecast_audience, load_votes_data
from tools.training import TrainedModels, TrainingConfig, load_or_train


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainedModels:
    """Train once per session into a shared temporary data folder (other test modules reuse it)."""
    return load_or_train(tmp_path_factory.getbasetemp() / "greenroom-data", config=TrainingConfig.small())


def make_brief(**overrides: Any) -> Brief:
    data: dict[str, Any] = {
        "working_title": "Orbit",
        "format": "film",
        "logline": "A stranded pilot fights her way home from the far side of the moon.",
        "genres": ["sci-fi", "action"],
        "length": {"minutes": 110},
        "budget": {"amount": 5_000_000, "currency": "USD"},
        "business_model": "theatrical",
        "release": {"earliest": "2026-05-01", "latest": "2026-09-01"},
        "constraints": {"age_rating_ceiling": "PG-13"},
    }
    data.update(overrides)
    return parse_brief(data)


def votes_forecaster(**options: Any) -> IntervalForecaster:
    """A small reach forecaster (3 genres, 60 rounds, 80% interval) for tests that fit their own."""
    return IntervalForecaster(
        target="votes", genre_columns=["Action", "Comedy", "Drama"], use_budget=True, transform="log1p", max_iter=60, **options
    )


def test_interval_covers_held_out_films_near_its_nominal_rate() -> None:
    frame, targets = load_votes_data()
    train, test = train_test_split(np.arange(len(frame)), test_size=0.25, random_state=1)
    model = votes_forecaster(random_state=1)
    votes = targets["votes"].to_numpy()
    with threadpool_limits(limits=1):
        model.fit(frame.iloc[train].reset_index(drop=True), votes[train])
        batch = model.predict(frame.iloc[test].reset_index(drop=True))
    inside = (votes[test] >= batch.lower) & (votes[test] <= batch.upper)
    assert 0.72 <= inside.mean() <= 0.88
    assert (batch.lower <= batch.point).all() and (batch.point <= batch.upper).all()


def test_holdout_metrics_record_coverage_and_beat_baseline_on_reach(trained: TrainedModels) -> None:
    votes = trained.forecast.metrics["votes"]
    assert votes.space == "log1p(votes)"
    assert votes.mae < votes.baseline_mae
    for metrics in trained.forecast.metrics.values():
        assert 0.72 <= metrics.coverage_observed <= 0.88


def test_film_brief_gets_numbers_with_intervals_and_stated_assumptions(trained: TrainedModels) -> None:
    forecast = forecast_audience(make_brief(), trained.forecast)
    assert not forecast.out_of_domain
    assert forecast.votes and forecast.rating and forecast.box_office
    for est in (forecast.votes, forecast.rating, forecast.box_office):
        assert est.lower <= est.point <= est.upper
        assert est.coverage == 0.8
    assert forecast.rating.lower >= 1 and forecast.rating.upper <= 10
    assert forecast.inputs.production_budget_usd == pytest.approx(10_000_000)
    assert any("launch budget" in a for a in forecast.inputs.assumptions)
    assert any("after the training data" in n for n in forecast.notes)  # 2026 is later than the data


def test_bigger_budget_means_more_reach(trained: TrainedModels) -> None:
    small = forecast_audience(make_brief(budget={"amount": 200_000}), trained.forecast)
    big = forecast_audience(make_brief(budget={"amount": 40_000_000}), trained.forecast)
    assert small.votes and big.votes
    assert big.votes.point > small.votes.point


def test_podcast_brief_is_out_of_domain_and_gets_no_numbers(trained: TrainedModels) -> None:
    brief = make_brief(format="podcast", length={"episodes": 8, "minutes": 40})
    forecast = forecast_audience(brief, trained.forecast)
    assert forecast.out_of_domain
    assert forecast.votes is None and forecast.rating is None and forecast.box_office is None
    assert any("podcast" in r for r in forecast.ood_reasons)


def test_900_minute_film_is_flagged(trained: TrainedModels) -> None:
    forecast = forecast_audience(make_brief(length={"minutes": 900}), trained.forecast)
    assert forecast.out_of_domain
    assert any("running time 900" in r for r in forecast.ood_reasons)


def test_streaming_film_has_no_box_office(trained: TrainedModels) -> None:
    forecast = forecast_audience(make_brief(business_model="subscription"), trained.forecast)
    assert forecast.box_office is None
    assert forecast.votes is not None


def test_genre_synonyms_map_to_shared_vocabulary() -> None:
    genres, unknown = canonical_genres(["Science Fiction", "rom-com", "Thrillers", "mumblecore"])
    assert genres == ["Sci-Fi", "Romance", "Comedy", "Thriller"]
    assert unknown == ["mumblecore"]


def test_metrics_saved_and_reloaded_without_retraining(trained: TrainedModels, tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir: Path = tmp_path_factory.getbasetemp() / "greenroom-data"
    again = load_or_train(data_dir, config=TrainingConfig.small())
    assert again.trained == []
    assert (data_dir / "models" / "forecast.json").exists()
    assert again.cards["forecast"].metrics["votes"]["mae"] == pytest.approx(trained.forecast.metrics["votes"].mae)
    assert again.cards["segments"].metrics["recommender"]["ratio"] > 1.0


def test_budgets_join_on_title_and_year_and_skip_ambiguous_keys() -> None:
    lookup = budget_lookup(
        ["Matrix, The", "Solaris", "Solaris", "Heat"],
        [1999, 1972, 1972, 1995],
        [63e6, 1e6, 2e6, 60e6],
    )
    assert lookup[film_key("The Matrix", 1999)] == 63e6  # ggplot2movies writes "Matrix, The"
    assert film_key("Solaris", 1972) not in lookup  # two films, two budgets: no guess
    assert film_key("Heat", 1996) not in lookup


def test_box_office_forecast_grows_with_budget(trained: TrainedModels) -> None:
    assert trained.forecast.box_office.use_budget
    small = forecast_audience(make_brief(budget={"amount": 200_000}), trained.forecast)
    big = forecast_audience(make_brief(budget={"amount": 40_000_000}), trained.forecast)
    assert small.box_office is not None and big.box_office is not None
    assert big.box_office.point > small.box_office.point
    assert any("production budget ggplot2movies records" in note for note in big.notes)


def test_blended_point_treats_a_year_past_the_data_as_the_last_year() -> None:
    frame, targets = load_votes_data()
    model = votes_forecaster(blend_linear=True)
    with threadpool_limits(limits=1):
        model.fit(frame, targets["votes"].to_numpy())
        last_year = int(frame["year"].max())
        films = frame.iloc[:20].reset_index(drop=True)
        at_end = model.predict(films.assign(year=last_year))
        far = model.predict(films.assign(year=last_year + 30))
    np.testing.assert_allclose(far.point, at_end.point)  # the linear part does not extrapolate a trend 30 years on
    assert (far.lower <= far.point).all() and (far.point <= far.upper).all()
    assert any("after the training data" in n for n in far.notes[0])


def test_a_forecast_that_barely_beats_the_baseline_says_so(trained: TrainedModels) -> None:
    forecast = forecast_audience(make_brief(), trained.forecast)
    rating = trained.forecast.metrics["rating"]
    assert rating.mae_ratio > 0.75  # IMDb rating is hard to call from what a brief gives
    weak = [n for n in forecast.notes if "weak signal" in n]
    assert any(n.startswith("rating forecast") and f"{rating.baseline_mae:.2f}" in n for n in weak)
    assert not any(n.startswith("reach forecast") for n in weak)  # reach beats the baseline by a third
