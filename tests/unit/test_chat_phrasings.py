"""The chat reads a producer's own words into the right fields: every phrasing of the corpus, and the misreadings once seen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from greenroom.graphs.conversation import Conversation

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "chat_phrasings.yaml").read_text())
TODAY: dt.date = CORPUS["today"]


def _flat(draft: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in draft.items():
        out.update({f"{key}.{leaf}": v for leaf, v in value.items()} if isinstance(value, dict) else {key: value})
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return str(value).strip().strip("\"“”'").rstrip(".").casefold()


def _asked(asking: str | None, message: str, fmt: str | None = None) -> tuple[Conversation, list[str]]:
    conversation = Conversation(today=TODAY)
    conversation.greet()
    if fmt:
        conversation.draft["format"] = fmt
    conversation.asking = asking
    return conversation, conversation.reply(message).say


@pytest.mark.parametrize("case", CORPUS["cases"], ids=lambda c: f"{c.get('ask') or '-'}: {c['say'][:50]}")
def test_each_phrasing_fills_the_fields_it_states_and_no_other(case: dict[str, Any]) -> None:
    conversation, _ = _asked(case.get("ask"), case["say"], case.get("format"))
    got = {k: v for k, v in _flat(conversation.draft).items() if k != "format" or not case.get("format")}
    assert {k: _norm(v) for k, v in got.items()} == {k: _norm(v) for k, v in (case["expect"] or {}).items()}


@pytest.mark.parametrize(
    ("asking", "message", "line"),
    [
        ("budget", "budget is around two and a half million",
         "Noted: Budget: $2.5M (from “budget is around two and a half million”)."),
        ("budget", "early spring 2028, but not before March 10",
         "Noted: Release: 10 Mar 2028 – 31 Mar 2028 (from “early spring 2028, but not before March 10”)."),
        ("business_model", "territories Canada, Australia and New Zealand",
         "Noted: Territories: Canada, Australia, New Zealand (from “territories Canada, Australia and New Zealand”)."),
        ("business_model", "keep it PG", "Noted: Rating ceiling: PG at most (from “keep it PG”)."),
        ("business_model", "please avoid anything about drug use or graphic violence",
         "Noted: Avoid: drug use, graphic violence (from “avoid anything about drug use or graphic violence”)."),
        ("working_title", "an hour and 40 minutes", "Noted: Length: 100 minutes (from “an hour and 40 minutes”)."),
    ],
)  # fmt: skip
def test_what_was_read_is_said_back_in_words_with_the_words_it_came_from(asking: str, message: str, line: str) -> None:
    _, say = _asked(asking, message, "film")
    assert say[0] == line


def test_a_title_with_its_story_after_a_dash_fills_both() -> None:
    conversation, _ = _asked("working_title", "The Salt Road - two estranged sisters drive their late dad's truck to the coast")
    assert conversation.draft["working_title"] == "The Salt Road"
    assert conversation.draft["logline"] == "Two estranged sisters drive their late dad's truck to the coast"


def test_a_message_that_fits_no_field_is_not_stored_in_the_field_asked() -> None:
    conversation, say = _asked("budget", "lots")
    assert "budget" not in conversation.draft
    assert say[0].startswith("I did not catch “lots”, so nothing changed. Name the field and its value, e.g. 'budget")
    assert say[-1].startswith("What is the launch budget")


def test_one_step_back_undoes_the_last_change_only() -> None:
    conversation, _ = _asked("budget", "budget 2M")
    conversation.reply("territories Canada and New Zealand")
    conversation.reply("actually make it 3 million")
    assert conversation.draft["budget"]["amount"] == 3_000_000
    say = conversation.reply("undo").say
    assert say[0] == "Undone: Budget amount is back to what it was."
    assert conversation.draft["budget"]["amount"] == 2_000_000 and conversation.draft["territories"] == ["CA", "NZ"]


def test_who_the_audience_is_beyond_ages_is_said_to_be_not_kept() -> None:
    conversation, say = _asked("budget", "mostly women 25 to 44")
    assert conversation.draft["audience"] == {"age_min": 25, "age_max": 44}
    assert any("“women” is not kept" in line for line in say)


@pytest.mark.parametrize(
    "logline",
    [
        "A chef with a million followers loses her sense of taste",
        "A retired spy spends 40 minutes every morning feeding ducks, until the ducks start talking",
        "A teenage girl in 2031 runs away from a free school for geniuses",
        "A game show host must win back his family on live TV",
        "Two sisters drive across Canada and Australia in a summer of grief",
    ],
)
def test_a_logline_keeps_its_story_and_its_numbers_fill_no_field(logline: str) -> None:
    conversation, _ = _asked("logline", logline)
    assert _flat(conversation.draft) == {"logline": logline}


@pytest.mark.parametrize(
    ("message", "amount"), [("around a quarter of a million", 250_000), ("three quarters of a million", 750_000),
                            ("a fraction of a million", None)],
)  # fmt: skip
def test_a_share_of_a_sum_is_read_as_the_share_or_not_at_all(message: str, amount: float | None) -> None:
    conversation, _ = _asked("budget", message)
    assert (conversation.draft.get("budget") or {}).get("amount") == amount
