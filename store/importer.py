"""Import a user's catalog from CSV, JSON (array or JSON Lines) or Parquet.

Column mapping. By default each column is read into the `Title` field of the
same name, matched case-insensitively: title, year, format, genres,
directors, writers, cast, language, country, awards, rotten_tomatoes,
metacritic, box_office, mpaa, synopsis, reviews, external_id. Only `title`
and `year` are required. A mapping `{our_field: their_column}` renames any of
them, e.g. `{"title": "Film", "year": "Released", "synopsis": "Plot"}`.
List fields (genres, directors, writers, cast) take a JSON list or a string
separated by commas, semicolons or pipes. `year` takes 1999, "1999",
1999.0 or a date such as "1999-05-21". Money and scores may carry "$", ","
and "%".

Rows that fail (missing title, bad year, a score outside 0-100, ...) are
reported with their line and reason and the rest are imported. Lines are the
file's own line numbers for CSV (the header is line 1), JSON and JSON Lines,
and 1-based row numbers for Parquet. Ids are stable (title, year, source,
external_id), so importing the same file again updates titles in place.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pydantic import BaseModel, Field, ValidationError

from store.catalog import Catalog, Title

IMPORT_FIELDS: tuple[str, ...] = (
    "title", "year", "format", "genres", "directors", "writers", "cast", "language", "country", "awards",
    "rotten_tomatoes", "metacritic", "box_office", "mpaa", "synopsis", "reviews", "external_id",
)  # fmt: skip
"""Title fields a file may fill; each defaults to the column of the same name."""
REQUIRED_FIELDS = ("title", "year")
"""Fields every file must have a column for."""
_NUMERIC_FIELDS = ("rotten_tomatoes", "metacritic", "box_office")
_BATCH = 256

Row = dict[str, Any]


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unknown type, unreadable, a required column missing)."""


class RowError(BaseModel):
    """One row that was not imported."""

    line: int = Field(..., description="Line in the file (CSV, JSON, JSON Lines) or 1-based row number (Parquet).")
    reason: str = Field(..., description="Why the row was rejected, naming the field and column.")
    title: str = Field("", description="The row's title, when it had one.")

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportReport(BaseModel):
    """What an import did."""

    source: str = Field(..., description="Source name stored on every imported title.")
    rows: int = Field(..., description="Rows read from the file.")
    imported: int = Field(..., description="Titles written (inserted or updated).")
    errors: list[RowError] = Field(default_factory=list, description="Rows that were skipped, with line and reason.")


def _read_csv(path: Path) -> Iterator[tuple[int, Row]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        start = 2
        for row in reader:
            yield start, {k: v for k, v in row.items() if k is not None}
            start = reader.line_num + 1


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _read_json(path: Path) -> Iterator[tuple[int, Row]]:
    """A JSON array of objects, each with the line it starts on."""
    text = path.read_text(encoding="utf-8-sig")
    decoder = json.JSONDecoder()
    pos = _skip(text, 0, "")
    if pos >= len(text) or text[pos] != "[":
        raise ImportFileError(f"{path}: a JSON catalog must be an array of objects (or use .jsonl)")
    pos = _skip(text, pos + 1, "")
    while pos < len(text) and text[pos] != "]":
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        yield _line_of(text, pos), value
        pos = _skip(text, end, ",")


def _skip(text: str, pos: int, also: str) -> int:
    while pos < len(text) and (text[pos].isspace() or text[pos] in also):
        pos += 1
    return pos


def _read_jsonl(path: Path) -> Iterator[tuple[int, Row]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"__error__": f"invalid JSON: {exc.msg}"}


def _read_parquet(path: Path) -> Iterator[tuple[int, Row]]:
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise ImportFileError(f"{path}: cannot read Parquet: {exc}") from exc
    yield from enumerate(table.to_pylist(), start=1)


READERS = {".csv": _read_csv, ".json": _read_json, ".jsonl": _read_jsonl, ".ndjson": _read_jsonl, ".parquet": _read_parquet}
"""File suffix -> reader yielding (line, row)."""


def _resolve_columns(columns: list[str], mapping: Mapping[str, str], path: Path) -> dict[str, str]:
    """Map each of our fields to the file's column that holds it."""
    unknown = sorted(set(mapping) - set(IMPORT_FIELDS))
    if unknown:
        raise ImportFileError(f"mapping names unknown field(s) {', '.join(unknown)}; known fields: {', '.join(IMPORT_FIELDS)}")
    by_lower = {c.strip().lower(): c for c in columns}
    resolved: dict[str, str] = {}
    for field in IMPORT_FIELDS:
        wanted = mapping.get(field, field)
        column = wanted if wanted in columns else by_lower.get(wanted.strip().lower())
        if column is not None:
            resolved[field] = column
        elif field in mapping:
            raise ImportFileError(
                f"{path}: column {wanted!r} (mapped to {field}) is not in the file; columns: {', '.join(columns)}"
            )
    missing = [f for f in REQUIRED_FIELDS if f not in resolved]
    if missing:
        raise ImportFileError(
            f"{path}: no column for {', '.join(missing)}; columns: {', '.join(columns)}. "
            'Pass a mapping such as {"title": "Film", "year": "Released"}'
        )
    return resolved


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())


