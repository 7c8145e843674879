"""Audience forecast: forward-in-time evaluation, intervals calibrated on later films, what is shown and flagged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from greenroom.core.analysis import HoldoutMetrics
from greenroom.core.audience import AudienceReport
from greenroom.core.brief import Brief, BriefError, parse_brief
from greenroom.core.vocabulary import canonical_genres, film_key
from greenroom.interfaces.outputs import render
from greenroom.tools.forecasting.audience import AudienceModels, fit_forward, forecast_audience
from greenroom.tools.forecasting.baseline import GenreDecadeMedian
from greenroom.tools.forecasting.calibration import (
    ForwardWindow,
    IntervalCalibration,
    calibration_class,
    conformal_offsets,
    forward_origins,
)
from greenroom.tools.forecasting.conformal import IntervalForecaster
from greenroom.tools.forecasting.data import budget_lookup, is_major_studio, load_votes_data
from greenroom.tools.forecasting.evaluation import backtest, beats_baseline
from greenroom.tools.training import TrainedModels, TrainingConfig, load_or_train


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
    """A small reach forecaster (3 genres, 40 rounds, 80% interval) for tests that fit their own."""
    return IntervalForecaster(
        target="votes", genre_columns=["Action", "Comedy", "Drama"], use_budget=True, transform="log1p", max_iter=40, **options
    )


def with_metrics(models: AudienceModels, key: str, **changes: Any) -> AudienceModels:
    """The same fitted models with one target's forward metrics changed (to decide what is shown)."""
    metrics = dict(models.metrics)
    metrics[key] = metrics[key].model_copy(update=changes)
    return AudienceModels(
        votes=models.votes, rating=models.rating, box_office=models.box_office, version=models.version, metrics=metrics
    )


# Forward evaluation ---------------------------------------------------------------


def test_forward_evaluation_trains_each_model_on_earlier_years_only() -> None:
    frame, targets = load_votes_data()
    seen: list[tuple[int, int]] = []

    class Recording(IntervalForecaster):
        def fit(self, frame: pd.DataFrame, y: np.ndarray) -> IntervalForecaster:
            seen.append((int(frame["year"].min()), int(frame["year"].max())))
            return super().fit(frame, y)

    origins = forward_origins(2005, horizon=3, count=2)
    assert [(o.origin, o.first, o.last) for o in origins] == [(1999, 2000, 2002), (2002, 2003, 2005)]
    make = lambda: Recording(target="votes", genre_columns=["Drama"], use_budget=True, transform="log1p", max_iter=10)  # noqa: E731
    with threadpool_limits(limits=1):
        windows = backtest(make, frame, targets["votes"].to_numpy(), origins)
    assert [last for _, last in seen] == [1999, 2002]  # trained up to the origin ...
    for window in windows:
        years = window.films["year"]
        assert years.min() == window.origin.first > window.origin.origin  # ... tested after it
        assert years.max() == window.origin.last
        assert len(window.z) == int(((frame["year"] >= window.origin.first) & (frame["year"] <= window.origin.last)).sum())


def test_forward_metrics_score_later_releases_beside_a_median_of_the_same_years(trained: TrainedModels) -> None:
    votes = trained.forecast.metrics["votes"]
    assert votes.split == "forward" and votes.test_years == "1997-2005" and votes.origins == [1996, 1999, 2002]
    assert votes.space == "log1p(votes)"
    assert votes.mae < votes.baseline_mae and votes.spearman is not None and votes.spearman >= 0.5
    assert len(votes.window_mae_ratios) == len(votes.window_ratio_bounds) == 3
    box = trained.forecast.metrics["box_office"]
    assert box.test_years == "2006-2014"  # box office is scored on movies.db's last years, budget or not
    for metrics in trained.forecast.metrics.values():
        assert 0.7 <= metrics.coverage_observed <= 0.9
        assert metrics.below_share is not None and metrics.above_share is not None
        assert metrics.below_share + metrics.above_share == pytest.approx(1 - metrics.coverage_observed, abs=1e-3)


def test_interval_calibrated_on_later_films_covers_the_next_years_near_nominal() -> None:
    frame, targets = load_votes_data()
    votes = targets["votes"].to_numpy()
    past = (frame["year"] <= 2002).to_numpy()
    with threadpool_limits(limits=1):
        model, _ = fit_forward(
            votes_forecaster, frame[past].reset_index(drop=True), votes[past], evaluated=1, calibration_windows=2
        )
        later = frame[~past].reset_index(drop=True)
        batch = model.predict(later)
    inside = (votes[~past] >= batch.lower) & (votes[~past] <= batch.upper)
    assert 0.7 <= inside.mean() <= 0.9  # 2003-2005 releases, never seen in training or calibration
    assert (batch.lower <= batch.point).all() and (batch.point <= batch.upper).all()
    assert {o.last_year for o in batch.offsets} == {2002}  # calibrated on the latest films before them


