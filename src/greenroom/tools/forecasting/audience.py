"""The analyst's audience forecast: the three fitted forecasters, their training, and `forecast_audience`.

`forecast_audience(brief, models)` is the pure function the analyst calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from greenroom.core.analysis import AudienceForecast, Estimate, HoldoutMetrics
from greenroom.core.brief import Brief, BusinessModel, Format
from greenroom.core.numbers import label
from greenroom.core.vocabulary import unknown_genre_note
from greenroom.tools.forecasting.calibration import IntervalCalibration, Offsets, forward_origins
from greenroom.tools.forecasting.conformal import ForecastBatch, IntervalForecaster, Transform, space_words
from greenroom.tools.forecasting.data import (
    BOX_OFFICE_SOURCE,
    GGPLOT2_GENRES,
    VOTES_SOURCE,
    load_box_office_data,
    load_votes_data,
)
from greenroom.tools.forecasting.evaluation import TARGET_MAE_RATIO, backtest, beats_baseline, forward_metrics
from greenroom.tools.forecasting.features import brief_inputs, common_genres, inputs_frame

MODEL_VERSION = "forecast-2.1"
"""Bump when features, targets or training data change; saved models with another version are retrained.

Bump as well when a saved class (AudienceModels, IntervalForecaster, FeatureDomain) moves to another
module: the joblib files name each class by its module path, so an old file would fail to load instead
of being retrained. forecast-2.0: intervals calibrated on later films (rolling origins), box office
learns from every movies.db film with a box office figure, metrics are forward in time. forecast-2.1: a film
with a budget gets its box office from a model fitted on the budgeted films only (`budgeted_model`)."""

BLEND_LINEAR: frozenset[str] = frozenset()
"""Targets whose point forecast averages the boosted and the linear median (see IntervalForecaster).

None since the forward evaluation: on box office trained on every movies.db film, the blend raised the
MAE ratio on each window of 2006-2014 releases (0.88 -> 0.91, 0.75 -> 0.79, 0.70 -> 0.71; pooled
0.763 -> 0.790, `forecast_bench.py --blend box_office_usd`) and doubled the training time; on random
splits it had lowered it (0.750 -> 0.739)."""

REFERENCE_YEARS = 5
"""Latest training years whose releases the votes forecast is ranked among (a percentile survives time; a count does not)."""

FORWARD_HORIZON = 3
"""Years in each rolling-origin test window: models trained up to a year are scored on the next three."""

EVALUATED_WINDOWS = 3
"""Latest windows the forward metrics pool (nine years of releases)."""

CALIBRATION_WINDOWS = 2
"""Latest windows whose errors set an interval (the six most recent years of each source)."""

US_TERRITORIES = frozenset({"US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA"})

TARGET_LABELS: dict[str, str] = {"votes": "reach", "rating": "rating", "box_office": "box office"}


@dataclass
class AudienceModels:
    """The three fitted and calibrated forecasters, their version and their forward-in-time metrics."""

    votes: IntervalForecaster
    rating: IntervalForecaster
    box_office: IntervalForecaster
    version: str = MODEL_VERSION
    metrics: dict[str, HoldoutMetrics] = field(default_factory=dict)
    votes_reference: list[float] = field(default_factory=list)
    """Sorted IMDb votes of the training films of the last `REFERENCE_YEARS` years: the votes forecast's percentile ranks among them."""
    votes_reference_years: str = ""

    def shows(self, key: str) -> bool:
        """Whether `key`'s model forecast is shown: only when it beat the baseline on later films."""
        metrics = self.metrics.get(key)
        return metrics is not None and beats_baseline(metrics)