def _year(value: Any) -> int:
    """A year from an int, an integral float, a digit string or an ISO date."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a year")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})(?:\.0+|-\d{2}(?:-\d{2})?.*)?", text)
    if not match:
        raise ValueError(f"{value!r} is not a year")
    return int(match.group(1))


def _number(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$", "").replace(",", "").replace("%", "").strip()
    return value


def _row_to_title(row: Row, columns: dict[str, str], source: str, default_format: str) -> Title:
    """Build a Title from one row; raises ValueError with 'field (column ...): reason'."""
    if "__error__" in row:
        raise ValueError(str(row["__error__"]))
    values: dict[str, Any] = {"source": source, "format": default_format}
    for field, column in columns.items():
        value = row.get(column)
        if _blank(value):
            continue
        if field == "year":
            try:
                value = _year(value)
            except ValueError as exc:
                raise ValueError(f"year (column {column!r}): {exc}") from exc
        elif field in _NUMERIC_FIELDS:
            value = _number(value)
        values[field] = value
    for field in REQUIRED_FIELDS:
        if field not in values:
            raise ValueError(f"{field} (column {columns[field]!r}): missing")
    try:
        return Title.model_validate(values)
    except ValidationError as exc:
        raise ValueError("; ".join(_describe(err, columns) for err in exc.errors())) from exc


def _describe(err: Any, columns: dict[str, str]) -> str:
    field = str(err["loc"][0]) if err["loc"] else "row"
    where = f" (column {columns[field]!r})" if field in columns else ""
    return f"{field}{where}: {err['msg']}"


def import_file(
    path: str | Path,
    catalog: Catalog,
    mapping: Mapping[str, str] | None = None,
    source: str | None = None,
    default_format: str = "film",
) -> ImportReport:
    """Import titles from a CSV, JSON, JSON Lines or Parquet file; bad rows are reported, not fatal."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ImportFileError(f"{path}: unsupported file type {path.suffix or '(none)'}; use one of {', '.join(READERS)}")
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    source = source or path.stem
    rows = list(reader(path))
    columns = _resolve_columns(_column_names(rows, path), mapping or {}, path)
    titles: list[Title] = []
    errors: list[RowError] = []
    for line, row in rows:
        if not isinstance(row, dict):
            errors.append(RowError(line=line, reason="not an object of column: value"))
            continue
        try:
            titles.append(_row_to_title(row, columns, source, default_format))
        except ValueError as exc:
            errors.append(RowError(line=line, reason=str(exc), title=str(row.get(columns["title"]) or "")))
    imported = catalog.upsert(titles, batch_size=_BATCH)
    return ImportReport(source=source, rows=len(rows), imported=imported, errors=errors)


def _column_names(rows: list[tuple[int, Row]], path: Path) -> list[str]:
    """Every column seen in the file, in first-seen order."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    if path.suffix.lower() == ".parquet":
        return list(pq.read_schema(path).names)
    seen: dict[str, None] = {}
    for _, row in rows:
        if isinstance(row, dict):
            seen.update(dict.fromkeys(k for k in row if k != "__error__"))
    return list(seen)
