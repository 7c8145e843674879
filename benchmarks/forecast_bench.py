"""Audience forecast quality: holdout MAE against the genre-and-decade median, and interval coverage.

Each model is fitted on 80% of its films (a quarter of that calibrates the
interval) and scored on the other 20%, over several random splits.

    PYTHONPATH=. python benchmarks/forecast_bench.py [--seeds 3] [--max-iter 200] [--coverage 0.8]
"""

from __future__ import annotations

import argparse
import statistics
import time

from threadpoolctl import threadpool_limits

from tools.forecast import HoldoutMetrics, train_audience_models


def _fmt(values: list[float], digits: int = 3) -> str:
    mean = statistics.fmean(values)
    return f"{mean:.{digits}f}" + (f" ± {statistics.stdev(values):.{digits}f}" if len(values) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="Random holdout splits to average over.")
    parser.add_argument("--max-iter", type=int, default=200, help="Boosting rounds per model.")
    parser.add_argument("--coverage", type=float, default=0.8, help="Nominal interval coverage.")
    args = parser.parse_args()

    runs: dict[str, list[HoldoutMetrics]] = {}
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        for seed in range(args.seeds):
            models = train_audience_models(coverage=args.coverage, max_iter=args.max_iter, seed=seed)
            for name, metrics in models.metrics.items():
                runs.setdefault(name, []).append(metrics)
    elapsed = time.perf_counter() - started

    header = (
        f"{'model':<11} {'space':<20} {'n test':>6} {'MAE':>15} {'baseline MAE':>15} {'ratio':>15} {'target':>7} "
        f"{'coverage':>15} {'width':>15}"
    )
    print(
        f"Audience forecast, {args.seeds} holdout split(s), mean ± sd; baseline = genre-and-decade median;"
        f" target ratio <= 0.75; nominal coverage {args.coverage:.0%}"
    )
    print(header)
    print("-" * len(header))
    for name, ms in runs.items():
        ratio = [m.mae_ratio for m in ms]
        print(
            f"{name:<11} {ms[0].space:<20} {ms[0].n_holdout:>6} {_fmt([m.mae for m in ms]):>15} "
            f"{_fmt([m.baseline_mae for m in ms]):>15} {_fmt(ratio):>15} {'met' if max(ratio) <= 0.75 else 'missed':>7} "
            f"{_fmt([m.coverage_observed for m in ms]):>15} {_fmt([m.interval_width for m in ms]):>15}"
        )
    print(f"\n{args.seeds} x 3 models fitted in {elapsed:.1f} s (1 thread)")


if __name__ == "__main__":
    main()
