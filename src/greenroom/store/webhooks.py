"""Webhooks: one address per tenant, and every delivery owed to it with each attempt.

A run's status change that a program waits for (it ended, it failed, it awaits
a person's approval) is written as a pending delivery in the same transaction
that records the status (`queue_status_event`, called by `RunRegistry.update`):
a run never waits on a receiver, and a delivery is never lost to a restart.
The sender (`interfaces/webhooks.py`) claims pending deliveries with a lease,
posts them, and logs every attempt here.

The signing secret is kept as it was issued: a receiver checks an HMAC, so the
sender needs the secret itself (a hash, as for API keys, could not sign).
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable

from pydantic import BaseModel, Field
from sqlalchemy import Connection, text

from greenroom.store.database import SqlStore

WEBHOOK_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    tenant TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    run_id TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    lease_until DOUBLE PRECISION,
    created_at TEXT NOT NULL,
    created_ts DOUBLE PRECISION NOT NULL,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, created_ts);
CREATE INDEX IF NOT EXISTS webhook_deliveries_tenant ON webhook_deliveries (tenant, created_ts);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    delivery_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT NOT NULL DEFAULT '',
    duration_ms DOUBLE PRECISION NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
)
"""

RUN_EVENTS: dict[str, str] = {
    "done": "run.ended",
    "approved": "run.ended",
    "rejected": "run.ended",
    "stopped_cap": "run.ended",
    "awaiting_approval": "run.awaiting_approval",
    "failed": "run.failed",
    "cancelled": "run.cancelled",
}
"""The run statuses a webhook hears of, and the event each is sent as (the payload names the status)."""

EVENTS: tuple[str, ...] = tuple(dict.fromkeys(RUN_EVENTS.values()))
"""Every event a tenant may subscribe to."""


class Webhook(BaseModel):
    """A tenant's webhook (without its secret)."""

    tenant: str = Field(..., description="Who owns it.")
    url: str = Field(..., description="Where events are posted.")
    events: list[str] = Field(..., description="The events posted there.")
    created_at: str = Field(..., description="UTC time it was first registered, ISO 8601.")
    updated_at: str = Field(..., description="UTC time of the last change, ISO 8601.")


class DeliveryAttempt(BaseModel):
    """One try at posting a delivery."""

    attempt: int = Field(..., description="1 for the first try, counting on across redeliveries.")
    status_code: int | None = Field(None, description="The receiver's HTTP status; null when no answer came.")
    error: str = Field("", description="What went wrong, in words; empty for a 2xx answer.")
    duration_ms: float = Field(..., description="How long the try took, in milliseconds.")
    at: str = Field(..., description="UTC time of the try, ISO 8601.")


class Delivery(BaseModel):
    """One event owed to a tenant's webhook."""

    id: str = Field(..., description="The delivery's id, also the payload's id and the Greenroom-Delivery header.")
    tenant: str = Field(..., description="Who it is for.")
    run_id: str = Field(..., description="The run it is about.")
    event: str = Field(..., description="run.ended, run.failed, run.awaiting_approval or run.cancelled.")
    payload: dict = Field(..., description="The JSON body posted.")
    state: str = Field(..., description="pending, delivered or failed.")
    attempts: int = Field(0, description="Tries so far.")
    last_error: str = Field("", description="Why the last try failed, in words.")
    created_at: str = Field(..., description="UTC time the event happened, ISO 8601.")
    created_ts: float = Field(..., description="The same time in epoch seconds.")
    delivered_at: str | None = Field(None, description="UTC time of the first 2xx answer, ISO 8601.")


class UnknownDeliveryError(KeyError):
    """No delivery with this id for this tenant."""

    def __str__(self) -> str:
        return f"no webhook delivery with id {self.args[0]!r}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _delivery(row: object) -> Delivery:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    data.pop("lease_until", None)
    return Delivery(**{**data, "payload": json.loads(data["payload"])})


def _webhook(row: object) -> Webhook:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    data.pop("secret", None)
    return Webhook(**{**data, "events": [e for e in data["events"].split(",") if e]})


# --- waking the sender -----------------------------------------------------------

