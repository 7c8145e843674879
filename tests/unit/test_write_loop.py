from __future__ import annotations

from graphs.brief import Brief
from interfaces.runs import run_write
from interfaces.settings import Settings
from store.checkpoints import sqlite_checkpointer
from tests.drafts import APPROVE, BAD_HOOKS, REVISE, round_replies


def test_a_good_first_draft_is_approved_in_one_round(scripted, settings: Settings, film_brief: Brief) -> None:
    result = run_write(film_brief, settings, model=scripted(*round_replies()))
    assert (result.outcome, result.rounds) == ("approved", 1)
    assert result.review.approved and result.review.model_verdict == "approve"
    assert [c.purpose for c in result.calls] == ["DraftPitch", "DraftOutline", "DraftHooks", "EditorJudgement"]


def test_failed_checks_send_notes_back_and_the_revision_is_approved(scripted, settings: Settings, film_brief: Brief) -> None:
    model = scripted(*round_replies(BAD_HOOKS, APPROVE), *round_replies())
    steps: list[str] = []
    result = run_write(film_brief, settings, model=model, on_step=lambda node, _: steps.append(node))
    assert steps == ["writer", "editor", "writer", "editor", "finish"]
    assert (result.outcome, result.rounds) == ("approved", 2)
    # The second round's writer prompt carried the first review's notes.
    second_pitch_prompt = model.chat.calls[4]["messages"][-1].content  # type: ignore[attr-defined]
    assert "revision 2" in second_pitch_prompt and "suicide" in second_pitch_prompt


def test_the_model_can_ask_for_a_revision_even_when_checks_pass(scripted, settings: Settings, film_brief: Brief) -> None:
    model = scripted(*round_replies(judgement=REVISE), *round_replies())
    result = run_write(film_brief, settings, model=model)
    assert result.rounds == 2 and result.outcome == "approved"
    assert "Make the salvage crew a sharper threat." in model.chat.calls[4]["messages"][-1].content  # type: ignore[attr-defined]


def test_the_round_cap_ends_the_loop_and_says_so(scripted, settings: Settings, film_brief: Brief) -> None:
    settings.max_edit_rounds = 3
    model = scripted(*round_replies(BAD_HOOKS), *round_replies(BAD_HOOKS), *round_replies(BAD_HOOKS))
    result = run_write(film_brief, settings, model=model)
    assert (result.outcome, result.rounds) == ("max_rounds", 3)
    assert not result.review.approved and result.review.notes


def test_an_editor_that_returns_garbage_leaves_the_checks_in_charge(scripted, settings: Settings, film_brief: Brief) -> None:
    settings.max_edit_rounds = 1
    result = run_write(film_brief, settings, model=scripted(*round_replies()[:3], "great!", "really great!"))
    assert result.review.model_verdict == "unavailable"
    assert result.review.approved  # every deterministic check passed
    assert [c.valid for c in result.calls if c.agent == "editor"] == [False, False]


def test_the_run_is_checkpointed_on_its_thread(scripted, settings: Settings, film_brief: Brief) -> None:
    result = run_write(film_brief, settings, model=scripted(*round_replies()), run_id="thread-42")
    with sqlite_checkpointer(settings.checkpoint_path) as saver:
        saved = saver.get_tuple({"configurable": {"thread_id": "thread-42"}})
    assert saved is not None
    values = saved.checkpoint["channel_values"]
    assert values["draft"] == result.draft and values["brief"] == film_brief
