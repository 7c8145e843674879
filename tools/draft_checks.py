"""Deterministic checks on a draft: the part of the editor's review a small model cannot carry.

Each check returns a `CheckResult` whose `detail` says what to change, so a
failed check becomes a revision note the writer can act on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Literal

from greenroom.core.brief import AGE_RATINGS, AgeRating, Brief
from greenroom.core.schemas import CheckResult, Draft, DraftHooks, DraftOutline, DraftPitch

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


def words(text: str) -> list[str]:
    """The lowercase words of `text`."""
    return _WORD.findall(text.lower())


def _all_text(draft: Draft) -> str:
    pitch, hooks = draft.pitch, draft.hooks
    parts = [pitch.logline, pitch.synopsis, *hooks.taglines, *hooks.ad_copy, *hooks.content_tags]
    parts += [f"{item.heading}. {item.summary}" for item in draft.outline.outline]
    return "\n".join(parts)


def mentions(text: str, phrase: str) -> bool:
    """Whether `text` mentions `phrase` as whole words (plural 's' tolerated)."""
    escaped = [re.escape(w) for w in words(phrase)]
    if not escaped:
        return False
    pattern = r"\b" + r"\W+".join(escaped) + r"(?:s|es)?\b"
    return re.search(pattern, text.lower()) is not None


def _covers(text: str, element: str) -> bool:
    if mentions(text, element):
        return True
    key = [w for w in words(element) if w not in _STOP and len(w) > 2]
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


Part = Literal["pitch", "outline", "hooks"]
PARTS: tuple[Part, ...] = ("pitch", "outline", "hooks")

# Field names of the writer's schemas, and the wording of its instructions: either in a
# draft's text means the model wrote its scaffolding instead of content (seen on the
# embedded model: `] { 3 different poster lines,, taglines: [`, `Echo-1 | Ad_copy:`).
_SCHEMA_WORDS = re.compile(
    r"\b(?:taglines?|ad[ _]?copy|content[ _]tags?|age[ _]rating|logline|synopsis|outline|heading|summary|json)\s*:"
    r"|\bad_copy\b|\bcontent_tags\b|\bage_rating\b|,\s*,|\|",
    re.IGNORECASE,
)
_INSTRUCTIONS = re.compile(
    r"different poster lines|different ad lines|short themes|one or two sentences|under \d+ words|as json"
    r"|\bwrite the\b|\bone new sentence\b|do not copy|rating ceiling|producer's material|<<<|>>>|\bBRIEF\b",
    re.IGNORECASE,
)
TAG_MAX_WORDS = 4


def _pitch_texts(pitch: DraftPitch) -> list[str]:
    return [pitch.logline, pitch.synopsis]


def _outline_texts(outline: DraftOutline) -> list[str]:
    return [text for item in outline.outline for text in (item.heading, item.summary)]


def _hooks_texts(hooks: DraftHooks) -> list[str]:
    return [*hooks.taglines, *hooks.ad_copy, *hooks.content_tags]


def scaffolding(text: str) -> bool:
    """Whether `text` carries schema words, JSON punctuation or the writer's instructions instead of content."""
    return bool(_SCHEMA_WORDS.search(text) or _INSTRUCTIONS.search(text))


def _clean_text_check(part: Part, texts: list[str]) -> CheckResult:
    bad = [t for t in texts if scaffolding(t)]
    detail = (
        ("write plain content, not field names or instructions: " + " | ".join(bad[:3]))
        if bad
        else "no field names or instructions in the text."
    )
    return CheckResult(name=f"plain {part} text", criterion="completeness", part=part, passed=not bad, detail=detail)


def _result(part: Part, name: str, criterion: str, passed: bool, detail: str) -> CheckResult:
    return CheckResult(name=name, criterion=criterion, part=part, passed=passed, detail=detail)  # type: ignore[arg-type]


