"""Draft copy written from the brief, for the fields the model could not write usably.

A launch never fails because of words: when every answer the model gave for a
part of the draft stayed unusable, or after the last editor round a field still
fails a hard check (`tools.draft_checks.HARD_CHECKS`), the writer ships these
instead and marks each field in `Draft.fallbacks` with the reason; the
package's warnings, the report, the REST API's JSON and Slack all say the brief
drafted it. The copy is plain draft copy a producer can start from: the
outline's beats come from the logline (who, what they must do, what stands in
the way), the must-include elements and the format's structure; the synopsis,
taglines and ad lines likewise. It is written by rules, not by a model, so it
never carries debris, a repeated part or a forbidden topic the brief did not
put there itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from greenroom.core.brief import AGE_RATINGS, AgeRating, Brief, Format
from greenroom.core.schemas import Draft, DraftHooks, DraftOutline, DraftPitch, Fallback, OutlineItem
from greenroom.core.text import to_plain
from greenroom.tools.draft_checks import TAGLINE_MAX_WORDS, hard_failures, highest_fitting_rating, implied_rating, words

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

HARD_FAILURE = "the model's answers stayed unusable: after the last round it still failed a hard check"
"""The start of a gated field's reason; the checks it failed follow."""


def _genres(brief: Brief) -> str:
    return " and ".join(g.lower() for g in brief.genres[:3]) or "new"


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".!?")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _a(noun_phrase: str) -> str:
    return f"{'an' if noun_phrase[:1].lower() in 'aeiou' else 'a'} {noun_phrase}"


def _audience(brief: Brief) -> str:
    regions = brief.audience.regions[:3]
    anywhere = any(r.lower() in {"worldwide", "global", "everywhere", "international"} for r in regions)
    where = " worldwide" if anywhere else f" in {', '.join(regions)}" if regions else ""
    return f"ages {brief.audience.age_min} to {brief.audience.age_max}{where}"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# --------------------------------------------------------------------------- the logline, taken apart

_GOAL = re.compile(
    r"^(?P<who>.+?)\s+(?:must|ha(?:s|ve)(?: \w+){0,3} to|tries to|try to|sets? out to|fights? to|struggles? to|races? to"
    r"|needs? to|wants? to|sets? off to|learns? to|works? to|joins? forces to|teams? up to"
    r"|(?P<verb>traces?|follows?|explores?|uncovers?|investigates?|tells?|chronicles?|reveals?))\s+(?P<goal>.+?)"
    r"(?:,?\s+(?:while|as|but|before|until|when|even as|only to find that|after)\s+(?P<obstacle>.+))?$",
    re.IGNORECASE,
)
WHO_BY_FORMAT: dict[Format, str] = {
    Format.FILM: "the main characters", Format.SERIES: "the main characters", Format.GAME: "the player's characters",
    Format.SHORT_VIDEO: "the people on screen", Format.PODCAST: "the people at its centre",
    Format.MUSIC_RELEASE: "the listener", Format.ARTICLE: "the people at its centre",
}  # fmt: skip
"""Who the beats name when the logline does not say it in the usual shape."""


@dataclass(frozen=True)
class Premise:
    """The brief's logline in three pieces a beat can name; each falls back to plain words when the logline does not
    split that way."""

    who: str
    """Who the story follows, as a later sentence names them ('the retired keeper and the runaway teenager')."""
    goal: str
    """What they must do, a verb phrase ('keep the lamp burning through a week-long storm'), or ''."""
    obstacle: str
    """What stands in the way, a clause ('a salvage crew circles the wreck offshore'), or ''."""


def premise(brief: Brief) -> Premise:
    """The logline taken apart by its usual shape: '<who> must <goal> while <obstacle>'."""
    logline = " ".join(brief.logline.split()).rstrip(".!?")
    match = _GOAL.match(logline)
    who = match["who"].rsplit(", ", 1)[-1].strip() if match else ""  # "When the station fails, its crew has …": the crew
    if match is None or not 0 < len(words(who)) <= 12:
        return Premise(who=WHO_BY_FORMAT[brief.format], goal="", obstacle="")
    who = re.sub(r"\b(?:a|an|its|their|his|her)\b(?=\s)", "the", who, flags=re.IGNORECASE)
    who = who[:1].lower() + who[1:] if who.split()[0].lower() in {"the", "two", "three", "four"} else who
    goal = match["goal"].strip()
    if match["verb"]:  # "A reporter traces how …": the goal is to trace how …
        verb = match["verb"].lower()
        goal = f"{verb[:-1] if verb.endswith('s') else verb} {goal}"
    return Premise(who=who, goal=goal, obstacle=(match["obstacle"] or "").strip())


# --------------------------------------------------------------------------- the outline: beats by format

