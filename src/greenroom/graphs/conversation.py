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

import copy
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from greenroom.core.brief import PRIMARY_LENGTH_UNIT, BriefError, FieldError, Format, parse_brief
from greenroom.core.compare import Change, compare, describe
from greenroom.core.numbers import label, money, price
from greenroom.core.vocabulary import AT_REST, set_dotted, status_words
from greenroom.tools.brief_reader import numerals, place, read_message, read_money

if TYPE_CHECKING:
    from greenroom.core.package import LaunchPackage

Stage = Literal["building", "confirming", "running", "reviewing", "finished"]
Surface = Literal["web", "terminal", "slack"]
"""Where the chat is read: the web page (a brief form and the report beside the chat), a terminal, or a Slack thread."""

SEE_THE_BRIEF: dict[str, str] = {
    "web": "see the brief form",
    "terminal": "type `brief` to see the fields so far",
    "slack": "say `brief` in this thread to see the fields so far",
}
"""How each surface shows the brief as it stands."""

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

RUNNING = "The agents are still working on it; I will show the package as soon as it is ready."
APPROVE_OR_CHANGE = "Approve it, tell me what to change (e.g. 'make it darker', 'what if the budget were halved?'), or reject it."
_YES = re.compile(r"^\s*(yes|y|yep|sure|ok|okay|go|launch|launch it|do it|start)\b", re.I)
_APPROVE = re.compile(r"^\s*(approve|accept|approved|looks good|lgtm|ship it|yes)\b", re.I)
_REJECT = re.compile(r"^\s*(reject|no thanks|scrap it|cancel)\b", re.I)
_UNDO = re.compile(
    r"^\s*(?:undo|undo that|undo it|go back|step back|one step back|take (?:that|it) back|revert(?: that)?)\W*$", re.I
)
HOW_TO_SAY = (
    "You can change any field by naming it, e.g. 'budget 3M', 'audience adults 18-34 in the US and UK', "
    "'territories: US, GB', 'R rated max', 'release fall 2027', 'genres: horror, thriller', 'avoid: gore'."
)
EXAMPLES = ("e.g. 'budget around 2.5 million', 'release early spring 2028', 'territories Canada and New Zealand', "
            "'keep it PG', 'an hour and 40 minutes', 'avoid drug use'")  # fmt: skip


def extract(text: str, today: dt.date | None = None) -> dict[str, Any]:
    """Brief fields (dotted paths) a message states outright, e.g. 'budget 20000' or 'genres: thriller, drama'."""
    return read_message(text, today=today).fields


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
    cannot: str = Field("", description="Why the change cannot be applied, in words; empty when it can.")


_BUDGET_FACTORS = {r"halv|half": 0.5, r"doubl|twice": 2.0, r"tripl": 3.0, r"quarter": 0.25}
_BRIEF_WORDS = re.compile(r"\b(?:budget|spend|money|release|window|launch date|territor\w*|countr\w*|markets?|rating|rated|"
                          r"audience|ages?|genres?|business model|price|pricing|studio)\b", re.I)  # fmt: skip


