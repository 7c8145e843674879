"""Chat sessions kept across server restarts: one row per session, beside the runs in the run registry's database.

A row holds the session's tenant and its state as JSON (the brief as it forms, the open
question, the run it follows, the transcript). The chat page's desk writes it after
every turn and reads it back when a session is asked for that the server does not hold,
so a restart, or another server sharing the database, picks the chat up where it was.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import text

from greenroom.store.database import SqlStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_sessions (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_sessions_tenant ON chat_sessions (tenant, updated_at)
"""


class ChatStore(SqlStore):
    """Save, load and drop chat sessions by id; a session is only ever loaded for its own tenant."""

    schema = SCHEMA

    def save(self, session_id: str, tenant: str, state: dict[str, Any]) -> None:
        """Write the session's state (replacing what was there)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        params = {"id": session_id, "tenant": tenant, "state": json.dumps(state, ensure_ascii=False), "now": now}
        with self._connect() as conn:
            updated = conn.execute(
                text("UPDATE chat_sessions SET state = :state, updated_at = :now WHERE id = :id AND tenant = :tenant"), params
            )
            if not updated.rowcount:
                conn.execute(
                    text("INSERT INTO chat_sessions (id, tenant, state, updated_at) VALUES (:id, :tenant, :state, :now)"), params
                )

    def load(self, session_id: str, tenant: str | None = None) -> tuple[str, dict[str, Any]] | None:
        """(tenant, state) of the session, or None when there is none (or it is another tenant's)."""
        with self._connect() as conn:
            row = conn.execute(text("SELECT tenant, state FROM chat_sessions WHERE id = :id"), {"id": session_id}).fetchone()
        if row is None or (tenant is not None and row.tenant != tenant):
            return None
        return str(row.tenant), json.loads(row.state)

    def drop(self, session_id: str) -> None:
        """Forget the session."""
        with self._connect() as conn:
            conn.execute(text("DELETE FROM chat_sessions WHERE id = :id"), {"id": session_id})