def test_conformal_offsets_hold_the_nominal_share_of_residuals() -> None:
    residuals = np.arange(1.0, 100.0)  # 1..99
    lower, upper = conformal_offsets(residuals, 0.8)
    assert (lower, upper) == (10.0, 90.0)
    assert np.mean((residuals >= lower) & (residuals <= upper)) >= 0.8


def test_a_class_with_few_later_films_gets_the_widest_range() -> None:
    def window(origin: int, classes: list[str], residuals: list[float]) -> ForwardWindow:
        origin_ = forward_origins(origin + 3, horizon=3, count=1)[0]
        z = np.array(residuals)
        return ForwardWindow(origin=origin_, n_train=100, films=pd.DataFrame(), z=z, point=np.zeros(len(z)),
                             baseline=np.zeros(len(z)), classes=np.array(classes))  # fmt: skip

    rng = np.random.default_rng(0)
    big, small = calibration_class(50e6), calibration_class(5e5)
    calm = window(2000, [big] * 200, list(rng.normal(0, 0.5, 200)))
    wild = window(2003, [big] * 100 + [small] * 5, [*rng.normal(0, 0.5, 100), -6.0, 6.0, 5.0, -5.0, 4.0])
    calibration = IntervalCalibration.from_windows([calm, wild], coverage=0.8, recent=2, min_films=40)
    assert calibration.for_class(big).film_class == big
    assert calibration.for_class(small).film_class == "widest"  # five films are too few for their own range
    widest = calibration.for_class(small)
    assert widest.lower <= min(o.lower for o in calibration.model.values())
    assert widest.upper >= max(o.upper for o in calibration.model.values())


def test_a_target_must_beat_the_median_in_every_window_to_be_shown() -> None:
    steady = HoldoutMetrics(target="votes", space="log1p(votes)", split="forward", n_train=10, n_holdout=10, mae=0.9,
                            baseline_mae=1.0, mae_ratio=0.9, window_mae_ratios=[0.9, 0.9], window_ratio_bounds=[0.95, 0.96],
                            coverage_nominal=0.8, coverage_observed=0.8, interval_width=1.0)  # fmt: skip
    assert beats_baseline(steady)
    assert not beats_baseline(steady.model_copy(update={"window_ratio_bounds": [0.9, 1.02]}))  # a tie in one window
    assert not beats_baseline(steady.model_copy(update={"mae": 1.1, "mae_ratio": 1.1}))


def test_the_baseline_reads_a_later_decade_off_the_latest_one() -> None:
    train = pd.DataFrame({"year": [1985, 1995, 1996, 1997], "genres": [("Drama",), ("Drama",), ("Drama",), ("Comedy",)]})
    baseline = GenreDecadeMedian(["Drama", "Comedy"], primary_only=False).fit(train, np.array([1.0, 5.0, 7.0, 3.0]))
    later = pd.DataFrame({"year": [2027, 2027], "genres": [("Drama",), ("Comedy",)]})
    np.testing.assert_allclose(baseline.predict(later), [6.0, 3.0])  # the 1990s medians, not the all-years median


# What a brief gets -------------------------------------------------------------------


def test_film_brief_gets_numbers_with_intervals_and_stated_assumptions(trained: TrainedModels) -> None:
    forecast = forecast_audience(make_brief(), trained.forecast)
    assert not forecast.out_of_domain
    assert forecast.votes and forecast.rating and forecast.box_office
    for est in (forecast.votes, forecast.rating, forecast.box_office):
        assert est.lower <= est.point <= est.upper
        assert est.coverage == 0.8
        assert est.calibration and est.evaluated_on.startswith("releases ")
    assert forecast.rating.lower >= 1 and forecast.rating.upper <= 10
    assert forecast.inputs.production_budget_usd == pytest.approx(10_000_000)
    assert any("launch budget" in a for a in forecast.inputs.assumptions)
    assert any("No studio given" in a for a in forecast.inputs.assumptions)
    assert any("after the training data" in n for n in forecast.notes)  # 2026 is later than the data


def test_the_report_says_how_the_interval_was_calibrated(trained: TrainedModels) -> None:
    forecast = forecast_audience(make_brief(), with_metrics(trained.forecast, "votes", window_ratio_bounds=[0.5, 0.5, 0.5]))
    assert forecast.votes is not None and forecast.votes.basis == "model"
    text = forecast.votes.calibration
    assert text.startswith("Calibrated forward in time")
    assert "released 2000-2005" in text and "up to 1999, 2002" in text
    assert "21 years after the latest training film (2005)" in text  # a 2026 release, further than calibrated


