"""Creative tests: a channel's ad-copy variants are arms, their click rates are learned, impressions follow the odds.

Each variant's click rate (clicks per impression) has a Beta posterior from a uniform Beta(1, 1)
prior: the Beta-Binomial update is conjugate, so the posterior is exact, not approximated.
The probability that each variant is best is estimated from joint posterior draws, and the
next period's impressions are split in those proportions: Thompson sampling in its batched
form (randomised probability matching), since ad platforms take a traffic split per day,
not one decision per impression. A test stops when one variant's probability of being best
reaches the threshold; from then on the winner gets every impression.

numpy draws the Beta samples; no bandit library is used because the whole method is these
few lines of conjugate arithmetic, and the libraries found (e.g. for online per-impression
bandits) do not report the probability of being best that the report needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from greenroom.core.results import CreativeArm, CreativeTest

STOP_THRESHOLD = 0.95
"""A test stops when one variant is the best with at least this posterior probability."""
N_DRAWS = 4000
METHOD = (
    "click rate per variant: Beta(1, 1) prior updated by clicks and impressions (exact conjugate posterior); "
    f"probability of being best from {N_DRAWS} joint posterior draws; next impressions split by that probability "
    "(Thompson sampling, batched)"
)


def prob_best(impressions: np.ndarray, clicks: np.ndarray, rng: np.random.Generator, n_draws: int = N_DRAWS) -> np.ndarray:
    """Posterior probability that each arm has the highest click rate."""
    a = 1.0 + clicks.astype(float)
    b = 1.0 + np.maximum(impressions - clicks, 0).astype(float)
    draws = rng.beta(a, b, size=(n_draws, len(a)))
    wins = np.bincount(draws.argmax(axis=1), minlength=len(a))
    return wins / n_draws


def traffic_shares(
    impressions: np.ndarray, clicks: np.ndarray, rng: np.random.Generator, threshold: float = STOP_THRESHOLD
) -> tuple[np.ndarray, int | None]:
    """Next period's impression shares per arm, and the winner's index once the test has stopped."""
    return _shares(prob_best(impressions, clicks, rng), threshold)


def _shares(p: np.ndarray, threshold: float) -> tuple[np.ndarray, int | None]:
    best = int(p.argmax())
    if p[best] >= threshold:
        shares = np.zeros(len(p))
        shares[best] = 1.0
        return shares, best
    return p, None


def creative_test(
    channel: str,
    counts: Mapping[str, tuple[int, int]],
    texts: Mapping[str, str] | None = None,
    threshold: float = STOP_THRESHOLD,
    seed: int = 0,
) -> CreativeTest:
    """The state of one channel's test from each creative's (impressions, clicks) so far."""
    if not 0.5 < threshold < 1:
        raise ValueError(f"threshold: must be between 0.5 and 1 (got {threshold:g})")
    ids = sorted(counts)
    texts = texts or {}
    impressions = np.array([counts[i][0] for i in ids], dtype=np.int64)
    clicks = np.array([min(counts[i][1], counts[i][0]) for i in ids], dtype=np.int64)
    rng = np.random.default_rng(seed)
    if impressions.sum() == 0:
        p = np.full(len(ids), 1.0 / max(len(ids), 1))
        shares, winner = p, None
    else:
        p = prob_best(impressions, clicks, rng)
        shares, winner = _shares(p, threshold)
    a, b = 1.0 + clicks, 1.0 + np.maximum(impressions - clicks, 0)
    samples = rng.beta(a, b, size=(2000, len(ids)))
    low, high = np.percentile(samples, [5, 95], axis=0)
    arms = [
        CreativeArm(
            creative_id=cid,
            text=texts.get(cid, ""),
            impressions=int(impressions[k]),
            clicks=int(clicks[k]),
            rate=float(a[k] / (a[k] + b[k])),
            rate_low=float(low[k]),
            rate_high=float(high[k]),
            prob_best=float(p[k]),
            next_share=float(shares[k]),
        )
        for k, cid in enumerate(ids)
    ]
    arms.sort(key=lambda arm: -arm.prob_best)
    status = "no data" if impressions.sum() == 0 else ("stopped" if winner is not None else "running")
    return CreativeTest(
        channel=channel,
        arms=arms,
        status=status,
        winner=ids[winner] if winner is not None else None,
        leader=arms[0].creative_id if impressions.sum() else None,
        threshold=threshold,
        method=METHOD,
    )


def regret(impressions: Sequence[int], true_rates: Sequence[float]) -> float:
    """Expected clicks lost against showing the truly best variant every time."""
    rates = np.asarray(true_rates, dtype=float)
    return float((np.asarray(impressions, dtype=float) * (rates.max() - rates)).sum())


class ThompsonAllocator:
    """Impression shares per channel, learned day by day: each channel's variants are arms until one wins."""

    def __init__(self, variants: Mapping[str, int], threshold: float = STOP_THRESHOLD, seed: int = 0) -> None:
        self.impressions = {c: np.zeros(n, dtype=np.int64) for c, n in variants.items()}
        self.clicks = {c: np.zeros(n, dtype=np.int64) for c, n in variants.items()}
        self.winner: dict[str, int] = {}
        self.threshold = threshold
        self.rng = np.random.default_rng(seed)

    def shares(self, channel: str, day: int = 0) -> np.ndarray:
        """The next day's impression share per variant (all on the winner once the test stopped)."""
        n = len(self.impressions[channel])
        if channel in self.winner:
            return np.eye(n)[self.winner[channel]]
        if self.impressions[channel].sum() == 0:
            return np.full(n, 1.0 / n)
        shares, winner = traffic_shares(self.impressions[channel], self.clicks[channel], self.rng, self.threshold)
        if winner is not None:
            self.winner[channel] = winner
        return shares

    def record(self, channel: str, impressions: np.ndarray, clicks: np.ndarray) -> None:
        """Add a day's impressions and clicks per variant."""
        self.impressions[channel] += impressions
        self.clicks[channel] += clicks

    def pick(self, channel: str) -> int:
        """The chosen variant: the winner, else the one most likely best so far."""
        if channel in self.winner:
            return self.winner[channel]
        return int(prob_best(self.impressions[channel], self.clicks[channel], self.rng).argmax())