def fit_forward(
    make: Callable[[], IntervalForecaster],
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    horizon: int = FORWARD_HORIZON,
    evaluated: int = EVALUATED_WINDOWS,
    calibration_windows: int = CALIBRATION_WINDOWS,
) -> tuple[IntervalForecaster, HoldoutMetrics]:
    """Score `make()` forward in time on the latest years, then fit it on every film and calibrate it on the latest windows."""
    origins = forward_origins(int(frame["year"].max()), horizon=horizon, count=evaluated + calibration_windows)
    windows = backtest(make, frame, y, origins)
    final = make().fit(frame, y)
    metrics = forward_metrics(
        windows,
        target=final.target,
        space=final.space,
        coverage=final.coverage,
        evaluated=evaluated,
        calibration_windows=calibration_windows,
    )
    final.calibrate(IntervalCalibration.from_windows(windows, coverage=final.coverage, recent=calibration_windows))
    return final, metrics


def train_audience_models(
    *,
    coverage: float = 0.8,
    max_iter: int = 100,
    seed: int = 0,
    db_path: Path | None = None,
    blend_linear: Iterable[str] = BLEND_LINEAR,
    horizon: int = FORWARD_HORIZON,
    evaluated: int = EVALUATED_WINDOWS,
    calibration_windows: int = CALIBRATION_WINDOWS,
) -> AudienceModels:
    """Fit the reach, rating and box-office forecasters; metrics come from releases after each model's training years."""
    frame, targets = load_votes_data()
    blended = set(blend_linear)

    def forecaster(
        target: str, genres: Sequence[str], transform: Transform, bounds: tuple[float, float], box_office: bool = False
    ) -> Callable[[], IntervalForecaster]:
        return lambda: IntervalForecaster(
            target=target,
            genre_columns=genres,
            use_budget=True,
            transform=transform,
            bounds=bounds,
            coverage=coverage,
            max_iter=max_iter,
            blend_linear=target in blended,
            additive_budget=box_office,
            use_studio=box_office,
            primary_genre_baseline=box_office,
            budgeted_model=box_office,
            random_state=seed,
        )

    def fit(
        make: Callable[[], IntervalForecaster], data: pd.DataFrame, y: pd.Series
    ) -> tuple[IntervalForecaster, HoldoutMetrics]:
        return fit_forward(
            make, data, y.to_numpy(), horizon=horizon, evaluated=evaluated, calibration_windows=calibration_windows
        )

    votes, votes_metrics = fit(forecaster("votes", GGPLOT2_GENRES, "log1p", (0, math.inf)), frame, targets["votes"])
    rating, rating_metrics = fit(forecaster("rating", GGPLOT2_GENRES, "identity", (1, 10)), frame, targets["rating"])
    box_frame, gross = load_box_office_data(db_path)
    box_genres = common_genres(box_frame["genres"])
    box, box_metrics = fit(forecaster("box_office_usd", box_genres, "log", (0, math.inf), box_office=True), box_frame, gross)
    metrics = {"votes": votes_metrics, "rating": rating_metrics, "box_office": box_metrics}
    last = int(frame["year"].max())
    recent = (frame["year"] > last - REFERENCE_YEARS).to_numpy()
    reference = sorted(float(v) for v in targets["votes"].to_numpy()[recent])
    return AudienceModels(votes=votes, rating=rating, box_office=box, metrics=metrics, votes_reference=reference,
                          votes_reference_years=f"{last - REFERENCE_YEARS + 1}-{last}")  # fmt: skip


def votes_percentile(models: AudienceModels, estimate: Estimate) -> Estimate:
    """The votes estimate with its point and interval also ranked among the latest training years' releases."""
    reference = np.asarray(models.votes_reference, dtype=float)
    if reference.size == 0:
        return estimate

    def rank(value: float) -> float:
        return round(float(np.searchsorted(reference, value, side="right")) / reference.size * 100, 1)

    return estimate.model_copy(
        update={
            "percentile": rank(estimate.point),
            "percentile_lower": rank(estimate.lower),
            "percentile_upper": rank(estimate.upper),
            "percentile_of": f"the {reference.size:,} budgeted films of ggplot2movies released {models.votes_reference_years}",
        }
    )


