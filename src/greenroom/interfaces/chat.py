"""The chat page's sessions: each holds a `Conversation` and carries its actions out on the `RunService`.

The conversation itself (reading messages, asking for what is missing, turning
follow-ups into revisions) lives in `graphs.conversation`. `ChatDesk` runs what
it asks for on the same `RunService` the REST API uses, so a chat's runs are
ordinary runs of its tenant. Each session also keeps its transcript (both sides,
and the run's progress), so a reloaded page or a shared link picks it up again.
With a `ChatStore` every session is written after each turn and read back when
asked for, so it survives a server restart.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from greenroom.core.brief import AGE_RATINGS, PRIMARY_LENGTH_UNIT, BriefError, BusinessModel, Format, in_words, parse_brief
from greenroom.core.vocabulary import AT_REST, STATUS_WORDS
from greenroom.graphs.conversation import (
    FORM_FIELDS,
    Answer,
    Conversation,
    Launch,
    ModelReader,
    Revise,
    Turn,
    announce,
    describe_event,
    field_label,
    form_text,
)  # fmt: skip
from greenroom.interfaces.service import RunBusyError, RunService

if TYPE_CHECKING:
    from greenroom.core.package import LaunchPackage
    from greenroom.core.settings import ModelSettings
    from greenroom.models.llm import ModelHandle
    from greenroom.store.chats import ChatStore

DEFAULT_TENANT = "chat"
MAX_LINES, MAX_CHARS = 500, 100_000
"""What a session's transcript keeps at most, in lines and in characters (the oldest lines go first)."""


class UnknownChatError(KeyError):
    """No such chat session (or it belongs to another tenant)."""


class ChatFullError(RuntimeError):
    """Every chat session is held by a key's tenant: a key-less session cannot be opened now."""


class Line(BaseModel):
    """One line of a chat's transcript."""

    who: Literal["me", "bot", "progress"] = Field(..., description="Who said it: the person, the chat, or the run's progress.")
    text: str = Field(..., description="What was said.")


class Row(BaseModel):
    """One line of the brief panel."""

    label: str = Field(..., description="The field, as a person names it.")
    value: str = Field(..., description="Its value in words ('still needed' when a required field is not given yet).")
    needed: bool = Field(False, description="A required field that is not given yet.")


class FormField(BaseModel):
    """One field of the brief form: what it edits, how, and what it holds now."""

    field: str = Field(..., description="The brief field by dotted path, e.g. 'budget.amount'.")
    label: str = Field(..., description="The field, as a person names it.")
    kind: Literal["text", "textarea", "number", "date", "select", "list"] = Field(..., description="How it is edited.")
    value: str = Field("", description="Its value as text ('' when not given).")
    options: list[str] = Field(default_factory=list, description="The choices of a select.")
    needed: bool = Field(False, description="A required field that is not given yet.")
    hint: str = Field("", description="What to write, e.g. 'comma-separated, e.g. Canada, New Zealand'.")


_FORM_KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "format": ("select", tuple(f.value for f in Format), ""), "logline": ("textarea", (), ""),
    "business_model": ("select", tuple(b.value for b in BusinessModel), ""),
    "constraints.age_rating_ceiling": ("select", AGE_RATINGS, ""), "budget.amount": ("text", (), "e.g. 2500000, 2.5M or 250k"),
    "budget.currency": ("text", (), "USD unless given, e.g. EUR"),
    "release.earliest": ("date", (), ""), "release.latest": ("date", (), ""), "audience.age_min": ("number", (), ""),
    "audience.age_max": ("number", (), ""), "genres": ("list", (), "comma-separated, e.g. thriller, drama"),
    "territories": ("list", (), "comma-separated, e.g. Canada, New Zealand"),
    "audience.regions": ("list", (), "comma-separated countries"), "audience.interests": ("list", (), "comma-separated"),
    "constraints.avoid_topics": ("list", (), "comma-separated"), "constraints.must_include": ("list", (), "comma-separated"),
}  # fmt: skip
_NEEDED = {"working_title": "working_title", "format": "format", "logline": "logline", "genres": "genres",
           "budget.amount": "budget", "business_model": "business_model", "release.earliest": "release",
           "release.latest": "release"}  # fmt: skip


