"""The cold-start score of a new title for every viewer: a hybrid of standardised inputs.

Content (cosine of the title's catalog embedding with the viewer's history profile, the rating-weighted
mean of their titles' embeddings), genre (share of the viewer's titles in the title's genres),
collaborative (PureSVD's predicted liking of the title's comparables, the nearest panel titles), and a
popularity prior (how much and how recently the viewer watches), combined with weights fitted by logistic
regression on simulated MovieLens launches (`benchmarks/viewer_bench.py --fit`). Affinity is exp(score)
over its panel mean: 2.0 means twice as likely to watch as the average viewer. Confidence grows with the
history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenroom.core.brief import Brief
from greenroom.tools.comparables import brief_query
from greenroom.tools.viewers.adapters import canonical
from greenroom.tools.viewers.panel import ViewerPanel

FEATURES: tuple[str, ...] = ("content", "genre", "collaborative", "activity", "recency", "novelty")
DEFAULT_WEIGHTS: dict[str, float] = {
    "content": 0.195,
    "genre": 0.243,
    "collaborative": 0.253,
    "activity": 0.907,
    "recency": 1.249,
    "novelty": 0.411,
}
"""Weight of each standardised input: logistic regression on MovieLens launches with cut-offs 2000-2008
(`benchmarks/viewer_bench.py --fit`); the benchmark evaluates them on launches from 2009 on."""
PRIOR_SPREAD: dict[str, float] = {"activity": 1.0, "recency": 1.2, "novelty": 0.21}
"""Fixed standard deviations of the prior's inputs (their spread over the MovieLens panel): log titles, log months
since the last watch and the share of new releases mean the same in every panel, so a panel whose viewers all
watched this week does not blow a few days' difference up into a large one."""
COMPARABLES = 8
"""Panel titles the collaborative signal goes through."""
MIN_ANCHOR_VIEWERS = 3
"""A panel title needs this many viewers to serve as a comparable (fewer give PureSVD nothing to go on)."""
GENRE_BONUS = 0.1
"""Added to a candidate comparable's cosine similarity per share of the new title's genres it has."""
CONFIDENCE_HALF = 10
"""Titles of history at which a score's confidence reaches 0.5."""
SCALE_SAMPLE = 20000
"""(viewer, title) pairs sampled to standardise the inputs."""


@dataclass
class TitleProfile:
    """A new title as the panel sees it: genres, catalog embedding and comparables among the panel's titles."""

    name: str
    year: int | None
    genres: tuple[str, ...]
    vector: np.ndarray | None
    anchors: list[tuple[int, float]]
    """(panel title column, weight) of each comparable."""
    notes: list[str] = field(default_factory=list)

    def anchor_titles(self, panel: ViewerPanel) -> list[str]:
        return [panel.items.titles[i] for i, _ in self.anchors]


def title_profile(
    panel: ViewerPanel,
    *,
    name: str,
    year: int | None,
    genres: Sequence[str],
    vector: np.ndarray | Sequence[float] | None,
    comparables: Sequence[tuple[str, str, int | None, float]] = (),
    k: int = COMPARABLES,
) -> TitleProfile:
    """Place a new title in the panel: its comparables (given ones first, then the nearest panel titles)."""
    wanted = canonical(genres)
    unit = None
    if vector is not None:
        unit = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(unit))
        unit = unit / norm if norm > 0 else None
    if unit is not None and unit.shape[0] != panel.items.vectors.shape[1]:
        unit = None if panel.items.has_vector.any() else unit
    notes: list[str] = []
    anchors: list[tuple[int, float]] = []
    for title_id, title, title_year, similarity in comparables:
        column = panel.item(title_id, title, title_year)
        if column is not None and panel.item_viewers[column] >= MIN_ANCHOR_VIEWERS and column not in dict(anchors):
            anchors.append((column, max(float(similarity), 0.05)))
    eligible = panel.item_viewers >= MIN_ANCHOR_VIEWERS
    eligible[[c for c, _ in anchors]] = False
    if len(anchors) < k and eligible.any():
        genre_cols = [panel.genre_names.index(g) for g in wanted if g in panel.genre_names]
        overlap = (
            np.asarray(panel.item_genre[:, genre_cols].sum(axis=1)).ravel() / len(genre_cols)
            if genre_cols else np.zeros(len(panel.items.ids))
        )  # fmt: skip
        if unit is not None and panel.items.has_vector.any():
            relevance = panel.items.vectors @ unit + GENRE_BONUS * overlap
            eligible &= panel.items.has_vector
        else:
            relevance = overlap + 1e-6 * np.log1p(panel.item_viewers)
        relevance = np.where(eligible, relevance, -np.inf)
        need = min(k - len(anchors), int(eligible.sum()))
        if need > 0:
            top = np.argpartition(-relevance, need - 1)[:need]
            top = top[np.argsort(-relevance[top], kind="stable")]
            anchors += [(int(c), max(float(relevance[c]), 0.05)) for c in top]
    if unit is None:
        notes.append("the title has no catalog embedding here: content similarity is left out")
    if not wanted:
        notes.append("none of the title's genres is in the shared vocabulary: genre match is left out")
    return TitleProfile(name=name, year=year, genres=wanted, vector=unit, anchors=anchors, notes=notes)


