"""The targeting list as a CSV file, written beside the launch package (`targeting.csv`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from greenroom.core.viewers import TargetingList

TARGETING_FILE = "targeting.csv"
"""Written beside package.json when the package has a targeting list."""
CSV_COLUMNS = ("rank", "user_id", "affinity", "percentile", "confidence", "confidence_label", "history_titles",
               "send_window", "send_weekday", "send_start_hour", "send_hours", "window_basis", "device", "explanation")  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    """A cell a spreadsheet will not run as a formula (text starting with =, +, -, @ gets a leading quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def targeting_csv(targeting: TargetingList) -> str:
    """The targeting list as CSV text, one viewer per row, best first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for v in targeting.viewers:
        w = v.window
        row = (v.rank, v.user_id, v.affinity, v.percentile, v.confidence, v.confidence_label, v.history, w.label, w.weekday,
               w.start_hour, w.hours, w.basis, w.device or "", v.explanation)  # fmt: skip
        writer.writerow([_safe(cell) for cell in row])
    return buffer.getvalue()


def write_targeting_csv(targeting: TargetingList, path: Path) -> Path:
    """Write the targeting list as CSV; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(targeting_csv(targeting), encoding="utf-8")
    return path