def check_pitch(pitch: DraftPitch, brief: Brief) -> list[CheckResult]:
    """Checks on the logline and synopsis alone."""
    results = [_clean_text_check("pitch", _pitch_texts(pitch))]
    n = len(words(pitch.logline))
    lo, hi = LOGLINE_WORDS
    results.append(
        _result("pitch", "logline length", "length", lo <= n <= hi, f"logline has {n} words; keep it between {lo} and {hi}.")
    )
    n = len(words(pitch.synopsis))
    lo, hi = SYNOPSIS_WORDS
    results.append(
        _result("pitch", "synopsis length", "length", lo <= n <= hi, f"synopsis has {n} words; keep it between {lo} and {hi}.")
    )
    copied = SequenceMatcher(None, pitch.logline.lower(), brief.logline.lower()).ratio()
    results.append(_result("pitch", "logline is new writing", "fit_to_brief", copied < 0.9,
        f"the logline copies the brief's concept ({copied:.0%} the same); rewrite it in new words."
        if copied >= 0.9 else f"the logline is {copied:.0%} the same as the brief's concept."))  # fmt: skip
    banned = [t for t in brief.constraints.avoid_topics if mentions("\n".join(_pitch_texts(pitch)), t)]
    results.append(_result("pitch", "topics to avoid in the pitch", "constraints", not banned,
        f"remove every mention of: {', '.join(banned)}." if banned else "no forbidden topic is mentioned."))  # fmt: skip
    return results


def check_outline(outline: DraftOutline, brief: Brief, *, wanted: int) -> list[CheckResult]:
    """Checks on the outline alone."""
    items = outline.outline
    results = [_clean_text_check("outline", _outline_texts(outline))]
    results.append(_result("outline", "outline size", "length", abs(len(items) - wanted) <= 1,
        f"outline has {len(items)} parts; the brief calls for {wanted}."))  # fmt: skip
    dupes = _near_duplicates(i.heading for i in items) + _near_duplicates(i.summary for i in items)
    results.append(_result("outline", "no repeated outline parts", "completeness", not dupes,
        "rewrite repeated parts: " + " | ".join(f'"{b}" repeats "{a}"' for a, b in dupes[:3]) if dupes else "no part repeats another."))  # fmt: skip
    banned = [t for t in brief.constraints.avoid_topics if mentions("\n".join(_outline_texts(outline)), t)]
    results.append(_result("outline", "topics to avoid in the outline", "constraints", not banned,
        f"remove every mention of: {', '.join(banned)}." if banned else "no forbidden topic is mentioned."))  # fmt: skip
    return results


def check_hooks(hooks: DraftHooks, brief: Brief, pitch: DraftPitch | None = None) -> list[CheckResult]:
    """Checks on the taglines, ad copy, tags and rating alone (against the pitch when there is one)."""
    results = [_clean_text_check("hooks", _hooks_texts(hooks))]
    long_tags = [t for t in hooks.taglines if len(words(t)) > TAGLINE_MAX_WORDS]
    results.append(_result("hooks", "tagline length", "length", not long_tags,
        f"shorten these taglines to {TAGLINE_MAX_WORDS} words or fewer: " + " | ".join(long_tags) if long_tags else "all taglines are short."))  # fmt: skip
    dupes = _near_duplicates(hooks.taglines) + _near_duplicates(hooks.ad_copy) + _near_duplicates(hooks.content_tags)
    if pitch is not None:
        dupes += [(pitch.logline, line) for line in [*hooks.taglines, *hooks.ad_copy] if similar(line, pitch.logline)]
    results.append(_result("hooks", "no repeated lines", "completeness", not dupes,
        "rewrite repeated lines: " + " | ".join(f'"{b}" repeats "{a}"' for a, b in dupes[:3]) if dupes else "no line repeats another."))  # fmt: skip
    sentences = [t for t in hooks.content_tags if len(words(t)) > TAG_MAX_WORDS or t.rstrip().endswith((".", "!", "?"))]
    results.append(_result("hooks", "tags are short themes", "completeness", not sentences,
        f"make these tags one to {TAG_MAX_WORDS} words: " + " | ".join(sentences[:3]) if sentences else "every tag is a short theme."))  # fmt: skip
    banned = [t for t in brief.constraints.avoid_topics if mentions("\n".join(_hooks_texts(hooks)), t)]
    results.append(_result("hooks", "topics to avoid", "constraints", not banned,
        f"remove every mention of: {', '.join(banned)}." if banned else "no forbidden topic is mentioned."))  # fmt: skip
    ceiling = brief.constraints.age_rating_ceiling
    results.append(_result("hooks", "proposed rating within ceiling", "age_rating", _rank(hooks.age_rating) <= _rank(ceiling),
        f"the draft proposes {hooks.age_rating}, above the brief's {ceiling} ceiling; tone it down to {ceiling} or lower."
        if _rank(hooks.age_rating) > _rank(ceiling) else f"{hooks.age_rating} is within the {ceiling} ceiling."))  # fmt: skip
    return results


