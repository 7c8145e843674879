"""A running campaign's daily results per tenant and run: import them from a file, read them back.

A results file has one row per day, channel and creative: day (YYYY-MM-DD), channel (a
channel of the run's plan), creative_id, spend, impressions, clicks, conversions. CSV,
JSON, JSON Lines and Parquet are read with the catalog importer's readers, so lines are
reported the same way: the file's own line for CSV (the header is line 1), JSON and JSON
Lines, the 1-based row for Parquet.

Rows that cannot be used are reported with their line and the reason in words; the rest
are stored. A row is keyed by (tenant, run, day, channel, creative): importing the same
rows again changes nothing, and a corrected row replaces the one it corrects.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import text

from greenroom.core.results import RESULT_FIELDS
from greenroom.store.database import SqlStore
from greenroom.store.importer import READERS, ImportFileError, Row, RowError, column_names, is_blank, resolve_columns
from greenroom.store.viewers import check_tenant

SCHEMA = """
CREATE TABLE IF NOT EXISTS campaign_results (
    tenant TEXT NOT NULL,
    run_id TEXT NOT NULL,
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    creative_id TEXT NOT NULL,
    spend DOUBLE PRECISION NOT NULL,
    impressions BIGINT NOT NULL,
    clicks BIGINT NOT NULL,
    conversions BIGINT NOT NULL,
    PRIMARY KEY (tenant, run_id, day, channel, creative_id)
)
"""

ALIASES: dict[str, tuple[str, ...]] = {
    "day": ("day", "date"),
    "channel": ("channel",),
    "creative_id": ("creative_id", "creative", "ad_id", "variant"),
    "spend": ("spend", "cost"),
    "impressions": ("impressions", "impr"),
    "clicks": ("clicks",),
    "conversions": ("conversions", "conv"),
}
"""Column names each field is looked for under (case-insensitive), first match wins."""
MAX_ID_CHARS = 80
MAX_ROWS = 500_000
_BATCH = 5000
_KEY = ("day", "channel", "creative_id")
_VALUES = ("spend", "impressions", "clicks", "conversions")


class ResultsImportReport(BaseModel):
    """What a results import did."""

    tenant: str = Field(..., description="Tenant the rows were stored for.")
    run_id: str = Field(..., description="The run the results belong to.")
    rows: int = Field(..., description="Rows read from the file.")
    added: int = Field(..., description="Rows stored for the first time.")
    updated: int = Field(..., description="Rows that replaced a stored row with different numbers.")
    unchanged: int = Field(..., description="Rows already stored with the same numbers (a repeated import).")
    errors: list[RowError] = Field(default_factory=list, description="Rows that could not be used, with line and reason.")
    first_day: dt.date | None = Field(None, description="Earliest day now stored for the run.")
    last_day: dt.date | None = Field(None, description="Latest day now stored for the run.")


class ResultStore(SqlStore):
    """Daily campaign results per tenant and run, in SQLite or PostgreSQL."""

    schema = SCHEMA

    def add(self, tenant: str, run_id: str, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
        """Store checked rows (dicts with RESULT_FIELDS, day as a date); returns (added, updated, unchanged)."""
        check_tenant(tenant)
        stored = self.rows(tenant, run_id)
        before = {
            (r.day.isoformat(), r.channel, r.creative_id): (
                round(float(r.spend), 2),
                int(r.impressions),
                int(r.clicks),
                int(r.conversions),
            )
            for r in stored.itertuples()
        }
        added = updated = unchanged = 0
        changed = []
        for row in rows:
            key = (row["day"].isoformat(), row["channel"], row["creative_id"])
            values = (round(float(row["spend"]), 2), int(row["impressions"]), int(row["clicks"]), int(row["conversions"]))
            old = before.get(key)
            if old == values:
                unchanged += 1
                continue
            added += old is None
            updated += old is not None
            before[key] = values
            changed.append({"tenant": tenant, "run_id": run_id, "day": key[0], "channel": key[1], "creative_id": key[2],
                            **dict(zip(_VALUES, values, strict=True))})  # fmt: skip
        statement = text(
            "INSERT INTO campaign_results (tenant, run_id, day, channel, creative_id, spend, impressions, clicks, conversions) "
            "VALUES (:tenant, :run_id, :day, :channel, :creative_id, :spend, :impressions, :clicks, :conversions) "
            "ON CONFLICT (tenant, run_id, day, channel, creative_id) DO UPDATE SET spend = excluded.spend, "
            "impressions = excluded.impressions, clicks = excluded.clicks, conversions = excluded.conversions"
        )
        with self._connect() as conn:
            for start in range(0, len(changed), _BATCH):
                conn.execute(statement, changed[start : start + _BATCH])
        return added, updated, unchanged

    def rows(self, tenant: str, run_id: str) -> pd.DataFrame:
        """The run's stored rows for `tenant` (columns RESULT_FIELDS, day as a date), oldest first."""
        with self._connect() as conn:
            found = conn.execute(
                text(f"SELECT {', '.join(RESULT_FIELDS)} FROM campaign_results WHERE tenant = :tenant AND run_id = :run "
                     "ORDER BY day, channel, creative_id"),
                {"tenant": tenant, "run": run_id},
            ).fetchall()  # fmt: skip
        frame = pd.DataFrame([tuple(r) for r in found], columns=list(RESULT_FIELDS))
        frame["day"] = [dt.date.fromisoformat(d) for d in frame["day"]]
        return frame


