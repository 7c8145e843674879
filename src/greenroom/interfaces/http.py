"""What the REST API and the chat page share over HTTP: the API-key scheme and the run's event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi.security import HTTPBearer

from greenroom.core.times import utc_iso
from greenroom.interfaces.service import RunService

SSE_PING_S = 15
"""Seconds between keep-alive pings on an idle event stream."""

bearer = HTTPBearer(auto_error=False, description="An API key from `greenroom keys create TENANT`.")
"""The `Authorization: Bearer <key>` scheme every authenticated route reads."""


async def event_stream(service: RunService, run_id: str, after: int) -> AsyncIterator[dict[str, str]]:
    """Replay the feed after `after`, then follow it until the run comes to rest or the server stops."""
    with service.hub.watch(run_id) as wake:
        while not service.closing:
            wake.clear()
            events = await asyncio.to_thread(service.registry.events, run_id, after)
            for event in events:
                after = event.seq
                yield {
                    "id": str(event.seq),
                    "event": event.type,
                    "data": json.dumps({**event.data, "at": utc_iso(event.created_at)}),
                }
            if await asyncio.to_thread(service.feed_finished, run_id, after):
                return
            if not events:
                try:
                    await asyncio.wait_for(wake.wait(), timeout=service.poll_s or SSE_PING_S)
                except TimeoutError:
                    continue