def brief_profile(
    panel: ViewerPanel,
    brief: Brief,
    comparables: Sequence[Any] = (),
    embed: Callable[[list[str]], Any] | None = None,
) -> TitleProfile:
    """A brief's title placed in the panel; `comparables` are the analyst's (anything with id, title, year, similarity).

    Its catalog embedding is that of the text its comparables are searched with (logline, genres, tone): the
    working title is left out, so a title word such as "Night" does not pull in every film named after the night.
    """
    vector = np.asarray(embed([brief_query(brief)])[0], dtype=np.float32) if embed is not None else None
    given = [(c.id, c.title, c.year, c.similarity) for c in comparables]
    year = brief.release.earliest.year
    return title_profile(panel, name=brief.working_title, year=year, genres=brief.genres, vector=vector, comparables=given)


def title_inputs(panel: ViewerPanel, title: TitleProfile, users: np.ndarray | slice) -> dict[str, np.ndarray | None]:
    """The raw inputs of the hybrid score for the given viewers (None where the title gives nothing to compute)."""
    inputs: dict[str, np.ndarray | None] = {}
    if title.vector is not None and panel.items.has_vector.any():
        raw = panel.content[users] @ title.vector
        inputs["content"] = np.where(panel.content_titles[users] > 0, raw, np.nan)
    else:
        inputs["content"] = None
    cols = [panel.genre_names.index(g) for g in title.genres if g in panel.genre_names]
    inputs["genre"] = panel.genre_share[users][:, cols].mean(axis=1) if cols else None
    if title.anchors and panel.item_factors is not None and panel.user_factors is not None:
        columns = [c for c, _ in title.anchors]
        weights = np.array([w for _, w in title.anchors], dtype=np.float32)
        anchor = panel.item_factors[:, columns] @ (weights / weights.sum())
        inputs["collaborative"] = panel.user_factors[users] @ anchor
    else:
        inputs["collaborative"] = None
    inputs["activity"] = np.log1p(panel.activity[users])
    inputs["recency"] = -np.log1p(panel.recency_days[users] / 30)
    inputs["novelty"] = panel.novelty[users]
    return inputs


def item_inputs(panel: ViewerPanel, row: int) -> dict[str, np.ndarray | None]:
    """The raw inputs for one viewer and every panel title."""
    n = len(panel.items.ids)
    content = None
    if panel.content_titles[row] > 0 and panel.items.has_vector.any():
        content = np.where(panel.items.has_vector, panel.items.vectors @ panel.content[row], np.nan)
    n_genres = np.asarray(panel.item_genre.sum(axis=1)).ravel()
    genre = np.where(n_genres > 0, (panel.item_genre @ panel.genre_share[row]) / np.maximum(n_genres, 1), np.nan)
    collaborative = None
    if panel.item_factors is not None and panel.user_factors is not None:
        collaborative = panel.user_factors[row] @ panel.item_factors
    return {
        "content": content,
        "genre": genre,
        "collaborative": collaborative,
        "activity": np.full(n, np.log1p(panel.activity[row])),
        "recency": np.full(n, -np.log1p(panel.recency_days[row] / 30)),
        "novelty": np.full(n, panel.novelty[row]),
    }


def panel_scales(panel: ViewerPanel, rng: np.random.Generator) -> dict[str, tuple[float, float]]:
    """Mean and standard deviation of each input over sampled (viewer, title) pairs (per viewer for the prior)."""
    n_users, n_items = panel.watched.shape
    scales: dict[str, tuple[float, float]] = {}
    users = rng.integers(0, n_users, SCALE_SAMPLE)
    popular = np.flatnonzero(panel.item_viewers >= MIN_ANCHOR_VIEWERS)
    pool = popular if len(popular) else np.arange(n_items)
    items = pool[rng.integers(0, len(pool), SCALE_SAMPLE)]
    samples: dict[str, np.ndarray] = {}
    if panel.items.has_vector.any():
        with_vector = panel.items.has_vector[items] & (panel.content_titles[users] > 0)
        samples["content"] = np.einsum("ij,ij->i", panel.content[users[with_vector]], panel.items.vectors[items[with_vector]])
    n_genres = np.asarray(panel.item_genre.sum(axis=1)).ravel()[items]
    shares = np.asarray(panel.item_genre[items].multiply(panel.genre_share[users]).sum(axis=1)).ravel()
    samples["genre"] = shares[n_genres > 0] / n_genres[n_genres > 0]
    if panel.item_factors is not None and panel.user_factors is not None:
        samples["collaborative"] = np.einsum("ij,ji->i", panel.user_factors[users], panel.item_factors[:, items])
    samples["activity"] = np.log1p(panel.activity)
    samples["recency"] = -np.log1p(panel.recency_days / 30)
    samples["novelty"] = panel.novelty[~np.isnan(panel.novelty)]
    for name in FEATURES:
        values = samples.get(name)
        if values is None or len(values) < 2:
            scales[name] = (0.0, 1.0)
        elif name in PRIOR_SPREAD:  # the same unit everywhere: a month is a month in any panel
            scales[name] = (float(np.mean(values)), PRIOR_SPREAD[name])
        else:
            std = float(np.std(values))
            scales[name] = (float(np.mean(values)), std if std > 1e-9 else 1.0)
    return scales


