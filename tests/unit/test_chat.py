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


def test_a_what_if_while_awaiting_approval_builds_a_new_version_without_rejecting_this_one() -> None:
    conversation = _reviewing()
    turn = conversation.reply("what if the budget were halved?")
    assert turn.action == Revise(note="", sets={"budget.amount": 125_000.0}) and turn.stage == "running"
    assert "Version 1 stays as it is" in turn.say[0]


def test_a_finished_run_is_revised_directly() -> None:
    turn = _reviewing("approved").reply("make it darker")
    assert turn.action == Revise(note="make it darker", sets={})


def test_progress_lines_name_the_agent() -> None:
    assert describe_event("step_started", {"step": "writer"}) == "▶ Writer started"
    line = describe_event("step_finished", {"step": "analyst", "seconds": 1.25, "output_tokens": 40})
    assert line == "✓ Audience analyst done in 1.2 s (40 tokens written)"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("The audience is adults 18-34 in the US and UK",
         {"audience": {"age_min": 18, "age_max": 34, "regions": ["US", "GB"]}}),
        ("audience: ages 18 to 34, regions US and UK",
         {"audience": {"age_min": 18, "age_max": 34, "regions": ["US", "GB"]}}),
        ("R rated max", {"constraints": {"age_rating_ceiling": "R"}}),
        ("rated PG-13 at most", {"constraints": {"age_rating_ceiling": "PG-13"}}),
        ("territories: US, GB", {"territories": ["US", "GB"]}),
        ("we release in the United Kingdom and Ireland", {"territories": ["GB", "IE"]}),
        ("releasing in US, GB and DE", {"territories": ["US", "GB", "DE"]}),
        ("hmm no, go back to 3M", {"budget": {"amount": 3_000_000.0, "currency": "USD"}}),
        ("sometime this fall 2027", {"release": {"earliest": "2027-09-01", "latest": "2027-11-30"}}),
        ("between Sept 1 and Nov 15 2027", {"release": {"earliest": "2027-09-01", "latest": "2027-11-15"}}),
        ("avoid: gore, smoking", {"constraints": {"avoid_topics": ["gore", "smoking"]}}),
        ("it must include the lighthouse", {"constraints": {"must_include": ["the lighthouse"]}}),
        ("studio: A24", {"studio": "A24"}),
    ],
)  # fmt: skip
def test_a_complete_brief_takes_every_field_a_person_names(message: str, expected: dict[str, Any]) -> None:
    conversation = _chat(*FILM)
    before = {k: v for k, v in conversation.draft.items() if k not in expected}
    turn = conversation.reply(message)
    assert turn.say[0].startswith("Noted:") and turn.stage == "confirming"
    for key, value in expected.items():
        got = conversation.draft[key]
        assert (got | value == got) if isinstance(value, dict) else got == value, (key, got)
    assert {k: v for k, v in conversation.draft.items() if k not in expected} == before


def test_the_launched_brief_carries_the_audience_rating_and_territories_from_the_chat() -> None:
    conversation = _chat(*FILM, "The audience is adults 18-34 in the US and UK", "R rated max", "territories: US, GB")
    brief = conversation.reply("launch it").action.brief  # type: ignore[union-attr]
    assert brief["audience"]["age_min"] == 18 and brief["audience"]["age_max"] == 34
    assert brief["constraints"]["age_rating_ceiling"] == "R" and brief["territories"] == ["US", "GB"]


def test_a_message_that_changes_nothing_says_so_and_how_to_say_it() -> None:
    turn = _chat(*FILM).reply("blah blah")
    assert turn.say[0].startswith("I did not catch “blah blah”, so nothing changed. Name the field and its value, e.g.")
    assert "'budget around 2.5 million'" in turn.say[0] and "territories" in turn.say[0]


