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

import codecs
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, Field, ValidationError

from greenroom.core import limits
from greenroom.core.brief import plain_message
from greenroom.store.catalog import Catalog, Title, tenant_source

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


def _text(path: Path) -> str:
    """The file as text: UTF-8 (with or without a byte-order mark) or UTF-16/32 with one; anything else is refused."""
    data = path.read_bytes()
    encoding = "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        encoding = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFileError(
            f"{path}: is not UTF-8 text (line {line} has a byte UTF-8 does not allow); save it as UTF-8 and import again"
        ) from None


def _read_csv(path: Path) -> Iterator[tuple[int, Row]]:
    reader = csv.DictReader(io.StringIO(_text(path), newline=""))
    start = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a value over the csv module's size limit (128 KiB); the rows after it still import
            yield start, {"__error__": f"a value is longer than {limits.MAX_CELL_CHARS} characters"}
            start = reader.line_num + 2
            continue
        yield start, {k: v for k, v in row.items() if k is not None}
        start = reader.line_num + 1


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _read_json(path: Path) -> Iterator[tuple[int, Row]]:
    """A JSON array of objects, each with the line it starts on."""
    text = _text(path)
    if limits.json_depth(text) > limits.JSON_MAX_DEPTH:
        raise ImportFileError(f"{path}: JSON nested more than {limits.JSON_MAX_DEPTH} levels deep")
    decoder = json.JSONDecoder(parse_int=_bounded_int, parse_constant=_no_constant)
    pos = _skip(text, 0, "")
    if pos >= len(text) or text[pos] != "[":
        raise ImportFileError(f"{path}: a JSON catalog must be an array of objects (or use .jsonl)")
    pos = _skip(text, pos + 1, "")
    while pos < len(text) and text[pos] != "]":
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        except ValueError as exc:  # a number no field could hold: the rest of the array cannot be found reliably
            raise ImportFileError(f"{path}: line {_line_of(text, pos)}: {exc}") from None
        yield _line_of(text, pos), value
        pos = _skip(text, end, ",")


def _skip(text: str, pos: int, also: str) -> int:
    while pos < len(text) and (text[pos].isspace() or text[pos] in also):
        pos += 1
    return pos


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > limits.MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(text.lstrip('-'))} digits; at most {limits.MAX_INT_DIGITS} are accepted")
    return int(text)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a title can have")