def parse_followup(text: str, brief: dict[str, Any], today: dt.date | None = None) -> Followup:
    """'what if the budget were halved?' -> sets budget.amount; 'make it darker' -> a note; both may come together.

    A what-if about the brief that names no value it can take ('what if it came out sooner?') is not sent to
    the writer as words: `cannot` says why and what can be asked instead.
    """
    sets: dict[str, Any] = {}
    if re.search(r"\bbudget\b|\bspend", text, re.I):
        amount = float((brief.get("budget") or {}).get("amount", 0))
        factor = next((f for pattern, f in _BUDGET_FACTORS.items() if re.search(rf"\b({pattern})", text, re.I)), None)
        percent = re.search(r"\b(cut|reduce|lower|raise|increase)\w*\b.*?(\d+(?:\.\d+)?)\s*%", text, re.I)
        if factor is not None and amount:
            sets["budget.amount"] = round(amount * factor, 2)
        elif percent and amount:
            sign = -1 if percent.group(1).lower() in ("cut", "reduce", "lower") else 1
            sets["budget.amount"] = round(amount * (1 + sign * float(percent.group(2)) / 100), 2)
    fields = read_message(text, today=today).fields if "budget.amount" in sets else {
        **read_money(text).fields, **read_message(text, today=today).fields}  # fmt: skip
    for key, value in fields.items():  # lengths, loglines and titles in a follow-up are about the words, not the brief
        if not key.startswith(("length.", "logline", "working_title", "tone")) and not (
            key.startswith("budget.") and key in sets
        ):
            sets[key] = value
    if not sets and re.match(r"\s*what if\b", text, re.I) and (about := _BRIEF_WORDS.search(text)):
        return Followup(cannot=f"I cannot apply “{_clip(text)}”: it names the {about.group(0).lower()} but no value I can "
                        "set. Say it with one, e.g. 'what if the budget were 1.5 million?', 'what if it came out in "
                        "spring 2028?' or 'what if we released in Canada and the US?'.")  # fmt: skip
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

    def __init__(
        self, model_reader: ModelReader | None = None, *, today: dt.date | None = None, surface: Surface = "web"
    ) -> None:
        self.model_reader = model_reader
        self.today = today
        """The day relative dates are read from (None: the day of each message)."""
        self.surface: Surface = surface
        """Where the replies are read: they name only what that surface shows."""
        self.draft: dict[str, Any] = {}
        self.asking: str | None = None
        self.stage: Stage = "building"
        self.run_id: str | None = None
        self.run_status: str | None = None
        self.shown: LaunchPackage | None = None
        self.asked_sets: dict[str, Any] = {}
        """The brief changes the last revision asked for (to check that they were made)."""
        self.undo: list[dict[str, Any]] = []
        """The brief before each change, newest last (one step back restores the last)."""

    def state(self) -> dict[str, Any]:
        """Everything the conversation holds but its model reader, its surface and the package it showed, as JSON."""
        return {"draft": self.draft, "asking": self.asking, "stage": self.stage, "run_id": self.run_id,
                "run_status": self.run_status, "undo": self.undo, "asked_sets": self.asked_sets,
                "today": self.today.isoformat() if self.today else None}  # fmt: skip

    @classmethod
    def restored(cls, state: dict[str, Any], model_reader: ModelReader | None = None,
                 shown: LaunchPackage | None = None, surface: Surface = "web") -> Conversation:  # fmt: skip
        """The conversation `state()` saved, with its model reader, the package it had shown and where it is read now."""
        today = state.get("today")
        conversation = cls(model_reader, today=dt.date.fromisoformat(today) if today else None, surface=surface)
        conversation.draft, conversation.asking, conversation.stage = state["draft"], state.get("asking"), state["stage"]
        conversation.run_id, conversation.run_status = state.get("run_id"), state.get("run_status")
        conversation.undo, conversation.asked_sets = state.get("undo", []), state.get("asked_sets", {})
        conversation.shown = shown
        return conversation

    def greet(self) -> Turn:
        self.asking = "working_title"
        return self._turn(["Hi! Tell me about the title you want to launch — as much as you like, in your words.",
                           question("working_title", self.draft)])  # fmt: skip

    def pending(self) -> str:
        """What the conversation waits on, in this surface's words (what a resumed chat says first)."""
        if self.stage == "building":
            return question(self.asking or (missing_fields(self.draft) or ["working_title"])[0], self.draft)
        if self.stage == "confirming":
            return f"The brief is complete ({SEE_THE_BRIEF[self.surface]}). Shall I launch it? You can still change any field."
        if self.stage == "running":
            return RUNNING
        if self.run_status == "awaiting_approval":
            return APPROVE_OR_CHANGE
        return "Ask for a change at any time and I will revise it."

    def reply(self, text: str) -> Turn:
        """Read one message and answer it."""
        text = text.strip()
        if not text:
            return self._turn(["Say something and I will take it from there."])
        if self.stage in ("building", "confirming"):
            return self._build(text)
        if self.stage == "running":
            return self._turn([RUNNING])
        return self._follow_up(text)

    def edit(self, dotted: str, text: str) -> Turn:
        """A field changed in place in the brief form, as the words typed there: take it, confirm it in words, and go on."""
        if self.stage not in ("building", "confirming"):
            return self._turn(["The brief can be edited until it is launched; ask for a change in words now."])
        try:
            value = form_value(dotted, text)
        except ValueError as exc:
            return self._next_question([f"{field_label(dotted)}: {exc}; nothing changed."])
        self._remember()
        if value in (None, "", []):
            _drop_dotted(self.draft, dotted)
            return self._next_question([f"Cleared: {field_label(dotted)}. Say 'undo' to put it back."])
        set_dotted(self.draft, dotted, value, create=True)
        return self._next_question(
            [f"Changed in the form: {_confirm({dotted: value}, {}, self.draft)}. Say 'undo' to take it back."]
        )

    # --- building the brief ---

    def _remember(self) -> None:
        self.undo.append(copy.deepcopy(self.draft))
        del self.undo[:-20]

    def _build(self, text: str) -> Turn:
        if self.stage == "confirming" and _YES.match(text):
            brief = parse_brief(self.draft)
            self.stage = "running"
            return self._turn(["Launching it now. I will show each agent's progress."],
                              action=Launch(brief=brief.model_dump(mode="json")))  # fmt: skip
        if _UNDO.match(text):
            if not self.undo:
                return self._next_question(["There is nothing to undo yet."])
            before, self.draft = self.draft, self.undo.pop()
            changed = [
                k for k in dict.fromkeys([*_flat(before), *_flat(self.draft)]) if _flat(before).get(k) != _flat(self.draft).get(k)
            ]
            names = ", ".join(dict.fromkeys(field_label(k) for k in changed)) or "nothing"
            return self._next_question([f"Undone: {names} is back to what it was."])
        reading = read_message(text, asking=self.asking, draft=self.draft, today=self.today)
        if self.model_reader is not None:
            for dotted, value in self.model_reader(text, self.draft).items():
                if dotted not in reading.fields:
                    reading.put(dotted, value, text)
            if reading.fields:
                reading.unread = []
        if reading.fields:
            self._remember()
        for dotted, value in reading.fields.items():
            set_dotted(self.draft, dotted, value, create=True)
        say = [f"Noted: {_confirm(reading.fields, reading.sources, self.draft)}."] if reading.fields else []
        say += reading.notes
        if reading.unread:
            heard = "”, “".join(_clip(u) for u in reading.unread)
            say.append(f"I did not catch “{heard}”{', so nothing changed' if not reading.fields else ''}. "
                       f"Name the field and its value, {EXAMPLES}.")  # fmt: skip
        return self._next_question(say, noted=bool(reading.fields))

    def _next_question(self, say: list[str], noted: bool = True) -> Turn:
        errors = problems(self.draft)
        if errors:
            self.asking = _question_for(errors[0].field)
            self.stage = "building"
            say = say + [f"That does not work yet: {field_label(e.field)} {e.message}." for e in errors]
            return self._turn([*say, question(self.asking, self.draft)], errors=errors)
        missing = missing_fields(self.draft)
        if missing:  # the open question stays open until it is answered
            self.asking, self.stage = self.asking if self.asking in missing else missing[0], "building"
            return self._turn([*say, question(self.asking, self.draft)])
        self.asking, self.stage = None, "confirming"
        if not noted and not any(line.startswith("I did not catch") for line in say):
            say = [*say, HOW_TO_SAY]
        return self._turn([*say, self.pending()],
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
        change = parse_followup(text, self.draft, self.today)
        if change.cannot:
            return self._turn([change.cannot])
        self.stage = "running"
        self.asked_sets = dict(change.sets)
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
            return self._turn([message, *(f"{field_label(e.field)}: {e.message}" for e in errors)], errors=errors)
        self.stage = "reviewing" if self.run_status in AT_REST else "running"
        return self._turn([message, *(f"{field_label(e.field)}: {e.message}" for e in errors)], errors=errors)

    def settled(self, status: str, message: str, package: LaunchPackage | None, report_at: str | None = None) -> Turn:
        """The run came to rest: show the package and offer what can be done next (`report_at`: where its report is)."""
        self.run_status = status
        comparison: list[Change] = []
        if package is not None:
            self.draft = package.brief.model_dump(mode="json")
        say = [f"Run {self.run_id}: {status_words(status)} — {message}".rstrip(" —")]
        if package is not None:
            say.append(summary(package, surface=self.surface, report_at=report_at))
            if self.shown is not None and self.shown.version != package.version:
                comparison = compare(self.shown, package)
                say.append("\n".join(describe(self.shown, package)))
                if self.asked_sets and not any(c.kind == "brief" and c.changed for c in comparison):
                    say.append(f"The change you asked for ({_describe_sets(self.asked_sets)}) was not made: version "
                               f"{package.version} has the brief of version {self.shown.version}.")  # fmt: skip
            self.asked_sets = {}
            self.shown = package
        if status == "awaiting_approval":
            self.stage = "reviewing"
            say.append(APPROVE_OR_CHANGE)
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


FIELD_LABELS: dict[str, str] = {
    "working_title": "Working title", "format": "Format", "logline": "Logline", "genres": "Genres", "length": "Length",
    "budget": "Budget", "business_model": "Business model", "release": "Release", "audience": "Audience", "tone": "Tone",
    "territories": "Territories", "studio": "Studio", "constraints.age_rating_ceiling": "Rating ceiling",
    "constraints.avoid_topics": "Avoid", "constraints.must_include": "Must include",
}  # fmt: skip
"""Brief fields as a person names them, in the order the brief form shows them."""
_LEAF_WORDS = {"age_min": "youngest age", "age_max": "oldest age", "regions": "regions", "interests": "interests",
               "amount": "amount", "currency": "currency", "earliest": "earliest date", "latest": "latest date"}  # fmt: skip


def field_label(dotted: str) -> str:
    """A dotted path as a person names it: 'budget.amount' -> 'Budget amount', 'constraints.avoid_topics' -> 'Avoid'."""
    if dotted in FIELD_LABELS:
        return FIELD_LABELS[dotted]
    head, _, leaf = dotted.partition(".")
    if head in FIELD_LABELS and leaf:
        return f"{FIELD_LABELS[head]} {_LEAF_WORDS.get(leaf, leaf.replace('_', ' '))}"
    return dotted.replace(".", " ").replace("_", " ").capitalize()


def _group(dotted: str) -> str:
    return dotted if dotted.startswith("constraints.") else dotted.split(".")[0]


def _flat(draft: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in draft.items():
        if isinstance(value, dict):
            out.update({f"{key}.{leaf}": v for leaf, v in value.items()})
        else:
            out[key] = value
    return out


def _drop_dotted(draft: dict[str, Any], dotted: str) -> None:
    head, _, leaf = dotted.partition(".")
    if leaf and isinstance(draft.get(head), dict):
        draft[head].pop(leaf, None)
    elif not leaf:
        draft.pop(head, None)


def _day(value: Any) -> str:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


def _country(code: str) -> str:
    try:
        import pycountry

        found = pycountry.countries.get(alpha_2=code)
    except (KeyError, LookupError):
        found = None
    return str(getattr(found, "common_name", None) or getattr(found, "name", code)) if found else code


def describe_field(group: str, draft: dict[str, Any]) -> str:
    """One field of the brief in words: 'Budget' -> '$2.5M', 'Release' -> '10 Mar 2028 – 31 Mar 2028'."""
    value = draft.get(group) if "." not in group else (draft.get("constraints") or {}).get(group.split(".", 1)[1])
    if group == "budget" and isinstance(value, dict) and "amount" in value:
        return money(float(value["amount"]), str(value.get("currency") or "USD"))
    if group == "release" and isinstance(value, dict):
        early, late = value.get("earliest"), value.get("latest")
        if early and late:
            return f"{_day(early)} – {_day(late)}"
        return f"not before {_day(early)}" if early else f"no later than {_day(late)}" if late else ""
    if group == "length" and isinstance(value, dict):
        return ", ".join(f"{float(n):g} {unit}" for unit, n in value.items() if n)
    if group == "audience" and isinstance(value, dict):
        low, high = value.get("age_min"), value.get("age_max")
        ages = f"ages {low}–{high}" if low is not None and high is not None else f"ages {low}+" if low is not None else ""
        where = ", ".join(_country(r) for r in value.get("regions") or [])
        likes = ", ".join(value.get("interests") or [])
        return "; ".join(p for p in (ages, f"in {where}" if where else "", f"into {likes}" if likes else "") if p)
    if group == "territories" and isinstance(value, list):
        return ", ".join(_country(str(v)) for v in value)
    if group in ("format", "business_model") and value:
        return label(str(value))
    if group == "constraints.age_rating_ceiling" and value:
        return f"{value} at most"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _confirm(fields: dict[str, Any], sources: dict[str, str], draft: dict[str, Any]) -> str:
    """What a message set, in words, with the words it was read from: 'Budget: $2.5M (from “around two and a half million”)'."""
    parts: list[str] = []
    order = list(FIELD_LABELS)
    for group in sorted(dict.fromkeys(_group(k) for k in fields), key=lambda g: order.index(g) if g in order else len(order)):
        source = next((sources[k] for k in fields if _group(k) == group and sources.get(k)), "")
        value = describe_field(group, draft)
        if group in ("working_title", "logline", "tone", "studio"):  # the producer's own words: said back, not explained
            source, value = "", f"“{_clip(value.rstrip('.'))}”"
        heard = f" (from “{_clip(source)}”)" if source else ""
        parts.append(f"{field_label(group)}: {value}{heard}")
    return "; ".join(parts)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _question_for(field: str) -> str:
    head = field.split(".")[0]
    return head if head in QUESTIONS else "working_title"


FORM_FIELDS: tuple[str, ...] = (
    "working_title", "format", "logline", "genres", "length", "budget.amount", "budget.currency", "business_model",
    "release.earliest", "release.latest", "territories", "audience.age_min", "audience.age_max", "audience.regions",
    "audience.interests", "tone", "studio", "constraints.age_rating_ceiling", "constraints.avoid_topics",
    "constraints.must_include",
)  # fmt: skip
"""The brief form's fields, in order ('length' stands for the format's own unit)."""
LIST_FIELDS = frozenset({"genres", "territories", "audience.regions", "audience.interests", "constraints.avoid_topics",
                         "constraints.must_include"})  # fmt: skip


def form_value(dotted: str, text: str) -> Any:
    """A brief form's text as the field's value (None clears it); ValueError says in words what could not be read."""
    text = text.strip()
    if not text:
        return None
    if dotted in LIST_FIELDS:
        items = [i.strip() for i in text.split(",") if i.strip()]
        if dotted in ("territories", "audience.regions"):
            places = [place(i) for i in items]
            if None in places:
                raise ValueError(f"“{items[places.index(None)]}” is not a country or region I know")
            return list(dict.fromkeys(p for p in places if p))
        return [i.lower() for i in items] if dotted == "genres" else items
    if dotted == "budget.amount":
        amount = read_money(text, asked=True).fields.get("budget.amount")
        if amount is None:
            raise ValueError(f"“{_clip(text)}” is not an amount (try 2500000, 2.5M or 250k)")
        return amount
    if dotted.startswith(("length.", "audience.age_")):
        number = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", numerals(text))
        if number is None:
            raise ValueError(f"“{_clip(text)}” is not a number")
        value = float(number.group(1))
        return value if dotted in ("length.minutes", "length.hours") else int(value)
    if dotted.startswith("release."):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"“{_clip(text)}” is not a date (YYYY-MM-DD)") from None
    return text


def form_text(dotted: str, draft: dict[str, Any]) -> str:
    """A brief field's value as the form shows it for editing ('' when it has none)."""
    head, _, leaf = dotted.partition(".")
    value = (draft.get(head) or {}).get(leaf) if leaf else draft.get(head)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else str(value)
    return str(value)


def _describe_sets(sets: dict[str, Any]) -> str:
    """Brief changes in words: 'budget → $1.5M, territories → Canada'."""
    draft: dict[str, Any] = {}
    for dotted, value in sets.items():
        set_dotted(draft, dotted, value, create=True)
    return ", ".join(f"{field_label(g).lower()} → {describe_field(g, draft)}" for g in dict.fromkeys(_group(k) for k in sets))


def summary(package: LaunchPackage, *, surface: Surface = "web", report_at: str | None = None) -> str:
    """A package in two lines for the chat, and where its report is on that surface (`report_at`: its folder)."""
    promo, tiers = package.promotion_plan.allocation, package.pricing_plan.recommendation.tiers
    taglines = package.draft.hooks.taglines
    tagline = taglines[0] if taglines else ""
    prices = "; ".join(f"{label(t.tier)} {price(t.recommended.price, t.currency)}" for t in tiers) or "no viewer price"
    return (f"{package.brief.working_title}, version {package.version}: “{tagline}”. "
            f"Promotion {money(promo.budget, promo.currency)} over {promo.weeks} weeks; {prices}. "
            + _report_where(surface, report_at))  # fmt: skip


def _report_where(surface: Surface, report_at: str | None) -> str:
    if surface == "web":
        return "The full report with its charts is below."
    if surface == "slack":
        return "The package is posted in this thread."
    if report_at:
        return f"The full report is at {Path(report_at) / 'report.html'} (report.md beside it)."
    return "The full report is in the run's output folder."


def describe_event(type: str, data: dict[str, Any]) -> str | None:
    """One line of progress for a run event (None for events a person need not see)."""
    from greenroom.graphs.steps import STEP_NAMES  # the declarations import every agent: loaded once a run reports

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
