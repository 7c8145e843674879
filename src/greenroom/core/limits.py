"""The limits every input is held to, in one place: numbers, dates, text and list sizes, JSON shape.

The brief, revisions, approval edits, chat, Slack and catalog imports all check against these, so a
value the API accepts is one the pipeline can plan with: finite numbers inside stated ranges, dates
between 1900 and 2100, text and lists of bounded size, and JSON no deeper or longer-numbered than a
person would ever send.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

MAX_BUDGET = 1e12
"""Largest launch budget, in the brief's currency."""
MIN_BUDGET = 0.01
"""Smallest launch budget: one cent of the currency (the promotion split is exact to the cent, so less rounds to nothing)."""
MAX_CHANNEL_NAME_CHARS = 40
"""Longest promotion channel key (a user's curve may name its channels)."""
MAX_CHANNEL_LABEL_CHARS = 80
"""Longest channel label shown to a person."""
MAX_CHANNEL_REACH = 1e10
"""Most people one channel can reach in a week (more than everyone alive)."""
MAX_CURVE_SPREAD = 5.0
"""Largest standard deviation of a channel curve's parameters (relative for top and half-saturation)."""
MAX_MINUTES = 10_000.0
"""Longest running time in minutes (per episode for a series or podcast)."""
MAX_EPISODES = 10_000
"""Most episodes in a series or podcast."""
MAX_WORDS = 1_000_000
"""Longest article, in words."""
MAX_TRACKS = 1_000
"""Most tracks on a music release."""
MAX_HOURS = 10_000.0
"""Longest typical play time of a game, in hours."""
YEAR_MIN, YEAR_MAX = 1900, 2100
"""Release dates (and catalog years) must fall inside these years."""
MAX_ITEMS = 20
"""Most entries in any list of a brief (genres, regions, interests, territories, topics)."""
MAX_ITEM_CHARS = 120
"""Longest entry in a list of a brief."""
MAX_GENRE_CHARS = 40
"""Longest genre name."""
MAX_TEXT_CHARS = 4_000
"""Longest free-text field anywhere (notes, messages, synopses are bounded separately where shorter)."""
MAX_CELL_CHARS = 20_000
"""Longest single value in an imported catalog row (a synopsis or review text)."""
MAX_IMPORT_ROWS = 200_000
"""Most rows in one imported file (catalog or viewing history); a bigger history is imported in several files."""
MAX_IMPORT_COLUMNS = 200
"""Most columns in one imported file."""
MAX_IMPORT_DECODED_BYTES = 256 * 1024 * 1024
"""Most bytes one imported file may decode to (Parquet: its uncompressed size, read from the footer before any
row is decoded, and then the decoded batches as they are read)."""
IMPORT_BATCH_ROWS = 1_000
"""Rows decoded, checked and stored at a time by an import."""
JSON_MAX_DEPTH = 32
"""Deepest nesting of objects and lists accepted in a request body or an imported JSON file."""
MAX_INT_DIGITS = 30
"""Most digits in an integer of a request body or an imported value (a year, a budget)."""

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


class LimitError(ValueError):
    """A value outside the limits; `field` names where (dotted path, or 'body')."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def json_depth(text: str) -> int:
    """The deepest nesting of brackets in JSON text, ignoring brackets inside strings."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise LimitError("body", f"has a number of {len(text.lstrip('-'))} digits; at most {MAX_INT_DIGITS} are accepted")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise LimitError("body", f"has a number too large to use ({text[:20]}...)")
    return value


def _constant(name: str) -> float:
    raise LimitError("body", f"has {name}, which is not a number a plan can use")


def load_json(text: str | bytes, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Parse JSON within the limits; raises LimitError (field 'body') or json.JSONDecodeError."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LimitError("body", "is not UTF-8 text") from exc
    if json_depth(text) > max_depth:
        raise LimitError("body", f"is nested more than {max_depth} levels deep")
    return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)


def check_value(value: Any, field: str = "value", depth: int = 0) -> None:
    """Raise LimitError when a decoded value holds a non-finite or over-long number, or nests too deep."""
    if depth > JSON_MAX_DEPTH:
        raise LimitError(field, f"is nested more than {JSON_MAX_DEPTH} levels deep")
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise LimitError(field, "must be a finite number")
    if isinstance(value, int) and value.bit_length() > MAX_INT_DIGITS * 4:  # about 10**36; no field is anywhere near it
        raise LimitError(field, f"is a number with more than {MAX_INT_DIGITS} digits")
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS * 50:
        raise LimitError(field, f"is longer than {MAX_TEXT_CHARS * 50} characters")
    if isinstance(value, Mapping):
        for key, item in value.items():
            check_value(item, f"{field}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_value(item, f"{field}.{index}", depth + 1)
