"""Cost estimates for model calls, from the price table in `models/data/prices.yaml`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from greenroom.core.schemas import CallRecord

PRICES_PATH = Path(__file__).parent / "data" / "prices.yaml"


@cache
def price_table(path: Path = PRICES_PATH) -> dict[str, tuple[float, float]]:
    """Label -> (USD per million input tokens, USD per million output tokens)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {label: (float(p["input"]), float(p["output"])) for label, p in raw.items()}


def price_for(label: str) -> tuple[str, tuple[float, float]]:
    """The table entry a model label is priced by, and its prices; unknown providers cost nothing."""
    table = price_table()
    if label in table:
        return label, table[label]
    wildcard = f"{label.split(':', 1)[0]}:*"
    return (wildcard, table[wildcard]) if wildcard in table else ("unpriced", (0.0, 0.0))


def call_cost(call: CallRecord) -> float:
    """Estimated USD cost of one call."""
    _, (per_in, per_out) = price_for(call.model)
    return (call.input_tokens * per_in + call.output_tokens * per_out) / 1_000_000
