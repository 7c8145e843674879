"""Recommender quality: leave-one-out hit-rate@k of PureSVD against recommending the most-rated films.

Each MovieLens user's latest rating is held out; the model is trained on the
rest and hits when the held-out film is in the user's top k unseen films.

    PYTHONPATH=. python benchmarks/recommender_bench.py [--k 10] [--factors 20 50 100]
"""

from __future__ import annotations

import argparse
import time
from functools import partial

from threadpoolctl import threadpool_limits

from greenroom.tools.segments import Interactions, PopularityRecommender, SvdRecommender, leave_one_out_hit_rate, load_movielens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10, help="Length of the recommendation list.")
    parser.add_argument("--factors", type=int, nargs="+", default=[20, 30, 50, 100], help="PureSVD sizes to compare.")
    args = parser.parse_args()

    interactions = Interactions.from_ratings(load_movielens())
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        popularity = leave_one_out_hit_rate(interactions, PopularityRecommender, args.k)
        rows = [("popularity (baseline)", popularity, time.perf_counter() - started)]
        for n in args.factors:
            started = time.perf_counter()
            hit = leave_one_out_hit_rate(interactions, partial(SvdRecommender, n_components=n), args.k)
            rows.append((f"PureSVD {n} factors", hit, time.perf_counter() - started))

    users = len(interactions.user_ids)
    print(
        f"Leave-one-out hit-rate@{args.k}, {users} users x {len(interactions.item_ids)} films "
        f"({interactions.matrix.nnz} ratings); target ratio >= 1.5"
    )
    header = f"{'model':<24} {'hit-rate@' + str(args.k):>12} {'hits':>6} {'vs popularity':>14} {'target':>7} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    for name, hit, seconds in rows:
        ratio = hit / popularity
        verdict = "-" if name.startswith("popularity") else ("met" if ratio >= 1.5 else "missed")
        print(f"{name:<24} {hit:>12.4f} {round(hit * users):>6} {ratio:>13.2f}x {verdict:>7} {seconds:>8.1f}")
    print("\nThe shipped model uses 50 factors (TrainingConfig.svd_components).")


if __name__ == "__main__":
    main()