def similar(a: str, b: str) -> bool:
    """Whether two lines are near copies of each other."""
    return SequenceMatcher(None, a.lower(), b.lower()).ratio() > 0.85


def check_draft(draft: Draft, brief: Brief, *, outline_wanted: int) -> list[CheckResult]:
    """Every deterministic check, passed or not: each part's own, then those across the whole draft."""
    text = _all_text(draft)
    results = check_pitch(draft.pitch, brief) + check_outline(draft.outline, brief, wanted=outline_wanted)
    results += check_hooks(draft.hooks, brief, draft.pitch)
    summaries = [i.summary for i in draft.outline.outline]
    echoed = [s for s in summaries if similar(s, draft.pitch.logline) or similar(s, draft.pitch.synopsis)]
    results.append(_result("outline", "outline adds to the synopsis", "completeness", not echoed,
        "write what happens in each part, not the logline or synopsis again: " + " | ".join(echoed[:2])
        if echoed else "each part says something of its own."))  # fmt: skip
    genre_hit = [g for g in brief.genres if any(_covers(text, part) for part in g.replace("-", " ").split("/"))]
    results.append(_result("pitch", "genre signal", "fit_to_brief", bool(genre_hit),
        f"the draft signals the genres: {', '.join(genre_hit)}." if genre_hit
        else f"nothing in the draft signals the genres ({', '.join(brief.genres)}); make them visible in the synopsis or tags."))  # fmt: skip
    missing = [m for m in brief.constraints.must_include if not _covers(text, m)]
    results.append(_result("pitch", "must-include elements", "constraints", not missing,
        f"work these into the synopsis: {', '.join(missing)}." if missing else "every must-include element is there."))  # fmt: skip
    ceiling = brief.constraints.age_rating_ceiling
    implied, words = implied_rating(text)
    results.append(_result("pitch", "wording within rating ceiling", "content_policy", _rank(implied) <= _rank(ceiling),
        f"words such as {', '.join(words)} imply {implied}, above the {ceiling} ceiling; soften them."
        if _rank(implied) > _rank(ceiling) else f"wording fits {ceiling}."))  # fmt: skip
    rating = draft.hooks.age_rating
    results.append(_result("hooks", "rating matches wording", "age_rating", _rank(rating) >= _rank(implied),
        f"the wording ({', '.join(words)}) implies at least {implied}, but the draft proposes {rating}."
        if _rank(rating) < _rank(implied) else "the proposed rating matches the wording."))  # fmt: skip
    return results


def criterion_score(checks: list[CheckResult], criterion: str) -> int | None:
    """5 when every check of the criterion passes, 2 points off per failure, None when none applies."""
    relevant = [c for c in checks if c.criterion == criterion]
    if not relevant:
        return None
    return max(1, 5 - 2 * sum(not c.passed for c in relevant))
