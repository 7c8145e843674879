"""One time format for everything a program reads: ISO 8601 in UTC, to the second, e.g. 2026-12-07T19:30:00Z.

The REST API, its event stream and the launch package all write times through
`utc_iso` (or the `UtcTime` field type, which does the same when a model is
dumped to JSON), so a client parses one format and never meets an epoch number.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer


def as_utc(value: dt.datetime | float | str) -> dt.datetime:
    """A datetime in UTC from a datetime (naive ones are taken as UTC), seconds since the epoch, or ISO 8601 text."""
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utc_iso(value: dt.datetime | float | str) -> str:
    """The time as ISO 8601 in UTC to the second: 2026-12-07T19:30:00Z."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


UtcTime = Annotated[dt.datetime, AfterValidator(as_utc), PlainSerializer(utc_iso, return_type=str, when_used="json")]
"""A datetime field kept in UTC and written as `utc_iso` in JSON (it also reads seconds since the epoch)."""
