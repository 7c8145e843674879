"""Viewing data as panels take it: MovieLens ratings and a tenant's imported history, as events and titles.

An event frame has one row per viewing event; `Items` are the titles those events point at, with their
catalog embeddings where the catalog has them (matched by `core.titles.TitleMatcher`'s one rule).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd

from greenroom.core.titles import TitleMatcher
from greenroom.core.vocabulary import canonical_genres
from greenroom.store.catalog import Catalog
from greenroom.store.viewers import ViewerStore
from greenroom.tools.segments import load_movielens

_TRAILING_ARTICLE = re.compile(r"^(?P<title>.+), (?P<article>The|A|An)(?P<rest> \(.*\))?$")
EventFrame: TypeAlias = pd.DataFrame
"""Columns: user_id, title_id, at (Unix seconds), weekday, hour, preference (0-1 or NaN), device."""


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
    """The shared catalog's id of each (title, year), by `TitleMatcher`'s rule (None: no title, or ambiguous)."""
    matcher = TitleMatcher(catalog.index(tenant=""))  # the bundled panel is matched to the shared titles only
    return [matcher.match(title, year) for title, year in titles]


def catalog_vectors(ids: Sequence[str | None], catalog: Catalog | None) -> tuple[np.ndarray, np.ndarray]:
    """The catalog embedding of each id (a zero row where there is none) and whether it has one."""
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
    vectors, has = catalog_vectors(matched, catalog)
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


def tenant_history(store: ViewerStore, tenant: str, catalog: Catalog) -> tuple[EventFrame, Items] | None:
    """A tenant's imported history as events and the catalog titles they point at; None when it imported none."""
    events = store.events(tenant)
    if events.empty:
        return None
    ids = sorted(set(events["title_id"]))
    titles = {t.id: t for t in catalog.get(ids)}
    ids = [i for i in ids if i in titles]
    vectors, has = catalog_vectors(ids, catalog)
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
    return frame, items
