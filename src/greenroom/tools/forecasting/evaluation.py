"""Forward-in-time evaluation: rolling origins, and a forecaster's errors on later films beside its baseline's.

A brief is about a film released after all the training films, so a forecaster
is scored the same way: trained on the films up to a year (the origin), it
predicts the films of the following years, and its interval there is calibrated
only on windows that ended by that origin. Random splits mix the years and
hide the drift between the data and a new release.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from greenroom.core.analysis import HoldoutMetrics
from greenroom.tools.forecasting.calibration import ForwardOrigin, ForwardWindow, IntervalCalibration
from greenroom.tools.forecasting.conformal import IntervalForecaster

TARGET_MAE_RATIO = 0.75
"""The forecasts' target: error on later films at least 25% below the baseline's. A forecast above it is reported as a weak signal."""

COVERAGE_TOLERANCE = 0.10
"""Observed coverage on later films within this many points of nominal counts as calibrated."""

TARGET_SPEARMAN = 0.5
"""The rank correlation on later films that reach and box office should reach."""


def beats_baseline(metrics: HoldoutMetrics) -> bool:
    """Whether a forecaster's error on later films is below the genre-and-decade median's: only then is it shown.

    Forward metrics must show it in every window, not only pooled, and beyond the noise of the films
    scored (the one-sided 95% bound of each window's ratio below 1): a model that wins some years and
    ties others has no steady edge over the median for a release years away.
    """
    return metrics.mae < metrics.baseline_mae and all(r < 1 for r in metrics.window_ratio_bounds)


def ratio_bound(model_errors: np.ndarray, baseline_errors: np.ndarray) -> float:
    """One-sided 95% upper bound on mean(model_errors) / mean(baseline_errors), from the paired differences."""
    diff = np.abs(model_errors) - np.abs(baseline_errors)
    n = len(diff)
    spread = float(np.std(diff, ddof=1)) / np.sqrt(n) if n > 1 else float("inf")
    return float((np.mean(np.abs(model_errors)) + 1.645 * spread) / np.mean(np.abs(baseline_errors)))


def backtest(
    make: Callable[[], IntervalForecaster],
    frame: pd.DataFrame,
    y: np.ndarray,
    origins: Sequence[ForwardOrigin],
    as_briefed: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> list[ForwardWindow]:
    """Fit a fresh forecaster on the films up to each origin and predict the films of its test window.

    `as_briefed` rewrites the test films' features to what a brief would give (e.g. no studio); as recorded by default.
    """
    years = frame["year"].to_numpy()
    y = np.asarray(y, dtype=float)
    windows = []
    for origin in origins:
        train = years <= origin.origin
        test = (years >= origin.first) & (years <= origin.last)
        if not train.any() or not test.any():
            raise ValueError(f"no films to train up to {origin.origin} or to test in {origin.years}")
        forecaster = make().fit(frame[train].reset_index(drop=True), y[train])
        films = frame[test].reset_index(drop=True)
        if as_briefed is not None:
            films = as_briefed(films)
        windows.append(
            ForwardWindow(
                origin=origin,
                n_train=int(train.sum()),
                films=films,
                z=forecaster.to_space(y[test]),
                point=forecaster.point_space(films),
                baseline=forecaster.baseline_space(films),
                classes=np.array(forecaster.calibration_classes(films)),
            )
        )
    return windows


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    rho = spearmanr(a, b).statistic
    return round(float(rho), 4) if np.isfinite(rho) else 0.0


def forward_metrics(
    windows: Sequence[ForwardWindow],
    *,
    target: str,
    space: str,
    coverage: float,
    evaluated: int,
    calibration_windows: int,
    keep: Callable[[ForwardWindow], np.ndarray] | None = None,
) -> HoldoutMetrics:
    """Pooled metrics on the `evaluated` latest windows, each interval calibrated on earlier windows only.

    `keep` selects films within each window (e.g. those with a known budget); all films by default.
    """
    ordered = sorted(windows, key=lambda w: w.origin.origin)
    scored = ordered[-evaluated:]
    z: list[np.ndarray] = []
    point: list[np.ndarray] = []
    base: list[np.ndarray] = []
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    ratios: list[float] = []
    bounds: list[float] = []
    for window in scored:
        earlier = [w for w in ordered if w.origin.last <= window.origin.origin]
        if not earlier:
            raise ValueError(f"no window ends by {window.origin.origin} to calibrate the {window.origin.years} interval on")
        calibration = IntervalCalibration.from_windows(earlier, coverage=coverage, recent=calibration_windows)
        lo, hi = calibration.interval(window.point, list(window.classes))
        mask = keep(window) if keep is not None else np.ones(len(window.z), dtype=bool)
        for out, values in zip((z, point, base, lower, upper), (window.z, window.point, window.baseline, lo, hi), strict=True):
            out.append(values[mask])
        if mask.any():
            model_errors, baseline_errors = window.point[mask] - window.z[mask], window.baseline[mask] - window.z[mask]
            ratios.append(round(float(np.mean(np.abs(model_errors)) / np.mean(np.abs(baseline_errors))), 4))
            bounds.append(round(ratio_bound(model_errors, baseline_errors), 4))
    zs, ps, bs, ls, us = (np.concatenate(v) for v in (z, point, base, lower, upper))
    if len(zs) == 0:
        raise ValueError(f"{target}: no films left to score in the forward windows")
    mae = float(np.mean(np.abs(ps - zs)))
    base_mae = float(np.mean(np.abs(bs - zs)))
    return HoldoutMetrics(
        target=target,
        space=space,
        split="forward",
        test_years=f"{scored[0].origin.first}-{scored[-1].origin.last}",
        origins=[w.origin.origin for w in scored],
        n_train=scored[-1].n_train,
        n_holdout=len(zs),
        mae=round(mae, 4),
        baseline_mae=round(base_mae, 4),
        mae_ratio=round(mae / base_mae, 4),
        window_mae_ratios=ratios,
        window_ratio_bounds=bounds,
        spearman=_spearman(ps, zs),
        baseline_spearman=_spearman(bs, zs),
        coverage_nominal=coverage,
        coverage_observed=round(float(np.mean((zs >= ls) & (zs <= us))), 4),
        below_share=round(float(np.mean(zs < ls)), 4),
        above_share=round(float(np.mean(zs > us)), 4),
        interval_width=round(float(np.median(us - ls)), 4),
    )
