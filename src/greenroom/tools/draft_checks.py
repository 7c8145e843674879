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

# The editor's thresholds, and why (the README's "The editor's thresholds" lists them too). The writer's requests ask
# for less than the checks allow (a logline of 12 to 30 words, a synopsis of 50 to 140, taglines under 12): a sound
# line a few words off its target is not worth a round, a line far off is.
LOGLINE_WORDS = (8, 35)
"""Logline words: under 8 is a title, not a story; over 35 is a synopsis squeezed into one sentence."""
SYNOPSIS_WORDS = (40, 170)
"""Synopsis words: under 40 cannot hold a setup, a conflict and where it ends; over 170 is a treatment, too long to pitch."""
TAGLINE_MAX_WORDS = 14
"""A poster line is read at a glance: 14 words at most (the request says under 12)."""
SIMILAR_RATIO = 0.85
"""Two lines are the same line when difflib's ratio is above this: "Keep the light burning." and "Keep the light burning!"
score 0.96, "The Luminous Ends" and "The Luminous End" 0.97, while lines sharing only a pattern ("Seven nights. One lamp.
No rescue." and "Seven days. One boat. No escape.") score 0.73 and headings sharing a word ("The storm arrives", "The
storm returns") 0.76."""
COPIED_RATIO = 0.9
"""A logline is the brief's own when its ratio to the brief's concept is this or more: the concept with a word changed."""
OUTLINE_SLACK = 1
"""An outline may have one part more or fewer than asked for (a reading of the structure); beyond that it is the wrong
count, a hard check."""

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
    """Whether the text names a must-include element: the whole phrase, or more than half of its words of three letters
    or more that are not stop words."""
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
            if SequenceMatcher(None, item.lower(), other.lower()).ratio() > SIMILAR_RATIO:
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
    r"|\bwrite the\b|\bone new sentence\b|do not copy|rating ceiling|producer's material|<<<|>>>"
    # the writer's own wording copied into the text (seen: a synopsis opening "12 to 30 words, that make the
    # animation and family and preschool clear", from the pitch request's "12 to 30 words" and "that make the … clear")
    r"|\b\d+\s*(?:to|-|–)\s*\d+\s+(?:words|sentences)\b|\bthat make the\b[^.!?]{0,120}\bclear\b"
    r"|\bno higher than (?:G|PG|PG-13|R|NC-17)\b|\bsuch as the genres\b|\bsaying what happens\b"
    r"|\bthe editor asked\b|\bthis is revision\b|\bmust-include\b",
    re.IGNORECASE,
)
_FENCE = re.compile(r"(?<![A-Za-z])(?:BRIEF|DRAFT)(?![a-z])|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
"""The prompt's fences in capitals (`<<<BRIEF`, and run into a name: `BRIEF_TAGLINE`) and any identifier in capitals
with underscores: case-sensitive, so "a brief encounter" stays content."""
_LABEL = re.compile(
    r"^\W*(?:concept|title|format|genres|audience|tone(?: and voice)?|length|never mention|must include|notes?|answer"
    r"|output|response)\s*:",
    re.IGNORECASE,
)
_CAPS_LABEL = re.compile(r"^\W*[A-Z][A-Z0-9]{2,}(?:[ _-][A-Z0-9]+)*\s*:")
"""A text that opens with a label: the brief's own labels (`Concept:`), or any word in capitals before a colon,
which is how the embedded model garbles one (seen: a logline opening "BREEFYING:")."""
TAG_MAX_WORDS = 4

HARD_CHECKS = frozenset(
    {
        "plain pitch text", "plain outline text", "plain hooks text",  # debris, labels, instructions copied into the text
        "outline size",  # the wrong count
        "no repeated outline parts", "no repeated lines",  # repeated parts
        "topics to avoid in the pitch", "topics to avoid in the outline", "topics to avoid",  # a forbidden topic
        "proposed rating within ceiling", "rating fits the content",  # a rating the brief or the content does not allow
    }
)  # fmt: skip
"""The gates: after the writer's last round, a field that still fails one of these ships its fallback written from
the brief (`tools.fallbacks.gate`). Each is a fault a producer cannot use as written; the other checks (lengths, genre
signal, must-include elements, a logline close to the brief's) lower the editor's scores and send notes back, but
text that fails only them is still usable draft copy."""

GENRE_RATINGS: dict[str, AgeRating] = {"horror": "R", "crime": "R", "thriller": "R", "war": "R", "true crime": "R"}
"""The highest rating a genre justifies on its own, where the wording names nothing the lexicon knows (a horror film's
dread seldom uses a word from RATING_LEXICON)."""


def _pitch_texts(pitch: DraftPitch) -> list[str]:
    return [pitch.logline, pitch.synopsis]


def _outline_texts(outline: DraftOutline) -> list[str]:
    return [text for item in outline.outline for text in (item.heading, item.summary)]


def _hooks_texts(hooks: DraftHooks) -> list[str]:
    return [*hooks.taglines, *hooks.ad_copy, *hooks.content_tags]


def scaffolding(text: str) -> bool:
    """Whether `text` carries schema words, JSON punctuation, a label or the writer's instructions instead of content."""
    return bool(_SCHEMA_WORDS.search(text) or _INSTRUCTIONS.search(text) or _FENCE.search(text) or _labelled(text))


def _labelled(text: str) -> bool:
    return bool(_LABEL.match(text) or _CAPS_LABEL.match(text))


def _clean_text_check(part: Part, texts: list[str]) -> CheckResult:
    bad = [t for t in texts if scaffolding(t)]
    detail = (
        ("write plain content, not field names or instructions: " + " | ".join(bad[:3]))
        if bad
        else "no field names or instructions in the text."
    )
    return CheckResult(name=f"plain {part} text", criterion="completeness", part=part, passed=not bad, detail=detail, hard=True)


def _result(part: Part, name: str, criterion: str, passed: bool, detail: str) -> CheckResult:
    return CheckResult(name=name, criterion=criterion, part=part, passed=passed, detail=detail, hard=name in HARD_CHECKS)  # type: ignore[arg-type]


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
    results.append(_result("pitch", "logline is new writing", "fit_to_brief", copied < COPIED_RATIO,
        f"the logline copies the brief's concept ({copied:.0%} the same); rewrite it in new words."
        if copied >= COPIED_RATIO else f"the logline is {copied:.0%} the same as the brief's concept."))  # fmt: skip
    banned = [t for t in brief.constraints.avoid_topics if mentions("\n".join(_pitch_texts(pitch)), t)]
    results.append(_result("pitch", "topics to avoid in the pitch", "constraints", not banned,
        f"remove every mention of: {', '.join(banned)}." if banned else "no forbidden topic is mentioned."))  # fmt: skip
    return results


def check_outline(outline: DraftOutline, brief: Brief, *, wanted: int) -> list[CheckResult]:
    """Checks on the outline alone."""
    items = outline.outline
    results = [_clean_text_check("outline", _outline_texts(outline))]
    results.append(_result("outline", "outline size", "length", abs(len(items) - wanted) <= OUTLINE_SLACK,
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
    text = "\n".join(_hooks_texts(hooks) + (_pitch_texts(pitch) if pitch is not None else []))
    allowed = highest_fitting_rating(brief, text)
    results.append(_result("hooks", "rating fits the content", "age_rating", _rank(hooks.age_rating) <= _rank(allowed),
        f"the draft proposes {hooks.age_rating}, but nothing in the draft or its genres goes beyond {allowed}; rate it {allowed} or lower."
        if _rank(hooks.age_rating) > _rank(allowed) else f"{hooks.age_rating} fits what the draft shows."))  # fmt: skip
    return results


def highest_fitting_rating(brief: Brief, text: str) -> AgeRating:
    """The highest rating the content shows: one step above what its wording implies, at least PG-13 (tension and
    mild peril need no lexicon word) or what its genres justify (GENRE_RATINGS). A cozy game rated R fails it."""
    implied, _ = implied_rating(text)
    genre = [GENRE_RATINGS[g] for g in (g.lower().replace("-", " ") for g in brief.genres) if g in GENRE_RATINGS]
    ranks = [min(_rank(implied) + 1, len(AGE_RATINGS) - 1), _rank("PG-13"), *(_rank(r) for r in genre)]
    return AGE_RATINGS[max(ranks)]


def similar(a: str, b: str) -> bool:
    """Whether two lines are near copies of each other."""
    return SequenceMatcher(None, a.lower(), b.lower()).ratio() > SIMILAR_RATIO


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
    drafted = list(dict.fromkeys(f.field for f in draft.fallbacks))
    first: Part = drafted[0].split(".")[0] if drafted else "pitch"  # type: ignore[assignment]
    results.append(_result(first, "every field written by the model", "completeness", not drafted,
        f"these fields were drafted from the brief and need writing: {', '.join(drafted)}."
        if drafted else "the model wrote every field."))  # fmt: skip
    return results


def criterion_score(checks: list[CheckResult], criterion: str) -> int | None:
    """5 when every check of the criterion passes, 2 points off per failure, None when none applies.

    One failure leaves a criterion at 3 (acceptable, with a note to act on), two at 1 (poor): a rubric a person reads
    at a glance. The scores describe; the decision is `agents.editor.approves`.
    """
    relevant = [c for c in checks if c.criterion == criterion]
    if not relevant:
        return None
    return max(1, 5 - 2 * sum(not c.passed for c in relevant))


def hard_failures(draft: Draft, brief: Brief, *, outline_wanted: int) -> dict[str, list[str]]:
    """Each field of the draft (a dotted path of `DRAFT_FIELDS`) that fails a hard check, with the checks it fails.

    The same rules as the hard checks above, field by field, so that the gate replaces only what is broken: debris
    in the taglines does not cost the ad lines.
    """
    pitch, hooks, items = draft.pitch, draft.hooks, draft.outline.outline
    avoid = brief.constraints.avoid_topics
    lists: dict[str, tuple[str, list[str]]] = {
        "pitch.logline": ("pitch", [pitch.logline]),
        "pitch.synopsis": ("pitch", [pitch.synopsis]),
        "outline": ("outline", _outline_texts(draft.outline)),
        "hooks.taglines": ("hooks", hooks.taglines),
        "hooks.ad_copy": ("hooks", hooks.ad_copy),
        "hooks.content_tags": ("hooks", hooks.content_tags),
    }
    found: dict[str, list[str]] = {}
    for field, (part, texts) in lists.items():
        failed = []
        if any(scaffolding(t) for t in texts):
            failed.append(f"plain {part} text")
        if any(mentions(t, topic) for t in texts for topic in avoid):
            failed.append(
                {"pitch": "topics to avoid in the pitch", "outline": "topics to avoid in the outline"}.get(
                    part, "topics to avoid"
                )
            )
        if part == "hooks" and (
            _near_duplicates(texts) or (field != "hooks.content_tags" and any(similar(t, pitch.logline) for t in texts))
        ):
            failed.append("no repeated lines")
        if failed:
            found[field] = failed
    outline = found.get("outline", [])
    if abs(len(items) - outline_wanted) > OUTLINE_SLACK:
        outline.append("outline size")
    if _near_duplicates(i.heading for i in items) or _near_duplicates(i.summary for i in items):
        outline.append("no repeated outline parts")
    if outline:
        found["outline"] = outline
    rating = [c.name for c in check_hooks(hooks, brief, pitch) if c.part == "hooks" and "rating" in c.name and not c.passed]
    if rating:
        found["hooks.age_rating"] = rating
    return found
