"""Audience forecast quality forward in time: rolling origins over the last years of each data source.

A brief's film comes out after every training film, so each forecaster is
trained on the films up to a year and scored on the films of the following
years (three windows of three years: reach and rating on ggplot2movies'
1997-2005 releases, box office on movies.db's 2006-2014 releases). Each
window's interval is calibrated on earlier windows only. The table gives,
per target, the coverage of the 80% interval (and the shares below and
above it), Spearman's rank correlation (the genre-and-decade median's in
brackets), and the MAE beside that median's, fitted on the same years.
The first rows are the shipped models, trained as `greenroom models train`
trains them (the time is that training's); the rows after them are
diagnostics: box office on the films whose budget is known (1997-2005), on independent
and on major-studio releases, and with the studio left out (a major
studio's film briefed without its studio, so taken as independent).

    PYTHONPATH=. python benchmarks/forecast_bench.py [--horizon 3] [--windows 3] [--calibration-windows 2]
        [--max-iter 100] [--coverage 0.8] [--blend box_office_usd | none] [--diagnose-rating]

`--diagnose-rating` adds what the rating model would reach with more than a
brief gives (random holdout splits): the richer movies.db genres (on the
films found in both tables), and the film's final IMDb vote count, which
nobody knows before release.
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from greenroom.core.analysis import HoldoutMetrics
from greenroom.core.vocabulary import film_key
from greenroom.store.seed import movies_db_path
from greenroom.tools.forecasting.audience import BLEND_LINEAR, TARGET_LABELS, train_audience_models
from greenroom.tools.forecasting.baseline import GenreDecadeMedian
from greenroom.tools.forecasting.calibration import forward_origins
from greenroom.tools.forecasting.conformal import IntervalForecaster, boosted_regressor
from greenroom.tools.forecasting.data import (
    GGPLOT2_GENRES,
    budgeted_ggplot2movies,
    by_film_key,
    genre_list,
    load_box_office_data,
    load_votes_data,
)
from greenroom.tools.forecasting.evaluation import (
    COVERAGE_TOLERANCE,
    TARGET_MAE_RATIO,
    TARGET_SPEARMAN,
    backtest,
    beats_baseline,
    forward_metrics,
)
from greenroom.tools.forecasting.features import common_genres, feature_matrix

RANKED = ("reach", "box office")
"""Targets whose Spearman should reach TARGET_SPEARMAN."""


def _fmt(values: list[float], digits: int = 3) -> str:
    mean = statistics.fmean(values)
    return f"{mean:.{digits}f}" + (f" ± {statistics.stdev(values):.{digits}f}" if len(values) > 1 else "")


def _verdict(ratios: list[float]) -> str:
    """'met' when every split meets the target, else how many of them do."""
    met = sum(r <= TARGET_MAE_RATIO for r in ratios)
    return "met" if met == len(ratios) else f"{met}/{len(ratios)} met"


def targets_met(label: str, m: HoldoutMetrics) -> str:
    """Which of the forward targets a row misses: coverage within 10 points, Spearman >= 0.5 (ranked targets), MAE below the median's."""
    missed = []
    if abs(m.coverage_observed - m.coverage_nominal) > COVERAGE_TOLERANCE:
        missed.append("coverage")
    if label.split(",")[0] in RANKED and (m.spearman or 0.0) < TARGET_SPEARMAN:
        missed.append("Spearman")
    if m.mae >= m.baseline_mae:
        missed.append("MAE")
    return "met" if not missed else "missed: " + ", ".join(missed)


