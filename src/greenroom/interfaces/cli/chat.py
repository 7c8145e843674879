"""`greenroom chat`: the chat page's conversation in a terminal, running the launch graph in-process.

    greenroom chat                      # a new session (its id is printed: resume it here or on the chat page)
    greenroom chat --session ID         # resume a session started on the chat page, in Slack or here

A session is a thread of the conversation graph on the checkpointer every run uses, so it is the
same session wherever it is resumed; `--tenant` names whose it is (the chat page's key-less
sessions belong to `chat`, a key's sessions to the key's tenant).
"""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add `greenroom chat`."""

    @app.command()
    def chat(
        session: Annotated[str | None, typer.Option(
            "--session", help="Resume this chat session (its id is shown on the chat page, in Slack and here).")] = None,
        tenant: Annotated[str, typer.Option(
            help="Whose session: the chat page's key-less sessions are 'chat', a key's are its tenant's.")] = "chat",  # interfaces.chat.DEFAULT_TENANT
    ) -> None:  # fmt: skip
        """Build a brief in conversation, launch it, approve or revise it — in the terminal."""
        # The conversation graph, the reader and LangGraph load when the command runs, not for `greenroom --help`.
        from greenroom.interfaces.cli.terminal_chat import run_chat

        run_chat(session, tenant)