def _read_jsonl(path: Path) -> Iterator[tuple[int, Row]]:
    for number, line in enumerate(_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        if limits.json_depth(line) > limits.JSON_MAX_DEPTH:
            yield number, {"__error__": f"JSON nested more than {limits.JSON_MAX_DEPTH} levels deep"}
            continue
        try:
            yield number, json.loads(line, parse_int=_bounded_int, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            yield number, {"__error__": f"invalid JSON: {exc.msg}"}
        except ValueError as exc:
            yield number, {"__error__": str(exc)}


def _parquet_file(path: Path) -> pq.ParquetFile:
    """The Parquet file with its footer checked against the import limits before any row is decoded."""
    try:
        file = pq.ParquetFile(path)
    except (OSError, ValueError, pa.ArrowException):
        raise ImportFileError(f"{path}: is not a Parquet file that can be read (its footer is missing or damaged)") from None
    meta = file.metadata
    _check_rows(path, meta.num_rows)
    if meta.num_columns > limits.MAX_IMPORT_COLUMNS:
        raise ImportFileError(f"{path}: has {meta.num_columns:,} columns; an import takes at most {limits.MAX_IMPORT_COLUMNS}")
    size = sum(meta.row_group(group).total_byte_size for group in range(meta.num_row_groups))
    if size > limits.MAX_IMPORT_DECODED_BYTES:
        raise ImportFileError(f"{path}: {_too_big(size)}")
    return file


def _too_big(size: int) -> str:
    budget = limits.MAX_IMPORT_DECODED_BYTES // 2**20
    return f"decodes to more than {budget} MiB ({size / 2**20:,.0f} MiB); an import takes at most {budget} MiB (split the file)"


def _check_rows(path: Path, rows: int) -> None:
    if rows > limits.MAX_IMPORT_ROWS:
        raise ImportFileError(
            f"{path}: has {rows:,} rows; an import takes at most {limits.MAX_IMPORT_ROWS:,} rows (split the file)"
        )


def _parquet_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """The file's rows decoded row group by row group, IMPORT_BATCH_ROWS at a time, within the decoded-bytes budget.

    pq.read_table(...).to_pylist() would decode every row at once: a small file of dictionary-encoded
    rows (a decompression bomb) then takes memory in proportion to its rows, not its size.
    """
    file = _parquet_file(path)
    decoded = 0
    group = 0
    try:
        for group in range(file.num_row_groups):
            for batch in file.iter_batches(batch_size=limits.IMPORT_BATCH_ROWS, row_groups=[group], use_threads=False):
                decoded += batch.nbytes
                if decoded > limits.MAX_IMPORT_DECODED_BYTES:
                    raise ImportFileError(f"{path}: {_too_big(decoded)}")
                yield batch
    except ImportFileError:
        raise
    except (OSError, ValueError, NotImplementedError, pa.ArrowException):  # pyarrow's words are not shown to the person
        raise ImportFileError(
            f"{path}: row group {group + 1} cannot be read (the file is damaged, or a column has a type this import does not read)"
        ) from None


def _read_parquet(path: Path) -> Iterator[tuple[int, Row]]:
    line = 0
    for batch in _parquet_batches(path):
        for row in batch.to_pylist():
            line += 1
            yield line, row


READERS = {".csv": _read_csv, ".json": _read_json, ".jsonl": _read_jsonl, ".ndjson": _read_jsonl, ".parquet": _read_parquet}
"""File suffix -> reader yielding (line, row)."""


def resolve_columns(columns: list[str], mapping: Mapping[str, str], path: Path,
                    aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:  # fmt: skip
    """Map each of our fields (the keys of `aliases`) to the file's column that holds it.

    A field the mapping names takes that column (an error when the file lacks it); any other field takes
    the first of its aliases the file has, in any case. Which fields are required is the caller's rule.
    """
    unknown = sorted(set(mapping) - set(aliases))
    if unknown:
        raise ImportFileError(f"mapping names unknown field(s) {', '.join(unknown)}; known fields: {', '.join(aliases)}")
    by_lower = {c.strip().lower(): c for c in columns}
    resolved: dict[str, str] = {}
    for field, names in aliases.items():
        if field in mapping:
            wanted = mapping[field]
            column = wanted if wanted in columns else by_lower.get(wanted.strip().lower())
            if column is None:
                raise ImportFileError(
                    f"{path}: column {wanted!r} (mapped to {field}) is not in the file; columns: {', '.join(columns)}"
                )
            resolved[field] = column
            continue
        for alias in names:
            if alias in by_lower and by_lower[alias] not in resolved.values():
                resolved[field] = by_lower[alias]
                break
    return resolved


def _resolve_columns(columns: list[str], mapping: Mapping[str, str], path: Path) -> dict[str, str]:
    """Map each of our fields to the file's column of the same name (any case) or the one the mapping names."""
    resolved = resolve_columns(columns, mapping, path, {field: (field,) for field in IMPORT_FIELDS})
    missing = [f for f in REQUIRED_FIELDS if f not in resolved]
    if missing:
        raise ImportFileError(
            f"{path}: no column for {', '.join(missing)}; columns: {', '.join(columns)}. "
            'Pass a mapping such as {"title": "Film", "year": "Released"}'
        )
    return resolved


def is_blank(value: Any) -> bool:
    """Whether a cell holds nothing: None, NaN or only spaces."""
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())


def _year(value: Any) -> int:
    """A year from an int, an integral float, a digit string or an ISO date."""
    if isinstance(value, bool):
        raise ValueError(f"{str(value)[:24]!r} is not a year")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})(?:\.0+|-\d{2}(?:-\d{2})?.*)?", text)
    if not match:
        raise ValueError(f"{str(value)[:24]!r} is not a year")
    return int(match.group(1))