def forward_table(rows: dict[str, HoldoutMetrics], title: str) -> str:
    """The forward-backtest table: per target, years, n, coverage, Spearman, MAE ratio, shown, targets."""
    header = (
        f"{'target':<30} {'years':<9} {'n':>5} {'coverage':>8} {'below':>6} {'above':>6} {'Spearman (median)':>18} "
        f"{'MAE':>6} {'median':>6} {'ratio':>6}  {'per window (95% bound)':<32} {'shown':<5}  targets"
    )
    lines = [title, header, "-" * len(header)]
    for label, m in rows.items():
        spearman = f"{m.spearman:.3f} ({m.baseline_spearman:.3f})" if m.spearman is not None else "-"
        windows = (
            "/".join(f"{r:.2f}" for r in m.window_mae_ratios) + " (" + "/".join(f"{r:.2f}" for r in m.window_ratio_bounds) + ")"
        )
        lines.append(
            f"{label:<30} {m.test_years:<9} {m.n_holdout:>5} {m.coverage_observed:>8.3f} {m.below_share or 0:>6.3f} "
            f"{m.above_share or 0:>6.3f} {spearman:>18} {m.mae:>6.3f} {m.baseline_mae:>6.3f} {m.mae_ratio:>6.3f}  "
            f"{windows:<32} {'yes' if beats_baseline(m) else 'no':<5}  {targets_met(label, m)}"
        )
    return "\n".join(lines)


def box_office_diagnostics(args: argparse.Namespace, blend: list[str]) -> dict[str, HoldoutMetrics]:
    """Box office sliced: films with a known budget (to 2005), independent and major-studio releases, studio left out."""
    frame, gross = load_box_office_data()
    y = gross.to_numpy()

    def make() -> IntervalForecaster:
        return IntervalForecaster(
            target="box_office_usd",
            genre_columns=common_genres(frame["genres"]),
            use_budget=True,
            transform="log",
            bounds=(0, math.inf),
            coverage=args.coverage,
            max_iter=args.max_iter,
            blend_linear="box_office_usd" in blend,
            additive_budget=True,
            use_studio=True,
            primary_genre_baseline=True,
        )

    count = args.windows + args.calibration_windows
    common = {
        "target": "box_office_usd",
        "space": "log(box_office_usd)",
        "coverage": args.coverage,
        "evaluated": args.windows,
        "calibration_windows": args.calibration_windows,
    }
    last_budget = int(frame.loc[frame["budget_usd"].notna(), "year"].max())
    early = (frame["year"] <= last_budget).to_numpy()
    budgeted = backtest(
        make,
        frame[early].reset_index(drop=True),
        y[early],
        forward_origins(last_budget, horizon=args.horizon, count=count),
    )
    origins = forward_origins(int(frame["year"].max()), horizon=args.horizon, count=count)
    recorded = backtest(make, frame, y, origins)
    left_out = backtest(make, frame, y, origins, as_briefed=lambda films: films.assign(major_studio=0.0))
    return {
        "box office, budget known": forward_metrics(budgeted, keep=lambda w: w.films["budget_usd"].notna().to_numpy(), **common),
        "box office, independent": forward_metrics(recorded, keep=lambda w: (w.films["major_studio"] == 0).to_numpy(), **common),
        "box office, major studio": forward_metrics(recorded, keep=lambda w: (w.films["major_studio"] == 1).to_numpy(), **common),
        "box office, studio left out": forward_metrics(left_out, **common),
    }


def _rating_ratio(
    frame: pd.DataFrame, y: np.ndarray, genres: list[str], seed: int, max_iter: int, extra: pd.DataFrame | None = None
) -> float:
    """Holdout MAE ratio of a boosted median on the brief features (plus `extra`), against the genre-and-decade median."""
    X = feature_matrix(frame, genres, use_budget=True)
    if extra is not None:
        X = pd.concat([X, extra.reset_index(drop=True)], axis=1)
    train, test = train_test_split(np.arange(len(X)), test_size=0.2, random_state=seed)
    model = boosted_regressor("absolute_error", max_iter=max_iter, random_state=seed).fit(X.iloc[train], y[train])
    baseline = GenreDecadeMedian(genres, primary_only=False).fit(frame.iloc[train].reset_index(drop=True), y[train])
    base = baseline.predict(frame.iloc[test].reset_index(drop=True))
    return float(np.mean(np.abs(model.predict(X.iloc[test]) - y[test])) / np.mean(np.abs(base - y[test])))