# --- reading a results file ---------------------------------------------------------


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip()
    try:
        return dt.date.fromisoformat(raw[:10]) if len(raw) >= 10 else dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw[:40]!r} is not a date (write it as YYYY-MM-DD)") from None


def _amount(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    raw = value.replace(",", "").replace("$", "").strip() if isinstance(value, str) else value
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{str(value)[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{str(value)[:40]!r} is not a number")
    if number < 0:
        raise ValueError(f"{number:g} is negative")
    return number


def _count(value: Any) -> int:
    number = _amount(value)
    if not number.is_integer():
        raise ValueError(f"{number:g} is not a whole number")
    return int(number)


def read_row(row: Row, columns: Mapping[str, str], channels: Iterable[str], first_day: dt.date,
             last_day: dt.date) -> dict[str, Any]:  # fmt: skip
    """One row's fields, checked; ValueError whose text names the field, the column and what is wrong."""
    if "__error__" in row:
        raise ValueError(str(row["__error__"]))
    out: dict[str, Any] = {}
    for field in RESULT_FIELDS:
        column = columns[field]
        value = row.get(column)
        where = f"{field} (column {column!r})"
        if is_blank(value):
            raise ValueError(f"{where}: missing")
        try:
            if field == "day":
                out[field] = _day(value)
            elif field in ("channel", "creative_id"):
                out[field] = " ".join(str(value).split())
                if len(out[field]) > MAX_ID_CHARS:
                    raise ValueError(f"longer than {MAX_ID_CHARS} characters")
            elif field == "spend":
                out[field] = round(_amount(value), 2)
            else:
                out[field] = _count(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    known = sorted(channels)
    if out["channel"] not in known:
        raise ValueError(f"channel {out['channel']!r} is not in the run's plan (its channels: {', '.join(known)})")
    if not first_day <= out["day"] <= last_day:
        raise ValueError(f"day {out['day'].isoformat()} is outside the campaign ({first_day.isoformat()} to "
                         f"{last_day.isoformat()})")  # fmt: skip
    if out["clicks"] > out["impressions"]:
        raise ValueError(f"clicks ({out['clicks']:,}) are more than impressions ({out['impressions']:,})")
    return out


def import_results(
    path: Path,
    store: ResultStore,
    *,
    tenant: str,
    run_id: str,
    channels: Iterable[str],
    first_day: dt.date,
    last_day: dt.date,
    mapping: Mapping[str, str] | None = None,
) -> ResultsImportReport:
    """Read, check and store a results file for one run; ImportFileError when the file as a whole cannot be read."""
    check_tenant(tenant)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ImportFileError(f"{path}: unsupported file type {path.suffix or '(none)'}; use one of {', '.join(READERS)}")
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    raw = list(reader(path))
    if len(raw) > MAX_ROWS:
        raise ImportFileError(f"{path}: {len(raw):,} rows; at most {MAX_ROWS:,} per import (split the file)")
    columns = resolve_columns(column_names(path), mapping or {}, path, ALIASES)
    missing = [f for f in RESULT_FIELDS if f not in columns]
    if missing:
        raise ImportFileError(f"{path}: no column for {', '.join(missing)}; a results file needs {', '.join(RESULT_FIELDS)}")
    channels = list(channels)
    good: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in raw:
        try:
            checked = read_row(row if isinstance(row, dict) else {"__error__": "not an object"}, columns, channels,
                               first_day, last_day)  # fmt: skip
        except ValueError as exc:
            errors.append(RowError(line=line, reason=str(exc)))
            continue
        key = (checked["day"].isoformat(), checked["channel"], checked["creative_id"])
        if key in seen:
            errors.append(RowError(line=line, reason=f"the same day, channel and creative as line {seen[key]}"))
            continue
        seen[key] = line
        good.append(checked)
    added, updated, unchanged = store.add(tenant, run_id, good)
    stored = store.rows(tenant, run_id)
    return ResultsImportReport(
        tenant=tenant,
        run_id=run_id,
        rows=len(raw),
        added=added,
        updated=updated,
        unchanged=unchanged,
        errors=errors,
        first_day=min(stored["day"]) if len(stored) else None,
        last_day=max(stored["day"]) if len(stored) else None,
    )
