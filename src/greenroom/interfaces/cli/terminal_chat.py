"""What `greenroom chat` runs: the chat page's conversation in a terminal, running the launch graph in-process.

    greenroom chat                      # a new session (its id is printed: resume it here or on the chat page)
    greenroom chat --session ID         # resume a session started on the chat page, in Slack or here

A session is a thread of the conversation graph on the checkpointer every run uses, so it is the
same session wherever it is resumed; `--tenant` names whose it is (the chat page's key-less
sessions belong to `chat`, a key's sessions to the key's tenant).
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.prompt import Prompt

from greenroom.core.brief import BriefError, in_words, parse_brief
from greenroom.core.vocabulary import AT_REST
from greenroom.graphs.chat_session import conversation_of, pending_action
from greenroom.graphs.conversation import Answer, Launch, Revise, Turn, missing_fields
from greenroom.interfaces.chat import ChatSessions, brief_rows
from greenroom.interfaces.cli.common import console, context_for, fail, step_printer
from greenroom.interfaces.settings import Settings


def _show(turn: Turn) -> None:
    for line in turn.say:
        console.print(f"[bold magenta]greenroom[/bold magenta] {escape(line)}")
    if turn.offers:
        console.print(f"  [dim]({' / '.join(turn.offers)})[/dim]")


def _show_brief(values: dict[str, Any]) -> None:
    """The brief as it stands, one field a line (the web page shows it as a form beside the chat)."""
    draft = values.get("draft") or {}
    for row in brief_rows(draft, missing_fields(draft)):
        console.print(
            f"  [bold]{escape(row.label)}[/bold]: " + ("[yellow]still needed[/yellow]" if row.needed else escape(row.value))
        )


class TerminalChat:
    """One session in this terminal: its steps on the checkpointer, its runs in this process."""

    def __init__(self, settings: Settings, tenant: str) -> None:
        from greenroom.interfaces.chat import model_reader_for

        self.settings, self.tenant = settings, tenant
        self.sessions = ChatSessions(settings, model_reader_for(settings.model), surface="terminal")
        self._context: Any = None

    @property
    def context(self) -> Any:
        """The agents' context, built on the first run (a chat that only builds a brief needs none)."""
        if self._context is None:
            self._context = context_for(self.settings, approval=True)
        return self._context

    def step(self, session_id: str, event: dict[str, Any]) -> dict[str, Any]:
        return self.sessions.step(session_id, self.tenant, event)

    def carry_out(self, session_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Run what the session asked for, and let it read the outcome."""
        from greenroom.interfaces.runs import answer_approval, launch_run, revise_run

        action, run_id = pending_action(values), str(values.get("run_id"))
        try:
            if isinstance(action, Launch):
                outcome = launch_run(parse_brief(action.brief), self.settings, self.context, tenant=self.tenant,
                                     on_step=step_printer())  # fmt: skip
            elif isinstance(action, Answer):
                outcome = answer_approval(run_id, action.answer, self.settings, self.context, on_step=step_printer())
            elif isinstance(action, Revise):
                outcome = revise_run(run_id, self.settings, self.context, note=action.note, sets=action.sets,
                                     on_step=step_printer())  # fmt: skip
            else:
                return values
        except BriefError as exc:
            errors = [e.model_dump(mode="json") for e in exc.errors]
            return self.step(session_id, {"kind": "refused", "message": "That brief does not validate:", "errors": errors})
        except ValueError as exc:
            return self.step(session_id, {"kind": "refused", "message": in_words(exc), "errors": []})
        self.step(session_id, {"kind": "carried", "run_id": outcome.run_id if isinstance(action, Launch) else None})
        return self.step(session_id, {"kind": "settled", "status": str(outcome.status), "message": outcome.message,
                                      "package": outcome.package,
                                      "report_at": str(outcome.output_dir) if outcome.output_dir else None})  # fmt: skip

    def catch_up(self, session_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """A run that came to rest since the session last looked (e.g. on the server): its package, shown once."""
        from greenroom.interfaces.runs import latest_package, registry

        run_id = values.get("run_id")
        if not run_id:
            return values
        record = registry(self.settings).get(str(run_id))
        if record.status not in AT_REST or (values.get("stage") != "running" and values.get("run_status") == record.status):
            return values
        values = self.step(session_id, {"kind": "settled", "status": str(record.status), "message": record.message,
                                        "package": latest_package(str(run_id), self.settings),
                                        "report_at": record.output_dir or None})  # fmt: skip
        _show(Turn.model_validate(values["turn"]))
        return values


def _resumed(chat: TerminalChat, session_id: str) -> dict[str, Any]:
    """The session, its brief so far and its open question, or a plain refusal when the tenant has no such session."""
    values = chat.sessions.values(session_id, chat.tenant)
    if values is None:
        fail(f"There is no chat session {session_id} for tenant {chat.tenant}. Check the id shown on the chat page, "
             "and --tenant when the session was opened with an API key.")  # fmt: skip
    title = (values.get("draft") or {}).get("working_title") or "Untitled brief"
    console.print(f"Resuming chat session {session_id}: [bold]{escape(str(title))}[/bold]. The brief so far:")
    _show_brief(values)
    values = chat.catch_up(session_id, values)
    pending = conversation_of(values, chat.sessions.context).pending()
    console.print(f"[bold magenta]greenroom[/bold magenta] {escape(pending)}")
    return values


def run_chat(session: str | None, tenant: str) -> None:
    """The terminal chat: a new session, or `session` resumed, until the producer quits."""
    terminal = TerminalChat(Settings(), tenant)
    if session:
        session_id, values = session, _resumed(terminal, session)
    else:
        session_id, values = terminal.sessions.open(tenant)
        console.print(f"[dim]Chat session {session_id}: resume it with `greenroom chat --session {session_id}`.[/dim]")
        _show(Turn.model_validate(values["turn"]))
    while True:
        try:
            text = Prompt.ask("[bold cyan]you[/bold cyan]", console=console)
        except EOFError:
            console.print()
            return
        if text.strip().lower() in ("quit", "exit", "bye"):
            console.print(f"[dim]Resume it later with `greenroom chat --session {session_id}`.[/dim]")
            return
        if text.strip().lower() in ("brief", "show brief", "the brief"):
            _show_brief(values)
            continue
        values = terminal.catch_up(session_id, values)
        values = terminal.step(session_id, {"kind": "message", "text": text})
        _show(Turn.model_validate(values["turn"]))
        while pending_action(values) is not None:
            values = terminal.carry_out(session_id, values)
            _show(Turn.model_validate(values["turn"]))
