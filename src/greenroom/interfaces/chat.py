"""Chat sessions: threads of the conversation graph on the runs' checkpointer, their actions carried out on the `RunService`.

The conversation itself (reading messages, asking for what is missing, turning
follow-ups into revisions) lives in `graphs.conversation`, and its graph in
`graphs.chat_session`. `ChatSessions` runs that graph on the checkpointer every
run uses (thread id = session id), so a session survives a server restart and
can be resumed on the web page, in the terminal (`greenroom chat --session ID`)
or in Slack (`/greenroom resume ID`), always by its own tenant only. `ChatDesk`
carries out what a session asks for on the same `RunService` the REST API
uses, so a chat's runs are ordinary runs of its tenant. Each session also keeps
its transcript (both sides, and the run's progress), so a reloaded page or a
shared link picks it up again.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field

from greenroom.core.brief import AGE_RATINGS, PRIMARY_LENGTH_UNIT, BriefError, BusinessModel, Format, in_words, parse_brief
from greenroom.core.numbers import exact, label, money, sentence
from greenroom.core.vocabulary import AT_REST, STATUS_DISPLAY, status_words
from greenroom.graphs.chat_session import (
    CONVERSATION_KEYS,
    MAX_CHARS,
    MAX_LINES,
    ChatContext,
    compiled,
    conversation_of,
    pending_action,
)
from greenroom.graphs.conversation import (
    FORM_FIELDS,
    Answer,
    Conversation,
    Launch,
    ModelReader,
    Revise,
    Surface,
    Turn,
    describe_event,
    field_label,
    form_text,
)  # fmt: skip
from greenroom.interfaces.runs import checkpointer
from greenroom.interfaces.service import RunBusyError, RunService
from greenroom.store.checkpoints import prune_threads

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from greenroom.core.package import LaunchPackage
    from greenroom.core.settings import ModelSettings
    from greenroom.interfaces.settings import Settings
    from greenroom.models.llm import ModelHandle

DEFAULT_TENANT = "chat"
__all__ = ["MAX_CHARS", "MAX_LINES", "ChatDesk", "ChatSessions"]


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


class ChatSessions:
    """Chat sessions as threads of the conversation graph, on the checkpointer every run uses (thread id = session id).

    Every read and every step names the caller's tenant and reaches only that tenant's sessions: another
    tenant's session id is no session at all. `surface` words the replies for where they are read. Without
    settings the sessions live in this process only (LangGraph's in-memory saver).
    """

    def __init__(self, settings: Settings | None = None, model_reader: ModelReader | None = None,
                 surface: Surface = "web") -> None:  # fmt: skip
        self.settings = settings
        self.context = ChatContext(model_reader, surface)
        self._memory = InMemorySaver() if settings is None else None

    @contextmanager
    def _saver(self) -> Iterator[BaseCheckpointSaver]:
        if self._memory is not None:
            yield self._memory
            return
        assert self.settings is not None
        with checkpointer(self.settings) as saver:
            yield saver

    def values(self, session_id: str, tenant: str) -> dict[str, Any] | None:
        """The session's state, or None when there is none for `tenant`."""
        with self._saver() as saver:
            return self._owned(saver, session_id, tenant)

    @staticmethod
    def _owned(saver: BaseCheckpointSaver, session_id: str, tenant: str) -> dict[str, Any] | None:
        values = dict(compiled(saver).get_state(_thread(session_id)).values)
        return values if values and values.get("tenant") == tenant else None

    def open(self, tenant: str, keyed: bool = True, today: dt.date | None = None) -> tuple[str, dict[str, Any]]:
        """A new session for `tenant`, with the chat's greeting; its id and state."""
        session_id = uuid.uuid4().hex
        start = {"tenant": tenant, "keyed": keyed, "today": today.isoformat() if today else None, "event": {"kind": "greet"}}
        with self._saver() as saver:
            return session_id, self._invoke(saver, session_id, start)

    def step(self, session_id: str, tenant: str, event: dict[str, Any]) -> dict[str, Any]:
        """One event on the session (UnknownChatError when `tenant` has no such session); its state after."""
        with self._saver() as saver:
            if self._owned(saver, session_id, tenant) is None:
                raise UnknownChatError(session_id)
            return self._invoke(saver, session_id, {"event": event})

    def _invoke(self, saver: BaseCheckpointSaver, session_id: str, start: dict[str, Any]) -> dict[str, Any]:
        # one step per event: its state is written once, when the step is done ("exit")
        values = dict(compiled(saver).invoke(start, _thread(session_id), context=self.context, durability="exit"))
        if self._memory is None:  # a session needs only its latest state: the undo stack is in it
            prune_threads(saver, [session_id])
        return values

    def drop(self, session_id: str) -> None:
        """Forget the session."""
        with self._saver() as saver:
            saver.delete_thread(session_id)

    def adopt_saved(self) -> int:
        """Move the sessions an earlier version kept in a table of its own onto the checkpointer, then drop that table.

        Each keeps its brief, open question, undo stack, transcript and run; one already on the checkpointer is
        left as it is. Returns how many were moved.
        """
        from greenroom.interfaces.runs import latest_package
        from greenroom.store.chats import SavedChats

        if self.settings is None:
            return 0
        saved, moved = SavedChats(self.settings.registry_target), 0
        with self._saver() as saver:
            graph = compiled(saver)
            for session_id, tenant, state in saved.rows():
                if graph.get_state(_thread(session_id)).values:
                    continue
                conversation, run_id = state.get("conversation") or {}, (state.get("conversation") or {}).get("run_id")
                values = {**{k: conversation[k] for k in CONVERSATION_KEYS if k in conversation}, "tenant": tenant,
                          "keyed": bool(state.get("keyed")), "transcript": state.get("transcript", []),
                          "events_seen": int(state.get("events_seen", 0)), "report": bool(state.get("report")),
                          "turn": state.get("last"), "shown": latest_package(run_id, self.settings) if run_id else None,
                          "event": {"kind": "greet"}}  # fmt: skip
                graph.update_state(_thread(session_id), values, as_node="respond")
                moved += 1
        saved.drop()
        return moved


def _thread(session_id: str) -> Any:
    return {"configurable": {"thread_id": session_id}}


@dataclass
class ChatSession:
    """One chat as its state holds it: its tenant, its conversation and everything said so far."""

    tenant: str
    keyed: bool
    id: str
    """The session's id: valid only together with its tenant."""
    conversation: Conversation
    transcript: list[Line] = field(default_factory=list)
    last: Turn | None = None
    """The latest turn (its offers, stage and brief are what a restored page shows)."""
    events_seen: int = 0
    """The run's feed up to here is in the transcript."""
    report: bool = False
    """A package report has been shown."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, session_id: str, values: dict[str, Any], context: ChatContext, lock: threading.Lock) -> ChatSession:
        """The session a graph state holds."""
        turn = values.get("turn")
        return cls(tenant=str(values["tenant"]), keyed=bool(values.get("keyed")), id=session_id,
                   conversation=conversation_of(values, context),
                   transcript=[Line.model_validate(line) for line in values.get("transcript", [])],
                   last=Turn.model_validate(turn) if turn else None, events_seen=int(values.get("events_seen", 0)),
                   report=bool(values.get("report")), lock=lock)  # fmt: skip

    @property
    def chars(self) -> int:
        """Characters in the transcript."""
        return sum(len(line.text) for line in self.transcript)

    def resumed(self) -> Turn:
        """The latest turn without its words (those are in the transcript), with the report once one was shown."""
        last = self.last or Turn(stage=self.conversation.stage)
        return last.model_copy(update={"say": [], "action": None, "report_url": "report" if self.report else None})

    @property
    def title(self) -> str:
        """The working title, or 'Untitled brief' before there is one."""
        return str(self.conversation.draft.get("working_title") or "Untitled brief")


class ChatDesk:
    """Chat sessions of one server; their actions run on the shared RunService.

    Sessions are capped per tenant (a tenant's own oldest makes room) and in all; past the overall cap a
    key-less session makes room first, and a session opened with a key is never dropped for a key-less one.
    The sessions themselves are kept by `sessions` (the checkpointer); the desk counts those it has seen.
    """

    def __init__(self, service: RunService, max_sessions: int = 1000, max_per_tenant: int = 100,
                 model_reader: ModelReader | None = None, sessions: ChatSessions | None = None) -> None:  # fmt: skip
        self.service = service
        self.sessions = sessions or ChatSessions(model_reader=model_reader)
        self.max_sessions, self.max_per_tenant = max_sessions, max_per_tenant
        self._held: dict[str, tuple[str, bool]] = {}
        """Sessions seen by this server, oldest first: their tenant and whether a key opened them."""
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def open(self, tenant: str, keyed: bool = True) -> tuple[str, Turn]:
        """A new session for `tenant` (`keyed`: opened with an API key), with the chat's greeting."""
        with self._lock:
            own = [s for s, held in self._held.items() if held == (tenant, keyed)]
            if len(own) >= self.max_per_tenant:
                self._drop(own[0])
            elif len(self._held) >= self.max_sessions:
                keyless = next((s for s, (_, was_keyed) in self._held.items() if not was_keyed), None)
                if keyless is None and not keyed:
                    raise ChatFullError("the chat is full; try again later or use an API key")
                self._drop(keyless or next(iter(self._held)))
        session_id, values = self.sessions.open(tenant, keyed)
        with self._lock:
            self._held[session_id] = (tenant, keyed)
        return session_id, Turn.model_validate(values["turn"])

    def _drop(self, session_id: str) -> None:
        del self._held[session_id]
        self._locks.pop(session_id, None)
        self.sessions.drop(session_id)

    def _lock_for(self, session_id: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(session_id, threading.Lock())

    def session(self, session_id: str, tenant: str) -> ChatSession:
        """The session (UnknownChatError when there is none, or when it belongs to a tenant other than `tenant`).

        Every route names the caller's tenant: a session id alone (a leaked report link) reaches nothing.
        """
        values = self.sessions.values(session_id, tenant)
        if values is None:
            raise UnknownChatError(session_id)
        with self._lock:
            self._held.setdefault(session_id, (tenant, bool(values.get("keyed"))))
        return ChatSession.of(session_id, values, self.sessions.context, self._lock_for(session_id))

    def get(self, session_id: str, tenant: str) -> tuple[str, Conversation]:
        """The session's tenant and conversation."""
        found = self.session(session_id, tenant)
        return found.tenant, found.conversation

    def send(self, session_id: str, tenant: str, text: str) -> Turn:
        """Answer one message, carrying out what it asks for."""
        with self._lock_for(session_id):
            values = self.sessions.step(session_id, tenant, {"kind": "message", "text": text})
            return self._carry_out(session_id, tenant, values)

    def edit(self, session_id: str, tenant: str, dotted: str, value: Any) -> Turn:
        """A brief field changed in the form: the chat says what changed, as if it had been typed."""
        with self._lock_for(session_id):
            values = self.sessions.step(session_id, tenant, {"kind": "edit", "field": dotted, "text": str(value)})
            return Turn.model_validate(values["turn"])

    def settle(self, session_id: str, tenant: str) -> Turn:
        """Called when the followed run came to rest: show its package (once; a run already shown adds nothing)."""
        with self._lock_for(session_id):
            session = self.session(session_id, tenant)
            conversation = session.conversation
            if conversation.run_id is None:
                return self._step(session_id, tenant, {"kind": "message", "text": ""})
            record = self.service.run_for(conversation.run_id, session.tenant)
            if record.status not in AT_REST:
                return Turn(say=[], stage=conversation.stage, brief=conversation.draft, run_id=conversation.run_id)
            if conversation.stage != "running" and conversation.run_status == record.status:
                return session.resumed()
            progress, seen = self._progress(session)
            package = self.service.latest_package(conversation.run_id)
            # the status as a plain string: the event is checkpointed, and the checkpoint's allowlist names no enum
            return self._step(session_id, tenant, {"kind": "settled", "status": str(record.status), "message": record.message,
                                                   "package": package, "progress": progress, "events_seen": seen})  # fmt: skip

    def _step(self, session_id: str, tenant: str, event: dict[str, Any]) -> Turn:
        return Turn.model_validate(self.sessions.step(session_id, tenant, event)["turn"])

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
        return status_words(status)

    def _progress(self, session: ChatSession) -> tuple[list[str], int]:
        """The run's progress since the session last looked, in lines, and the last event seen."""
        run_id, seen, lines = session.conversation.run_id, session.events_seen, []
        while run_id is not None:
            events = self.service.registry.events(run_id, seen)
            if not events:
                break
            lines += [progress_line(e.type, e.data) or "" for e in events]
            seen = events[-1].seq
        return lines, seen

    def _carry_out(self, session_id: str, tenant: str, values: dict[str, Any]) -> Turn:
        """Carry out what the session's latest turn asks for, and tell the session how it went."""
        action, run_id = pending_action(values), values.get("run_id")
        if action is None:
            return Turn.model_validate(values["turn"])
        try:
            if isinstance(action, Launch):
                record, _ = self.service.submit(parse_brief(action.brief), tenant, approval=True)
                run_id = record.id
            elif isinstance(action, Answer) and run_id:
                self.service.approve(run_id, action.answer)
            elif isinstance(action, Revise) and run_id:
                self.service.revise(run_id, action.note, action.sets)
        except BriefError as exc:
            return self._refused(session_id, tenant, exc.errors, "I cannot use that brief yet:")
        except RunBusyError as exc:
            return self._refused(session_id, tenant, [], f"Not now: {exc}")
        except ValueError as exc:  # an approval answer the run cannot apply
            return self._refused(session_id, tenant, [], f"That change does not apply: {in_words(exc)}")
        return self._step(session_id, tenant, {"kind": "carried", "run_id": run_id if isinstance(action, Launch) else None})

    def _refused(self, session_id: str, tenant: str, errors: list[Any], message: str) -> Turn:
        return self._step(session_id, tenant, {"kind": "refused", "message": message,
                                               "errors": [e.model_dump(mode="json") for e in errors]})  # fmt: skip


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
    for status, shown in STATUS_DISPLAY.items():
        if "_" in status:  # the one-word statuses are words already
            message = message.replace(status, shown.words)
    return message


def progress_line(type: str, data: dict[str, Any]) -> str | None:
    """One line of progress for a run event, statuses in words (None for events a person need not see)."""
    if type != "status":
        return describe_event(type, data)
    status = str(data.get("status", ""))
    message = plain_message(str(data.get("message") or ""))
    return f"Status: {status_words(status)}" + (f" — {message}" if message else "")


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
        return sentence(label(str(value)))
    if key == "budget" and isinstance(value, dict):
        figure = value.get("amount")
        if isinstance(figure, int | float) and not isinstance(figure, bool):
            return money(figure, str(value.get("currency") or "USD"))  # the brief's default currency
        return " ".join(p for p in (str(figure or ""), str(value.get("currency") or "")) if p)
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
    return exact(value)


def _date(value: Any) -> str:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


def still_needed(missing: list[str]) -> list[str]:
    """Required fields not given yet, as the panel labels them."""
    return [_LABELS.get(m, _words(m)).lower() for m in missing]
