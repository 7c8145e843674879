"""Deterministic checks on a draft: the part of the editor's review a small model cannot carry.

Each check returns a `CheckResult` whose `detail` says what to change, so a
failed check becomes a revision note the writer can act on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher

from graphs.brief import AGE_RATINGS, AgeRating, Brief
from graphs.schemas import CheckResult, Draft

LOGLINE_WORDS = (8, 35)
SYNOPSIS_WORDS = (40, 170)
TAGLINE_MAX_WORDS = 14

# Words that push a rating up, by the lowest rating that allows them. A coarse
# lexicon after the MPA's published rating descriptors; it flags, the editor's
# note explains, and a person decides.
RATING_LEXICON: dict[AgeRating, tuple[str, ...]] = {
    "PG-13": ("murder", "murdered", "gunfight", "shooting", "bloody", "drug", "drugs", "overdose", "assassin", "massacre"),
    "R": ("gore", "gory", "torture", "tortured", "heroin", "cocaine", "meth", "sex scene", "graphic violence", "dismember"),
    "NC-17": ("explicit sex", "pornographic", "porn"),
}

_WORD = re.compile(r"[a-z0-9']+")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "is",
        "are",
        "be",
        "its",
        "it",
        "this",
        "that",
    ]
)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _all_text(draft: Draft) -> str:
    parts = [draft.logline, draft.synopsis, *draft.taglines, *draft.ad_copy, *draft.content_tags]
    parts += [f"{item.heading}. {item.summary}" for item in draft.outline]
    return "\n".join(parts)


def mentions(text: str, phrase: str) -> bool:
    """Whether `text` mentions `phrase` as whole words (plural 's' tolerated)."""
    words = [re.escape(w) for w in _words(phrase)]
    if not words:
        return False
    pattern = r"\b" + r"\W+".join(words) + r"(?:s|es)?\b"
    return re.search(pattern, text.lower()) is not None


def _covers(text: str, element: str) -> bool:
    if mentions(text, element):
        return True
    key = [w for w in _words(element) if w not in _STOP and len(w) > 2]
    found = sum(mentions(text, w) for w in key)
    return bool(key) and found * 2 >= len(key) + (len(key) > 1)


def _near_duplicates(items: Iterable[str]) -> list[tuple[str, str]]:
    seen: list[str] = []
    dupes = []
    for item in items:
        for other in seen:
            if SequenceMatcher(None, item.lower(), other.lower()).ratio() > 0.85:
                dupes.append((other, item))
        seen.append(item)
    return dupes


def implied_rating(text: str) -> tuple[AgeRating, list[str]]:
    """The lowest rating the wording allows, with the words that set it."""
    rating: AgeRating = "G"
    hits: list[str] = []
    for level, words in RATING_LEXICON.items():
        found = [w for w in words if mentions(text, w)]
        if found:
            rating = level
            hits = found
    return rating, hits


def _rank(rating: AgeRating) -> int:
    return AGE_RATINGS.index(rating)


def check_draft(draft: Draft, brief: Brief, *, outline_wanted: int) -> list[CheckResult]:
    """Every deterministic check, passed or not."""
    text = _all_text(draft)
    results: list[CheckResult] = []

    def add(name: str, criterion: str, passed: bool, detail: str) -> None:
        results.append(CheckResult(name=name, criterion=criterion, passed=passed, detail=detail))  # type: ignore[arg-type]

    n = len(_words(draft.logline))
    lo, hi = LOGLINE_WORDS
    add("logline length", "length", lo <= n <= hi, f"logline has {n} words; keep it between {lo} and {hi}.")
    n = len(_words(draft.synopsis))
    lo, hi = SYNOPSIS_WORDS
    add("synopsis length", "length", lo <= n <= hi, f"synopsis has {n} words; keep it between {lo} and {hi}.")
    long_tags = [t for t in draft.taglines if len(_words(t)) > TAGLINE_MAX_WORDS]
    add("tagline length", "length", not long_tags,
        f"shorten these taglines to {TAGLINE_MAX_WORDS} words or fewer: " + " | ".join(long_tags) if long_tags else "all taglines are short.")  # fmt: skip
    n = len(draft.outline)
    add("outline size", "length", abs(n - outline_wanted) <= 1,
        f"outline has {n} parts; the brief calls for {outline_wanted}.")  # fmt: skip

    dupes = (
        _near_duplicates(draft.taglines)
        + _near_duplicates(draft.ad_copy)
        + _near_duplicates(i.heading for i in draft.outline)
        + _near_duplicates(i.summary for i in draft.outline)
    )
    add("no repeated lines", "completeness", not dupes,
        "rewrite repeated lines: " + " | ".join(f'"{b}" repeats "{a}"' for a, b in dupes[:3]) if dupes else "no line repeats another.")  # fmt: skip
    copied = SequenceMatcher(None, draft.logline.lower(), brief.logline.lower()).ratio()
    add("logline is new writing", "fit_to_brief", copied < 0.9,
        f"the logline copies the brief's concept ({copied:.0%} the same); rewrite it in new words."
        if copied >= 0.9 else f"the logline is {copied:.0%} the same as the brief's concept.")  # fmt: skip
    genre_hit = [g for g in brief.genres if any(_covers(text, part) for part in g.replace("-", " ").split("/"))]
    add("genre signal", "fit_to_brief", bool(genre_hit),
        f"the draft signals the genres: {', '.join(genre_hit)}." if genre_hit
        else f"nothing in the draft signals the genres ({', '.join(brief.genres)}); make them visible in the synopsis or tags.")  # fmt: skip

    banned = [t for t in brief.constraints.avoid_topics if mentions(text, t)]
    add("topics to avoid", "constraints", not banned,
        f"remove every mention of: {', '.join(banned)}." if banned else "no forbidden topic is mentioned.")  # fmt: skip
    missing = [m for m in brief.constraints.must_include if not _covers(text, m)]
    add("must-include elements", "constraints", not missing,
        f"work these into the synopsis: {', '.join(missing)}." if missing else "every must-include element is there.")  # fmt: skip

    ceiling = brief.constraints.age_rating_ceiling
    implied, words = implied_rating(text)
    add("wording within rating ceiling", "content_policy", _rank(implied) <= _rank(ceiling),
        f"words such as {', '.join(words)} imply {implied}, above the {ceiling} ceiling; soften them."
        if _rank(implied) > _rank(ceiling) else f"wording fits {ceiling}.")  # fmt: skip
    add("proposed rating within ceiling", "age_rating", _rank(draft.age_rating) <= _rank(ceiling),
        f"the draft proposes {draft.age_rating}, above the brief's {ceiling} ceiling; tone it down to {ceiling} or lower."
        if _rank(draft.age_rating) > _rank(ceiling) else f"{draft.age_rating} is within the {ceiling} ceiling.")  # fmt: skip
    add("rating matches wording", "age_rating", _rank(draft.age_rating) >= _rank(implied),
        f"the wording ({', '.join(words)}) implies at least {implied}, but the draft proposes {draft.age_rating}."
        if _rank(draft.age_rating) < _rank(implied) else "the proposed rating matches the wording.")  # fmt: skip
    return results


def criterion_score(checks: list[CheckResult], criterion: str) -> int | None:
    """5 when every check of the criterion passes, 2 points off per failure, None when none applies."""
    relevant = [c for c in checks if c.criterion == criterion]
    if not relevant:
        return None
    return max(1, 5 - 2 * sum(not c.passed for c in relevant))