def brief_form(draft: dict[str, Any], missing: list[str]) -> list[FormField]:
    """The brief as an editable form, every field shown (none folded away), required ones not given marked as needed."""
    unit = PRIMARY_LENGTH_UNIT.get(Format(draft["format"])) if draft.get("format") in {f.value for f in Format} else None
    fields: list[FormField] = []
    for name in FORM_FIELDS:
        paths = (
            [f"length.{unit or 'minutes'}"] + (["length.minutes"] if unit not in (None, "minutes") else [])
            if name == "length"
            else [name]
        )
        for dotted in paths:
            kind, options, hint = _FORM_KINDS.get(dotted, ("number" if dotted.startswith("length.") else "text", (), ""))
            label = field_label(dotted) if not dotted.startswith("length.") else f"Length ({dotted.split('.')[1]})"
            if dotted == "length.minutes" and unit not in (None, "minutes"):
                label = "Minutes per episode"
            needed = _NEEDED.get(dotted) in missing or (
                dotted.startswith("length.") and "length" in missing and dotted != "length.minutes"
            )
            fields.append(FormField(field=dotted, label=label, kind=kind, value=form_text(dotted, draft),  # type: ignore[arg-type]
                                    options=list(options), needed=needed, hint=hint))  # fmt: skip
    return fields


def model_reader_for(settings: ModelSettings) -> ModelReader | None:
    """A model reading of chat messages where the model is able to (a hosted one); None on the embedded or fake model.

    The model is built on the first message that needs it, once.
    """
    if settings.provider in ("embedded", "fake"):
        return None
    from greenroom.models.llm import build_model
    from greenroom.tools.brief_reader import read_with_model

    handle: list[ModelHandle] = []

    def read(text: str, draft: dict[str, Any]) -> dict[str, Any]:
        if not handle:
            handle.append(build_model(settings))
        return read_with_model(handle[0], text, draft)

    return read


