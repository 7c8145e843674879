"""Results a person reads: the viewers to target for a title, and a viewer's own list, each explained.

- **Targeting**: the title scored for every viewer; the top viewers with their reasons and send windows,
  and the high-affinity audience.
- **Per-viewer list**: every title the viewer has not seen, scored with the same hybrid, the new title
  among them, then diversified by maximal marginal relevance (`tools.comparables.mmr`) over embeddings and
  genres.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from greenroom.core.viewers import ListItem, ScoreParts, TargetingList, ViewerList, ViewerScore
from greenroom.tools.comparables import MMR_LAMBDA, mmr
from greenroom.tools.viewers.panel import ViewerPanel
from greenroom.tools.viewers.scoring import (
    COMPARABLES,
    FEATURES,
    TitleProfile,
    activity_bands,
    combine,
    confidence,
    confidence_label,
    item_inputs,
    normalised_affinity,
    standardise,
    title_inputs,
    title_scores,
)
from greenroom.tools.viewers.windows import SHRINK_SESSIONS, WINDOW_HOURS, genre_habit, send_window, window_counts

HIGH_AFFINITY = 2.0
"""Affinity at or above which a viewer is in the audience to notify (twice the average viewer's likelihood)."""
LIKED = 0.7
"""A rating (0-1 scale) or watch share at or above this counts as liked (3.5 of 5 stars, 70% watched)."""
ANCHOR_SPREAD = 0.15
"""An explanation names a comparable the viewer watched only within this much relevance of the nearest one."""
ACTIVE_TITLES = 20
"""An explanation calls a viewer one of the most active only from this many titles (and the panel's top tenth)."""
RECENT_DAYS = 30
"""An explanation calls a viewer recently active within this many days of the panel's latest event."""
LIST_CANDIDATES = 50
"""Best-scoring unseen titles a viewer's list is diversified from."""


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def explain(panel: ViewerPanel, row: int, title: TitleProfile, viewer_affinity: float,
            against: str = "viewers with about as much history") -> str:  # fmt: skip
    """Why this viewer scores as they do, in words that can be checked against their history."""
    start, end = panel.watched.indptr[row], panel.watched.indptr[row + 1]
    seen = panel.watched.indices[start:end]
    prefs = panel.preference.data[start:end]
    parts: list[str] = []
    if len(seen):
        if title.vector is not None and panel.items.has_vector[seen].any():
            closeness = np.where(panel.items.has_vector[seen], panel.items.vectors[seen] @ title.vector, -1.0)
        else:
            wanted = set(title.genres)
            closeness = np.array([len(wanted & set(panel.items.genres[i])) / max(len(wanted), 1) for i in seen])
        liked = prefs >= LIKED
        pool = np.flatnonzero(liked) if liked.any() else np.arange(len(seen))
        best = pool[np.argsort(-closeness[pool], kind="stable")][:2]
        names = [panel.items.titles[seen[b]] for b in best]
        rated = panel.preference.data[start:end][best]
        verb = "rated" if liked.any() and (rated >= LIKED).all() else "watched"
        parts.append(f"{verb} {_join(names)}" + (" highly" if verb == "rated" else ""))
        nearest = max((w for _, w in title.anchors), default=0.0)
        anchors = {c for c, w in title.anchors if w >= nearest - ANCHOR_SPREAD}  # only the clearly similar ones are named
        shared = [panel.items.titles[i] for i in seen if i in anchors and panel.items.titles[i] not in names][:2]
        if shared:
            parts.append(f"also watched {_join(shared)}, which {'resemble' if len(shared) > 1 else 'resembles'} it")
    cols = [panel.genre_names.index(g) for g in title.genres if g in panel.genre_names]
    if cols:
        top = max(cols, key=lambda c: panel.genre_share[row, c])
        share = float(panel.genre_share[row, top])
        genre = panel.genre_names[top].lower()
        habit = genre_habit(panel, row, [panel.genre_names[top]])
        if share > 0 and habit:
            parts.append(f"watches {genre} {habit}")
        elif share > 0:
            parts.append(f"{share:.0%} of their titles are {genre}")
    titles = int(panel.activity[row])
    habits: list[str] = []
    if panel.activity[row] >= max(np.quantile(panel.activity, 0.9), ACTIVE_TITLES):
        habits.append(f"among the panel's most active viewers ({titles} titles)")
    if panel.recency_days[row] <= RECENT_DAYS and np.mean(panel.recency_days <= RECENT_DAYS) < 0.5:
        habits.append(f"active in the panel's last {RECENT_DAYS} days")
    if not np.isnan(panel.novelty[row]) and panel.novelty[row] >= 0.5:
        habits.append(f"watches {panel.novelty[row]:.0%} of their titles within a year of release")
    parts += habits
    if not parts:
        parts.append("little history to go on: the score is mostly the panel's prior")
    text = "; ".join(parts)
    return (f"{text[0].upper()}{text[1:]}. {viewer_affinity:.2f}x as likely as {against}, "
            f"from {titles} title{'s' * (titles != 1)}.")  # fmt: skip


def _method(panel: ViewerPanel, weights: dict[str, float]) -> str:
    terms = " + ".join(f"{weights.get(n, 0.0):g} x {n}" for n in FEATURES)
    return (
        f"score = {terms}, each input standardised over the panel; affinity = exp(score) over its mean among viewers "
        "with about as much history (the same band of titles watched), so heavy viewers are compared with heavy viewers. "
        "content: cosine of the title's catalog embedding with the viewer's rating-weighted history embedding; "
        "genre: share of the viewer's titles in the title's genres; collaborative: PureSVD predicted liking of "
        f"the {COMPARABLES} nearest panel titles; activity: log titles watched; recency: -log(1 + months since last watch); "
        "novelty: share of the viewer's titles watched within a year of release. "
        f"Send window: the {WINDOW_HOURS}-hour block of the week with most of the viewer's sessions, shrunk toward "
        f"the panel's profile by {SHRINK_SESSIONS:g} sessions."
    )


def _against(panel: ViewerPanel) -> str:
    """Whom a targeting affinity compares the viewer with, in words."""
    return "viewers with about as much history" if len(activity_bands(panel.activity)[1]) > 1 else "the average viewer"


def _activity_note(panel: ViewerPanel) -> str:
    _, ranges = activity_bands(panel.activity)
    if len(ranges) < 2:
        return "the panel is too small to compare viewers by activity: affinity is against the whole panel"
    bands = ", ".join(f"{lo}-{hi}" if lo != hi else f"{lo}" for lo, hi in ranges)
    return (f"normalised for activity: each viewer is compared with viewers who watched about as many titles "
            f"({len(ranges)} bands: {bands} titles), so the top of the list is there for taste, not for watching a lot")  # fmt: skip


def score_row(panel: ViewerPanel, row: int, title: TitleProfile, z: dict[str, np.ndarray | None], rank: int,
              viewer_affinity: float, percentile: float, conf: float, at: int,
              against: str = "viewers with about as much history") -> ViewerScore:  # fmt: skip
    """One viewer's ViewerScore from precomputed standardised inputs (`at` indexes the arrays in `z`)."""

    def part(name: str) -> float | None:
        values = z.get(name)
        return None if values is None else round(float(values[at]), 3)

    return ViewerScore(
        rank=rank, user_id=str(panel.user_ids[row]), affinity=round(viewer_affinity, 2), percentile=round(percentile, 2),
        confidence=round(conf, 3), confidence_label=confidence_label(conf),  # type: ignore[arg-type]
        history=int(panel.activity[row]),
        parts=ScoreParts(content=part("content"), genre=part("genre"), collaborative=part("collaborative"),
                         activity=part("activity") or 0.0, recency=part("recency") or 0.0,
                         novelty=part("novelty") or 0.0),
        explanation=explain(panel, row, title, round(viewer_affinity, 2), against), window=send_window(panel, row),
    )  # fmt: skip


def target(panel: ViewerPanel, title: TitleProfile, *, top: int = 100, threshold: float = HIGH_AFFINITY) -> TargetingList:
    """Score the title for every viewer; the top viewers with reasons and windows, and the high-affinity audience.

    Viewers are ranked by affinity normalised for activity (`normalised_affinity`): against viewers with
    about as much history, so a heavy viewer tops the list only when the title suits their taste.
    """
    if top < 0:
        raise ValueError(f"top must be at least 0, got {top}")
    z = standardise(panel, title_inputs(panel, title, slice(None)))
    lift = normalised_affinity(panel, combine(panel.weights, z, panel.n_users))
    order = np.argsort(-lift, kind="stable")
    shown = order[: min(top, panel.n_users)]
    ranks = np.empty(panel.n_users, dtype=np.int64)
    ranks[order] = np.arange(panel.n_users)
    percentile = 100.0 * (panel.n_users - 1 - ranks) / max(panel.n_users - 1, 1)
    conf = confidence(panel, shown, title)
    against = _against(panel)
    viewers = [
        score_row(panel, int(row), title, z, n + 1, float(lift[row]), float(percentile[row]), float(conf[n]), int(row), against)
        for n, row in enumerate(shown)
    ]
    high = np.flatnonzero(lift >= threshold)
    notes = [*title.notes, _activity_note(panel)]
    if panel.info.kind == "movielens":
        notes.append("scored on the bundled MovieLens panel; import your viewers (`greenroom viewers import`) to target your own")
    if not len(high):
        notes.append(f"no viewer reaches {threshold:g}x the likelihood of the viewers they are compared with: "
                     "the title does not single anyone out")  # fmt: skip
    return TargetingList(
        title=title.name, panel=panel.info, viewers=viewers, high_affinity_threshold=threshold, high_affinity=len(high),
        high_affinity_share=round(len(high) / max(panel.n_users, 1), 4), send_windows=window_counts(panel, high),
        comparables=title.anchor_titles(panel), weights=dict(panel.weights), method=_method(panel, panel.weights),
        notes=notes, model_version=panel.version,
    )  # fmt: skip


def _representation(panel: ViewerPanel, columns: np.ndarray) -> np.ndarray:
    """Unit vectors for MMR: catalog embedding and genres side by side."""
    genres = np.asarray(panel.item_genre[columns].todense(), dtype=np.float32)
    genres /= np.maximum(np.linalg.norm(genres, axis=1, keepdims=True), 1e-9)
    vectors = panel.items.vectors[columns] * panel.items.has_vector[columns, None]
    joined = np.hstack([vectors, 0.7 * genres])
    return joined / np.maximum(np.linalg.norm(joined, axis=1, keepdims=True), 1e-9)


def _title_representation(panel: ViewerPanel, title: TitleProfile) -> np.ndarray:
    genres = np.zeros(panel.item_genre.shape[1], dtype=np.float32)
    genres[[panel.genre_names.index(g) for g in title.genres if g in panel.genre_names]] = 1.0
    genres /= max(float(np.linalg.norm(genres)), 1e-9)
    vector = title.vector if title.vector is not None else np.zeros(panel.items.vectors.shape[1], dtype=np.float32)
    joined = np.concatenate([vector, 0.7 * genres])
    return joined / max(float(np.linalg.norm(joined)), 1e-9)


def _closest_seen(panel: ViewerPanel, row: int, vector: np.ndarray | None, genres: Sequence[str]) -> tuple[list[str], bool]:
    """The two titles of the viewer's history closest to a title (liked ones first), and whether both were liked."""
    start, end = panel.watched.indptr[row], panel.watched.indptr[row + 1]
    seen = panel.watched.indices[start:end]
    if not len(seen):
        return [], False
    if vector is not None and panel.items.has_vector[seen].any():
        closeness = np.where(panel.items.has_vector[seen], panel.items.vectors[seen] @ vector, -1.0)
    else:
        wanted = set(genres)
        closeness = np.array([len(wanted & set(panel.items.genres[i])) / max(len(wanted), 1) for i in seen])
    liked = panel.preference.data[start:end] >= LIKED
    pool = np.flatnonzero(liked) if liked.any() else np.arange(len(seen))
    best = pool[np.argsort(-closeness[pool], kind="stable")][:2]
    return [panel.items.titles[seen[b]] for b in best], bool(liked.any())


def _item_reason(panel: ViewerPanel, row: int, parts: dict[str, float], vector: np.ndarray | None,
                 genres: Sequence[str], value: float) -> str:  # fmt: skip
    """Why a title is in a viewer's list, ending with the very number the list shows for it."""
    names, liked = _closest_seen(panel, row, vector, genres)
    taste = {name: weight for name, weight in parts.items() if name in ("content", "genre", "collaborative")}
    main = max(taste, key=lambda name: taste[name]) if taste else ""
    because = f"because you {'rated' if liked else 'watched'} {_join(names)}" + (" highly" if liked else "") if names else ""
    if main == "collaborative" or not because:
        reason = "popular with viewers like you" + (f", who also liked {_join(names)}" if names and liked else "")
    else:
        reason = because
    return f"{reason[0].upper()}{reason[1:]}: {value:.2f}x your average unseen title"


def _parts(panel: ViewerPanel, z: dict[str, np.ndarray | None], at: int) -> dict[str, float]:
    """Each taste input's weighted contribution to one score (inputs the title gives nothing for left out)."""
    found: dict[str, float] = {}
    for name in ("content", "genre", "collaborative"):
        values = z.get(name)
        if values is not None:
            found[name] = panel.weights.get(name, 0.0) * float(values[at])
    return found


def viewer_list(panel: ViewerPanel, user_id: str, title: TitleProfile | None = None, *, k: int = 10,
                lam: float = MMR_LAMBDA) -> ViewerList:  # fmt: skip
    """A viewer's top-k unseen titles, each explained, with the new title placed where it ranks (KeyError: unknown viewer).

    The k titles are chosen for relevance and variety (maximal marginal relevance), then shown in the order
    of the affinity each shows: the number in a title's explanation is the number in the list.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    row = panel.user(user_id)
    z_items = standardise(panel, item_inputs(panel, row))
    scores = combine(panel.weights, z_items, len(panel.items.ids))
    seen = panel.watched.indices[panel.watched.indptr[row] : panel.watched.indptr[row + 1]]
    unseen = np.setdiff1d(np.arange(len(panel.items.ids)), seen)
    candidates = unseen[np.argsort(-scores[unseen], kind="stable")][:LIST_CANDIDATES]
    relevance = scores[candidates]
    vectors = _representation(panel, candidates)
    position = score = z_title = None
    if title is not None:
        z_title = standardise(panel, title_inputs(panel, title, np.array([row])))
        new_score = float(combine(panel.weights, z_title, 1)[0])
        position = int(np.sum(scores[unseen] > new_score)) + 1
        lift = normalised_affinity(panel, title_scores(panel, title))
        order_rank = int(np.sum(lift > lift[row]))
        pct = 100.0 * (panel.n_users - 1 - order_rank) / max(panel.n_users - 1, 1)
        conf = float(confidence(panel, np.array([row]), title)[0])
        score = score_row(panel, row, title, z_title, order_rank + 1, float(lift[row]), pct, conf, 0, _against(panel))
        relevance = np.append(relevance, new_score)
        vectors = np.vstack([vectors, _title_representation(panel, title)])
    peak = float(scores[unseen].max()) if len(unseen) else 0.0
    mean_base = float(np.exp(scores[unseen] - peak).mean()) if len(unseen) else 1.0
    values = np.round(np.exp(relevance - peak) / mean_base, 2)  # what the list shows, and what it is ordered by
    scaled = (relevance - relevance.min()) / max(float(np.ptp(relevance)), 1e-9) if len(relevance) else relevance
    chosen = sorted(mmr(scaled, vectors, k, lam), key=lambda index: (-values[index], -relevance[index]))
    items: list[ListItem] = []
    new_rank = None
    for rank, index in enumerate(chosen, start=1):
        value = float(values[index])
        if title is not None and z_title is not None and index == len(candidates):
            new_rank = rank
            reason = _item_reason(panel, row, _parts(panel, z_title, 0), title.vector, title.genres, value)
            items.append(ListItem(rank=rank, title_id="", title=title.name, year=title.year, genres=list(title.genres),
                                  affinity=value, new=True, explanation=reason))  # fmt: skip
            continue
        column = int(candidates[index])
        vector = panel.items.vectors[column] if panel.items.has_vector[column] else None
        reason = _item_reason(panel, row, _parts(panel, z_items, column), vector, panel.items.genres[column], value)
        items.append(
            ListItem(rank=rank, title_id=panel.items.ids[column], title=panel.items.titles[column],
                     year=panel.items.years[column], genres=list(panel.items.genres[column]), affinity=value,
                     explanation=reason)
        )  # fmt: skip
    times = panel.last_at.data[panel.last_at.indptr[row] : panel.last_at.indptr[row + 1]]
    recent = seen[np.argsort(-times, kind="stable")][:5]
    return ViewerList(
        user_id=str(panel.user_ids[row]), title=title.name if title else None, items=items, new_title_position=position,
        new_title_rank=new_rank, candidates=len(unseen), score=score, window=send_window(panel, row),
        history=[panel.items.titles[i] for i in recent],
        method=(f"every unseen title scored with the same hybrid as the new title; the best {LIST_CANDIDATES} "
                f"diversified by maximal marginal relevance (lambda {lam:g}) over catalog embeddings and genres, "
                "the chosen titles then shown in the order of their affinity (relevance against the viewer's "
                "average unseen title)"),
    )  # fmt: skip
