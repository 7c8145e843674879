"""One vocabulary for the whole project: genres, title keys, run statuses, business models, dotted paths.

Every part of greenroom that maps a genre, matches a title across data sets,
tests a run's status or sets a brief field by its dotted path does it through
this module, so the rules cannot drift apart. (The launch steps' labels come
from their declarations, `graphs.steps`.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

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


class RunStatus(StrEnum):
    """Where a run stands. A `StrEnum`, so a status is stored, compared and sent as JSON as its plain string."""

    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    DONE = "done"
    APPROVED = "approved"
    REJECTED = "rejected"
    STOPPED_CAP = "stopped_cap"
    FAILED = "failed"
    CANCELLED = "cancelled"


RUN_STATUSES: tuple[RunStatus, ...] = tuple(RunStatus)
ACTIVE: tuple[RunStatus, ...] = (RunStatus.QUEUED, RunStatus.RUNNING)
"""Statuses of a run that is still moving; every other status is at rest."""
AT_REST: tuple[RunStatus, ...] = tuple(s for s in RunStatus if s not in ACTIVE)
"""Statuses of a run that is not moving: it waits for a person, or it has ended."""
FINAL: tuple[RunStatus, ...] = (RunStatus.DONE, RunStatus.APPROVED, RunStatus.REJECTED)
"""Statuses of a run that ended with a package (its checkpoints may be pruned to the last one)."""
REVISABLE: tuple[RunStatus, ...] = (RunStatus.DONE, RunStatus.APPROVED, RunStatus.REJECTED, RunStatus.STOPPED_CAP,
                                    RunStatus.FAILED, RunStatus.CANCELLED)  # fmt: skip
"""Statuses from which a run can be revised."""


@dataclass(frozen=True)
class StatusDisplay:
    """How one run status shows wherever a person reads it: the report's cover, Slack, the CLI and the chat."""

    words: str
    """The status in a sentence: 'Run r1 is awaiting your approval'."""
    icon: str
    """One emoji before the status in Slack and the chat."""
    colour: str
    """The terminal colour (a rich style name)."""
    tone: str
    """The report cover's badge style: approved, awaiting, not-approved or neutral."""
    decision: str = ""
    """A person's decision on the package, for the report's cover; empty where no person has decided or been asked
    (the cover then states the editor's verdict on the draft, which is never worded as a person's approval)."""
    meaning: str = ""
    """One sentence under the decision."""


STATUS_DISPLAY: dict[RunStatus, StatusDisplay] = {
    RunStatus.QUEUED: StatusDisplay("queued", "⏳", "cyan", "neutral"),
    RunStatus.RUNNING: StatusDisplay("running", "⏳", "cyan", "neutral"),
    RunStatus.AWAITING_APPROVAL: StatusDisplay(
        "awaiting your approval", "🟡", "yellow", "awaiting", "Awaiting your approval",
        "You have still to accept, change or reject this launch package."),
    RunStatus.DONE: StatusDisplay("done", "✅", "green", "neutral"),
    RunStatus.APPROVED: StatusDisplay(
        "approved by a person", "✅", "green", "approved", "Approved by a person", "A person accepted this launch package."),
    RunStatus.REJECTED: StatusDisplay(
        "rejected by a person", "⛔", "red", "not-approved", "Rejected by a person", "A person rejected this launch package."),
    RunStatus.STOPPED_CAP: StatusDisplay("stopped at a cap", "⏸", "red", "neutral"),
    RunStatus.FAILED: StatusDisplay("failed", "❌", "red", "neutral"),
    RunStatus.CANCELLED: StatusDisplay("cancelled", "⏹", "yellow", "neutral"),
}  # fmt: skip
"""The one table of how run statuses read, shared by every interface. A person's approval is never worded like the
editor's verdict on the draft ('Editor's verdict: approved'): the two are kept apart everywhere."""


def status_display(status: str) -> StatusDisplay | None:
    """The display of a run status, or None for a string that is no run status."""
    try:
        return STATUS_DISPLAY[RunStatus(status)]
    except ValueError:
        return None


def status_words(status: str) -> str:
    """A run status in words ('awaiting_approval' -> 'awaiting your approval'); an unknown string with spaces."""
    shown = status_display(status)
    return shown.words if shown else status.replace("_", " ")


def status_icon(status: str) -> str:
    """A run status's emoji; '•' for a string that is no run status."""
    shown = status_display(status)
    return shown.icon if shown else "•"


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
