"""Chat sessions as earlier versions kept them: a `chat_sessions` table beside the runs in the run registry's database.

Sessions are now threads of the conversation graph on the checkpointer. `SavedChats` reads what the old
table still holds, so that each session can be moved there once, and then drops the table: nothing keeps
a session twice.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import inspect, text

from greenroom.store.database import SqlStore

TABLE = "chat_sessions"


class SavedChats(SqlStore):
    """The old table's sessions, read once and then dropped (it is never created)."""

    def rows(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(session id, tenant, state as the old table kept it) of every session there, none when there is no table."""
        if not inspect(self.engine).has_table(TABLE):
            return []
        with self._connect() as conn:
            found = conn.execute(text(f"SELECT id, tenant, state FROM {TABLE} ORDER BY updated_at")).fetchall()
        return [(str(row.id), str(row.tenant), json.loads(row.state)) for row in found]

    def drop(self) -> None:
        """Drop the old table (its sessions have been moved)."""
        with self._connect() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