def _calibration_text(forecaster: IntervalForecaster, offsets: Offsets, own_class: str, year: int) -> str:
    assert forecaster.calibration is not None and forecaster.domain is not None
    horizon = forecaster.calibration.horizon
    origins = ", ".join(str(o) for o in offsets.origins)
    if offsets.film_class == "widest":
        text = (
            f"Calibrated forward in time, and widened: too few later films in this film's class ({own_class}) to "
            f"calibrate on, so the interval takes the widest {forecaster.coverage:.0%} error range of any class, from "
            f"models trained on films up to {origins} scored on releases {offsets.years} "
            f"(1-{horizon} years after their training films)."
        )
    else:
        films = f"{offsets.films:,} later films" + (
            f" in its class ({offsets.film_class})" if offsets.film_class != "all" else ""
        )
        text = (
            f"Calibrated forward in time: the {forecaster.coverage:.0%} range of the errors that models trained on "
            f"films up to {origins} made on the {films}, released {offsets.years} (1-{horizon} years after their "
            "training films)."
        )
    last_training = forecaster.domain.year[1]
    gap = year - last_training
    if gap > horizon:
        text += (
            f" This release is {gap} years after the latest training film ({last_training}), further ahead than the "
            "calibration reached: the real spread may be wider."
        )
    return text


def _baseline_text(forecaster: IntervalForecaster, metrics: HoldoutMetrics | None) -> str:
    assert forecaster.calibration is not None
    base = forecaster.calibration.baseline
    lost = (
        f" (on releases {metrics.test_years} its error was {metrics.mae:.2f} against the median's "
        f"{metrics.baseline_mae:.2f} {space_words(metrics.space)})"
        if metrics
        else ""
    )
    return (
        f"Not a model forecast: the model did not beat the genre-and-decade median on films released after its "
        f"training data{lost}, so this is that median of the training films, with the {forecaster.coverage:.0%} range "
        f"of its errors on the {base.films:,} films released {base.years}."
    )


def _estimate(
    key: str,
    models: AudienceModels,
    forecaster: IntervalForecaster,
    batch: ForecastBatch,
    unit: str,
    source: str,
    year: int,
    flags: list[str],
) -> Estimate:
    metrics = models.metrics.get(key)
    shown = models.shows(key)
    offsets, own_class = batch.offsets[0], batch.classes[0]
    point, lower, upper = (batch.point, batch.lower, batch.upper) if shown else (
        batch.baseline, batch.baseline_lower, batch.baseline_upper
    )  # fmt: skip
    return Estimate(
        point=round(float(point[0]), 2),
        lower=round(float(lower[0]), 2),
        upper=round(float(upper[0]), 2),
        coverage=forecaster.coverage,
        unit=unit,
        basis="model" if shown else "baseline",
        calibration=_calibration_text(forecaster, offsets, own_class, year) if shown else _baseline_text(forecaster, metrics),
        flags=flags,
        holdout_mae=metrics.mae if metrics else None,
        baseline_mae=metrics.baseline_mae if metrics else None,
        error_space=metrics.space if metrics else "",
        evaluated_on=(
            f"releases {metrics.test_years}, by models trained up to {', '.join(str(o) for o in metrics.origins)}"
            if metrics and metrics.origins
            else ""
        ),
        source=source,
    )


def _verdict_notes(models: AudienceModels, keys: Sequence[str]) -> list[str]:
    """One note per target that is not shown as a model forecast, or that beats the baseline only narrowly, on later films."""
    notes = []
    for key in keys:
        metrics = models.metrics.get(key)
        if metrics is None:
            continue
        label = TARGET_LABELS[key]
        measured = (
            f"on films released {metrics.test_years} its error was {metrics.mae:.2f} against the "
            f"genre-and-decade median's {metrics.baseline_mae:.2f} {space_words(metrics.space)}"
        )
        if not models.shows(key):
            notes.append(
                f"{label}: no model forecast, the model did not beat the genre-and-decade median ({measured}); that median is shown"
            )
        elif metrics.mae_ratio > TARGET_MAE_RATIO:
            notes.append(f"{label} forecast is a weak signal: {measured}, only {1 - metrics.mae_ratio:.0%} lower")
    return notes


