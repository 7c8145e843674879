"""Which Slack thread follows which run, or which chat session: one row per (channel, thread), in the run registry's SQLite file.

The table is additive: it sits beside `runs` and the service's tables and
changes neither. A thread keeps its run across restarts, so a reply or a
button click hours later still reaches the right run.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from greenroom.store.sqlite import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_threads (
    channel TEXT NOT NULL,
    thread_ts TEXT NOT NULL,
    run_id TEXT NOT NULL,
    team TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (channel, thread_ts)
);
CREATE INDEX IF NOT EXISTS slack_threads_run ON slack_threads (run_id);
CREATE TABLE IF NOT EXISTS slack_chats (
    channel TEXT NOT NULL,
    thread_ts TEXT NOT NULL,
    session_id TEXT NOT NULL,
    team TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (channel, thread_ts)
);
"""


class SlackThread(BaseModel):
    """A Slack thread that follows one run."""

    channel: str = Field(..., description="Slack channel id.")
    thread_ts: str = Field(..., description="Timestamp of the thread's first message.")
    run_id: str = Field(..., description="The run the thread follows.")
    team: str = Field("", description="Slack workspace (team) id.")


class SlackChat(BaseModel):
    """A Slack thread that carries on a chat session (the session itself is kept by the checkpointer)."""

    channel: str = Field(..., description="Slack channel id.")
    thread_ts: str = Field(..., description="Timestamp of the thread's first message.")
    session_id: str = Field(..., description="The chat session the thread carries on.")
    team: str = Field("", description="Slack workspace (team) id.")


class SlackThreads(SqliteStore):
    """Map Slack channel + thread to a run id or a chat session, persistently."""

    schema = SCHEMA

    def link(self, channel: str, thread_ts: str, run_id: str, team: str = "") -> SlackThread:
        """Make the thread follow the run (a thread follows one run; linking it again moves it)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO slack_threads (channel, thread_ts, run_id, team, created_at) VALUES (?, ?, ?, ?, ?)",
                (channel, thread_ts, run_id, team, now),
            )
        return SlackThread(channel=channel, thread_ts=thread_ts, run_id=run_id, team=team)

    def run_for(self, channel: str, thread_ts: str) -> SlackThread | None:
        """The thread's link, if it follows a run."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT channel, thread_ts, run_id, team FROM slack_threads WHERE channel = ? AND thread_ts = ?",
                (channel, thread_ts),
            ).fetchone()
        return SlackThread(**dict(row)) if row is not None else None

    def thread_for(self, run_id: str) -> SlackThread | None:
        """The latest thread that follows the run, if any."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT channel, thread_ts, run_id, team FROM slack_threads WHERE run_id = ? ORDER BY created_at DESC, rowid DESC",
                (run_id,),
            ).fetchone()
        return SlackThread(**dict(row)) if row is not None else None

    def link_chat(self, channel: str, thread_ts: str, session_id: str, team: str = "") -> SlackChat:
        """Make the thread carry on the chat session."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO slack_chats (channel, thread_ts, session_id, team, created_at) VALUES (?, ?, ?, ?, ?)",
                (channel, thread_ts, session_id, team, now),
            )
        return SlackChat(channel=channel, thread_ts=thread_ts, session_id=session_id, team=team)

    def chat_for(self, channel: str, thread_ts: str) -> SlackChat | None:
        """The chat session the thread carries on, if any."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT channel, thread_ts, session_id, team FROM slack_chats WHERE channel = ? AND thread_ts = ?",
                (channel, thread_ts),
            ).fetchone()
        return SlackChat(**dict(row)) if row is not None else None