def diagnose_rating(seeds: range, max_iter: int) -> None:
    """How far the rating model gets when given more than a brief provides."""
    frame, targets = load_votes_data()
    y = targets["rating"].to_numpy()
    raw = budgeted_ggplot2movies()
    with sqlite3.connect(f"file:{movies_db_path()}?mode=ro", uri=True) as conn:
        db = pd.read_sql("SELECT Title, Year, Genre FROM omdb WHERE Genre IS NOT NULL AND Genre != ''", conn)
    catalog_genres = by_film_key(db["Title"], db["Year"], map(genre_list, db["Genre"]))
    rich = [catalog_genres.get(film_key(t, yr)) for t, yr in zip(raw["title"], raw["year"], strict=True)]
    both = np.array([r is not None for r in rich])
    sub = frame[both].reset_index(drop=True)
    sub_rich = sub.assign(genres=[r for r in rich if r is not None])
    rich_genres = common_genres(sub_rich["genres"])
    flags = list(GGPLOT2_GENRES)
    log_votes = pd.DataFrame({"log_votes": np.log1p(targets["votes"].to_numpy())})
    rows = {
        "brief features (as shipped)": [_rating_ratio(frame, y, flags, s, max_iter) for s in seeds],
        f"films in both tables ({both.sum():,}), ggplot2movies' 7 genre flags": [
            _rating_ratio(sub, y[both], flags, s, max_iter) for s in seeds
        ],
        f"films in both tables ({both.sum():,}), movies.db's {len(rich_genres)} genres": [
            _rating_ratio(sub_rich, y[both], rich_genres, s, max_iter) for s in seeds
        ],
        "brief features + the film's final vote count (not knowable before release)": [
            _rating_ratio(frame, y, flags, s, max_iter, extra=log_votes) for s in seeds
        ],
    }
    print("\nRating: what more than a brief gives would buy (MAE ratio to the genre-and-decade median, same splits)")
    width = max(len(k) for k in rows)
    print(f"{'features':<{width}} {'ratio':>15} {'target':>9}")
    print("-" * (width + 26))
    for label, ratios in rows.items():
        print(f"{label:<{width}} {_fmt(ratios):>15} {_verdict(ratios):>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=3, help="Years in each rolling-origin test window.")
    parser.add_argument("--windows", type=int, default=3, help="Latest windows the metrics pool.")
    parser.add_argument("--calibration-windows", type=int, default=2, help="Earlier windows an interval is calibrated on.")
    parser.add_argument(
        "--blend",
        default=",".join(sorted(BLEND_LINEAR)) or "none",
        help="Comma-separated targets whose point blends in the linear median, or 'none'.",
    )
    parser.add_argument("--diagnose-rating", action="store_true", help="Also show what richer inputs would do for rating.")
    parser.add_argument("--max-iter", type=int, default=100, help="Boosting rounds per model.")
    parser.add_argument("--coverage", type=float, default=0.8, help="Nominal interval coverage.")
    args = parser.parse_args()

    blend = [] if args.blend == "none" else [t.strip() for t in args.blend.split(",") if t.strip()]
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        models = train_audience_models(
            coverage=args.coverage,
            max_iter=args.max_iter,
            blend_linear=blend,
            horizon=args.horizon,
            evaluated=args.windows,
            calibration_windows=args.calibration_windows,
        )
    elapsed = time.perf_counter() - started
    rows = {TARGET_LABELS[key]: m for key, m in models.metrics.items()}
    with threadpool_limits(limits=1):
        rows |= box_office_diagnostics(args, blend)
    print(
        forward_table(
            rows,
            f"Audience forecast forward in time: {args.windows} windows of {args.horizon} years, each interval calibrated "
            f"on the {args.calibration_windows} windows before it; nominal coverage {args.coverage:.0%}; "
            f"linear blend: {', '.join(blend) or 'none'}",
        )
    )
    print(
        f"\nshown: MAE below the genre-and-decade median's in every window, beyond noise (one-sided 95% bound of the ratio below 1); targets: coverage within "
        f"{COVERAGE_TOLERANCE * 100:.0f} points, Spearman >= {TARGET_SPEARMAN} for {' and '.join(RANKED)}, MAE below the median's"
    )
    print(
        f"training as `greenroom models train` does (3 forecasters, forward metrics and calibration): {elapsed:.1f} s (1 thread)"
    )
    if args.diagnose_rating:
        with threadpool_limits(limits=1):
            diagnose_rating(range(0, 3), args.max_iter)


if __name__ == "__main__":
    main()
