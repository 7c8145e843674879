"""Content built from the brief alone, for the fields the model could not write.

A launch never fails because of words: when every answer the model gave for a
part of the draft stayed unusable, the writer takes these instead and marks
each field `source: fallback` with the reason. The text is plain and honest —
the brief's own logline, its genres, title, tone and must-include elements —
so a person sees at once that it needs writing, and the plans and numbers
still complete.
"""

from __future__ import annotations

from greenroom.core.brief import AGE_RATINGS, AgeRating, Brief, Format
from greenroom.core.schemas import DraftHooks, DraftOutline, DraftPitch, OutlineItem
from greenroom.core.text import to_plain
from greenroom.tools.draft_checks import implied_rating

FORMAT_NOUN: dict[Format, str] = {
    Format.FILM: "film",
    Format.SERIES: "series",
    Format.PODCAST: "podcast",
    Format.MUSIC_RELEASE: "music release",
    Format.GAME: "game",
    Format.SHORT_VIDEO: "short video",
    Format.ARTICLE: "article",
}
"""How the fallback text names each format."""


def _genres(brief: Brief) -> str:
    return " and ".join(g.lower() for g in brief.genres[:3]) or "new"


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".!?")
    return f"{text}." if text else ""


def _audience(brief: Brief) -> str:
    where = f" in {', '.join(brief.audience.regions[:3])}" if brief.audience.regions else ""
    return f"ages {brief.audience.age_min} to {brief.audience.age_max}{where}"


def fallback_pitch(brief: Brief) -> DraftPitch:
    """The brief's own logline, and a synopsis assembled from its fields."""
    noun = FORMAT_NOUN[brief.format]
    sentences = [
        f"{brief.working_title} is a {_genres(brief)} {noun} for {_audience(brief)}.",
        _sentence(brief.logline),
    ]
    if brief.constraints.must_include:
        sentences.append(f"It brings in {', '.join(brief.constraints.must_include[:4])}.")
    if brief.tone:
        sentences.append(f"The tone is {_sentence(brief.tone.lower())}")
    sentences.append(f"It runs to {brief.length.describe()}.")
    return DraftPitch(logline=to_plain(brief.logline, 220), synopsis=to_plain(" ".join(sentences), 900))


def fallback_outline(brief: Brief, count: int, unit: str) -> DraftOutline:
    """`count` parts named by their place, each tied to the brief's elements in turn."""
    singular = unit.split(" ")[0].rstrip("s").capitalize() or "Part"
    elements = brief.constraints.must_include or brief.genres or [brief.working_title]
    stages = ["sets up the premise", "raises the stakes around", "turns on", "tests everyone with", "builds to", "resolves"]
    items = []
    for i in range(count):
        stage = stages[min(i, len(stages) - 2)] if i < count - 1 else stages[-1]
        element = elements[i % len(elements)]
        items.append(
            OutlineItem(
                heading=to_plain(f"{singular} {i + 1}", 70),
                summary=to_plain(f"{singular} {i + 1} {stage} {element}, following the logline of {brief.working_title}.", 260),
            )
        )
    return DraftOutline(outline=items)


def fallback_rating(brief: Brief, text: str) -> AgeRating:
    """The rating the text's wording implies, never above the brief's ceiling."""
    implied, _ = implied_rating(text)
    ceiling = brief.constraints.age_rating_ceiling
    return implied if AGE_RATINGS.index(implied) <= AGE_RATINGS.index(ceiling) else ceiling


def fallback_taglines(brief: Brief) -> list[str]:
    """Three short lines from the title, the genres and the audience."""
    noun = FORMAT_NOUN[brief.format]
    return [
        to_plain(brief.working_title, 90),
        to_plain(f"A {_genres(brief)} {noun}", 90),
        to_plain(f"Coming {brief.release.earliest:%B %Y}", 90),
    ]


def fallback_ad_lines(brief: Brief) -> list[str]:
    """Three ad lines from the logline, the genres and the release window."""
    noun = FORMAT_NOUN[brief.format]
    return [
        to_plain(f"{brief.working_title}: {_sentence(brief.logline)}", 180),
        to_plain(f"A {_genres(brief)} {noun} for {_audience(brief)}.", 180),
        to_plain(f"{brief.working_title} arrives in {brief.release.earliest:%B %Y}.", 180),
    ]


def fallback_tags(brief: Brief) -> list[str]:
    """The brief's genres as tags."""
    tags = [tag for tag in (to_plain(g.lower(), 30) for g in brief.genres[:5]) if len(tag) >= 2]  # "!!" or "ñ" leave too little
    return tags or [FORMAT_NOUN[brief.format]]


def fallback_hooks(brief: Brief) -> DraftHooks:
    """Taglines, ad lines, tags and a rating built from the brief."""
    taglines, ads = fallback_taglines(brief), fallback_ad_lines(brief)
    return DraftHooks(
        taglines=taglines,
        ad_copy=ads,
        content_tags=fallback_tags(brief),
        age_rating=fallback_rating(brief, " ".join([brief.logline, *taglines, *ads])),
    )
