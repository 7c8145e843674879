"""Natural dates, places, ratings and genres, read the way a producer writes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from greenroom.tools.brief_reader import read_audience, read_dates, read_genres, read_places, read_rating

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2027-09-01 to 2027-12-15", "2027-09-01", "2027-12-15"),
        ("between Sept 1 and Nov 15 2027", "2027-09-01", "2027-11-15"),
        ("1 October 2027 to 30 November 2027", "2027-10-01", "2027-11-30"),
        ("sometime this fall 2027", "2027-09-01", "2027-11-30"),
        ("late summer 2027", "2027-08-01", "2027-08-31"),
        ("winter 2027", "2027-12-01", "2028-02-29"),
        ("Q2 2028", "2028-04-01", "2028-06-30"),
        ("October 2027", "2027-10-01", "2027-10-31"),
        ("Nov 15 to Jan 10 2028", "2027-11-15", "2028-01-10"),
        ("sept 1 to nov 15", "2027-09-01", "2027-11-15"),  # no year: the next such dates from today
    ],
)
def test_release_windows_in_natural_words(text: str, earliest: str, latest: str) -> None:
    assert read_dates(text, TODAY) == (dt.date.fromisoformat(earliest), dt.date.fromisoformat(latest))


def test_words_with_no_date_give_none_and_may_the_verb_is_not_a_month() -> None:
    assert read_dates("someday soon", TODAY) is None
    assert read_dates("it may come out", TODAY) is None


def test_places_are_read_only_when_every_item_is_a_place() -> None:
    assert read_places("the US and the United Kingdom") == ["US", "GB"]
    assert read_places("US, GB, DE") == ["US", "GB", "DE"]
    assert read_places("the US and Mars") is None


def test_audience_ages_need_a_cue_so_a_date_range_is_not_an_age() -> None:
    assert read_audience("adults 25 to 54").fields == {"audience.age_min": 25, "audience.age_max": 54}
    assert read_audience("pages 10-20 of the script").fields == {}
    assert read_audience("viewers 18+").fields == {"audience.age_min": 18}


@pytest.mark.parametrize(
    ("text", "rating"),
    [("R rated max", "R"), ("no higher than pg", "PG"), ("rating ceiling: PG-13", "PG-13"),
     ("max rating nc-17", "NC-17"), ("a highly rated game", None), ("up to great heights", None)],
)  # fmt: skip
def test_rating_ceiling(text: str, rating: str | None) -> None:
    assert read_rating(text) == rating


def test_genres_keep_known_ones_and_say_what_was_read_loosely() -> None:
    reading = read_genres("thriller, horor, sci fi")
    assert reading.fields["genres"] == ["thriller", "horror", "sci-fi"]
    assert reading.notes == ["I read “horor” as horror; say 'genres: …' to change it."]


def test_a_model_reads_what_the_rules_cannot_and_its_answer_is_validated(scripted: Any) -> None:
    from greenroom.tools.brief_reader import read_with_model

    handle = scripted({"audience_age_min": 25, "audience_age_max": 40, "territories": ["DE", "AT"], "budget_amount": None})
    assert read_with_model(handle, "grown-ups in their late twenties to forty, German-speaking markets", {}) == {
        "audience.age_min": 25, "audience.age_max": 40, "territories": ["DE", "AT"]}  # fmt: skip


def test_a_model_that_answers_garbage_leaves_the_rules_alone(scripted: Any) -> None:
    from greenroom.tools.brief_reader import read_with_model

    handle = scripted('{"territories": ["]\\n,\\n,"]}', '{"audience_age_min": "old"}')
    assert read_with_model(handle, "somewhere", {}) == {}


def test_the_chat_takes_a_model_reading_beside_the_rules_and_the_rules_win() -> None:
    from greenroom.graphs.conversation import Conversation

    def model(text: str, draft: dict[str, Any]) -> dict[str, Any]:
        return {"budget.amount": 1.0, "audience.regions": ["DE"]}  # the rules read the budget; only the regions are new

    conversation = Conversation(model_reader=model)
    conversation.greet()
    conversation.reply("A film called Night Shift, budget 250k")
    assert conversation.draft["budget"]["amount"] == 250_000 and conversation.draft["audience"]["regions"] == ["DE"]
