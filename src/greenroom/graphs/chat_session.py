"""The chat as a LangGraph graph: one step per message, the session in the state, on the runs' checkpointer.

A session is a thread (thread_id = the session id). Each invocation brings one event:

    {"kind": "greet"}                                  a new session's greeting (with tenant and keyed)
    {"kind": "message", "text": ...}                   a person's message: read into the brief, answered
    {"kind": "edit", "field": ..., "text": ...}        a field edited in place in the brief form
    {"kind": "carried", "run_id": ...}                 the action the last turn asked for was carried out
    {"kind": "refused", "errors": [...], "message": ...}   it could not be
    {"kind": "settled", "status": ..., "message": ..., "package": ..., "progress": [...], "report_at": ...}

The `respond` node restores the `Conversation` from the state, hands it the event and returns what changed:
the brief draft, the open question, the stage, the run it follows, the undo stack, the transcript and the
turn to show. Compiled with the checkpointer every run uses, a session outlives the server and can be
resumed from another interface (the web page, the terminal, Slack). The state keeps its tenant; whoever
reads a session checks it (`session_values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from greenroom.core.brief import FieldError
from greenroom.core.package import LaunchPackage
from greenroom.graphs.conversation import Action, Conversation, ModelReader, Stage, Surface, Turn, announce

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

MAX_LINES, MAX_CHARS = 500, 100_000
"""What a session's transcript keeps at most, in lines and in characters (the oldest lines go first)."""


def keep_latest(lines: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """The transcript with `new` lines added, letting the oldest go past MAX_LINES or MAX_CHARS."""
    lines = [*lines, *(line for line in new if line.get("text"))]
    chars, drop = sum(len(line["text"]) for line in lines), 0
    while len(lines) - drop > MAX_LINES or (chars > MAX_CHARS and drop < len(lines) - 1):
        chars -= len(lines[drop]["text"])
        drop += 1
    return lines[drop:]


class ChatState(TypedDict, total=False):
    """One chat session: whose it is, the brief as it forms, where the conversation stands, and what was said."""

    tenant: str
    """The tenant the session belongs to: a session is only ever shown to its own tenant."""
    keyed: bool
    """Opened with an API key (a key-less session makes room first when the chat is full)."""
    today: str | None
    """The day relative dates are read from (None: the day of each message)."""
    draft: dict[str, Any]
    """The brief as it forms, by field."""
    asking: str | None
    """The field the open question asks for."""
    stage: Stage
    """Where the conversation stands."""
    run_id: str | None
    """The run the session launched."""
    run_status: str | None
    """That run's status, as the session last saw it."""
    undo: list[dict[str, Any]]
    """The brief before each change, newest last."""
    asked_sets: dict[str, Any]
    """The brief changes the last revision asked for."""
    shown: LaunchPackage | None
    """The package shown last (a new version is compared with it)."""
    transcript: Annotated[list[dict[str, str]], keep_latest]
    """Both sides of the chat and the run's progress, {who, text} a line, the latest kept."""
    events_seen: int
    """The run's events up to here are in the transcript."""
    report: bool
    """A package's report has been shown."""
    turn: dict[str, Any] | None
    """The latest turn (a `Turn` as JSON): what a resumed chat shows."""
    event: dict[str, Any]
    """What happened: the input of each step."""


@dataclass(frozen=True)
class ChatContext:
    """What a step needs besides the state: the model reading of messages, and where the replies are read."""

    model_reader: ModelReader | None = None
    surface: Surface = "web"


CONVERSATION_KEYS = ("draft", "asking", "stage", "run_id", "run_status", "undo", "asked_sets", "today")


def conversation_of(values: dict[str, Any], context: ChatContext | None = None) -> Conversation:
    """The session's conversation, restored from its state."""
    context = context or ChatContext()
    state = {"draft": {}, "stage": "building", **{k: values[k] for k in CONVERSATION_KEYS if k in values}}
    return Conversation.restored(state, context.model_reader, values.get("shown"), surface=context.surface)


def _lines(who: str, texts: list[str]) -> list[dict[str, str]]:
    return [{"who": who, "text": text} for text in texts if text]


def respond(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    """Read one event into the conversation and decide the reply."""
    conversation = conversation_of(dict(state), runtime.context)
    event = state["event"]
    kind = event["kind"]
    said: list[dict[str, str]] = []
    update: dict[str, Any] = {}
    if kind == "greet":
        turn = conversation.greet()
    elif kind == "message":
        said += _lines("me", [str(event["text"])])
        turn = conversation.reply(str(event["text"]))
    elif kind == "edit":
        turn = conversation.edit(str(event["field"]), str(event["text"]))
    elif kind == "carried":
        if event.get("run_id"):
            conversation.launched(str(event["run_id"]))
        last = Turn.model_validate(state.get("turn") or {"stage": conversation.stage})
        words = last.say or ([announce(last.action)] if last.action is not None else [])
        turn = last.model_copy(update={"say": words, "action": None})
        said += _lines("bot", [w for w in words if w not in last.say])
        turn = turn.model_copy(update={"run_id": conversation.run_id, "stage": conversation.stage})
        return {**conversation.state(), "transcript": said, "turn": turn.model_dump(mode="json"), "event": {"kind": kind}}
    elif kind == "refused":
        errors = [FieldError.model_validate(e) for e in event.get("errors", [])]
        turn = conversation.refused(errors, str(event["message"]))
    elif kind == "settled":
        said += _lines("progress", list(event.get("progress", [])))
        update["events_seen"] = int(event.get("events_seen", state.get("events_seen", 0)))
        package = event.get("package")
        if isinstance(package, dict):
            package = LaunchPackage.model_validate(package)
        turn = conversation.settled(str(event["status"]), str(event.get("message", "")), package, event.get("report_at"))
    else:
        raise ValueError(f"a chat session cannot take a {kind!r} event")
    said += _lines("bot", turn.say)
    return {**conversation.state(), **update, "shown": conversation.shown, "transcript": said,
            "report": bool(state.get("report")) or turn.report_url is not None,
            "turn": turn.model_dump(mode="json"), "event": {"kind": kind}}  # fmt: skip
    # the event is kept as its kind only: a settled run's package is kept once, as `shown`


def build_chat_graph() -> StateGraph[Any, Any, Any, Any]:
    """The conversation's graph: one `respond` step per event; compile it with the runs' checkpointer."""
    builder = StateGraph(ChatState, context_schema=ChatContext)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    builder.add_edge("respond", END)
    return builder


def pending_action(values: dict[str, Any]) -> Action | None:
    """The action the session's latest turn asks for and that has not been carried out yet."""
    turn = values.get("turn")
    return Turn.model_validate(turn).action if turn else None


def compiled(checkpointer: Any) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The conversation's graph compiled with `checkpointer`."""
    return build_chat_graph().compile(checkpointer=checkpointer)