_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def on_new_delivery(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` (from the writing thread) whenever this process queues a delivery; returns the unsubscriber."""
    with _listeners_lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _listeners_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def notify_new_delivery() -> None:
    """Wake this process's senders (other processes find the delivery at their next sweep)."""
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener()


def queue_status_event(conn: Connection, run_id: str, status: str) -> bool:
    """Inside the transaction that gave the run `status`: queue the event for its tenant's webhook, if one hears it.

    Returns whether a delivery was queued (then call `notify_new_delivery` once the transaction is committed).
    """
    event = RUN_EVENTS.get(status)
    if event is None:
        return False
    row = conn.execute(
        text("SELECT r.id, r.tenant, r.title, r.status, r.message, r.version, w.events FROM runs r "
             "JOIN webhooks w ON w.tenant = r.tenant WHERE r.id = :id"),
        {"id": run_id},
    ).fetchone()  # fmt: skip
    if row is None or event not in row.events.split(","):
        return False
    delivery_id = "wd_" + uuid.uuid4().hex[:20]
    now, now_ts = _now(), time.time()
    payload = {
        "id": delivery_id,
        "type": event,
        "created_at": now,
        "data": {"run_id": row.id, "title": row.title, "status": row.status, "message": row.message, "version": row.version},
    }
    conn.execute(
        text("INSERT INTO webhook_deliveries (id, tenant, run_id, event, payload, state, created_at, created_ts) "
             "VALUES (:id, :tenant, :run_id, :event, :payload, 'pending', :now, :ts)"),
        {"id": delivery_id, "tenant": row.tenant, "run_id": run_id, "event": event, "payload": json.dumps(payload),
         "now": now, "ts": now_ts},
    )  # fmt: skip
    return True


class WebhookStore(SqlStore):
    """Tenants' webhooks, the deliveries owed to them, and every attempt."""

    schema = WEBHOOK_SCHEMA

    # --- the tenant's webhook ----------------------------------------------------

    def put(
        self, tenant: str, url: str, events: builtins.list[str], *, rotate_secret: bool = False
    ) -> tuple[Webhook, str | None]:
        """Register or change the tenant's webhook; the secret is returned only when one is issued (first time, or rotated)."""
        now = _now()
        joined = ",".join(e for e in EVENTS if e in events)
        with self._connect() as conn:
            existing = conn.execute(text("SELECT secret FROM webhooks WHERE tenant = :t"), {"t": tenant}).fetchone()
            secret = None if existing is not None and not rotate_secret else "whsec_" + secrets.token_urlsafe(32)
            if existing is None:
                conn.execute(
                    text("INSERT INTO webhooks VALUES (:t, :url, :events, :secret, :now, :now)"),
                    {"t": tenant, "url": url, "events": joined, "secret": secret, "now": now},
                )
            else:
                conn.execute(
                    text(
                        "UPDATE webhooks SET url = :url, events = :events, secret = :secret, updated_at = :now WHERE tenant = :t"
                    ),
                    {"t": tenant, "url": url, "events": joined, "secret": secret or existing.secret, "now": now},
                )
        webhook = self.get(tenant)
        assert webhook is not None
        return webhook, secret

    def get(self, tenant: str) -> Webhook | None:
        """The tenant's webhook, if it registered one."""
        with self._connect() as conn:
            row = conn.execute(text("SELECT * FROM webhooks WHERE tenant = :t"), {"t": tenant}).fetchone()
        return _webhook(row) if row else None

    def target(self, tenant: str) -> tuple[str, str] | None:
        """Where to post the tenant's deliveries and the secret to sign them with."""
        with self._connect() as conn:
            row = conn.execute(text("SELECT url, secret FROM webhooks WHERE tenant = :t"), {"t": tenant}).fetchone()
        return (row.url, row.secret) if row else None

    def delete(self, tenant: str) -> bool:
        """Remove the tenant's webhook; its pending deliveries fail when their turn comes."""
        with self._connect() as conn:
            return bool(conn.execute(text("DELETE FROM webhooks WHERE tenant = :t"), {"t": tenant}).rowcount)

    # --- deliveries --------------------------------------------------------------

    def claim_due(self, limit: int, lease_s: float, skip: set[str] | None = None) -> builtins.list[Delivery]:
        """Take up to `limit` pending deliveries no live sender holds, oldest first, each for one caller only."""
        now = time.time()
        with self._connect() as conn:
            rows = conn.execute(
                text("SELECT id FROM webhook_deliveries WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < :now) "
                     "ORDER BY created_ts LIMIT :limit"),
                {"now": now, "limit": limit + len(skip or ())},
            ).fetchall()  # fmt: skip
        taken: builtins.list[Delivery] = []
        for row in rows:
            if len(taken) >= limit:
                break
            if skip and row.id in skip:
                continue
            with self._connect() as conn:
                claimed = conn.execute(
                    text("UPDATE webhook_deliveries SET lease_until = :until WHERE id = :id AND state = 'pending' "
                         "AND (lease_until IS NULL OR lease_until < :now)"),
                    {"until": now + lease_s, "id": row.id, "now": now},
                ).rowcount  # fmt: skip
                if claimed:
                    found = conn.execute(text("SELECT * FROM webhook_deliveries WHERE id = :id"), {"id": row.id}).fetchone()
                    taken.append(_delivery(found))
        return taken

    def renew(self, delivery_id: str, lease_s: float) -> None:
        """Keep holding a delivery while its attempts go on."""
        with self._connect() as conn:
            conn.execute(
                text("UPDATE webhook_deliveries SET lease_until = :until WHERE id = :id"),
                {"until": time.time() + lease_s, "id": delivery_id},
            )

    def record_attempt(self, delivery_id: str, status_code: int | None, error: str, duration_ms: float) -> int:
        """Log one try; returns its number."""
        with self._connect() as conn:
            attempt = conn.execute(
                text(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = :error WHERE id = :id RETURNING attempts"
                ),
                {"error": error, "id": delivery_id},
            ).scalar_one()
            conn.execute(
                text("INSERT INTO webhook_attempts VALUES (:id, :attempt, :code, :error, :ms, :at)"),
                {"id": delivery_id, "attempt": attempt, "code": status_code, "error": error, "ms": round(duration_ms, 3),
                 "at": _now()},
            )  # fmt: skip
        return int(attempt)

    def finish(self, delivery_id: str, *, delivered: bool) -> None:
        """The delivery arrived (a 2xx answer), or every attempt failed."""
        with self._connect() as conn:
            conn.execute(
                text("UPDATE webhook_deliveries SET state = :state, lease_until = NULL, "
                     "delivered_at = CASE WHEN :delivered = 1 THEN :now ELSE delivered_at END WHERE id = :id"),
                {"state": "delivered" if delivered else "failed", "delivered": int(delivered), "now": _now(), "id": delivery_id},
            )  # fmt: skip

    def release(self, delivery_id: str) -> None:
        """Let go of a delivery still pending (the sender is stopping): the next sweep, here or elsewhere, takes it."""
        with self._connect() as conn:
            conn.execute(text("UPDATE webhook_deliveries SET lease_until = NULL WHERE id = :id"), {"id": delivery_id})

    def redeliver(self, delivery_id: str, tenant: str) -> Delivery:
        """Send a delivery again (whatever its state), with a fresh round of attempts."""
        with self._connect() as conn:
            moved = conn.execute(
                text("UPDATE webhook_deliveries SET state = 'pending', lease_until = NULL WHERE id = :id AND tenant = :t"),
                {"id": delivery_id, "t": tenant},
            ).rowcount
        if not moved:
            raise UnknownDeliveryError(delivery_id)
        notify_new_delivery()
        return self.delivery(delivery_id, tenant)

    def delivery(self, delivery_id: str, tenant: str) -> Delivery:
        """One of the tenant's deliveries (another tenant's does not exist for it)."""
        with self._connect() as conn:
            row = conn.execute(
                text("SELECT * FROM webhook_deliveries WHERE id = :id AND tenant = :t"), {"id": delivery_id, "t": tenant}
            ).fetchone()
        if row is None:
            raise UnknownDeliveryError(delivery_id)
        return _delivery(row)

    def deliveries(self, tenant: str, *, run_id: str | None = None, state: str | None = None, limit: int = 50,
                   offset: int = 0) -> builtins.list[Delivery]:  # fmt: skip
        """The tenant's deliveries, newest first."""
        filters = {k: v for k, v in {"tenant": tenant, "run_id": run_id, "state": state}.items() if v is not None}
        clause = " AND ".join(f"{k} = :{k}" for k in filters)
        with self._connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT * FROM webhook_deliveries WHERE {clause} ORDER BY created_ts DESC, id DESC LIMIT :limit OFFSET :offset"
                ),
                {**filters, "limit": limit, "offset": offset},
            ).fetchall()
        return [_delivery(r) for r in rows]

    def attempts(self, delivery_id: str) -> builtins.list[DeliveryAttempt]:
        """Every try at a delivery, in order."""
        with self._connect() as conn:
            rows = conn.execute(
                text("SELECT * FROM webhook_attempts WHERE delivery_id = :id ORDER BY attempt"), {"id": delivery_id}
            ).fetchall()
        return [DeliveryAttempt(**{k: v for k, v in r._mapping.items() if k != "delivery_id"}) for r in rows]