# Each format's structure, as six stages in order; an outline of n parts takes n of them spread from the first to the
# last. A stage is (heading, summary) with {who}, {goal}, {obstacle}, {element} and {title} filled from the brief.
_STORY = [
    ("Where it begins", "We meet {who} in their everyday world, and see what {title} puts at risk."),
    ("The call", "For {who} there is no way back: they must {goal}."),
    ("Pressure builds", "The danger grows: {obstacle}."),
    ("The turn", "A setback around {element} forces {who} to change their plan."),
    ("Everything at stake", "At the lowest point, {element} puts everything at risk for {who}."),
    ("The final test", "The last test comes for {who}, and the ending shows what it cost."),
]
STRUCTURES: dict[Format, list[tuple[str, str]]] = {
    Format.FILM: _STORY,
    Format.SERIES: [
        ("Pilot", "The pilot introduces {who} and the promise of the season: they must {goal}."),
        ("New complications", "Early episodes widen the world and the trouble: {obstacle}."),
        ("A closer look", "An episode centred on {element} deepens what is at stake."),
        ("Midseason turn", "A reversal around {element} changes what {who} believe they are fighting for."),
        ("Everything converges", "The threads draw together, and time runs out for {who}."),
        ("Season finale", "The finale settles the season's question and opens the next one."),
    ],
    Format.PODCAST: [
        ("The opening episode", "The first episode sets out the story of {title} and why it matters now."),
        ("The people involved", "We hear from those closest to it: {who}."),
        ("Following the trail", "The reporting follows {element}, step by step."),
        ("What was missed", "New material on {element} shows what others overlooked."),
        ("The reckoning", "The series weighs the evidence and what it means for {who}."),
        ("Where it stands", "The final episode says what is known, what is not, and what comes next."),
    ],
    Format.MUSIC_RELEASE: [
        ("The opener", "The opening track states the record's mood and its main theme."),
        ("First single", "A direct, hook-led track built around {element}."),
        ("Deeper cut", "A slower track that turns {element} inward."),
        ("The centrepiece", "The longest track, where the record's story peaks."),
        ("Change of pace", "A lighter turn before the close, revisiting {element}."),
        ("The closer", "The last track brings the record home and leaves its theme unresolved."),
    ],
    Format.GAME: [
        ("First steps", "The opening chapter teaches the core play while introducing {who}."),
        ("Into the world", "The world opens up: players set out to {goal}."),
        ("New challenges", "Levels built around {element} add a new way to play."),
        ("The twist", "A turn involving {element} changes what the player is working towards."),
        ("The hardest stretch", "The toughest levels test everything learnt: {obstacle}."),
        ("The ending", "The final chapter pays off the journey and rewards what the player built."),
    ],
    Format.SHORT_VIDEO: [
        ("The hook", "The first seconds show {who} and the question the video answers."),
        ("The setup", "What is at stake: {who} must {goal}."),
        ("The build", "The pressure rises around {element}."),
        ("The twist", "A surprise involving {element} changes the picture."),
        ("The payoff", "The answer lands, and {title} delivers its promise."),
        ("The sign-off", "A closing moment that invites viewers to share or follow."),
    ],
    Format.ARTICLE: [
        ("The lede", "The opening scene puts the reader beside {who}."),
        ("Why it matters", "The stakes, plainly: {who} must {goal}."),
        ("The background", "How we got here, told through {element}."),
        ("The other side", "The strongest objections, and what {element} shows about them."),
        ("What happens next", "What could change, and who decides."),
        ("The close", "A final scene that returns to the opening and leaves the reader with the open question."),
    ],
}
"""Each format's structure as six beats in order."""


def _fill(template: str, brief: Brief, story: Premise, element: str) -> str:
    goal = story.goal or f"face what {brief.working_title} puts in front of them"
    obstacle = story.obstacle or f"everything around {element} works against them"
    values = {"who": story.who, "goal": goal, "obstacle": obstacle, "element": element, "title": brief.working_title}
    return template.format(**values)


def fallback_outline(brief: Brief, count: int, unit: str) -> DraftOutline:
    """`count` beats of the format's structure, filled from the logline and the must-include elements in turn."""
    stages = STRUCTURES[brief.format]
    picks = [round(i * (len(stages) - 1) / max(1, count - 1)) for i in range(count)] if count > 1 else [0]
    elements = (
        [e for e in brief.constraints.must_include if e.strip()] or [g.lower() for g in brief.genres] or [brief.working_title]
    )
    story = premise(brief)
    items = []
    for i, stage in enumerate(picks):
        heading, summary = stages[stage]
        element = elements[i % len(elements)]
        items.append(
            OutlineItem(heading=to_plain(heading, 70), summary=to_plain(_sentence(_fill(summary, brief, story, element)), 260))
        )
    return DraftOutline(outline=items)


# --------------------------------------------------------------------------- pitch and hooks


def fallback_pitch(brief: Brief) -> DraftPitch:
    """The brief's own logline, and a synopsis of the story it states, its must-include elements and its tone."""
    noun, story = FORMAT_NOUN[brief.format], premise(brief)
    sentences = [f"{brief.working_title} is {_a(_genres(brief))} {noun}.", _sentence(brief.logline)]
    if brief.constraints.must_include:
        sentences.append(f"It turns on {_listed(brief.constraints.must_include[:4])}.")
    if story.goal:
        sentences.append(f"Whether {story.who} can {story.goal} is the question it keeps open to the end.")
    if brief.tone:
        tone = brief.tone.strip().rstrip(".!?")
        sentences.append(f"The tone is {tone[:1].lower()}{tone[1:]}.")
    sentences.append(f"It is made for {_audience(brief)}, and runs to {brief.length.describe()}.")
    return DraftPitch(logline=to_plain(brief.logline, 220), synopsis=to_plain(" ".join(sentences), 900))


