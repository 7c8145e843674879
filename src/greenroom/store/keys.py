"""API keys for the REST API: one tenant per key, stored only as salted hashes.

A key reads `gr_<id>_<secret>`. The id finds the row; the secret is checked by
comparing sha256(salt + secret) in constant time. The secret itself is shown
once, when the key is created, and never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from pydantic import BaseModel, Field

from greenroom.store.sqlite import SqliteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    salt TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""
_KEY = re.compile(r"^gr_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ApiKey(BaseModel):
    """What is stored about one key (never the secret)."""

    id: str = Field(..., description="The key's public id, part of the key itself.")
    tenant: str = Field(..., description="The tenant the key acts for.")
    created_at: str = Field(..., description="UTC time of creation, ISO 8601.")
    revoked_at: str | None = Field(None, description="UTC time of revocation, if revoked.")


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


class KeyStore(SqliteStore):
    """Create, check, list and revoke API keys in a SQLite file."""

    schema = SCHEMA

    def create(self, tenant: str) -> tuple[ApiKey, str]:
        """A new key for `tenant`: its record and the key itself (shown once)."""
        if not _TENANT.match(tenant):
            raise ValueError(f"tenant {tenant!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, tenant, salt, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (key_id, tenant, salt, _digest(salt, secret), now),
            )
        return ApiKey(id=key_id, tenant=tenant, created_at=now), f"gr_{key_id}_{secret}"

    def tenant_of(self, key: str) -> str | None:
        """The tenant a valid, unrevoked key belongs to; None for anything else."""
        match = _KEY.match(key)
        if match is None:
            return None
        key_id, secret = match.groups()
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        if row is None or row["revoked_at"] is not None:
            return None
        return str(row["tenant"]) if hmac.compare_digest(_digest(row["salt"], secret), row["hash"]) else None

    def list(self) -> list[ApiKey]:
        """Every key, oldest first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT id, tenant, created_at, revoked_at FROM api_keys ORDER BY created_at, rowid").fetchall()
        return [ApiKey(**dict(r)) for r in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key by its id; KeyError when there is none."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._connect() as conn:
            cursor = conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, key_id))
            if cursor.rowcount == 0:
                raise KeyError(f"no active key with id {key_id!r}")
            row = conn.execute("SELECT id, tenant, created_at, revoked_at FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return ApiKey(**dict(row))
