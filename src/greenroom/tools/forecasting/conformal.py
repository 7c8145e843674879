"""The forecaster: a gradient-boosted median with an interval calibrated forward in time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import QuantileRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from greenroom.tools.forecasting.baseline import GenreDecadeMedian
from greenroom.tools.forecasting.calibration import IntervalCalibration, Offsets, calibration_class
from greenroom.tools.forecasting.features import FeatureDomain, feature_matrix

Transform = Literal["identity", "log1p", "log"]

MIN_BUDGETED_FILMS = 100
"""Fewest training films with a budget for the budgeted model (`budgeted_model`); below it every film uses the main model."""


def space_words(space: str) -> str:
    """Where errors are measured, for a sentence: 'log1p(votes)' -> 'on a log scale', 'rating' -> 'on the rating scale'."""
    return "on a log scale" if space.startswith("log") else f"on the {space.replace('_', ' ')} scale"


@dataclass
class ForecastBatch:
    """Predictions for a batch of films, in the target's natural units, with the baseline's beside them."""

    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    baseline: np.ndarray
    baseline_lower: np.ndarray
    baseline_upper: np.ndarray
    classes: list[str]
    """Per film: its calibration class (budget, and studio where the model uses one)."""
    offsets: list[Offsets]
    """Per film: the later films whose errors set its interval."""
    ood: list[list[str]]
    notes: list[list[str]]
    flags: list[list[str]]
    """Per film: why it is unusual for the model (budget far from the training films')."""


def boosted_regressor(
    loss: str,
    *,
    max_iter: int,
    random_state: int,
    quantile: float | None = None,
    interaction_cst: list[list[int]] | None = None,
    monotonic_cst: dict[str, int] | None = None,
) -> HistGradientBoostingRegressor:
    """The gradient-boosted regressor every forecaster uses (point: absolute_error)."""
    kwargs: dict[str, Any] = {"quantile": quantile} if quantile is not None else {}
    return HistGradientBoostingRegressor(
        loss=loss,
        max_iter=max_iter,
        learning_rate=0.1,
        min_samples_leaf=20,
        early_stopping=False,
        random_state=random_state,
        interaction_cst=interaction_cst,
        monotonic_cst=monotonic_cst,
        **kwargs,
    )


class IntervalForecaster:
    """Gradient-boosted median with an interval calibrated on later films (split conformal, time-ordered).

    `fit(frame, y)` takes the film-feature frame (genres, minutes, budget_usd,
    year, mpaa) and the target in natural units, and fits the point model and
    the genre-and-decade median baseline on every film given. `calibrate(...)`
    sets the interval from the errors that models trained on earlier films made
    on later ones (see `calibration`); `predict(frame)` returns the point, the
    interval, the baseline and out-of-domain reasons per film.

    With `blend_linear` the point is the mean of the boosted median and a linear
    median regression (features clipped to the training range, so a year past
    the data is predicted as the last year, as the boosted model does): on
    small sets such as the box-office films the two err differently. With
    `additive_budget` the boosted trees use the budget alone or the other
    features alone, and more budget never lowers the point: the budget effect
    learned on the films that record one then carries over to later films,
    whose budget the data does not record. With `use_studio` the frame's
    `major_studio` column (1.0 for a major studio's release) is a feature.

    With `budgeted_model` a film with a budget is forecast by a second model fitted only on the
    training films that record one (films without a budget keep the model fitted on all). Fitted
    on all films, the trees learn the effect of every other feature on the films that lack a
    budget as well, and there it stands in for the budget: budgets are recorded only up to 2005
    (ggplot2movies) while grosses go to 2014 (movies.db), so the later years' effect absorbs the
    missing-budget offset, and a major studio's flag the big budgets its films do not record. A
    brief has a budget, a later year and often a studio, and got the budget's effect twice
    (issue 29; `benchmarks/box_office_bench.py`). The budgeted model reads a year after its last
    budgeted film as that year, as trees do.
    """

    def __init__(
        self,
        *,
        target: str,
        genre_columns: Sequence[str],
        use_budget: bool,
        transform: Transform,
        bounds: tuple[float, float] | None = None,
        coverage: float = 0.8,
        max_iter: int = 100,
        blend_linear: bool = False,
        additive_budget: bool = False,
        use_studio: bool = False,
        primary_genre_baseline: bool = False,
        budgeted_model: bool = False,
        random_state: int = 0,
    ) -> None:
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be between 0 and 1, got {coverage}")
        if additive_budget and not use_budget:
            raise ValueError("additive_budget needs use_budget")
        self.target = target
        self.genre_columns = list(genre_columns)
        self.use_budget = use_budget
        self.transform = transform
        self.bounds = bounds
        self.coverage = coverage
        self.max_iter = max_iter
        self.blend_linear = blend_linear
        self.additive_budget = additive_budget
        self.use_studio = use_studio
        self.primary_genre_baseline = primary_genre_baseline
        self.budgeted_model = budgeted_model
        self._budgeted: HistGradientBoostingRegressor | None = None
        self.budgeted_years: tuple[int, int] | None = None
        """With `budgeted_model`: the first and last year of the training films that record a budget."""
        self.random_state = random_state
        self.domain: FeatureDomain | None = None
        self.calibration: IntervalCalibration | None = None
        self.baseline = GenreDecadeMedian(self.genre_columns, primary_genre_baseline)
        self._point_model: HistGradientBoostingRegressor | None = None
        self._linear: Pipeline | None = None
        self._feature_range: tuple[pd.Series, pd.Series] | None = None

    # Target space -------------------------------------------------------------
    def to_space(self, y: np.ndarray) -> np.ndarray:
        """Target in the space the model is fitted and scored in."""
        y = np.asarray(y, dtype=float)
        if self.transform == "log1p":
            return np.log1p(y)
        if self.transform == "log":
            return np.log(y)
        return y

    def from_space(self, z: np.ndarray) -> np.ndarray:
        """Back from model space to natural units, clipped to the target's bounds."""
        z = np.asarray(z, dtype=float)
        y = np.expm1(z) if self.transform == "log1p" else np.exp(z) if self.transform == "log" else z
        return np.clip(y, *self.bounds) if self.bounds else y

    @property
    def space(self) -> str:
        """The space errors are measured in, e.g. log1p(votes)."""
        return {"log1p": f"log1p({self.target})", "log": f"log({self.target})"}.get(self.transform, self.target)

    def _regressor(self, columns: Sequence[str]) -> HistGradientBoostingRegressor:
        if not self.additive_budget:
            return boosted_regressor("absolute_error", max_iter=self.max_iter, random_state=self.random_state)
        budget = list(columns).index("log_budget")
        others = [i for i in range(len(columns)) if i != budget]
        return boosted_regressor(
            "absolute_error",
            max_iter=self.max_iter,
            random_state=self.random_state,
            interaction_cst=[[budget], others],
            monotonic_cst={"log_budget": 1},
        )

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> IntervalForecaster:
        """Fit the point model and the baseline on every film given; the interval comes from `calibrate`."""
        z = self.to_space(np.asarray(y, dtype=float))
        if not np.isfinite(z).all():
            raise ValueError(f"{self.target}: target has values the {self.transform} transform cannot take")
        X = feature_matrix(frame, self.genre_columns, self.use_budget, self.use_studio)
        self._point_model = self._regressor(list(X.columns)).fit(X, z)
        self._budgeted, self.budgeted_years = None, None
        if self.budgeted_model:
            known = frame["budget_usd"].astype(float).notna().to_numpy()
            if known.sum() >= MIN_BUDGETED_FILMS:
                self._budgeted = self._regressor(list(X.columns)).fit(X[known], z[known])
                years = frame["year"][known]
                self.budgeted_years = (int(years.min()), int(years.max()))
        self.baseline.fit(frame, z)
        self.domain = FeatureDomain.of(frame, self.genre_columns, self.use_budget)
        self.calibration = None
        self._linear = None
        if self.blend_linear:
            self._feature_range = (X.min(), X.max())
            self._linear = make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                StandardScaler(),
                QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs"),
            ).fit(self._clipped(X), z)
        return self

    def calibrate(self, calibration: IntervalCalibration) -> IntervalForecaster:
        """Set the interval: offsets from the errors earlier models made on later films."""
        if calibration.coverage != self.coverage:
            raise ValueError(f"calibration is for {calibration.coverage:.0%}, the forecaster for {self.coverage:.0%}")
        self.calibration = calibration
        return self

    def _clipped(self, X: pd.DataFrame) -> pd.DataFrame:
        assert self._feature_range is not None
        lo, hi = self._feature_range
        return X.clip(lower=lo, upper=hi, axis=1)

    def point_space(self, frame: pd.DataFrame) -> np.ndarray:
        """The point forecast in model space."""
        if self._point_model is None:
            raise RuntimeError(f"{self.target} forecaster is not fitted; call fit() or train the models first")
        X = feature_matrix(frame, self.genre_columns, self.use_budget, self.use_studio)
        point = self._point_model.predict(X)
        if self._budgeted is not None:
            known = X["log_budget"].notna().to_numpy() & frame["budget_usd"].astype(float).notna().to_numpy()
            if known.any():
                point[known] = self._budgeted.predict(X[known])
        if self._linear is not None:
            point = (point + self._linear.predict(self._clipped(X))) / 2
        return np.asarray(point, dtype=float)

    def baseline_space(self, frame: pd.DataFrame) -> np.ndarray:
        """The genre-and-decade median of the training films, in model space."""
        return self.baseline.predict(frame)

    def calibration_classes(self, frame: pd.DataFrame) -> list[str]:
        """Each film's calibration class: its budget class, and major studio or independent when the model uses the studio."""
        budgets = frame["budget_usd"].astype(float)
        if not self.use_studio:
            return [calibration_class(b) for b in budgets]
        return [calibration_class(b, s) for b, s in zip(budgets, frame["major_studio"].astype(float), strict=True)]

    def _calibrated(self) -> IntervalCalibration:
        if self.calibration is None:
            raise RuntimeError(f"{self.target} forecaster has no interval yet; calibrate() it on later films first")
        return self.calibration

    def predict_space(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point, lower, upper) in model space."""
        point = self.point_space(frame)
        lower, upper = self._calibrated().interval(point, self.calibration_classes(frame))
        return point, lower, upper

    def predict(self, frame: pd.DataFrame) -> ForecastBatch:
        """Point, interval and baseline (natural units), with out-of-domain reasons and flags for each film."""
        calibration = self._calibrated()
        classes = self.calibration_classes(frame)
        point = self.point_space(frame)
        lower, upper = calibration.interval(point, classes)
        base = self.baseline_space(frame)
        assert self.domain is not None
        checks = [self.domain.check(row) for _, row in frame.iterrows()]
        return ForecastBatch(
            point=self.from_space(point),
            lower=self.from_space(lower),
            upper=self.from_space(upper),
            baseline=self.from_space(base),
            baseline_lower=self.from_space(np.minimum(base + calibration.baseline.lower, base)),
            baseline_upper=self.from_space(np.maximum(base + calibration.baseline.upper, base)),
            classes=classes,
            offsets=[calibration.for_class(c) for c in classes],
            ood=[c[0] for c in checks],
            notes=[c[1] for c in checks],
            flags=[self.domain.flags(row) for _, row in frame.iterrows()],
        )