def test_a_logline_in_the_first_message_is_kept() -> None:
    conversation = Conversation()
    conversation.greet()
    turn = conversation.reply("A film called Night Shift, about a retired keeper and a runaway who keep the lamp burning.")
    assert conversation.draft["working_title"] == "Night Shift"
    assert conversation.draft["logline"] == "A retired keeper and a runaway who keep the lamp burning."
    assert turn.say[0] == ("Noted: Working title: “Night Shift”; Format: film (from “A film”); "
                           "Logline: “A retired keeper and a runaway who keep the lamp burning”.")  # fmt: skip


def test_a_genre_typo_is_read_as_the_close_genre_and_said() -> None:
    conversation = _chat(*FILM[:2])
    turn = conversation.reply("horor, thriller")
    assert conversation.draft["genres"] == ["horror", "thriller"]
    assert any("“horor” as horror" in line for line in turn.say)
    conversation = _chat(*FILM[:2])
    turn = conversation.reply("zzyzx")
    assert any("“zzyzx” is not a genre I know" in line for line in turn.say) and "genres" not in conversation.draft


def test_an_unreadable_date_is_asked_again_in_plain_words() -> None:
    turn = _chat(*FILM[:6]).reply("someday")
    assert turn.say[0].startswith("I did not catch “someday”, so nothing changed.")
    assert turn.stage == "building" and "release" in turn.missing
    assert not any("Input should" in line or "invalid character" in line for line in turn.say)


def test_a_message_that_states_other_fields_is_not_taken_as_the_answer_to_the_question() -> None:
    conversation = _chat("A podcast called Deep Dish")
    turn = conversation.reply("12 episodes, budget 20k")
    assert "logline" not in conversation.draft and turn.say[-1].startswith("What is it about")
    assert conversation.draft["length"] == {"episodes": 12} and conversation.draft["budget"]["amount"] == 20_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("go back to 3M", {"budget.amount": 3_000_000.0}),
        ("what if it were rated PG-13 at most?", {"constraints.age_rating_ceiling": "PG-13"}),
        ("make the tagline shorter than 5 words", {}),
    ],
)
def test_follow_ups_change_the_fields_they_name(text: str, expected: dict[str, Any]) -> None:
    assert parse_followup(text, {"budget": {"amount": 250_000, "currency": "USD"}}).sets == expected


def test_a_what_if_in_a_producers_words_changes_the_brief_and_is_said_without_internal_paths() -> None:
    turn = _reviewing().reply("what if we only had 1.5 million to spend?")
    assert isinstance(turn.action, Revise) and turn.action.sets == {"budget.amount": 1_500_000}
    assert "budget → $1.5M" in turn.say[0] and "budget.amount" not in " ".join(turn.say)


def test_a_what_if_that_cannot_be_applied_says_so_and_sends_nothing() -> None:
    turn = _reviewing().reply("what if the release came sooner?")
    assert turn.action is None and turn.stage == "reviewing"
    assert turn.say[0].startswith("I cannot apply “what if the release came sooner?”: it names the release but no value")


def test_each_surface_words_its_replies_for_what_it_shows() -> None:
    from tests.packages import make_package

    chats = {surface: Conversation(surface=surface) for surface in ("web", "terminal", "slack")}
    for conversation in chats.values():
        conversation.greet()
        for message in FILM:
            conversation.reply(message)
    said = {surface: " ".join(c.reply("territories: US").say) for surface, c in chats.items()}
    assert "see the brief form" in said["web"]
    assert "type `brief` to see the fields so far" in said["terminal"] and "form" not in said["terminal"]
    assert "say `brief` in this thread" in said["slack"] and "form" not in said["slack"]
    package = make_package()
    for conversation in chats.values():
        conversation.reply("yes")
        conversation.launched("run1")
    web = " ".join(chats["web"].settled("done", "", package).say)
    terminal = " ".join(chats["terminal"].settled("done", "", package, report_at="/data/outputs/run1/v1").say)
    slack = " ".join(chats["slack"].settled("done", "", package).say)
    assert "The full report with its charts is below." in web
    assert "The full report is at /data/outputs/run1/v1/report.html" in terminal and "below" not in terminal
    assert "posted in this thread" in slack and "below" not in slack
