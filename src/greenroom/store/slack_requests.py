"""Signed Slack requests already answered, kept in the run store for Slack's five-minute window.

Slack signs each request with its timestamp; a signature older than five minutes is refused by the
verifier itself, so a signature remembered for that long (and a little more) turns a replay into a
no-op. The set lives beside the run registry (SQLite in the data folder, or PostgreSQL), so a replay
after a restart, or to another server of the same deployment, is refused as well.
"""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from greenroom.store.database import SqlStore

REPLAY_WINDOW_S = 6 * 60
"""How long a verified request's signature is remembered (Slack's own window is five minutes)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_requests (
    signature TEXT PRIMARY KEY,
    seen_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS slack_requests_seen ON slack_requests (seen_at)
"""


class SeenRequests(SqlStore):
    """Signatures of verified Slack requests, for REPLAY_WINDOW_S."""

    schema = SCHEMA

    def first_time(self, signature: str, timestamp: str) -> bool:
        """Remember the request; False when it was seen within the window (a replay, or Slack's own retry)."""
        now = time.time()
        key = f"{timestamp}:{signature}"
        try:
            with self._connect() as conn:
                conn.execute(text("DELETE FROM slack_requests WHERE seen_at < :stale"), {"stale": now - REPLAY_WINDOW_S})
                conn.execute(
                    text("INSERT INTO slack_requests (signature, seen_at) VALUES (:key, :now)"), {"key": key, "now": now}
                )
        except IntegrityError:  # the primary key: this very request was answered already
            return False
        return True
