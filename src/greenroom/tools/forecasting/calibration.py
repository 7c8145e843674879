"""Intervals calibrated for a release after the data: rolling origins and the errors models made on later films.

A brief describes a film released after every film the models learned from. The
interval is therefore calibrated forward in time: models trained on the films up
to a year predict the films of the following years (a rolling origin), and the
range of those errors, per class of film (production budget, and major studio or
independent where the model knows the studio), becomes the interval around the
final model's point (split conformal with a time-ordered calibration set, one
per class: errors on small and independent films spread wider).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

BUDGET_CLASSES: tuple[tuple[float, str], ...] = (
    (1e6, "under 1M USD"),
    (2e7, "1M-20M USD"),
    (math.inf, "over 20M USD"),
)
"""Production-budget classes (upper bound, label): errors on small films spread wider, so each class is calibrated on its own."""

NO_BUDGET = "budget unknown"

MIN_CLASS_FILMS = 40
"""Fewest later films a class needs for its own interval; below it the widest class range is used."""


def budget_class(budget_usd: float | None) -> str:
    """The production-budget class of a film (NaN or None: budget unknown)."""
    if budget_usd is None or not math.isfinite(budget_usd):
        return NO_BUDGET
    return "budget " + next(label for bound, label in BUDGET_CLASSES if budget_usd < bound)


def calibration_class(budget_usd: float | None, major_studio: float | None = None) -> str:
    """The class whose later films calibrate a film's interval: its budget class, and its studio where the model uses one."""
    label = budget_class(budget_usd)
    if major_studio is None:
        return label
    return f"{label}; {'major studio' if major_studio >= 0.5 else 'independent'}"


@dataclass(frozen=True)
class ForwardOrigin:
    """Train on films released up to `origin`; test on films released from `first` to `last`."""

    origin: int
    first: int
    last: int

    @property
    def years(self) -> str:
        return f"{self.first}-{self.last}" if self.last > self.first else str(self.first)


def forward_origins(last_year: int, *, horizon: int, count: int) -> list[ForwardOrigin]:
    """`count` consecutive test windows of `horizon` years, the latest ending at `last_year`, oldest first."""
    if horizon < 1 or count < 1:
        raise ValueError(f"horizon and count must be at least 1, got {horizon} and {count}")
    origins = [last_year - horizon * k for k in range(count, 0, -1)]
    return [ForwardOrigin(origin=o, first=o + 1, last=o + horizon) for o in origins]


@dataclass
class ForwardWindow:
    """The films of one test window, predicted by a model and a baseline fitted only on earlier films (model space)."""

    origin: ForwardOrigin
    n_train: int
    films: pd.DataFrame
    """The test films' features, as the model saw them."""
    z: np.ndarray
    point: np.ndarray
    baseline: np.ndarray
    classes: np.ndarray
    """Each film's calibration class (see `calibration_class`)."""


@dataclass(frozen=True)
class Offsets:
    """An interval as offsets from the point, and the later films whose errors set it."""

    lower: float
    upper: float
    films: int
    first_year: int
    last_year: int
    origins: tuple[int, ...]
    film_class: str
    """The class whose films set the offsets: "all", a calibration class, or "widest" when the film's own had too few."""

    @property
    def years(self) -> str:
        return f"{self.first_year}-{self.last_year}"


def conformal_offsets(residuals: np.ndarray, coverage: float) -> tuple[float, float]:
    """Lower and upper offsets holding `coverage` of future residuals (split conformal, one tail each side)."""
    r = np.sort(np.asarray(residuals, dtype=float))
    n = len(r)
    tail = (1 - coverage) / 2
    k_low = math.floor((n + 1) * tail + 1e-9)  # 1-based order statistics; the epsilon absorbs float error in 1 - 0.8
    k_high = math.ceil((n + 1) * (1 - tail) - 1e-9)
    lower = r[k_low - 1] if k_low >= 1 else r[0]
    upper = r[k_high - 1] if k_high <= n else r[-1]
    return float(lower), float(upper)


def _offsets(windows: Sequence[ForwardWindow], residuals: np.ndarray, label: str, coverage: float) -> Offsets:
    lower, upper = conformal_offsets(residuals, coverage)
    return Offsets(
        lower=lower,
        upper=upper,
        films=len(residuals),
        first_year=min(w.origin.first for w in windows),
        last_year=max(w.origin.last for w in windows),
        origins=tuple(w.origin.origin for w in windows),
        film_class=label,
    )


@dataclass
class IntervalCalibration:
    """Interval offsets per class of film (model) and for the baseline, from the errors on later films."""

    coverage: float
    horizon: int
    model: dict[str, Offsets]
    baseline: Offsets

    @classmethod
    def from_windows(
        cls, windows: Sequence[ForwardWindow], *, coverage: float, recent: int, min_films: int = MIN_CLASS_FILMS
    ) -> IntervalCalibration:
        """Calibrate on the `recent` latest windows; a class with too few films there uses every window given."""
        if not windows:
            raise ValueError("forward calibration needs at least one rolling-origin window")
        ordered = sorted(windows, key=lambda w: w.origin.origin)
        latest = ordered[-recent:]
        horizon = max(w.origin.last - w.origin.origin for w in ordered)
        labels = sorted({str(c) for w in ordered for c in w.classes})
        model: dict[str, Offsets] = {}
        for label in labels:
            for span in (latest, ordered):
                residuals = _class_residuals(span, label)
                if len(residuals) >= min_films:
                    used = [w for w in span if (w.classes == label).any()]
                    model[label] = _offsets(used, residuals, label, coverage)
                    break
        model["all"] = _offsets(latest, np.concatenate([w.z - w.point for w in latest]), "all", coverage)
        baseline = _offsets(latest, np.concatenate([w.z - w.baseline for w in latest]), "all", coverage)
        return cls(coverage=coverage, horizon=horizon, model=model, baseline=baseline)

    def for_class(self, label: str) -> Offsets:
        """The offsets for a class of film; a class with too few later films gets the widest calibrated range."""
        if label in self.model:
            return self.model[label]
        classes = list(self.model.values())
        return Offsets(
            lower=min(o.lower for o in classes),
            upper=max(o.upper for o in classes),
            films=self.model["all"].films,
            first_year=min(o.first_year for o in classes),
            last_year=max(o.last_year for o in classes),
            origins=tuple(sorted({origin for o in classes for origin in o.origins})),
            film_class="widest",
        )

    def interval(self, point: np.ndarray, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) in model space around each point, by the film's calibration class."""
        offsets = [self.for_class(c) for c in classes]
        lower = np.asarray(point, dtype=float) + np.array([o.lower for o in offsets])
        upper = np.asarray(point, dtype=float) + np.array([o.upper for o in offsets])
        return np.minimum(lower, point), np.maximum(upper, point)


def _class_residuals(windows: Sequence[ForwardWindow], label: str) -> np.ndarray:
    parts = [(w.z - w.point)[w.classes == label] for w in windows]
    return np.concatenate(parts) if parts else np.array([])