def _territory_flags(brief: Brief) -> list[str]:
    territories = [t.strip() for t in brief.territories]
    if not any(t.upper() in US_TERRITORIES for t in territories):
        return [
            f"the box office figure is a US gross (movies.db), but the brief's territories ({', '.join(territories)}) "
            "do not include the US"
        ]
    return []


def forecast_audience(brief: Brief, models: AudienceModels) -> AudienceForecast:
    """Forecast reach (IMDb votes), rating and, for theatrical films, box office, each with an interval.

    A brief whose format is not a film gets no numbers, only the reason; a film
    whose inputs fall outside the training range gets numbers flagged out of domain.
    A target whose model did not beat the genre-and-decade median on films released
    after its training data gets that median, marked as such, instead of a model forecast.
    """
    inputs = brief_inputs(brief)
    source = f"{VOTES_SOURCE}; {BOX_OFFICE_SOURCE}"
    notes = [unknown_genre_note(g) for g in inputs.unmatched_genres]
    if brief.format is not Format.FILM:
        return AudienceForecast(
            out_of_domain=True,
            ood_reasons=[
                f"the format, {label(brief.format.value)}, is not a film: the models were trained on feature films only"
            ],
            notes=notes,
            inputs=inputs,
            model_version=models.version,
            source=source,
        )
    frame = inputs_frame([inputs])
    with threadpool_limits(limits=1):  # one row gains nothing from threads, and OpenMP stalls on busy machines
        votes_batch = models.votes.predict(frame)
        rating_batch = models.rating.predict(frame)
        box_batch = models.box_office.predict(frame)
    ood = list(votes_batch.ood[0])
    notes += votes_batch.notes[0]
    box: Estimate | None = None
    if brief.business_model is BusinessModel.THEATRICAL:
        ood += [f"box office: {r}" for r in box_batch.ood[0] if r not in ood]
        notes += [f"box office: {n}" for n in box_batch.notes[0]]
        years = models.box_office.budgeted_years
        notes.append(
            "box office model learned from every movies.db film with a box office figure (released up to 2014); "
            "a brief with a budget is forecast by its part fitted only on the films whose production budget "
            "ggplot2movies records"
            + (
                f" ({years[0]}-{years[1]}; a later year is read as {years[1]}), so that the effects learned on films "
                "without a budget (the later years', a major studio's) do not stand in for the budget a second time"
                if years is not None
                else ""
            )
        )
        box_flags = box_batch.flags[0] + _territory_flags(brief)
        box = _estimate("box_office", models, models.box_office, box_batch, "USD", BOX_OFFICE_SOURCE, inputs.year, box_flags)
    else:
        notes.append(f"no box office forecast: the business model is {label(brief.business_model.value)}, not theatrical")
    votes = votes_percentile(
        models,
        _estimate("votes", models, models.votes, votes_batch, "IMDb votes", VOTES_SOURCE, inputs.year, votes_batch.flags[0]),
    )
    notes.append(
        "interest is stated as a percentile among the releases of the training data's last years: IMDb vote counts "
        f"keep growing for years after release and with the platform, so the count (a {models.votes.domain.year[1] if models.votes.domain else 2005} "
        "snapshot) does not carry over to a later release; the count is not calibrated forward"
    )
    rating = _estimate(
        "rating", models, models.rating, rating_batch, "IMDb rating (1-10)", VOTES_SOURCE, inputs.year, rating_batch.flags[0],
    )  # fmt: skip
    notes += _verdict_notes(models, ["votes", "rating"] + (["box_office"] if box is not None else []))
    return AudienceForecast(
        votes=votes,
        rating=rating,
        box_office=box,
        out_of_domain=bool(ood),
        ood_reasons=list(dict.fromkeys(ood)),
        notes=list(dict.fromkeys(notes)),
        inputs=inputs,
        model_version=models.version,
        source=source,
    )