def test_a_target_that_does_not_beat_the_median_forward_is_not_shown_as_a_model_forecast(trained: TrainedModels) -> None:
    losing = with_metrics(
        trained.forecast, "rating", mae=1.2, baseline_mae=1.1, mae_ratio=1.09, window_ratio_bounds=[1.1, 1.05, 1.2]
    )
    forecast = forecast_audience(make_brief(), losing)
    rating = forecast.rating
    assert rating is not None and rating.basis == "baseline"
    frame = pd.DataFrame({"genres": [tuple(forecast.inputs.genres)], "minutes": [110.0], "budget_usd": [1e7],
                          "year": [2026], "mpaa": ["PG-13"], "major_studio": [0.0]})  # fmt: skip
    median = losing.rating.from_space(losing.rating.baseline_space(frame))[0]
    assert rating.point == pytest.approx(median, abs=0.01)  # the genre-and-decade median, not the model's number
    assert rating.calibration.startswith("Not a model forecast")
    assert any(n.startswith("rating: no model forecast") for n in forecast.notes)
    report = AudienceReport(forecast=forecast, headline="h", summary="s", summary_source="template")
    markdown = render("audience.md.j2", brief=make_brief(), report=report)
    assert "| rating |" in markdown and "genre-and-decade median, not a model forecast" in markdown
    assert "Not a model forecast" in markdown and "Calibrated forward in time" in markdown

    winning = with_metrics(
        trained.forecast, "rating", mae=0.9, baseline_mae=1.1, mae_ratio=0.82, window_ratio_bounds=[0.9, 0.9, 0.9]
    )
    shown = forecast_audience(make_brief(), winning).rating
    assert shown is not None and shown.basis == "model" and shown.calibration.startswith("Calibrated forward in time")


def test_a_tiny_budget_is_flagged_with_the_reason_and_gets_a_wider_interval(trained: TrainedModels) -> None:
    models = with_metrics(trained.forecast, "box_office", window_ratio_bounds=[0.8, 0.8, 0.8])
    tiny = forecast_audience(make_brief(budget={"amount": 20_000}), models).box_office
    usual = forecast_audience(make_brief(budget={"amount": 20_000_000}), models).box_office
    assert tiny is not None and usual is not None
    assert any("below 95% of the training films' budgets" in f and "$40K" in f for f in tiny.flags)
    assert usual.flags == []
    assert np.log(tiny.upper / tiny.lower) > np.log(usual.upper / usual.lower)
    assert "widened" in tiny.calibration


def test_a_release_without_the_us_flags_the_us_box_office(trained: TrainedModels) -> None:
    forecast = forecast_audience(make_brief(territories=["FR", "DE"]), trained.forecast)
    assert forecast.box_office is not None
    assert any("US gross" in f and "FR, DE" in f for f in forecast.box_office.flags)
    assert forecast_audience(make_brief(territories=["US", "CA"]), trained.forecast).box_office.flags == []  # type: ignore[union-attr]


def test_a_major_studio_raises_the_box_office_forecast(trained: TrainedModels) -> None:
    assert make_brief().studio is None
    major = make_brief(studio="Universal Pictures")
    assert major.studio == "Universal Pictures" and is_major_studio(major.studio) and not is_major_studio("Zeitgeist Films")
    with pytest.raises(BriefError, match="studio"):
        make_brief(studio="x" * 200)
    independent = forecast_audience(make_brief(), trained.forecast)
    studio = forecast_audience(major, trained.forecast)
    assert studio.inputs.major_studio and not independent.inputs.major_studio
    frame = pd.DataFrame({"genres": [("Action",)] * 2, "minutes": [110.0] * 2, "budget_usd": [1e7] * 2,
                          "year": [2026] * 2, "mpaa": ["PG-13"] * 2, "major_studio": [0.0, 1.0]})  # fmt: skip
    point = trained.forecast.box_office.point_space(frame)
    assert point[1] > point[0]


def test_bigger_budget_means_more_reach_and_box_office(trained: TrainedModels) -> None:
    small = forecast_audience(make_brief(budget={"amount": 200_000}), trained.forecast)
    big = forecast_audience(make_brief(budget={"amount": 40_000_000}), trained.forecast)
    assert small.votes and big.votes
    assert big.votes.point > small.votes.point
    frame = pd.DataFrame({"genres": [("Action",)] * 2, "minutes": [110.0] * 2, "budget_usd": [4e5, 8e7],
                          "year": [2026] * 2, "mpaa": ["PG-13"] * 2, "major_studio": [0.0] * 2})  # fmt: skip
    box = trained.forecast.box_office.point_space(frame)  # a release after the data, whose budget it never records
    assert box[1] > box[0]
    assert any("box office model learned from every movies.db film" in note for note in big.notes)


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
    saved = again.cards["forecast"].metrics["votes"]
    assert saved["mae"] == pytest.approx(trained.forecast.metrics["votes"].mae)
    assert saved["split"] == "forward" and saved["test_years"] == "1997-2005"
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


