"""One vocabulary for the whole project: genres, title keys, run statuses, step labels, business models, dotted paths.

Every part of greenroom that maps a genre, matches a title across data sets,
tests a run's status, names a launch step or sets a brief field by its dotted
path does it through this module, so the rules cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Literal, get_args

from greenroom.core.brief import BusinessModel

# --- genres -------------------------------------------------------------------

CANONICAL_GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Biography",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "Film-Noir",
    "History",
    "Horror",
    "Music",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Short",
    "Sport",
    "Thriller",
    "War",
    "Western",
)
"""Genre names shared by the training sets (MovieLens, ggplot2movies, movies.db)."""

GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sci fi": ("Sci-Fi",),
    "scifi": ("Sci-Fi",),
    "science fiction": ("Sci-Fi",),
    "sf": ("Sci-Fi",),
    "space opera": ("Sci-Fi", "Adventure"),
    "cyberpunk": ("Sci-Fi",),
    "romantic": ("Romance",),
    "love story": ("Romance",),
    "romcom": ("Romance", "Comedy"),
    "rom com": ("Romance", "Comedy"),
    "romantic comedy": ("Romance", "Comedy"),
    "animated": ("Animation",),
    "cartoon": ("Animation",),
    "anime": ("Animation",),
    "kids": ("Children", "Family"),
    "children": ("Children", "Family"),
    "family": ("Family", "Children"),
    "biopic": ("Biography",),
    "biographical": ("Biography",),
    "documentary": ("Documentary",),
    "docuseries": ("Documentary",),
    "doc": ("Documentary",),
    "noir": ("Film-Noir",),
    "film noir": ("Film-Noir",),
    "suspense": ("Thriller",),
    "psychological thriller": ("Thriller",),
    "historical": ("History",),
    "period": ("History",),
    "period drama": ("History", "Drama"),
    "sports": ("Sport",),
    "music": ("Music",),
    "musical": ("Musical",),
    "comedy drama": ("Comedy", "Drama"),
    "dramedy": ("Comedy", "Drama"),
    "superhero": ("Action", "Adventure", "Fantasy"),
    "true crime": ("Crime", "Documentary"),
    "detective": ("Mystery", "Crime"),
    "whodunit": ("Mystery",),
    "slasher": ("Horror",),
    "war film": ("War",),
    "short film": ("Short",),
    "martial arts": ("Action",),
    "heist": ("Crime", "Thriller"),
    "docs": ("Documentary",),
    "documentary film": ("Documentary",),
    "rom-com": ("Romance", "Comedy"),
    "romance drama": ("Romance", "Drama"),
}
"""Free-text genres and the shared genres they stand for; keys are compared after `genre_key`."""


def genre_key(text: str) -> str:
    """A genre reduced to lowercase words, for lookups: 'Sci-Fi' and 'sci fi' both become 'sci fi'."""
    return re.sub(r"[^a-z]+", " ", text.lower()).strip()


_CANONICAL_BY_KEY = {genre_key(g): g for g in CANONICAL_GENRES}


def genre_matches(genre: str) -> tuple[str, ...]:
    """The shared genres a free-text genre stands for; empty when it is not recognised."""
    key = genre_key(genre)
    if key in _CANONICAL_BY_KEY:
        return (_CANONICAL_BY_KEY[key],)
    if key in GENRE_SYNONYMS:
        return GENRE_SYNONYMS[key]
    if key.endswith("s") and key[:-1] in _CANONICAL_BY_KEY:
        return (_CANONICAL_BY_KEY[key[:-1]],)
    return ()


def canonical_genres(genres: Iterable[str]) -> tuple[list[str], list[str]]:
    """Map free-text genres to the shared vocabulary: (canonical genres in order, genres not recognised)."""
    found: list[str] = []
    unknown: list[str] = []
    for raw in genres:
        mapped = genre_matches(raw)
        if mapped:
            found.extend(mapped)
        else:
            unknown.append(raw)
    return list(dict.fromkeys(found)), unknown


def genre_names(genres: Iterable[str]) -> list[str]:
    """Lowercase genre names as the catalog and MovieLens spell them ('science fiction' -> 'sci-fi').

    A genre outside the vocabulary is kept, lowercased, so it can still match a catalog's own genres.
    """
    names: list[str] = []
    for raw in genres:
        mapped = genre_matches(raw)
        names.extend(g.lower() for g in mapped) if mapped else names.append(raw.strip().lower())
    return list(dict.fromkeys(n for n in names if n))


def unknown_genre_note(genre: str) -> str:
    """The caveat for a brief genre outside the shared vocabulary (one wording, so a report states it once)."""
    return f"genre '{genre}' is not in the shared genre vocabulary and was ignored"


# --- titles -------------------------------------------------------------------

_TRAILING_ARTICLE = re.compile(r",\s*(the|a|an|la|le|les|el|il|der|die|das)$")


def title_key(title: str) -> str:
    """A title reduced for matching across data sets.

    Lowercase, accents and punctuation stripped, alternate titles in brackets removed,
    a leading or trailing article dropped: 'Matrix, The' and 'The Matrix' both become 'matrix'.
    """
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower().strip()
    text = re.sub(r"\s*\([^)]*\)", "", text).strip()
    text = _TRAILING_ARTICLE.sub("", text)
    text = re.sub(r"^(the|a|an)\s+", "", text)
    text = text.replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def film_key(title: str, year: int) -> str:
    """Join key between film tables: the title key and the release year."""
    return f"{title_key(title)}|{int(year)}"


# --- runs ---------------------------------------------------------------------

RunStatus = Literal[
    "queued", "running", "awaiting_approval", "done", "approved", "rejected", "stopped_cap", "failed", "cancelled"
]
"""Where a run stands."""
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
ACTIVE: tuple[str, ...] = ("queued", "running")
"""Statuses of a run that is still moving; every other status is at rest."""
AT_REST: tuple[str, ...] = tuple(s for s in RUN_STATUSES if s not in ACTIVE)
"""Statuses of a run that is not moving: it waits for a person, or it has ended."""
FINAL: tuple[str, ...] = ("done", "approved", "rejected")
"""Statuses of a run that ended with a package (its checkpoints may be pruned to the last one)."""
REVISABLE: tuple[str, ...] = ("done", "approved", "rejected", "stopped_cap", "failed")
"""Statuses from which a run can be revised."""

STATUS_WORDS: dict[str, str] = {"awaiting_approval": "awaiting your approval", "approved": "approved by a person",
                                 "rejected": "rejected by a person", "stopped_cap": "stopped at a cap"}  # fmt: skip
"""Run statuses as a person reads them (the others are words already). A person's approval is never worded like the
editor's verdict on the draft ('the editor's verdict: approved the draft'): the two are kept apart everywhere."""

STEP_LABELS: dict[str, str] = {
    "intake": "brief checked",
    "analyst": "comparables, forecast and segments",
    "writer": "draft written",
    "editor": "draft reviewed",
    "marketer": "release window, promotion split and ad copy",
    "pricing": "price points and offers",
    "assemble": "launch package assembled",
}
"""What each launch step does, in words, for progress displays."""
STEP_NAMES: dict[str, str] = {
    "intake": "Intake",
    "analyst": "Audience analyst",
    "writer": "Writer",
    "editor": "Editor",
    "marketer": "Marketer",
    "pricing": "Pricing",
    "assemble": "Assembly",
    "approval": "Approval",
}
"""Who does each launch step, for progress a person reads."""

# --- business models ----------------------------------------------------------


def parse_business_model(value: BusinessModel | str) -> BusinessModel:
    """The business model a value names; ValueError with the accepted names otherwise."""
    try:
        return BusinessModel(value)
    except ValueError as exc:
        known = ", ".join(m.value for m in BusinessModel)
        raise ValueError(f"'{value}' is not one of {known}") from exc


# --- dotted paths -------------------------------------------------------------


def set_dotted(data: dict[str, Any], dotted: str, value: Any, *, create: bool = False) -> None:
    """Set `a.b.0.c` in nested dicts and lists.

    A missing key raises KeyError unless `create` is set (then the dicts on the
    way are made); a list index that is not a number or out of range raises too.
    """
    *parents, last = dotted.split(".")
    target: Any = data
    try:
        for part in parents:
            if isinstance(target, list):
                target = target[int(part)]
            elif create:
                target = target.setdefault(part, {})
            else:
                target = target[part]
        if isinstance(target, list):
            target[int(last)] = value
        elif isinstance(target, dict) and (create or last in target):
            target[last] = value
        else:
            raise KeyError(dotted)
    except (IndexError, ValueError, TypeError, AttributeError) as exc:
        raise KeyError(dotted) from exc
