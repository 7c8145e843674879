"""The chat's conversation: it builds a brief from free text, asks for what is missing and maps follow-ups to revisions."""

from __future__ import annotations

from typing import Any

import pytest

from greenroom.graphs.conversation import Answer, Conversation, Launch, Revise, describe_event, extract, parse_followup

FILM = [
    "A film called Night Shift at the Lighthouse",
    "A retired lighthouse keeper and a runaway teenager keep the lamp burning through a week-long storm.",
    "thriller, drama",
    "104 minutes",
    "budget $250k",
    "theatrical",
    "2027-09-01 to 2027-12-15",
]


def _chat(*messages: str) -> Conversation:
    conversation = Conversation()
    conversation.greet()
    for message in messages:
        conversation.reply(message)
    return conversation


def _reviewing(status: str = "awaiting_approval") -> Conversation:
    conversation = _chat(*FILM)
    conversation.reply("yes")
    conversation.launched("run1")
    conversation.run_status, conversation.stage = status, "reviewing"
    return conversation


def test_it_asks_for_each_missing_field_in_turn_and_fills_the_brief_from_the_answers() -> None:
    conversation = Conversation()
    assert conversation.greet().say[-1] == "What is the working title?"
    turn = conversation.reply("A film called Night Shift at the Lighthouse")
    assert conversation.draft["working_title"] == "Night Shift at the Lighthouse" and conversation.draft["format"] == "film"
    assert turn.missing[0] == "logline" and "logline" in turn.say[-1]
    turn = conversation.reply(FILM[1])
    assert turn.brief["logline"] == FILM[1] and "genres" in turn.say[-1].lower()
    for message in FILM[2:4]:
        turn = conversation.reply(message)
    assert turn.say[-1] == "What is the launch budget (e.g. 250000 USD)?"
    for message in FILM[4:]:
        turn = conversation.reply(message)
    assert turn.missing == [] and turn.stage == "confirming" and turn.offers == ["Launch it"]


def test_a_length_question_names_the_unit_of_the_format() -> None:
    turn = _chat(
        "title: Deep Dish", "format: podcast", "Two chefs argue about pizza for an hour every week.", "food, comedy"
    ).reply("12 episodes")
    assert turn.brief["length"] == {"episodes": 12}
    assert _chat("title: Deep Dish", "format: podcast").reply("x").say[-1].startswith("What is it about")


def test_it_extracts_a_budget_with_its_currency_and_scale() -> None:
    assert extract("the budget is 1.5 million EUR") == {"budget.amount": 1_500_000, "budget.currency": "EUR"}
    assert extract("budget: £40,000") == {"budget.amount": 40_000, "budget.currency": "GBP"}
    assert extract("budget 20000 for the launch") == {"budget.amount": 20_000}


def test_several_fields_in_one_message_are_all_taken() -> None:
    found = extract("title: Night Shift; genres: thriller, drama; budget 250000 USD; release 2027-09-01 to 2027-12-15")
    assert found == {"working_title": "Night Shift", "genres": ["thriller", "drama"], "budget.amount": 250_000,
                     "budget.currency": "USD", "release.earliest": "2027-09-01", "release.latest": "2027-12-15"}  # fmt: skip


def test_bad_input_is_named_by_field_and_asked_again() -> None:
    turn = _chat(*FILM[:4]).reply("budget: -5 USD")
    assert [e.field for e in turn.errors] == ["budget.amount"] and "must be greater than 0" in turn.errors[0].message
    assert turn.say[-1].startswith("What is the launch budget")
    turn = _chat(*FILM[:6]).reply("2027-12-15 to 2027-09-01")
    assert [e.field for e in turn.errors] == ["release.latest"] and turn.stage == "building"


def test_yes_launches_the_validated_brief() -> None:
    turn = _chat(*FILM).reply("yes, launch it")
    assert isinstance(turn.action, Launch) and turn.stage == "running"
    assert turn.action.brief["budget"] == {"amount": 250_000.0, "currency": "USD"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what if the budget were halved?", {"budget.amount": 125_000.0}),
        ("double the budget", {"budget.amount": 500_000.0}),
        ("cut the budget by 20%", {"budget.amount": 200_000.0}),
        ("budget 20000", {"budget.amount": 20_000.0}),
    ],
)
def test_budget_follow_ups_become_brief_changes(text: str, expected: dict[str, Any]) -> None:
    assert parse_followup(text, {"budget": {"amount": 250_000, "currency": "USD"}}).sets == expected


def test_make_it_darker_is_a_note_for_the_writer() -> None:
    change = parse_followup("make it darker", {"budget": {"amount": 250_000}})
    assert change.note == "make it darker" and change.sets == {}


def test_while_awaiting_approval_words_go_to_the_writer_and_approve_accepts() -> None:
    turn = _reviewing().reply("make it darker")
    assert isinstance(turn.action, Answer) and turn.action.answer == {"action": "respond", "text": "make it darker"}
    turn = _reviewing().reply("Approve")
    assert isinstance(turn.action, Answer) and turn.action.answer == {"action": "accept"}
    turn = _reviewing().reply("reject: too soft")
    assert isinstance(turn.action, Answer) and turn.action.answer["action"] == "reject"


def test_a_brief_change_while_awaiting_approval_sets_the_version_aside_then_revises() -> None:
    conversation = _reviewing()
    turn = conversation.reply("what if the budget were halved?")
    assert isinstance(turn.action, Answer) and turn.action.answer["action"] == "reject"
    turn = conversation.settled("rejected", "rejected by a person", None)
    assert turn.action == Revise(note="", sets={"budget.amount": 125_000.0}) and turn.stage == "running"


def test_a_finished_run_is_revised_directly() -> None:
    turn = _reviewing("approved").reply("make it darker")
    assert turn.action == Revise(note="make it darker", sets={})


def test_progress_lines_name_the_agent() -> None:
    assert describe_event("step_started", {"step": "writer"}) == "▶ Writer started"
    line = describe_event("step_finished", {"step": "analyst", "seconds": 1.25, "output_tokens": 40})
    assert line == "✓ Audience analyst done in 1.2 s (40 tokens written)"
