"""Posting run events to tenants' webhooks: signed, retried with backoff, every attempt logged.

The run store queues a delivery in the transaction that records a run's new
status (`store/webhooks.py`); this module's `WebhookSender` posts it from a
thread pool of whichever process runs `RunService` (the API server or a pool
worker), never on a run's own path. A sender claims deliveries with a lease,
so several processes sharing one database never post the same delivery at
once, and a delivery whose sender died is taken over at the next sweep.

Each post carries `Greenroom-Signature: t=<unix seconds>,v1=<hex>`, the
HMAC-SHA256 of `<t>.<body>` under the tenant's signing secret, the way Slack
and Stripe sign: the receiver checks it and rejects old timestamps (replays).
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_when_event_set,
    wait_exponential_jitter,
)

from greenroom.interfaces.settings import Settings, WebhookSettings
from greenroom.store.webhooks import EVENTS, Delivery, DeliveryAttempt, Webhook, WebhookStore, on_new_delivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Greenroom-Signature"
USER_AGENT = "greenroom-webhooks/1"


class WebhookAddressError(ValueError):
    """A webhook address greenroom will not post to; the message says why, in words."""


# --- addresses -------------------------------------------------------------------


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_address(url: str, allow_private: bool = False) -> str:
    """The URL when greenroom may post to it; WebhookAddressError otherwise.

    Only http and https. Unless `allow_private`, every address the host name resolves to must be
    public: a tenant must not make the server reach loopback, the private network or cloud metadata
    (169.254.169.254). The check runs again before each attempt, since a name can resolve elsewhere later.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # an unclosed [ipv6] bracket and the like
        raise WebhookAddressError("the address is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookAddressError("use an http:// or https:// address")
    if not parts.hostname:
        raise WebhookAddressError("the address has no host name")
    if parts.username or parts.password:
        raise WebhookAddressError("put no user name or password in the address; check the signature instead")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookAddressError("the address has a port that is not a number from 1 to 65535") from None
    if allow_private:
        return url.strip()
    try:
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError, ValueError):  # unknown name, a label too long, a NUL in the name
        raise WebhookAddressError(f"the host name {parts.hostname} does not resolve") from None
    if not found or not all(_public(str(a)) for a in found):
        raise WebhookAddressError(
            f"{parts.hostname} is on a private, loopback or reserved network; webhooks go to public addresses only"
        )
    return url.strip()


# --- signatures ------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The Greenroom-Signature header's value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --- the sender --------------------------------------------------------------------


class _AttemptFailed(Exception):
    """One post did not get a 2xx answer (retried)."""


class _Undeliverable(Exception):
    """The delivery cannot be posted at all now (no webhook, a refused address): no retry."""