@dataclass
class ChatSession:
    """One chat: its tenant, its conversation and everything said so far."""

    tenant: str
    keyed: bool
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """The session's id: the page's capability, valid only together with its tenant."""
    conversation: Conversation = field(default_factory=Conversation)
    transcript: list[Line] = field(default_factory=list)
    chars: int = 0
    """Characters in the transcript."""
    last: Turn | None = None
    """The latest turn (its offers, stage and brief are what a restored page shows)."""
    events_seen: int = 0
    """The run's feed up to here is in the transcript."""
    report: bool = False
    """A package report has been shown."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, who: Literal["me", "bot", "progress"], lines: list[str]) -> None:
        """Add lines to the transcript, letting the oldest go past MAX_LINES or MAX_CHARS."""
        for text in filter(None, lines):
            self.transcript.append(Line(who=who, text=text))
            self.chars += len(text)
        drop = 0
        while len(self.transcript) - drop > MAX_LINES or (self.chars > MAX_CHARS and drop < len(self.transcript) - 1):
            self.chars -= len(self.transcript[drop].text)
            drop += 1
        del self.transcript[:drop]

    def resumed(self) -> Turn:
        """The latest turn without its words (those are in the transcript), with the report once one was shown."""
        last = self.last or Turn(stage=self.conversation.stage)
        return last.model_copy(update={"say": [], "action": None, "report_url": "report" if self.report else None})

    @property
    def title(self) -> str:
        """The working title, or 'Untitled brief' before there is one."""
        return str(self.conversation.draft.get("working_title") or "Untitled brief")

    def state(self) -> dict[str, Any]:
        """The session as JSON, to be kept across restarts."""
        return {"keyed": self.keyed, "conversation": self.conversation.state(), "chars": self.chars,
                "transcript": [line.model_dump() for line in self.transcript], "events_seen": self.events_seen,
                "report": self.report, "last": self.last.model_dump(mode="json") if self.last else None}  # fmt: skip

    @classmethod
    def restored(cls, tenant: str, state: dict[str, Any], conversation: Conversation) -> ChatSession:
        """The session `state()` saved, around its restored conversation."""
        last = state.get("last")
        return cls(tenant=tenant, keyed=bool(state.get("keyed")), conversation=conversation,
                   transcript=[Line.model_validate(line) for line in state.get("transcript", [])],
                   chars=int(state.get("chars", 0)), last=Turn.model_validate(last) if last else None,
                   events_seen=int(state.get("events_seen", 0)), report=bool(state.get("report")))  # fmt: skip


class ChatDesk:
    """Chat sessions of one server, in memory; their actions run on the shared RunService.

    Sessions are capped per tenant (a tenant's own oldest makes room) and in all; past the overall cap a
    key-less session makes room first, and a session opened with a key is never dropped for a key-less one.
    """

    def __init__(self, service: RunService, max_sessions: int = 1000, max_per_tenant: int = 100,
                 model_reader: ModelReader | None = None, store: ChatStore | None = None) -> None:  # fmt: skip
        self.service = service
        self.store = store
        """Where sessions are kept across restarts (None: in memory only)."""
        self.max_sessions, self.max_per_tenant = max_sessions, max_per_tenant
        self.model_reader = model_reader
        self._sessions: dict[str, ChatSession] = {}
        self._lock = threading.Lock()

    def open(self, tenant: str, keyed: bool = True) -> tuple[str, Turn]:
        """A new session for `tenant` (`keyed`: opened with an API key), with the chat's greeting."""
        session = ChatSession(tenant=tenant, keyed=keyed, conversation=Conversation(self.model_reader))
        session_id = session.id
        turn = self._remember(session, session.conversation.greet())
        with self._lock:
            own = [s for s, held in self._sessions.items() if held.tenant == tenant and held.keyed == keyed]
            if len(own) >= self.max_per_tenant:
                self._drop(own[0])
            elif len(self._sessions) >= self.max_sessions:
                keyless = next((s for s, held in self._sessions.items() if not held.keyed), None)
                if keyless is None and not keyed:
                    raise ChatFullError("the chat is full; try again later or use an API key")
                self._drop(keyless or next(iter(self._sessions)))
            self._sessions[session_id] = session
        self._keep(session_id, session)
        return session_id, turn

    def _drop(self, session_id: str) -> None:
        del self._sessions[session_id]
        if self.store is not None:
            self.store.drop(session_id)

    def _keep(self, session_id: str, session: ChatSession) -> None:
        """Write the session where it outlives the server."""
        if self.store is not None:
            self.store.save(session_id, session.tenant, session.state())

    def _load(self, session_id: str, tenant: str | None) -> ChatSession | None:
        """A session this server does not hold, from the store (after a restart, or from another server)."""
        saved = self.store.load(session_id, tenant) if self.store is not None else None
        if saved is None:
            return None
        owner, state = saved
        run_id = state["conversation"].get("run_id")
        shown = self.service.latest_package(run_id) if run_id else None
        conversation = Conversation.restored(state["conversation"], self.model_reader, shown)
        session = ChatSession.restored(owner, state, conversation)
        with self._lock:
            return self._sessions.setdefault(session_id, session)

    def session(self, session_id: str, tenant: str) -> ChatSession:
        """The session (UnknownChatError when there is none, or when it belongs to a tenant other than `tenant`).

        Every route names the caller's tenant: a session id alone (a leaked report link) reaches nothing. A session
        this server does not hold is loaded from the store, for its own tenant only.
        """
        found = self._sessions.get(session_id) or self._load(session_id, tenant)
        if found is None or found.tenant != tenant:
            raise UnknownChatError(session_id)
        return found

    def get(self, session_id: str, tenant: str) -> tuple[str, Conversation]:
        """The session's tenant and conversation."""
        found = self.session(session_id, tenant)
        return found.tenant, found.conversation

    def send(self, session_id: str, tenant: str, text: str) -> Turn:
        """Answer one message, carrying out what it asks for."""
        session = self.session(session_id, tenant)
        with session.lock:
            session.record("me", [text])
            turn = self._carry_out(session, session.conversation.reply(text))
            turn = self._remember(session, turn)
            self._keep(session_id, session)
            return turn

    def edit(self, session_id: str, tenant: str, dotted: str, value: Any) -> Turn:
        """A brief field changed in the form: the chat says what changed, as if it had been typed."""
        session = self.session(session_id, tenant)
        with session.lock:
            turn = self._remember(session, session.conversation.edit(dotted, value))
            self._keep(session_id, session)
            return turn

    def settle(self, session_id: str, tenant: str) -> Turn:
        """Called when the followed run came to rest: show its package (or start a pending revision)."""
        session = self.session(session_id, tenant)
        conversation = session.conversation
        with session.lock:
            if conversation.run_id is None:
                return self._remember(session, conversation.reply(""))
            record = self.service.run_for(conversation.run_id, session.tenant)
            if record.status not in AT_REST:
                return Turn(say=[], stage=conversation.stage, brief=conversation.draft, run_id=conversation.run_id)
            self._catch_up(session)
            package = self.service.latest_package(conversation.run_id)
            turn = conversation.settled(record.status, record.message, package)
            turn = self._remember(session, self._carry_out(session, turn))
            self._keep(session_id, session)
            return turn

    def package(self, session_id: str, tenant: str) -> LaunchPackage | None:
        """The latest package of the session's run."""
        tenant, conversation = self.get(session_id, tenant)
        if conversation.run_id is None:
            return None
        self.service.run_for(conversation.run_id, tenant)
        return self.service.latest_package(conversation.run_id)

    def status(self, session: ChatSession) -> str:
        """Where the session stands, in words: its run's status, or how far the brief is."""
        conversation = session.conversation
        if conversation.run_id is None:
            return "ready to launch" if conversation.stage == "confirming" else "brief in progress"
        status = self.service.run_for(conversation.run_id, session.tenant).status
        return STATUS_WORDS.get(status, status)

    def _catch_up(self, session: ChatSession) -> None:
        """Copy the run's progress since the last look into the transcript."""
        run_id = session.conversation.run_id
        while run_id is not None:
            events = self.service.registry.events(run_id, session.events_seen)
            if not events:
                return
            session.record("progress", [progress_line(e.type, e.data) or "" for e in events])
            session.events_seen = events[-1].seq

    def _remember(self, session: ChatSession, turn: Turn) -> Turn:
        session.record("bot", turn.say)
        session.report = session.report or turn.report_url is not None
        session.last = turn
        return turn

    def _carry_out(self, session: ChatSession, turn: Turn) -> Turn:
        tenant, conversation = session.tenant, session.conversation
        action = turn.action
        try:
            if isinstance(action, Launch):
                record, _ = self.service.submit(parse_brief(action.brief), tenant, approval=True)
                conversation.launched(record.id)
            elif isinstance(action, Answer) and conversation.run_id:
                self.service.approve(conversation.run_id, action.answer)
            elif isinstance(action, Revise) and conversation.run_id:
                self.service.revise(conversation.run_id, action.note, action.sets)
        except BriefError as exc:
            return conversation.refused(exc.errors, "I cannot use that brief yet:")
        except RunBusyError as exc:
            return conversation.refused([], f"Not now: {exc}")
        except ValueError as exc:  # an approval answer the run cannot apply
            return conversation.refused([], f"That change does not apply: {in_words(exc)}")
        if action is not None and not turn.say:
            turn.say.append(announce(action))
        return turn.model_copy(update={"run_id": conversation.run_id, "stage": conversation.stage})


# --- words for the page ---------------------------------------------------------------------------

_JOBS = {"launch": "the launch", "approve": "your answer", "revise": "the revision"}


def plain_message(message: str) -> str:
    """A run's status message in words: 'approve queued' -> 'your answer is waiting for a worker'."""
    queued = re.fullmatch(r"(\w+) queued", message)
    if queued:
        return f"{_JOBS.get(queued[1], queued[1])} is waiting for a worker"
    started = re.fullmatch(r"(\w+) started( again)?", message)
    if started:
        return f"working on {_JOBS.get(started[1], started[1])}" + (" again" if started[2] else "")
    for status, words in STATUS_WORDS.items():
        message = message.replace(status, words)
    return message


def progress_line(type: str, data: dict[str, Any]) -> str | None:
    """One line of progress for a run event, statuses in words (None for events a person need not see)."""
    if type != "status":
        return describe_event(type, data)
    status = str(data.get("status", ""))
    message = plain_message(str(data.get("message") or ""))
    return f"Status: {STATUS_WORDS.get(status, status)}" + (f" — {message}" if message else "")


_LABELS = {"working_title": "Working title", "format": "Format", "logline": "Logline", "genres": "Genres",
           "length": "Length", "budget": "Budget", "business_model": "Business model", "release": "Release",
           "audience": "Audience", "tone": "Tone", "territories": "Territories", "studio": "Studio",
           "constraints.age_rating_ceiling": "Rating ceiling", "constraints.avoid_topics": "Avoid",
           "constraints.must_include": "Must include"}  # fmt: skip
"""Brief fields as the panel labels them, in the panel's order."""


def brief_rows(draft: dict[str, Any], missing: list[str]) -> list[Row]:
    """The brief as the panel shows it: one labelled line per field in words, required fields not given as 'still needed'."""
    fields = {**{k: v for k, v in draft.items() if k != "constraints"},
              **{f"constraints.{k}": v for k, v in (draft.get("constraints") or {}).items()}}  # fmt: skip
    rows: list[Row] = []
    for key in [*_LABELS, *(k for k in fields if k not in _LABELS)]:
        if key in missing:
            rows.append(Row(label=_LABELS[key], value="still needed", needed=True))
            continue
        value = _describe(key, fields.get(key))
        if value:
            rows.append(Row(label=_LABELS.get(key) or _words(key.rsplit(".", 1)[-1]).capitalize(), value=value))
    return rows


def _describe(key: str, value: Any) -> str:
    if value is None or value in ("", [], {}):
        return ""
    if key in ("format", "business_model"):
        return _words(str(value)).capitalize()
    if key == "budget" and isinstance(value, dict):
        return " ".join(p for p in (_number(value.get("amount")), str(value.get("currency") or "")) if p)
    if key == "release" and isinstance(value, dict):
        return " – ".join(_date(value[end]) for end in ("earliest", "latest") if value.get(end))
    if key == "length" and isinstance(value, dict):
        return ", ".join(f"{_number(n)} {unit}" for unit, n in value.items() if n)
    if key == "audience" and isinstance(value, dict):
        low, high = value.get("age_min"), value.get("age_max")
        ages = f"ages {low}–{high}" if low is not None and high is not None else ""
        return ", ".join(p for p in (ages, _describe("", value.get("regions")), _describe("", value.get("interests"))) if p)
    if isinstance(value, dict):
        return "; ".join(f"{_words(k)}: {_describe(k, v)}" for k, v in value.items() if _describe(k, v))
    if isinstance(value, list | tuple):
        return ", ".join(filter(None, (_describe("", v) for v in value)))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _number(value)
    return str(value)


def _words(key: str) -> str:
    return key.replace("_", " ")


def _number(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value or "")
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _date(value: Any) -> str:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


def still_needed(missing: list[str]) -> list[str]:
    """Required fields not given yet, as the panel labels them."""
    return [_LABELS.get(m, _words(m)).lower() for m in missing]
