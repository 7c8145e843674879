"""Viewer histories per tenant: import them from a file, match them to catalog titles, read them back.

A history file has one row per viewing event: who (user), what (a catalog
title id, or a title with an optional year), when (timestamp), and how it
went (a rating and/or the share of the title watched), optionally on which
device. CSV, JSON (an array), JSON Lines and Parquet are read with the
catalog importer's readers, so lines are reported the same way: the file's
own line for CSV (the header is line 1), JSON and JSON Lines, the 1-based row
for Parquet.

Columns are found by name, case-insensitively: user (or user_id, userId,
viewer), title_id, title (or name), year, timestamp (or time, watched_at,
datetime), rating, watch_share (or completion), device. A mapping
`{our_field: their_column}` names any other column.

- timestamp: Unix seconds (milliseconds above 10^11), or ISO 8601 with a time
  of day. The send window uses the clock the file is written in: an ISO time
  with an offset (`2024-05-03T20:15:00-04:00`) or without one counts as the
  viewer's local time; Unix seconds count as UTC.
- rating: a number from 0 to the rating scale (5 by default), stored as 0-1.
- watch_share: 0-1, or a percentage such as "80%".

Rows that cannot be read are reported with their line and reason; rows whose
title is not in the catalog are reported separately as unmatched; the rest
are stored. Every event belongs to one tenant and is read back only for it.
Importing the same file again updates its events in place.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import text

from greenroom.core.titles import TitleMatcher
from greenroom.store.catalog import Catalog
from greenroom.store.database import SqlStore
from greenroom.store.importer import (
    FileRows,
    ImportFileError,
    Row,
    RowError,
    column_names,
    is_blank,
    read_rows,
    resolve_columns,
)  # fmt: skip

SCHEMA = """
CREATE TABLE IF NOT EXISTS viewer_events (
    tenant TEXT NOT NULL,
    user_id TEXT NOT NULL,
    title_id TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    weekday INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    rating DOUBLE PRECISION,
    watch_share DOUBLE PRECISION,
    device TEXT NOT NULL DEFAULT '',
    import_id BIGINT NOT NULL,
    PRIMARY KEY (tenant, user_id, title_id, at)
);
CREATE TABLE IF NOT EXISTS viewer_imports (
    id {serial},
    tenant TEXT NOT NULL,
    source TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    imported INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS viewer_imports_tenant ON viewer_imports (tenant, id)
"""

VIEWER_FIELDS: tuple[str, ...] = ("user", "title_id", "title", "year", "timestamp", "rating", "watch_share", "device")
"""Fields a history file may fill."""
ALIASES: dict[str, tuple[str, ...]] = {
    "user": ("user", "user_id", "userid", "viewer", "viewer_id"),
    "title_id": ("title_id", "titleid", "catalog_id"),
    "title": ("title", "name"),
    "year": ("year", "release_year"),
    "timestamp": ("timestamp", "time", "watched_at", "datetime", "date"),
    "rating": ("rating", "stars", "score"),
    "watch_share": ("watch_share", "completion", "watched_share"),
    "device": ("device", "platform"),
}
"""Column names each field is looked for under (case-insensitive), first match wins."""
MAX_ID_CHARS = 200
MAX_DEVICE_CHARS = 40
_MS_THRESHOLD = 1e11
_BATCH = 5000
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

EVENT_COLUMNS = ["user_id", "title_id", "at", "weekday", "hour", "rating", "watch_share", "device"]
"""Columns of the table `ViewerStore.events` returns."""


class ViewerImportReport(BaseModel):
    """What a history import did."""

    tenant: str = Field(..., description="Tenant the events were stored for.")
    source: str = Field(..., description="Name of the import (the file name without suffix unless given).")
    rows: int = Field(..., description="Rows read from the file.")
    imported: int = Field(..., description="Events stored (inserted or updated).")
    viewers: int = Field(..., description="Distinct viewers among the stored events.")
    titles: int = Field(..., description="Distinct catalog titles among the stored events.")
    errors: list[RowError] = Field(default_factory=list, description="Rows that could not be read, with line and reason.")
    unmatched: list[RowError] = Field(
        default_factory=list, description="Readable rows whose title is not in the catalog, with line and title."
    )


class ViewerSummary(BaseModel):
    """What a tenant's stored history holds."""

    tenant: str = Field(..., description="The tenant.")
    viewers: int = Field(..., description="Distinct viewers.")
    titles: int = Field(..., description="Distinct titles.")
    events: int = Field(..., description="Viewing events.")
    imports: int = Field(..., description="Imports so far.")


def check_tenant(tenant: str) -> str:
    """The tenant name, or ValueError when it is not 1-64 letters, digits, '.', '_' or '-'."""
    if not _TENANT.match(tenant):
        raise ValueError(f"tenant {tenant!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return tenant


class ViewerStore(SqlStore):
    """Viewing events per tenant, in SQLite or PostgreSQL."""

    schema = SCHEMA

    def add(self, tenant: str, batches: Iterable[list[dict[str, Any]]], source: str,
            rows: Callable[[], int]) -> tuple[int, int, int]:  # fmt: skip
        """Store batches of events (dicts with EVENT_COLUMNS) for `tenant` as one import, one batch at a time.

        `rows` says how many rows the file had once the batches are spent. Returns the events, distinct
        viewers and distinct titles this import wrote (an event repeated in the file is written once).
        """
        check_tenant(tenant)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._connect() as conn:
            import_id = conn.execute(
                text("INSERT INTO viewer_imports (tenant, source, row_count, imported, created_at) "
                     "VALUES (:tenant, :source, 0, 0, :now) RETURNING id"),
                {"tenant": tenant, "source": source, "now": now},
            ).scalar_one()  # fmt: skip
            statement = text(
                "INSERT INTO viewer_events (tenant, user_id, title_id, at, weekday, hour, rating, watch_share, device, import_id) "
                "VALUES (:tenant, :user_id, :title_id, :at, :weekday, :hour, :rating, :watch_share, :device, :import_id) "
                "ON CONFLICT (tenant, user_id, title_id, at) DO UPDATE SET weekday = excluded.weekday, hour = excluded.hour, "
                "rating = excluded.rating, watch_share = excluded.watch_share, device = excluded.device, "
                "import_id = excluded.import_id"
            )
            for events in batches:
                for start in range(0, len(events), _BATCH):
                    chunk = [{**e, "tenant": tenant, "import_id": import_id} for e in events[start : start + _BATCH]]
                    if chunk:
                        conn.execute(statement, chunk)
            counts = conn.execute(
                text("SELECT COUNT(*), COUNT(DISTINCT user_id), COUNT(DISTINCT title_id) FROM viewer_events "
                     "WHERE tenant = :tenant AND import_id = :import_id"),
                {"tenant": tenant, "import_id": import_id},
            ).one()  # fmt: skip
            conn.execute(
                text("UPDATE viewer_imports SET row_count = :rows, imported = :imported WHERE id = :import_id"),
                {"rows": rows(), "imported": counts[0], "import_id": import_id},
            )
        return int(counts[0]), int(counts[1]), int(counts[2])

    def events(self, tenant: str) -> pd.DataFrame:
        """Every event of `tenant` (columns EVENT_COLUMNS), oldest first; empty for a tenant with none."""
        with self._connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT {', '.join(EVENT_COLUMNS)} FROM viewer_events WHERE tenant = :tenant ORDER BY at, user_id, title_id"
                ),
                {"tenant": tenant},
            ).fetchall()
        return pd.DataFrame([tuple(r) for r in rows], columns=EVENT_COLUMNS)

    def revision(self, tenant: str) -> int:
        """The tenant's latest import number (0 before the first): a cached panel is stale when it changes."""
        with self._connect() as conn:
            value = conn.execute(text("SELECT MAX(id) FROM viewer_imports WHERE tenant = :tenant"), {"tenant": tenant}).scalar()
        return int(value or 0)

    def summary(self, tenant: str) -> ViewerSummary:
        """Counts of the tenant's stored history."""
        with self._connect() as conn:
            row = conn.execute(
                text("SELECT COUNT(DISTINCT user_id) AS viewers, COUNT(DISTINCT title_id) AS titles, COUNT(*) AS events "
                     "FROM viewer_events WHERE tenant = :tenant"),
                {"tenant": tenant},
            ).one()  # fmt: skip
            imports = conn.execute(
                text("SELECT COUNT(*) FROM viewer_imports WHERE tenant = :tenant"), {"tenant": tenant}
            ).scalar()
        return ViewerSummary(tenant=tenant, viewers=row.viewers, titles=row.titles, events=row.events, imports=int(imports or 0))

    def delete(self, tenant: str) -> int:
        """Remove every event of `tenant`; returns how many there were."""
        with self._connect() as conn:
            removed = conn.execute(text("DELETE FROM viewer_events WHERE tenant = :tenant"), {"tenant": tenant}).rowcount
            conn.execute(
                text("INSERT INTO viewer_imports (tenant, source, row_count, imported, created_at) "
                     "VALUES (:tenant, '(deleted)', 0, 0, :now)"),
                {"tenant": tenant, "now": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
            )  # fmt: skip
        return int(removed)


# --- reading a history file ---------------------------------------------------------


def _resolve_columns(columns: list[str], mapping: Mapping[str, str], path: Path) -> dict[str, str]:
    resolved = resolve_columns(columns, mapping, path, {field: ALIASES[field] for field in VIEWER_FIELDS})
    missing = [f for f in ("user", "timestamp") if f not in resolved]
    if "title" not in resolved and "title_id" not in resolved:
        missing.append("title or title_id")
    if missing:
        raise ImportFileError(
            f"{path}: no column for {', '.join(missing)}; columns: {', '.join(columns)}. "
            'Pass a mapping such as {"user": "Member", "title": "Programme", "timestamp": "Started"}'
        )
    return resolved


def parse_timestamp(value: Any) -> tuple[float, int, int]:
    """(Unix seconds, local weekday 0-6, local hour 0-23) of a timestamp; ValueError naming what is wrong."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        value = float(value)
    if isinstance(value, int | float):
        seconds = float(value) / 1000 if abs(value) >= _MS_THRESHOLD else float(value)
        if not math.isfinite(seconds):
            raise ValueError(f"{value!r} is not a time")
        try:
            moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"{value!r} is out of range as Unix seconds") from exc
        return seconds, moment.weekday(), moment.hour
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        raise ValueError(f"{value.isoformat()} has no time of day; the send window needs one")
    else:
        raw = str(value).strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError(f"{raw!r} has no time of day; the send window needs one")
        try:
            moment = dt.datetime.fromisoformat(raw.replace(" ", "T", 1) if "T" not in raw else raw)
        except ValueError:
            raise ValueError(f"{raw[:60]!r} is not a Unix time or an ISO 8601 date and time") from None
    seconds = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
    return seconds, moment.weekday(), moment.hour


def _share(value: Any) -> float:
    text_value = str(value).strip() if isinstance(value, str) else None
    try:
        share = float(text_value.rstrip("%")) / 100 if text_value and text_value.endswith("%") else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not 0 <= share <= 1 or math.isnan(share):
        raise ValueError(f"{value!r} is outside 0-1 (write a percentage as '80%')")
    return share


def _rating(value: Any, scale: float) -> float:
    try:
        rating = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not 0 <= rating <= scale or math.isnan(rating):
        raise ValueError(f"{value!r} is outside 0-{scale:g} (set the rating scale if yours differs)")
    return rating / scale


class _CatalogTitles:
    """The catalog titles a tenant's history rows may point at: by id, else by title and year (`TitleMatcher`)."""

    def __init__(self, catalog: Catalog, tenant: str) -> None:
        self.titles: TitleMatcher[str] = TitleMatcher(catalog.index(tenant=tenant))  # the shared titles and the tenant's own

    def match(self, title_id: str, title: str, year: int | None) -> str | None:
        if title_id:
            return title_id if title_id in self.titles.ids else None
        return self.titles.match(title, year)

    def why_not(self, title_id: str, title: str, year: int | None) -> str:
        if title_id:
            return f"title_id {title_id!r} is not in the catalog"
        return self.titles.why_not(title, year)


def _cell(row: Row, columns: dict[str, str], field: str) -> Any:
    column = columns.get(field)
    value = row.get(column) if column is not None else None
    return None if is_blank(value) else value


def _text(value: Any, field: str, limit: int) -> str:
    result = " ".join(str(value).split())
    if len(result) > limit:
        raise ValueError(f"{field}: longer than {limit} characters")
    return result


def _read_row(row: Row, columns: dict[str, str], scale: float) -> tuple[dict[str, Any], str, str, int | None]:
    """The event fields of one row and its title reference; ValueError naming the field and column."""
    if "__error__" in row:
        raise ValueError(str(row["__error__"]))

    def where(field: str) -> str:
        return f"{field} (column {columns[field]!r})"

    values: dict[str, Any] = {}
    user = _cell(row, columns, "user")
    if user is None:
        raise ValueError(f"{where('user')}: missing")
    values["user_id"] = _text(user, where("user"), MAX_ID_CHARS)
    title_id = _cell(row, columns, "title_id")
    title = _cell(row, columns, "title")
    if title_id is None and title is None:
        named = " or ".join(where(f) for f in ("title_id", "title") if f in columns)
        raise ValueError(f"{named}: missing")
    year_value = _cell(row, columns, "year")
    year = None
    if year_value is not None:
        try:
            year = int(float(year_value))
        except (TypeError, ValueError):
            raise ValueError(f"{where('year')}: {year_value!r} is not a year") from None
    stamp = _cell(row, columns, "timestamp")
    if stamp is None:
        raise ValueError(f"{where('timestamp')}: missing")
    try:
        values["at"], values["weekday"], values["hour"] = parse_timestamp(stamp)
    except ValueError as exc:
        raise ValueError(f"{where('timestamp')}: {exc}") from None
    for field, parse in (("rating", lambda v: _rating(v, scale)), ("watch_share", _share)):
        raw = _cell(row, columns, field)
        try:
            values[field] = None if raw is None else parse(raw)
        except ValueError as exc:
            raise ValueError(f"{where(field)}: {exc}") from None
    device = _cell(row, columns, "device")
    values["device"] = _text(device, where("device"), MAX_DEVICE_CHARS).lower() if device is not None else ""
    ref_id = _text(title_id, where("title_id"), MAX_ID_CHARS) if title_id is not None else ""
    ref_title = _text(title, where("title"), 500) if title is not None else ""
    return values, ref_id, ref_title, year


def import_viewers(
    path: str | Path,
    store: ViewerStore,
    catalog: Catalog,
    *,
    tenant: str,
    mapping: Mapping[str, str] | None = None,
    rating_scale: float = 5.0,
    source: str | None = None,
) -> ViewerImportReport:
    """Import a tenant's viewing history; bad and unmatched rows are reported by line, the rest stored."""
    check_tenant(tenant)
    if not rating_scale > 0:
        raise ValueError(f"rating_scale must be above 0, got {rating_scale}")
    path = Path(path)
    read_rows(path)  # an unknown type or a missing file is refused before anything is read
    try:
        names = column_names(path)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportFileError(f"{path}: cannot read it as {path.suffix.lstrip('.').upper()} text in UTF-8") from exc
    columns = _resolve_columns(names, mapping or {}, path)
    matcher = _CatalogTitles(catalog, tenant)
    rows = FileRows(path)
    errors = rows.errors
    unmatched: list[RowError] = []

    def events() -> Iterator[list[dict[str, Any]]]:
        for batch in rows.batches():
            found: list[dict[str, Any]] = []
            for line, row in batch:
                try:
                    values, ref_id, ref_title, year = _read_row(row, columns, rating_scale)
                except ValueError as exc:
                    shown = _cell(row, columns, "title") or _cell(row, columns, "title_id") or ""
                    errors.append(RowError(line=line, reason=str(exc), title=str(shown)[:200]))
                    continue
                title_id = matcher.match(ref_id, ref_title, year)
                if title_id is None:
                    unmatched.append(
                        RowError(line=line, reason=matcher.why_not(ref_id, ref_title, year), title=(ref_title or ref_id)[:200])
                    )
                    continue
                found.append({**values, "title_id": title_id})
            yield found

    name = source or path.stem
    imported, viewers, titles = store.add(tenant, events(), name, lambda: rows.count)
    return ViewerImportReport(
        tenant=tenant, source=name, rows=rows.count, imported=imported, viewers=viewers, titles=titles,
        errors=errors, unmatched=unmatched,
    )  # fmt: skip