class WebhookSender:
    """Posts pending deliveries from a small thread pool; picks up what a restart or a dead process left."""

    def __init__(self, settings: Settings, store: WebhookStore | None = None) -> None:
        self.config: WebhookSettings = settings.webhooks
        self.store = store or WebhookStore(settings.registry_target)
        self._client = httpx.Client(timeout=self.config.timeout_s, follow_redirects=False, headers={"User-Agent": USER_AGENT})
        self._pool: ThreadPoolExecutor | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._unsubscribe = lambda: None

    @property
    def lease_s(self) -> float:
        """How long one attempt and the wait after it may take before another process may take the delivery over."""
        return self.config.timeout_s + self.config.backoff_max_s + 30.0

    def start(self) -> None:
        """Start the sweep; the first one takes every pending delivery left from before."""
        self._pool = ThreadPoolExecutor(max_workers=self.config.senders, thread_name_prefix="greenroom-webhook")
        self._unsubscribe = on_new_delivery(self._wake.set)
        self._thread = threading.Thread(target=self._sweep_loop, name="greenroom-webhook-sweep", daemon=True)
        self._thread.start()
        atexit.register(self.close)  # a sender its owner never closed stops before the process's databases go away

    def close(self) -> None:
        """Stop: deliveries not yet done stay pending for the next start (here or in another process)."""
        atexit.unregister(self.close)
        self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def _sweep_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # the sweep's boundary: a database blip is retried at the next sweep
                logger.warning("webhook sweep failed; retrying in %.0f s", self.config.sweep_s, exc_info=True)
            self._wake.wait(self.config.sweep_s)
            self._wake.clear()

    def sweep(self) -> int:
        """Claim the pending deliveries this process has room for and hand them to the pool; returns how many."""
        assert self._pool is not None
        with self._lock:
            room = 2 * self.config.senders - len(self._in_flight)
            busy = set(self._in_flight)
        if room <= 0:
            return 0
        claimed = self.store.claim_due(room, self.lease_s, skip=busy)
        for delivery in claimed:
            with self._lock:
                self._in_flight.add(delivery.id)
            self._pool.submit(self._deliver_and_forget, delivery)
        return len(claimed)

    def _deliver_and_forget(self, delivery: Delivery) -> None:
        try:
            self.deliver(delivery)
        except Exception:  # a sender thread's boundary: the delivery stays pending and its lease runs out
            logger.exception("webhook delivery %s stopped on an unexpected error", delivery.id)
        finally:
            with self._lock:
                self._in_flight.discard(delivery.id)
            self._wake.set()  # room for the next one

    def deliver(self, delivery: Delivery) -> bool:
        """Post one delivery until it is answered with a 2xx or its attempts run out; True when it arrived."""
        retrying = Retrying(
            stop=stop_after_attempt(self.config.max_attempts) | stop_when_event_set(self._stop),
            wait=wait_exponential_jitter(
                multiplier=self.config.backoff_s, max=self.config.backoff_max_s, jitter=self.config.backoff_s
            ),
            retry=retry_if_exception_type(_AttemptFailed),
            sleep=self._pause,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._post_once(delivery)
        except RetryError:
            if self._stop.is_set():
                self.store.release(delivery.id)
                return False
            logger.warning("webhook delivery %s failed after %d attempts", delivery.id, self.config.max_attempts)
            self.store.finish(delivery.id, delivered=False)
            return False
        except _Undeliverable as exc:
            logger.warning("webhook delivery %s: %s", delivery.id, exc)
            self.store.finish(delivery.id, delivered=False)
            return False
        self.store.finish(delivery.id, delivered=True)
        return True

    def _pause(self, seconds: float) -> None:
        """Wait between attempts; a stopping process does not sleep out its backoff."""
        self._stop.wait(seconds)

    def _post_once(self, delivery: Delivery) -> None:
        self.store.renew(delivery.id, self.lease_s)
        started = time.perf_counter()
        target = self.store.target(delivery.tenant)
        if target is None:
            self.store.record_attempt(delivery.id, None, "the tenant removed its webhook", 0.0)
            raise _Undeliverable("the tenant removed its webhook")
        url, secret = target
        try:  # again before each post: the name may resolve elsewhere now. httpx resolves it once more to connect, so a
            # name that flips between the two lookups (DNS rebinding) is not caught; pinning the checked address would
            # need a custom transport, which is left out while redirects are not followed.
            check_address(url, self.config.allow_private)
        except WebhookAddressError as exc:
            self.store.record_attempt(delivery.id, None, str(exc), 0.0)
            raise _Undeliverable(str(exc)) from None
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body, int(time.time())),
            "Greenroom-Event": delivery.event,
            "Greenroom-Delivery": delivery.id,
        }
        code: int | None = None
        try:
            response = self._client.post(url, content=body, headers=headers)
            code = response.status_code
            error = "" if response.is_success else f"the receiver answered {code}"
        except httpx.TimeoutException:
            error = f"no answer within {self.config.timeout_s:g} s"
        except httpx.ConnectError:
            error = "could not connect to the receiver (refused, unreachable, or its TLS certificate was not accepted)"
        except httpx.HTTPError:  # reset, cut off mid-answer, a broken answer
            error = "the connection to the receiver broke before it answered"
        self.store.record_attempt(delivery.id, code, error, (time.perf_counter() - started) * 1000)
        if error:
            raise _AttemptFailed(error)


# --- the REST API's models ---------------------------------------------------------


class WebhookRequest(BaseModel):
    """Where to post this tenant's run events."""

    url: str = Field(..., min_length=1, max_length=2000, description="An http:// or https:// address on a public network.")
    events: list[str] = Field(list(EVENTS), max_length=len(EVENTS), description=f"Events to post: {', '.join(EVENTS)}.")
    rotate_secret: bool = Field(False, description="Issue a new signing secret (the old one stops at once).")


class WebhookView(BaseModel):
    """The tenant's webhook; `secret` only in the answer that issued it."""

    url: str = Field(..., description="Where events are posted.")
    events: list[str] = Field(..., description="The events posted there.")
    created_at: str = Field(..., description="UTC time it was first registered, ISO 8601.")
    updated_at: str = Field(..., description="UTC time of the last change, ISO 8601.")
    secret: str | None = Field(
        None, description="The signing secret, shown only when issued: keep it to check each delivery's signature."
    )

    @classmethod
    def of(cls, webhook: Webhook, secret: str | None = None) -> WebhookView:
        return cls(url=webhook.url, events=webhook.events, created_at=webhook.created_at, updated_at=webhook.updated_at,
                   secret=secret)  # fmt: skip


class DeliveryView(Delivery):
    """A delivery with every attempt."""

    attempt_log: list[DeliveryAttempt] = Field(default_factory=list, description="Every try, in order.")


class DeliveryList(BaseModel):
    """One page of deliveries, newest first."""

    deliveries: list[Delivery] = Field(..., description="The deliveries on this page.")
    next_offset: int | None = Field(None, description="Offset of the next page; null on the last one.")


def unknown_events(events: list[str]) -> Iterator[str]:
    """The names in `events` that are no event."""
    return (e for e in events if e not in EVENTS)
