"""`greenroom chat`: the chat page's conversation in a terminal, running the launch graph in-process."""

from __future__ import annotations

from typing import Any

import typer
from rich.prompt import Prompt

from greenroom.core.brief import BriefError, parse_brief
from greenroom.graphs.conversation import Answer, Conversation, Launch, Revise, Turn
from greenroom.interfaces.cli.common import console, context_for, out, step_printer
from greenroom.interfaces.settings import Settings


def _show(turn: Turn) -> None:
    for line in turn.say:
        console.print(f"[bold magenta]greenroom[/bold magenta] {line}")
    if turn.offers:
        console.print(f"  [dim]({' / '.join(turn.offers)})[/dim]")


def _show_brief(conversation: Conversation) -> None:
    """The brief as it stands, one field a line (the web page shows it as a form beside the chat)."""
    from greenroom.graphs.conversation import missing_fields
    from greenroom.interfaces.chat import brief_rows

    for row in brief_rows(conversation.draft, missing_fields(conversation.draft)):
        console.print(
            f"  [bold]{row.label}[/bold]: " + ("[yellow]still needed[/yellow]" if row.needed else row.value), markup=True
        )


def _carry_out(action: Launch | Answer | Revise, conversation: Conversation, settings: Settings, context: Any) -> Turn:
    """Run what the conversation asked for, and let it read the outcome."""
    from greenroom.interfaces.runs import answer_approval, launch_run, revise_run

    try:
        if isinstance(action, Launch):
            outcome = launch_run(parse_brief(action.brief), settings, context, on_step=step_printer())
            conversation.launched(outcome.run_id)
        elif isinstance(action, Answer):
            outcome = answer_approval(str(conversation.run_id), action.answer, settings, context, on_step=step_printer())
        else:
            outcome = revise_run(str(conversation.run_id), settings, context, note=action.note, sets=action.sets,
                                 on_step=step_printer())  # fmt: skip
    except BriefError as exc:
        return conversation.refused(exc.errors, "That brief does not validate:")
    except ValueError as exc:
        return conversation.refused([], str(exc))
    if outcome.output_dir is not None:
        out.print(str(outcome.output_dir))
    return conversation.settled(outcome.status, outcome.message, outcome.package)


def register(app: typer.Typer) -> None:
    """Add `greenroom chat`."""

    @app.command()
    def chat() -> None:
        """Build a brief in conversation, launch it, approve or revise it — in the terminal."""
        from greenroom.interfaces.chat import model_reader_for

        settings = Settings()
        context = context_for(settings, approval=True)
        conversation = Conversation(model_reader_for(settings.model), panel=False)
        _show(conversation.greet())
        while True:
            try:
                text = Prompt.ask("[bold cyan]you[/bold cyan]", console=console)
            except EOFError:
                console.print()
                return
            if text.strip().lower() in ("quit", "exit", "bye"):
                return
            if text.strip().lower() in ("brief", "show brief", "the brief"):
                _show_brief(conversation)
                continue
            turn = conversation.reply(text)
            _show(turn)
            while turn.action is not None:
                turn = _carry_out(turn.action, conversation, settings, context)
                _show(turn)