def standardise(panel: ViewerPanel, inputs: dict[str, np.ndarray | None]) -> dict[str, np.ndarray | None]:
    """Inputs in standard deviations from the panel's mean (a missing value is the mean)."""
    out: dict[str, np.ndarray | None] = {}
    for name in FEATURES:
        raw = inputs.get(name)
        if raw is None:
            out[name] = None
            continue
        mean, std = panel.scales[name]
        z = (np.asarray(raw, dtype=np.float64) - mean) / std
        out[name] = np.where(np.isnan(z), 0.0, z)
    return out


def combine(weights: dict[str, float], z: dict[str, np.ndarray | None], size: int) -> np.ndarray:
    """The hybrid score (log-odds up to a constant): the weighted sum of the standardised inputs present."""
    total = np.zeros(size)
    for name in FEATURES:
        values = z.get(name)
        if values is not None:
            total += weights.get(name, 0.0) * values
    return total


def title_scores(panel: ViewerPanel, title: TitleProfile, weights: dict[str, float] | None = None) -> np.ndarray:
    """The hybrid score of the title for every viewer (higher is more likely to watch)."""
    z = standardise(panel, title_inputs(panel, title, slice(None)))
    return combine(weights or panel.weights, z, panel.n_users)


def affinity(scores: np.ndarray) -> np.ndarray:
    """exp(score) over its mean: how many times as likely as the average viewer."""
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.mean()


ACTIVITY_BAND_VIEWERS = 50
"""Viewers per activity band at least: targeting compares each viewer with viewers of about as much history."""
MAX_ACTIVITY_BANDS = 10


def activity_bands(activity: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Each viewer's band of titles watched (quantiles, at least ACTIVITY_BAND_VIEWERS viewers each), and each band's range."""
    n = len(activity)
    count = int(np.clip(n // ACTIVITY_BAND_VIEWERS, 1, MAX_ACTIVITY_BANDS))
    ranks = np.argsort(np.argsort(activity, kind="stable"), kind="stable")
    bands = (ranks * count // max(n, 1)).astype(np.int64)
    ranges = [(int(activity[bands == b].min()), int(activity[bands == b].max())) for b in range(count) if (bands == b).any()]
    return bands, ranges


def normalised_affinity(panel: ViewerPanel, scores: np.ndarray) -> np.ndarray:
    """exp(score) over its mean among viewers of about as much history (same activity band).

    How many times as likely to watch as a viewer who watches about as much: a heavy viewer is compared with
    other heavy viewers, so the top of a targeting list is there for taste, not for watching a lot.
    """
    bands, _ = activity_bands(panel.activity)
    peaks = np.full(int(bands.max()) + 1 if len(bands) else 1, -np.inf)
    np.maximum.at(peaks, bands, scores)
    shifted = np.exp(scores - peaks[bands])  # shifted per band, so no band underflows
    means = np.bincount(bands, weights=shifted) / np.maximum(np.bincount(bands), 1)
    return shifted / means[bands]


def confidence(panel: ViewerPanel, rows: np.ndarray, title: TitleProfile) -> np.ndarray:
    """0-1: the history's size (half at CONFIDENCE_HALF titles) times the share of the title's signals available."""
    history = panel.activity[rows] / (panel.activity[rows] + CONFIDENCE_HALF)
    signals = [
        title.vector is not None and panel.items.has_vector.any(),
        bool([g for g in title.genres if g in panel.genre_names]),
        bool(title.anchors) and panel.item_factors is not None,
    ]
    coverage = sum(signals) / len(signals)
    with_content = np.where(panel.content_titles[rows] > 0, 1.0, 0.0) if signals[0] else np.ones(len(rows))
    return history * (0.5 + 0.5 * coverage) * (0.8 + 0.2 * with_content)


def confidence_label(value: float) -> str:
    return "high" if value >= 0.7 else ("medium" if value >= 0.4 else "low")
