"""Audience forecast quality: holdout MAE against the genre-and-decade median, and interval coverage.

Each model is fitted on 80% of its films (a quarter of that calibrates the
interval) and scored on the other 20%, over several random splits.

    PYTHONPATH=. python benchmarks/forecast_bench.py [--seeds 3] [--first-seed 0] [--max-iter 200] [--coverage 0.8]
        [--blend votes,rating,box_office_usd | none]

`--diagnose-rating` adds what the rating model would reach with more than a
brief gives: the richer movies.db genres (on the films found in both tables),
and the film's final IMDb vote count, which nobody knows before release.

`--blend` overrides which targets average the boosted and the linear median
(default: the shipped choice, made on splits 100-109 with `--first-seed 100 --seeds 10`).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from tools.forecast import (
    BLEND_LINEAR,
    GGPLOT2_GENRES,
    TARGET_MAE_RATIO,
    GenreDecadeMedian,
    HoldoutMetrics,
    boosted_regressor,
    budgeted_ggplot2movies,
    by_film_key,
    common_genres,
    feature_matrix,
    film_key,
    genre_list,
    load_votes_data,
    movies_db_path,
    train_audience_models,
)


def _fmt(values: list[float], digits: int = 3) -> str:
    mean = statistics.fmean(values)
    return f"{mean:.{digits}f}" + (f" ± {statistics.stdev(values):.{digits}f}" if len(values) > 1 else "")


def _verdict(ratios: list[float]) -> str:
    """'met' when every split meets the target, else how many of them do."""
    met = sum(r <= TARGET_MAE_RATIO for r in ratios)
    return "met" if met == len(ratios) else f"{met}/{len(ratios)} met"


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
    parser.add_argument("--seeds", type=int, default=3, help="Random holdout splits to average over.")
    parser.add_argument("--first-seed", type=int, default=0, help="Seed of the first holdout split.")
    parser.add_argument(
        "--blend",
        default=",".join(sorted(BLEND_LINEAR)) or "none",
        help="Comma-separated targets whose point blends in the linear median, or 'none'.",
    )
    parser.add_argument("--diagnose-rating", action="store_true", help="Also show what richer inputs would do for rating.")
    parser.add_argument("--max-iter", type=int, default=200, help="Boosting rounds per model.")
    parser.add_argument("--coverage", type=float, default=0.8, help="Nominal interval coverage.")
    args = parser.parse_args()

    blend = [] if args.blend == "none" else [t.strip() for t in args.blend.split(",") if t.strip()]
    runs: dict[str, list[HoldoutMetrics]] = {}
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            models = train_audience_models(coverage=args.coverage, max_iter=args.max_iter, seed=seed, blend_linear=blend)
            for name, metrics in models.metrics.items():
                runs.setdefault(name, []).append(metrics)
    elapsed = time.perf_counter() - started

    header = (
        f"{'model':<11} {'space':<20} {'n test':>6} {'MAE':>15} {'baseline MAE':>15} {'ratio':>15} {'target':>9} "
        f"{'coverage':>15} {'width':>15}"
    )
    print(
        f"Audience forecast, holdout splits {args.first_seed}-{args.first_seed + args.seeds - 1}, mean ± sd;"
        f" linear blend: {', '.join(blend) or 'none'}; baseline = genre-and-decade median;"
        f" target ratio <= {TARGET_MAE_RATIO:g}; nominal coverage {args.coverage:.0%}"
    )
    print(header)
    print("-" * len(header))
    for name, ms in runs.items():
        ratio = [m.mae_ratio for m in ms]
        print(
            f"{name:<11} {ms[0].space:<20} {ms[0].n_holdout:>6} {_fmt([m.mae for m in ms]):>15} "
            f"{_fmt([m.baseline_mae for m in ms]):>15} {_fmt(ratio):>15} {_verdict(ratio):>9} "
            f"{_fmt([m.coverage_observed for m in ms]):>15} {_fmt([m.interval_width for m in ms]):>15}"
        )
    print(f"\n{args.seeds} x 3 models fitted in {elapsed:.1f} s (1 thread)")
    if args.diagnose_rating:
        with threadpool_limits(limits=1):
            diagnose_rating(range(args.first_seed, args.first_seed + args.seeds), args.max_iter)


if __name__ == "__main__":
    main()