def _number(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$", "").replace(",", "").replace("%", "").strip()
    return value


def _row_to_title(row: Row, columns: dict[str, str], source: str, default_format: str, tenant: str = "") -> Title:
    """Build a Title from one row; raises ValueError with 'field (column ...): reason'."""
    if "__error__" in row:
        raise ValueError(str(row["__error__"]))
    values: dict[str, Any] = {"source": source, "format": default_format, "tenant": tenant}
    for field, column in columns.items():
        value = row.get(column)
        if is_blank(value):
            continue
        if isinstance(value, str) and len(value) > limits.MAX_CELL_CHARS:
            raise ValueError(f"{field} (column {column!r}): longer than {limits.MAX_CELL_CHARS} characters")
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
    own = err["type"] == "value_error"  # the Title's own validators word their message; pydantic's are translated
    message = (
        str(err["msg"]).removeprefix("Value error, ")
        if own
        else plain_message(err["type"], err.get("ctx") or {}, "is not valid here")
    )
    return f"{field}{where}: {message}"


def parse_mapping(text: str | None) -> dict[str, str]:
    """A JSON mapping {our_field: their_column} as a person typed it; ValueError saying what is wrong."""
    if not text:
        return {}
    if limits.json_depth(text) > 1:  # a flat object; checked before parsing, which recurses once per level
        raise ValueError('must be a flat JSON object of field: column name, e.g. {"title": "Film"}, not nested')
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError('must be a JSON object of field: column name, e.g. {"title": "Film"}')
    return value


def import_file(
    path: str | Path,
    catalog: Catalog,
    mapping: Mapping[str, str] | None = None,
    source: str | None = None,
    default_format: str = "film",
    tenant: str = "",
) -> ImportReport:
    """Import titles from a CSV, JSON, JSON Lines or Parquet file; bad rows are reported, not fatal.

    With a `tenant` the titles belong to it: they are stored under the source `tenant:<tenant>/<source>`,
    so they never replace a shared title, and only that tenant's searches see them. Without one they go
    into the shared catalog (the operator's import).
    """
    path = Path(path)
    read_rows(path)  # an unknown type or a missing file is refused before anything is read
    source = tenant_source(tenant, source or path.stem) if tenant else source or path.stem
    columns = _resolve_columns(column_names(path), mapping or {}, path)
    rows = FileRows(path)
    imported = 0
    for batch in rows.batches():
        titles: list[Title] = []
        for line, row in batch:
            try:
                titles.append(_row_to_title(row, columns, source, default_format, tenant))
            except ValueError as exc:
                rows.errors.append(RowError(line=line, reason=str(exc), title=str(row.get(columns["title"]) or "")))
        imported += catalog.upsert(titles, batch_size=_BATCH)
    return ImportReport(source=source, rows=rows.count, imported=imported, errors=rows.errors)


def read_rows(path: Path) -> Iterator[tuple[int, Row]]:
    """The file's (line, row) pairs, read as a stream (ImportFileError for a file that cannot be read at all)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ImportFileError(f"{path}: unsupported file type {path.suffix or '(none)'}; use one of {', '.join(READERS)}")
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    return reader(path)


def column_names(path: Path) -> list[str]:
    """Every column of the file, in first-seen order, after checking it against the import limits.

    This first pass keeps no rows: it counts them (and, for Parquet, reads the footer and decodes batch by
    batch within the budget), so a file over a limit is refused before a single row is stored.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        names = list(_parquet_file(path).schema_arrow.names)
        for _ in _parquet_batches(path):  # every batch decodes within the budget, one at a time, none kept
            pass
        return names
    if suffix == ".csv":
        try:
            names = next(csv.reader(io.StringIO(_text(path), newline="")), [])
        except csv.Error:
            raise ImportFileError(f"{path}: the header line cannot be read as CSV") from None
        _check_rows(path, sum(1 for _ in read_rows(path)))
        return names
    seen: dict[str, None] = {}
    rows = 0
    for _, row in read_rows(path):
        rows += 1
        if isinstance(row, dict):
            seen.update(dict.fromkeys(k for k in row if k != "__error__"))
            if len(seen) > limits.MAX_IMPORT_COLUMNS:
                raise ImportFileError(f"{path}: has more than {limits.MAX_IMPORT_COLUMNS} columns; an import takes at most that")
    _check_rows(path, rows)
    return list(seen)


def batched(rows: Iterator[tuple[int, Row]], size: int = limits.IMPORT_BATCH_ROWS) -> Iterator[list[tuple[int, Row]]]:
    """Rows in lists of at most `size`."""
    batch: list[tuple[int, Row]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class FileRows:
    """A file's rows in batches, each row a dict of column: value; any other row is recorded in `errors` and skipped.

    Both importers (titles and viewer histories) read through this, so a malformed row is counted and
    reported the same way in each. `count` is every row read so far, skipped ones included.
    """

    def __init__(self, path: Path, size: int = limits.IMPORT_BATCH_ROWS) -> None:
        self.path = path
        self.size = size
        self.count = 0
        self.errors: list[RowError] = []

    def batches(self) -> Iterator[list[tuple[int, Row]]]:
        """(line, row) pairs in lists of at most `size` rows read (an empty list when a whole batch was skipped)."""
        for batch in batched(read_rows(self.path), self.size):
            kept: list[tuple[int, Row]] = []
            for line, row in batch:
                self.count += 1
                if isinstance(row, dict):
                    kept.append((line, row))
                else:
                    self.errors.append(RowError(line=line, reason="not an object of column: value"))
            yield kept