def fallback_rating(brief: Brief, text: str) -> AgeRating:
    """The rating the text's wording implies, never above the brief's ceiling."""
    implied, _ = implied_rating(text)
    ceiling = brief.constraints.age_rating_ceiling
    return implied if AGE_RATINGS.index(implied) <= AGE_RATINGS.index(ceiling) else ceiling


def _short(text: str, max_words: int) -> str:
    """`text` cut at a clause or word so it keeps `max_words` words at most."""
    kept = text.split()
    if len(words(text)) <= max_words:
        return text
    clause = re.split(r",|;|\s(?:while|as|but|before|until|when)\s", text)[0]
    return clause if len(words(clause)) <= max_words else " ".join(kept[:max_words])


def fallback_taglines(brief: Brief) -> list[str]:
    """Three poster lines: the goal as a call, what stands in the way, and the title with its release."""
    story = premise(brief)
    elements = brief.constraints.must_include[:2]
    first = (
        _sentence(_short(story.goal, TAGLINE_MAX_WORDS - 1))
        if story.goal
        else _sentence(_short(_listed(elements), TAGLINE_MAX_WORDS - 1))
        if elements
        else f"{brief.working_title}."
    )
    second = (
        _sentence(_short(story.obstacle, TAGLINE_MAX_WORDS - 1))
        if story.obstacle
        else _sentence(_a(f"{_genres(brief)} {FORMAT_NOUN[brief.format]}"))
    )
    third = f"{_short(brief.working_title, 8)}. {brief.release.earliest:%B %Y}."
    return [to_plain(line, 90) for line in (first, second, third)]


def fallback_ad_lines(brief: Brief) -> list[str]:
    """Three ad lines: the story in a sentence of its own, who it is for, and when it arrives."""
    noun, story = FORMAT_NOUN[brief.format], premise(brief)
    about = f" about {story.who}, who must {_short(story.goal, 16)}" if story.goal else ""
    first = f"{_a(_genres(brief))} {noun}{about}."
    tone = _sentence(_short(brief.tone, 14)) if brief.tone else ""
    if tone and len(first) + len(tone) < 180:
        first = f"{first} {tone}"
    elements = brief.constraints.must_include[:3]
    second = f"Made for {_audience(brief)}" + (f", with {_listed(elements)}." if elements else ".")
    third = f"{brief.working_title} arrives in {brief.release.earliest:%B %Y}."
    return [to_plain(line, 180) for line in (first, second, third)]


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


# --------------------------------------------------------------------------- the gate


def gate(draft: Draft, brief: Brief, *, outline_count: int, outline_unit: str) -> Draft:
    """The draft with every field that fails a hard check replaced by its fallback, marked with the checks it failed.

    Run after the writer's last round: no later round can fix the field, and a broken field must not ship as written.
    A second pass catches a field that fails only against a replaced one (a tagline that repeats the brief's logline
    once the logline fell back).
    """
    for _ in range(2):
        failing = hard_failures(draft, brief, outline_wanted=outline_count)
        if not failing:
            break
        draft = _replaced(draft, brief, failing, outline_count, outline_unit)
    return draft


def _replaced(draft: Draft, brief: Brief, failing: dict[str, list[str]], outline_count: int, outline_unit: str) -> Draft:
    pitch, outline, hooks = draft.pitch, draft.outline, draft.hooks
    backup_pitch = fallback_pitch(brief)
    pitch = pitch.model_copy(
        update={f.split(".")[1]: getattr(backup_pitch, f.split(".")[1]) for f in failing if f.startswith("pitch.")}
    )
    if "outline" in failing:
        outline = fallback_outline(brief, outline_count, outline_unit)
    replaced: dict[str, object] = {}
    if "hooks.taglines" in failing:
        replaced["taglines"] = fallback_taglines(brief)
    if "hooks.ad_copy" in failing:
        replaced["ad_copy"] = fallback_ad_lines(brief)
    if "hooks.content_tags" in failing:
        replaced["content_tags"] = fallback_tags(brief)
    hooks = hooks.model_copy(update=replaced)
    if "hooks.age_rating" in failing:
        text = " ".join([pitch.logline, pitch.synopsis, *hooks.taglines, *hooks.ad_copy])
        rating = fallback_rating(brief, text)
        fitting = highest_fitting_rating(brief, text)
        hooks = hooks.model_copy(update={"age_rating": min(rating, fitting, key=AGE_RATINGS.index)})
    marked = {f.field for f in draft.fallbacks}
    new = [
        Fallback(field=field, reason=f"{HARD_FAILURE} ({', '.join(checks)})")
        for field, checks in failing.items()
        if field not in marked
    ]
    return Draft(pitch=pitch, outline=outline, hooks=hooks, fallbacks=[*draft.fallbacks, *new])
