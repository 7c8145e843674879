"""How well the chat reads a producer's own words into brief fields, on the phrasing corpus.

Each phrasing in tests/unit/data/chat_phrasings.yaml is sent to a fresh chat (with the
question it answered open, and the format it depends on already in the brief), and the
fields the chat stored are compared with the ones expected. Prints, per field: how many
phrasings state it, how many were read right, and how many values were stored in that
field when the phrasing did not state it ("in a wrong field"). Targets: at least 95% of
fields right and no value in a wrong field.

    .venv/bin/python benchmarks/chat_reader_bench.py [--show] [--corpus FILE]    # --show lists every miss

`--corpus tests/unit/data/chat_phrasings_heldout.yaml` measures phrasings written after the reader was tuned.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from greenroom.graphs.conversation import Conversation

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "unit" / "data" / "chat_phrasings.yaml"
NESTED = ("budget", "release", "length", "audience", "constraints")


def load(path: Path = CORPUS) -> tuple[dt.date, list[dict[str, Any]]]:
    """The corpus's today and its cases."""
    data = yaml.safe_load(path.read_text())
    return data["today"], data["cases"]


def flat(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft by dotted path ('budget.amount')."""
    out: dict[str, Any] = {}
    for key, value in draft.items():
        if key in NESTED and isinstance(value, dict):
            out.update({f"{key}.{leaf}": v for leaf, v in value.items()})
        else:
            out[key] = value
    return out


def read_case(case: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """The fields one phrasing stored, by dotted path, through the chat's own conversation."""
    takes_today = "today" in inspect.signature(Conversation).parameters
    conversation = Conversation(today=today) if takes_today else Conversation()  # type: ignore[call-arg]
    conversation.greet()
    if case.get("format"):
        conversation.draft["format"] = case["format"]
    conversation.asking = case.get("ask")
    before = flat(conversation.draft)
    conversation.reply(case["say"])
    after = flat(conversation.draft)
    return {k: v for k, v in after.items() if before.get(k) != v}


def same(expected: Any, got: Any) -> bool:
    """Equal as a person would judge it: case, surrounding quotes and a closing full stop aside."""
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(same, expected, got))
    if isinstance(expected, bool) or got is None:
        return expected == got
    if isinstance(expected, int | float):
        return isinstance(got, int | float) and abs(float(got) - float(expected)) < 1e-6
    return _text(expected) == _text(got)


def _text(value: Any) -> str:
    return str(value).strip().strip("\"“”'").rstrip(".").strip().casefold()


def field_of(dotted: str) -> str:
    """The row a dotted path is counted in: 'budget.amount' -> 'budget', 'constraints.avoid_topics' -> 'avoid_topics'."""
    head, _, leaf = dotted.partition(".")
    return leaf if head == "constraints" else head


def score(today: dt.date, cases: list[dict[str, Any]]) -> tuple[Counter[str], Counter[str], Counter[str], list[str]]:
    """(fields stated, fields read right, values in a wrong field) per row, and the misses in words."""
    stated: Counter[str] = Counter()
    right: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    misses: list[str] = []
    for case in cases:
        expected: dict[str, Any] = case["expect"] or {}
        got = read_case(case, today)
        if not expected:
            stated["(nothing to read)"] += 1
            right["(nothing to read)"] += 0 if got else 1
        for dotted, value in expected.items():
            stated[field_of(dotted)] += 1
            if dotted in got and same(value, got[dotted]):
                right[field_of(dotted)] += 1
            else:
                misses.append(f"{case['say']!r} [{case.get('ask')}]: {dotted} expected {value!r}, got {got.get(dotted)!r}")
        for dotted, value in got.items():
            if dotted not in expected:
                wrong[field_of(dotted)] += 1
                misses.append(f"{case['say']!r} [{case.get('ask')}]: {dotted} = {value!r} was not stated")
    return stated, right, wrong, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list every miss")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the phrasings to read (YAML)")
    args = parser.parse_args()
    today, cases = load(args.corpus)
    stated, right, wrong, misses = score(today, cases)
    table = Table(title=f"chat reader on {len(cases)} phrasings ({args.corpus.name})")
    for column in ("field", "stated", "read right", "accuracy", "in a wrong field"):
        table.add_column(column, justify="left" if column == "field" else "right")
    rows = sorted(set(stated) | set(wrong), key=lambda r: (r.startswith("("), r))
    for row in rows:
        share = f"{right[row] / stated[row]:.0%}" if stated[row] else "-"
        table.add_row(row, str(stated[row]), str(right[row]), share, str(wrong[row]))
    total, good = sum(stated.values()), sum(right.values())
    table.add_row("all", str(total), str(good), f"{good / total:.1%}", str(sum(wrong.values())), style="bold")
    console = Console()
    console.print(table)
    if args.show:
        for miss in misses:
            console.print(miss, markup=False, highlight=False)


if __name__ == "__main__":
    main()
