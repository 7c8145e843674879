"""The chat's conversation: it builds a brief from a person's words, launches it and turns follow-ups into revisions.

`Conversation` is pure: it reads a person's message, updates the brief as it
forms, asks for what is still missing, validates with `parse_brief` and says
what should happen next as an `Action` (launch, answer the approval, revise).
Whoever carries the actions out (the chat page's desk on the RunService, the
terminal chat on a run in its own process) tells it how they went with
`launched`, `refused` and `settled`. `describe_event` words a run's events for
a person.

    "A film called Night Shift"        -> working_title, format
    "budget 250k USD"                  -> budget.amount = 250000, budget.currency = USD
    "adults 18-34 in the US and UK"    -> audience.age_min/age_max = 18/34, audience.regions = [US, GB]
    "sometime this fall 2027"          -> release 2027-09-01 .. 2027-11-30 (tools/brief_reader.py)
    "what if the budget were halved?"  -> revision sets={"budget.amount": current / 2}
    "make it darker"                   -> revision note "make it darker"
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from greenroom.core.brief import PRIMARY_LENGTH_UNIT, BriefError, FieldError, Format, parse_brief
from greenroom.core.compare import Change, compare, describe
from greenroom.core.numbers import label, money, price
from greenroom.core.vocabulary import AT_REST, STATUS_WORDS, STEP_NAMES, set_dotted
from greenroom.tools.brief_reader import Reading, read_audience, read_dates, read_genres, read_places, read_rating

if TYPE_CHECKING:
    from greenroom.core.package import LaunchPackage

Stage = Literal["building", "confirming", "running", "reviewing", "finished"]

QUESTIONS: dict[str, str] = {
    "working_title": "What is the working title?",
    "format": "What format is it: film, series, podcast, music release, game, short video or article?",
    "logline": "What is it about, in one or two sentences (the logline)?",
    "genres": "Which genres, most important first (e.g. thriller, drama)?",
    "length": "How long is it, in {unit}?",
    "budget": "What is the launch budget (e.g. 250000 USD)?",
    "business_model": "How does it earn money: subscription, ad-supported, transactional, theatrical or free?",
    "release": "What is the release window (e.g. 'Sept 1 to Nov 15 2027', 'fall 2027' or 2027-09-01 to 2027-12-15)?",
}
"""The required fields, in the order the chat asks for them."""

_FORMATS: dict[str, Format] = {
    "feature film": Format.FILM, "film": Format.FILM, "movie": Format.FILM, "tv series": Format.SERIES,
    "series": Format.SERIES, "tv show": Format.SERIES, "podcast": Format.PODCAST, "music release": Format.MUSIC_RELEASE,
    "album": Format.MUSIC_RELEASE, "video game": Format.GAME, "game": Format.GAME,
    "short video": Format.SHORT_VIDEO, "article": Format.ARTICLE, "essay": Format.ARTICLE,
}  # fmt: skip
_BUSINESS: dict[str, str] = {
    "subscription": "subscription", "svod": "subscription", "ad-supported": "ad_supported", "ad supported": "ad_supported",
    "avod": "ad_supported", "ads": "ad_supported", "transactional": "transactional", "tvod": "transactional",
    "rental": "transactional", "theatrical": "theatrical", "cinemas": "theatrical", "free": "free",
}  # fmt: skip
_UNITS = {"minute": "minutes", "min": "minutes", "episode": "episodes", "track": "tracks", "hour": "hours", "word": "words"}
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}
_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP"}
_DATE = r"(\d{4}-\d{2}-\d{2})"
_AMOUNT = r"([$€£])?\s*(-?\d[\d,]*(?:\.\d+)?)\s*(k|m|thousand|million)?\b\s*([A-Za-z]{3}\b)?"
_CODES = frozenset({"usd", "eur", "gbp", "cad", "aud", "jpy", "inr", "chf", "sek", "nok", "dkk", "nzd", "brl", "mxn"})
_YES = re.compile(r"^\s*(yes|y|yep|sure|ok|okay|go|launch|launch it|do it|start)\b", re.I)
_APPROVE = re.compile(r"^\s*(approve|accept|approved|looks good|lgtm|ship it|yes)\b", re.I)
_REJECT = re.compile(r"^\s*(reject|no thanks|scrap it|cancel)\b", re.I)


def _words(key: str) -> str:
    return re.sub(r"\s+", r"[\\s-]+", re.escape(key).replace(r"\ ", " "))


def _find_keyword(text: str, table: dict[str, Any]) -> Any:
    """The value of the first table key found as a whole word, longest keys first."""
    for key in sorted(table, key=len, reverse=True):
        if re.search(rf"\b{_words(key)}\b", text, re.I):
            return table[key]
    return None


def parse_amount(text: str) -> tuple[float, str | None] | None:
    """`$250k`, `250,000 EUR`, `1.5 million` -> (amount, currency or None)."""
    match = re.search(_AMOUNT, text, re.I)
    if match is None:
        return None
    sign, digits, scale, code = match.groups()
    amount = float(digits.replace(",", "")) * _SCALE.get((scale or "").lower(), 1)
    is_code = code is not None and (code.isupper() or code.lower() in _CODES)
    currency = _CURRENCY_SIGNS.get(sign or "") or (code.upper() if is_code and code else None)
    return amount, currency


def _budget(text: str) -> dict[str, Any]:
    found = parse_amount(text)
    if found is None:
        return {}
    amount, currency = found
    return {"budget.amount": amount, **({"budget.currency": currency} if currency else {})}


def _release(text: str) -> dict[str, Any]:
    window = read_dates(text)
    return {"release.earliest": window[0].isoformat(), "release.latest": window[1].isoformat()} if window else {}


_RELEASE_CUE = re.compile(r"\b(?:releas\w*|launch\w*|premier\w*|window|comes? out|out in|drops?|between)\b", re.I)
_CORRECTION = re.compile(r"\b(?:back to|make it|change it to|instead|actually|rather|no,|not .{1,20}, but)\b", re.I)
HOW_TO_SAY = (
    "You can change any field by naming it, e.g. 'budget 3M', 'audience adults 18-34 in the US and UK', "
    "'territories: US, GB', 'R rated max', 'release fall 2027', 'genres: horror, thriller', 'avoid: gore'."
)


def _length(text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*-?\s*(minute|min|episode|track|hour|word)s?\b", text, re.I):
        name = _UNITS[unit.lower()]
        value = float(number)  # a number too long to count is kept as infinity, which the brief rejects by name
        found[f"length.{name}"] = value if name in ("minutes", "hours") or not math.isfinite(value) else int(value)
    return found


def _items(text: str) -> list[str]:
    return [g.strip(" .!") for g in re.split(r",|/|;|\band\b", text) if g.strip(" .!")]


def _labelled(text: str, *labels: str) -> str | None:
    """The value after `label:` or `label is`, up to the end of its sentence."""
    names = "|".join(_words(label) for label in labels)
    match = re.search(rf"\b(?:{names})\s*(?::|=|\bis\b)\s*[\"“']?(.+?)[\"”']?\s*(?:$|\n|;|\.(?:\s|$))", text, re.I)
    return match.group(1).strip() if match else None


def extract(text: str) -> dict[str, Any]:
    """Brief fields (dotted paths) a message states outright, e.g. 'budget 20000' or 'genres: thriller, drama'."""
    return read(text).fields


def read(text: str) -> Reading:
    """Brief fields a message states outright, and what to tell the person about how they were read."""
    reading = Reading()
    found = reading.fields
    title = _labelled(text, "working title", "title") or _called(text)
    if title:
        found["working_title"] = title
    if (fmt := _format_in(text)) is not None:
        found["format"] = fmt.value
    if logline := _labelled(text, "logline", "premise") or (_about(text) if title or fmt else None):
        found["logline"] = logline
    if genres := _labelled(text, "genres", "genre"):
        reading.update(read_genres(genres))
    if tone := _labelled(text, "tone"):
        found["tone"] = tone
    if budget := re.search(rf"\bbudget\b[^\d$€£-]{{0,20}}{_AMOUNT}", text, re.I):
        found.update(_budget(budget.group(0)))
    elif _CORRECTION.search(text) or re.fullmatch(rf"\s*{_AMOUNT}\s*", text, re.I):
        found.update(_money(text))
    if (model := _find_keyword(text, _BUSINESS)) is not None and re.search(
        r"\b(model|earn|revenue|release|on|via)\b", text, re.I
    ):
        found["business_model"] = model
    if _RELEASE_CUE.search(text) or len(re.findall(_DATE, text)) >= 2:
        found.update(_release(text))
    found.update(_length(text))
    if re.search(r"\baudience\b|\bages?d?\b|\badults\b|year[\s-]?olds", text, re.I):
        found.update(read_audience(text))
    reading.update(_territories(text))
    if (rating := read_rating(text)) is not None:
        found["constraints.age_rating_ceiling"] = rating
    if avoid := _labelled(text, "avoid topics", "avoid") or _after(text, r"stay away from|do not mention|don't mention"):
        found["constraints.avoid_topics"] = _items(avoid)
    if include := _labelled(text, "must include") or _after(text, r"must[\s-]include|must feature"):
        found["constraints.must_include"] = _items(include)
    if studio := _labelled(text, "studio", "distributor") or _after(text, r"distributed by|from the studio"):
        found["studio"] = studio
    if not found and len(text.split()) <= 8:  # 'sometime this fall 2027' on its own is a release window
        found.update(_release(text))
    return reading


def _after(text: str, cue: str, stops: str = ".;,\n") -> str | None:
    """The words after `cue`, up to the first of `stops`."""
    match = re.search(rf"\b(?:{cue})\s+([^{re.escape(stops)}]+)", text, re.I)
    return match.group(1).strip() if match else None


def _about(text: str) -> str | None:
    """'A film called Night Shift, about a keeper who …' -> the logline 'A keeper who …' (at least 10 characters)."""
    match = re.search(r"(?:,\s*|\s)(?:about|where|in which|following)\s+(.{10,})$", text.strip(), re.I | re.S)
    if match is None:
        return None
    logline = match.group(1).strip()
    return logline[0].upper() + logline[1:]


def _money(text: str) -> dict[str, Any]:
    """An amount that can only be money ('3M', '$250k', '40000 EUR'): the budget, in a correction or on its own."""
    match, found = re.search(_AMOUNT, text, re.I), parse_amount(text)
    if match is None or found is None or not (found[1] or match.group(3)):
        return {}
    if re.match(r"\s*(minute|min|episode|track|hour|word)", text[match.end(2) :], re.I):
        return {}
    return _budget(match.group(0))


def _territories(text: str) -> Reading:
    """'territories: US, GB' or 'released in the US and UK'; a list with a place not known is said, not guessed."""
    reading = Reading()
    labelled = _labelled(text, "territories", "territory", "markets", "countries")
    spoken = labelled or _after(text, r"releas\w* (?:it )?(?:only )?in|launch\w* (?:it )?(?:only )?in", stops=".;\n")
    if not spoken:
        return reading
    places = read_places(spoken)
    if places is not None:
        reading.fields["territories"] = places
    elif labelled:
        reading.notes.append(f"I could not read every territory in “{labelled}”; name countries, e.g. 'territories: US, GB, DE'.")
    return reading


def _format_in(text: str) -> Format | None:
    """A format named with an article ('a film', 'an eight-part series') or a label ('format: podcast')."""
    if labelled := _labelled(text, "format"):
        return _find_keyword(labelled, _FORMATS)
    for key in sorted(_FORMATS, key=len, reverse=True):
        if re.search(rf"\b(?:a|an|our|my)\s+(?:[\w-]+\s+){{0,2}}?{_words(key)}\b", text, re.I):
            return _FORMATS[key]
    return None


def _called(text: str) -> str | None:
    match = re.search(r"\b(?:called|titled|named)\s+[\"“']?([^\"”'.,;\n]+)", text, re.I)
    if match is None:
        return None
    return re.split(r"\s+(?:about|where|in which|following)\s", match.group(1), maxsplit=1, flags=re.I)[0].strip()


def answer_for(field: str, text: str) -> dict[str, Any]:
    """Read a whole message as the answer to the question about `field`."""
    return read_answer(field, text).fields


def read_answer(field: str, text: str) -> Reading:
    """Read a whole message as the answer to `field`, saying what could not be read."""
    text = text.strip()
    if field == "genres":
        return read_genres(text)
    if field == "release":
        if window := _release(text):
            return Reading(window)
        return Reading(notes=[f"I could not read a release window in “{text}”; try 'Sept 1 to Nov 15 2027', "
                              "'fall 2027' or '2027-09-01 to 2027-12-15'."])  # fmt: skip
    if field == "budget" and not _budget(text):
        return Reading(notes=[f"I could not read an amount in “{text}”; try '250k USD' or '3M'."])
    return Reading(_answer_fields(field, text))


def _answer_fields(field: str, text: str) -> dict[str, Any]:
    if field == "working_title":
        return {"working_title": text.strip("\"“”'")}
    if field == "logline":
        return {"logline": text}
    if field == "format":
        fmt = _find_keyword(text, _FORMATS) or _find_keyword(text, {f.value.replace("_", " "): f for f in Format})
        return {"format": fmt.value if fmt is not None else text}
    if field == "business_model":
        return {"business_model": _find_keyword(text, _BUSINESS) or text.lower().replace(" ", "_")}
    if field == "budget":
        return _budget(text)
    if field == "length":
        return _length(text)
    return {}


def missing_fields(draft: dict[str, Any]) -> list[str]:
    """Required fields the draft does not have yet, in asking order."""
    missing = []
    for field in QUESTIONS:
        if field == "length":
            unit = _length_unit(draft)
            if unit is not None and not (draft.get("length") or {}).get(unit):
                missing.append(field)
        elif field == "budget":
            if "amount" not in (draft.get("budget") or {}):
                missing.append(field)
        elif field == "release":
            if not {"earliest", "latest"} <= set(draft.get("release") or {}):
                missing.append(field)
        elif draft.get(field) in (None, "", []):
            missing.append(field)
    return missing


def _length_unit(draft: dict[str, Any]) -> str | None:
    try:
        return PRIMARY_LENGTH_UNIT[Format(str(draft.get("format")))]
    except ValueError:
        return None


def question(field: str, draft: dict[str, Any]) -> str:
    """The question that asks for `field`."""
    return QUESTIONS[field].format(unit=_length_unit(draft) or "minutes")


def problems(draft: dict[str, Any]) -> list[FieldError]:
    """What `parse_brief` finds wrong with the draft, apart from fields not given yet."""
    try:
        parse_brief(draft)
    except BriefError as exc:
        return [e for e in exc.errors if e.message != "is required" and not e.message.startswith("a ")]
    return []


class Followup(BaseModel):
    """A change asked for after a package was shown: words for the writer, brief fields, or both."""

    note: str = Field("", description="What to change, in words.")
    sets: dict[str, Any] = Field(default_factory=dict, description="Brief fields by dotted path.")


_BUDGET_FACTORS = {r"halv|half": 0.5, r"doubl|twice": 2.0, r"tripl": 3.0, r"quarter": 0.25}


def parse_followup(text: str, brief: dict[str, Any]) -> Followup:
    """'what if the budget were halved?' -> sets budget.amount; 'make it darker' -> a note; both may come together."""
    sets: dict[str, Any] = {}
    if re.search(r"\bbudget\b", text, re.I):
        amount = float((brief.get("budget") or {}).get("amount", 0))
        factor = next((f for pattern, f in _BUDGET_FACTORS.items() if re.search(rf"\b({pattern})", text, re.I)), None)
        percent = re.search(r"\b(cut|reduce|lower|raise|increase)\w*\b.*?(\d+(?:\.\d+)?)\s*%", text, re.I)
        if factor is not None and amount:
            sets["budget.amount"] = round(amount * factor, 2)
        elif percent and amount:
            sign = -1 if percent.group(1).lower() in ("cut", "reduce", "lower") else 1
            sets["budget.amount"] = round(amount * (1 + sign * float(percent.group(2)) / 100), 2)
        else:
            sets.update(_budget(text))
    fields = extract(text)
    for key, value in fields.items():  # lengths and loglines in a follow-up are about the words, not the brief
        if not key.startswith(("length.", "logline")) and not (key.startswith("budget.") and key in sets):
            sets[key] = value
    note = "" if sets else text.strip()
    return Followup(note=note, sets=sets)


# --- the conversation -----------------------------------------------------------


class Launch(BaseModel):
    """Submit the finished brief (the run pauses for approval once its package is assembled)."""

    kind: Literal["launch"] = "launch"
    brief: dict[str, Any]


class Answer(BaseModel):
    """Answer the approval question: accept, respond (a change in words) or reject."""

    kind: Literal["answer"] = "answer"
    answer: dict[str, Any]


class Revise(BaseModel):
    """Revise a run at rest."""

    kind: Literal["revise"] = "revise"
    note: str = ""
    sets: dict[str, Any] = Field(default_factory=dict)


Action = Launch | Answer | Revise


class Turn(BaseModel):
    """What the chat says back, and what should happen next."""

    say: list[str] = Field(default_factory=list, description="Messages to show, in order.")
    stage: Stage = Field(..., description="Where the conversation stands.")
    brief: dict[str, Any] = Field(default_factory=dict, description="The brief as it stands.")
    missing: list[str] = Field(default_factory=list, description="Required fields not given yet.")
    errors: list[FieldError] = Field(default_factory=list, description="Fields that are given but wrong.")
    offers: list[str] = Field(default_factory=list, description="Quick answers to show as buttons.")
    action: Launch | Answer | Revise | None = Field(None, description="What the desk should carry out.")
    run_id: str | None = Field(None, description="The run the chat follows.")
    report_url: str | None = Field(None, description="Where the latest package's report is shown, once there is one.")
    comparison: list[Change] = Field(
        default_factory=list, description="A new version beside the one shown before it: brief changes and key numbers."
    )


ModelReader = Callable[[str, dict[str, Any]], dict[str, Any]]
"""Reads a message into brief fields by dotted path, given the brief so far (a model's reading, see brief_reader)."""


class Conversation:
    """One person's chat: the brief as it forms, then the run it launched. No I/O of its own.

    `model_reader`, when given, reads each message beside the rules (a hosted model that is able to):
    the rules' reading wins where both read a field.
    """

    def __init__(self, model_reader: ModelReader | None = None) -> None:
        self.model_reader = model_reader
        self.draft: dict[str, Any] = {}
        self.asking: str | None = None
        self.stage: Stage = "building"
        self.run_id: str | None = None
        self.run_status: str | None = None
        self.shown: LaunchPackage | None = None

    def greet(self) -> Turn:
        self.asking = "working_title"
        return self._turn(["Hi! Tell me about the title you want to launch — as much as you like, in your words.",
                           question("working_title", self.draft)])  # fmt: skip

    def reply(self, text: str) -> Turn:
        """Read one message and answer it."""
        text = text.strip()
        if not text:
            return self._turn(["Say something and I will take it from there."])
        if self.stage in ("building", "confirming"):
            return self._build(text)
        if self.stage == "running":
            return self._turn(["The agents are still working on it; I will show the package as soon as it is ready."])
        return self._follow_up(text)

    # --- building the brief ---

    def _build(self, text: str) -> Turn:
        if self.stage == "confirming" and _YES.match(text):
            brief = parse_brief(self.draft)
            self.stage = "running"
            return self._turn(["Launching it now. I will show each agent's progress."],
                              action=Launch(brief=brief.model_dump(mode="json")))  # fmt: skip
        reading = read(text)
        if self.model_reader is not None:
            stated = {k: v for k, v in self.model_reader(text, self.draft).items() if k not in reading.fields}
            reading.fields.update(stated)
        if self.asking and not reading.fields:  # a message that states fields is not also the answer as a whole
            answer = read_answer(self.asking, text)
            answer.update(Reading(reading.fields, reading.notes))
            reading = answer
        for dotted, value in reading.fields.items():
            set_dotted(self.draft, dotted, value, create=True)
        return self._next_question(noted=_noted(reading.fields), notes=reading.notes, heard=text)

    def _next_question(self, noted: list[str], notes: list[str], heard: str) -> Turn:
        say = [f"Noted: {', '.join(noted)}.", *notes] if noted else list(notes)
        if not noted and not notes:
            say.append(f"I did not understand “{_clip(heard)}”, so nothing changed.")
        errors = problems(self.draft)
        if errors:
            self.asking = _question_for(errors[0].field)
            self.stage = "building"
            say += [f"That does not work yet: {_field_name(e.field)} {e.message}." for e in errors]
            return self._turn([*say, question(self.asking, self.draft)], errors=errors)
        missing = missing_fields(self.draft)
        if missing:
            self.asking, self.stage = missing[0], "building"
            return self._turn([*say, question(self.asking, self.draft)])
        self.asking, self.stage = None, "confirming"
        if not noted:
            say.append(HOW_TO_SAY)
        return self._turn([*say, "The brief is complete (see the panel). Shall I launch it? You can still change any field."],
                          offers=["Launch it"])  # fmt: skip

    # --- after a package ---

    def _follow_up(self, text: str) -> Turn:
        awaiting = self.run_status == "awaiting_approval"
        if awaiting and _APPROVE.match(text):
            self.stage = "running"
            return self._turn(["Approving this version."], action=Answer(answer={"action": "accept"}))
        if awaiting and _REJECT.match(text):
            self.stage = "running"
            return self._turn(["Rejecting this version."], action=Answer(answer={"action": "reject", "reason": text}))
        if re.fullmatch(r"(change|change it|changes?)\W*", text, re.I):
            return self._turn(["What should change? e.g. 'make it darker' or 'what if the budget were halved?'"])
        change = parse_followup(text, self.draft)
        self.stage = "running"
        if awaiting and change.sets:  # a what-if builds a new version beside this one, which stays as it is
            version = self.shown.version if self.shown is not None else 1
            return self._turn([f"Building version {version + 1} with {_describe_sets(change.sets)}. Version {version} "
                               "stays as it is; I will show the two side by side."],
                              action=Revise(note=change.note, sets=change.sets))  # fmt: skip
        if awaiting:
            return self._turn(
                [f"Asking the writer: “{change.note}”."], action=Answer(answer={"action": "respond", "text": change.note})
            )
        what = _describe_sets(change.sets) if change.sets else f"“{change.note}”"
        return self._turn([f"Revising: {what}."], action=Revise(note=change.note, sets=change.sets))

    # --- events from the desk ---

    def launched(self, run_id: str) -> None:
        self.run_id, self.run_status = run_id, "queued"

    def refused(self, errors: list[FieldError], message: str) -> Turn:
        """The desk could not carry the action out: say why and go back to where we were."""
        if self.run_id is None:
            self.stage = "building"
            for error in errors:
                self.asking = _question_for(error.field)
            return self._turn([message, *(f"{e.field}: {e.message}" for e in errors)], errors=errors)
        self.stage = "reviewing" if self.run_status in AT_REST else "running"
        return self._turn([message, *(f"{e.field}: {e.message}" for e in errors)], errors=errors)

    def settled(self, status: str, message: str, package: LaunchPackage | None) -> Turn:
        """The run came to rest: show the package and offer what can be done next."""
        self.run_status = status
        comparison: list[Change] = []
        if package is not None:
            self.draft = package.brief.model_dump(mode="json")
        say = [f"Run {self.run_id}: {STATUS_WORDS.get(status, status.replace('_', ' '))} — {message}".rstrip(" —")]
        if package is not None:
            say.append(summary(package))
            if self.shown is not None and self.shown.version != package.version:
                comparison = compare(self.shown, package)
                say.append("\n".join(describe(self.shown, package)))
            self.shown = package
        if status == "awaiting_approval":
            self.stage = "reviewing"
            say.append(
                "Approve it, tell me what to change (e.g. 'make it darker', 'what if the budget were halved?'), or reject it."
            )
            return self._turn(say, offers=["Approve", "Change", "Reject"], report=package is not None,
                              comparison=comparison)  # fmt: skip
        self.stage = "finished"
        say.append("Ask for a change at any time and I will revise it.")
        return self._turn(say, report=package is not None, comparison=comparison)

    def _turn(self, say: list[str], *, action: Action | None = None, errors: list[FieldError] | None = None,
              offers: list[str] | None = None, report: bool = False, comparison: list[Change] | None = None) -> Turn:  # fmt: skip
        return Turn(say=say, stage=self.stage, brief=self.draft, missing=missing_fields(self.draft), errors=errors or [],
                    offers=offers or [], action=action, run_id=self.run_id,
                    report_url="report" if report else None, comparison=comparison or [])  # fmt: skip


_FIELD_WORDS = {"constraints": "content rules", "audience": "audience", "working_title": "working title",
                "business_model": "business model"}  # fmt: skip


def _field_name(dotted: str) -> str:
    """'release.earliest' -> 'release earliest'."""
    return " ".join(part.replace("_", " ") for part in dotted.split("."))


def _noted(fields: dict[str, Any]) -> list[str]:
    """The fields a message set, as a person names them: 'budget', 'audience', 'rating ceiling'."""
    names: list[str] = []
    for dotted in fields:
        head, _, leaf = dotted.partition(".")
        name = leaf.replace("_", " ") if head == "constraints" else _FIELD_WORDS.get(head, head.replace("_", " "))
        if name == "age rating ceiling":
            name = "rating ceiling"
        if name not in names:
            names.append(name)
    return names


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _question_for(field: str) -> str:
    head = field.split(".")[0]
    return head if head in QUESTIONS else "working_title"


def _describe_value(value: Any) -> str:
    """A brief value as a person reads it: lists joined with commas, amounts with thousands separators."""
    if isinstance(value, list | tuple | set):
        return ", ".join(_describe_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"
    return str(getattr(value, "value", value))


def _describe_sets(sets: dict[str, Any]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} → {_describe_value(v)}" for k, v in sets.items())


def summary(package: LaunchPackage) -> str:
    """A package in two lines for the chat."""
    promo, tiers = package.promotion_plan.allocation, package.pricing_plan.recommendation.tiers
    taglines = package.draft.hooks.taglines
    tagline = taglines[0] if taglines else ""
    prices = "; ".join(f"{label(t.tier)} {price(t.recommended.price, t.currency)}" for t in tiers) or "no viewer price"
    return (f"{package.brief.working_title}, version {package.version}: “{tagline}”. "
            f"Promotion {money(promo.budget, promo.currency)} over {promo.weeks} weeks; {prices}. "
            "The full report with its charts is below.")  # fmt: skip


def describe_event(type: str, data: dict[str, Any]) -> str | None:
    """One line of progress for a run event (None for events a person need not see)."""
    step = STEP_NAMES.get(str(data.get("step", "")), str(data.get("step", "")))
    if type == "step_started":
        return f"▶ {step} started"
    if type == "step_finished":
        tokens = int(data.get("output_tokens", 0))
        return f"✓ {step} done in {float(data.get('seconds', 0)):.1f} s" + (f" ({tokens} tokens written)" if tokens else "")
    if type == "approval_requested":
        return "The package is ready for your approval."
    if type == "status":
        return f"Status: {data.get('status')}" + (f" — {data['message']}" if data.get("message") else "")
    return None


def announce(action: Action) -> str:
    """What the chat says when it carries out an action that came with no words of its own."""
    return f"Revising: {_describe_sets(action.sets)}." if isinstance(action, Revise) else "Working on it."
