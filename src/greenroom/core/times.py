"""One time format for everything a program reads: ISO 8601 in UTC to the millisecond, e.g. 2026-12-07T19:30:00.000Z.

The REST API, its event stream and the launch package all write times through
`utc_iso` (or the `UtcTime` field type, which does the same when a model is
dumped to JSON), so a client parses one format and never meets an epoch number.
It is the format JavaScript's `Date.toISOString()` writes; a `UtcTime` keeps
milliseconds only, so a package read back from its JSON equals the one written.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer


def as_utc(value: dt.datetime | float | str) -> dt.datetime:
    """A datetime in UTC to the millisecond from a datetime (naive ones are taken as UTC), epoch seconds or ISO text."""
    if isinstance(value, int | float):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    elif isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def utc_iso(value: dt.datetime | float | str) -> str:
    """The time as ISO 8601 in UTC to the millisecond: 2026-12-07T19:30:00.000Z."""
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


UtcTime = Annotated[dt.datetime, AfterValidator(as_utc), PlainSerializer(utc_iso, return_type=str, when_used="json")]
"""A datetime field kept in UTC to the millisecond and written as `utc_iso` in JSON (it also reads epoch seconds)."""