def test_blended_point_treats_a_year_past_the_data_as_the_last_year() -> None:
    frame, targets = load_votes_data()
    model = votes_forecaster(blend_linear=True)
    with threadpool_limits(limits=1):
        model.fit(frame, targets["votes"].to_numpy())
        last_year = int(frame["year"].max())
        films = frame.iloc[:20].reset_index(drop=True)
        at_end = model.point_space(films.assign(year=last_year))
        far = model.point_space(films.assign(year=last_year + 30))
    np.testing.assert_allclose(far, at_end)  # the linear part does not extrapolate a trend 30 years on
    assert model.domain is not None
    _, notes = model.domain.check(films.assign(year=last_year + 30).iloc[0])
    assert any("after the training data" in n for n in notes)


def test_a_forecast_that_barely_beats_the_baseline_says_so(trained: TrainedModels) -> None:
    narrow = with_metrics(trained.forecast, "votes", mae=0.95, baseline_mae=1.0, mae_ratio=0.95, window_ratio_bounds=[0.98] * 3)
    forecast = forecast_audience(make_brief(), narrow)
    assert forecast.votes is not None and forecast.votes.basis == "model"
    assert any(n.startswith("reach forecast is a weak signal") and "0.95 against" in n for n in forecast.notes)


def _films_with_budgets_up_to(last_budget_year: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic films 1980-2010: gross = 2 x budget; budgets recorded up to `last_budget_year` only, and the later,
    budget-less films are small ones (as the films that lack a budget in the data tend to be)."""
    rng = np.random.default_rng(3)
    rows, gross = [], []
    for year in range(1980, 2011):
        for _ in range(60):
            budget = float(np.exp(rng.uniform(np.log(1e6), np.log(1e8))))
            known = year <= last_budget_year
            rows.append({"genres": ("Drama",), "minutes": 100.0, "budget_usd": budget if known else np.nan,
                         "year": year, "mpaa": "PG-13", "major_studio": 0.0})  # fmt: skip
            gross.append(2 * budget * (1.0 if known else 0.02) * float(np.exp(rng.normal(0, 0.2))))
    return pd.DataFrame(rows), np.array(gross)


def box_forecaster(**options: Any) -> IntervalForecaster:
    return IntervalForecaster(target="gross", genre_columns=["Drama"], use_budget=True, transform="log", max_iter=60,
                              additive_budget=True, use_studio=True, **options)  # fmt: skip


def test_a_budgeted_film_of_a_later_year_is_forecast_as_a_film_of_the_last_year_with_budgets() -> None:
    frame, gross = _films_with_budgets_up_to(2000)
    brief = pd.DataFrame([{"genres": ("Drama",), "minutes": 100.0, "budget_usd": 1e7, "year": 2027, "mpaa": "PG-13",
                           "major_studio": 0.0}])  # fmt: skip
    with threadpool_limits(limits=1):
        old = box_forecaster().fit(frame, gross)
        before = float(old.from_space(old.point_space(brief))[0])
        fixed = box_forecaster(budgeted_model=True).fit(frame, gross)
        after = float(fixed.from_space(fixed.point_space(brief))[0])
        as_2000 = float(fixed.from_space(fixed.point_space(brief.assign(year=2000)))[0])
    assert fixed.budgeted_years == (1980, 2000)
    assert after == pytest.approx(as_2000)
    # Gross is twice the budget for every budgeted film: the fixed model stays near 2x, the old one did not.
    assert 1.0 < after / 1e7 < 4.0
    assert abs(np.log(after / 2e7)) < abs(np.log(before / 2e7))


def test_interest_is_ranked_as_a_percentile_among_the_same_years_releases(trained: TrainedModels) -> None:
    forecast = forecast_audience(make_brief(), trained.forecast)
    votes = forecast.votes
    assert votes is not None and votes.percentile is not None
    assert votes.percentile_lower is not None and votes.percentile_upper is not None
    assert 0 <= votes.percentile_lower <= votes.percentile <= votes.percentile_upper <= 100
    assert "released 2001-2005" in votes.percentile_of
    assert any("percentile" in note and "snapshot" in note for note in forecast.notes)
