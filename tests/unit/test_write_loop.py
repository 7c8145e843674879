from __future__ import annotations

import json

from greenroom.agents.context import AgentContext
from greenroom.core.brief import Brief, load_brief
from greenroom.graphs.launch import build_launch_graph
from greenroom.interfaces.reports import render_html, render_markdown
from greenroom.interfaces.runs import run_write
from greenroom.interfaces.settings import Settings
from greenroom.interfaces.slack import package_fields
from greenroom.store.checkpoints import sqlite_checkpointer
from tests.drafts import APPROVE, BAD_HOOKS, GOOD_HOOKS, GOOD_OUTLINE, GOOD_PITCH, REVISE, round_replies
from tests.packages import BRIEFS, small_catalog, story_model


def test_a_good_first_draft_is_approved_in_one_round(scripted, settings: Settings, film_brief: Brief) -> None:
    result = run_write(film_brief, settings, model=scripted(*round_replies()))
    assert (result.outcome, result.rounds) == ("approved", 1)
    assert result.review.approved and result.review.model_verdict == "approve"
    assert [c.purpose for c in result.calls] == ["DraftPitch", "DraftOutline", "DraftHooks", "EditorJudgement"]


def test_failed_checks_send_notes_back_and_only_the_failed_part_is_rewritten(
    scripted, settings: Settings, film_brief: Brief
) -> None:
    settings.writer.candidates = 1  # one answer per part: the editor's round does the rest
    model = scripted(*round_replies(BAD_HOOKS, APPROVE), GOOD_HOOKS, APPROVE)
    steps: list[str] = []
    result = run_write(film_brief, settings, model=model, on_step=lambda node, _: steps.append(node))
    assert steps == ["writer", "editor", "writer", "editor", "finish"]
    assert (result.outcome, result.rounds) == ("approved", 2)
    # Round 2 asked again for the hooks alone, quoting what failed; the pitch and outline stand.
    assert [c.purpose for c in result.calls][4:] == ["DraftHooks", "EditorJudgement"]
    second_hooks_prompt = model.chat.calls[4]["messages"][-1].content  # type: ignore[attr-defined]
    assert "revision 2" in second_hooks_prompt and "suicide" in second_hooks_prompt
    assert "Keep the light burning" in second_hooks_prompt
    assert result.draft.pitch.logline == GOOD_PITCH["logline"] and result.draft.fallbacks == []


def test_a_failing_part_is_sampled_again_with_a_new_seed_before_the_editor_sees_it(
    scripted, settings: Settings, film_brief: Brief
) -> None:
    model = scripted(GOOD_PITCH, GOOD_OUTLINE, BAD_HOOKS, GOOD_HOOKS, APPROVE)
    result = run_write(film_brief, settings, model=model)
    assert (result.outcome, result.rounds) == ("approved", 1)
    hooks_calls = [c for c in result.calls if c.purpose == "DraftHooks"]
    assert len(hooks_calls) == 2 and hooks_calls[0].seed != hooks_calls[1].seed
    seeds = [call["kwargs"]["extra_body"]["seed"] for call in model.chat.calls]  # type: ignore[attr-defined]
    assert len(set(seeds[2:4])) == 2  # the same prompt, another seed: the prefix is reused, the answer differs
    assert result.draft.hooks.taglines == GOOD_HOOKS["taglines"]


def test_answers_that_stay_unusable_fall_back_to_the_brief_and_say_so(scripted, settings: Settings, film_brief: Brief) -> None:
    settings.max_edit_rounds = 1
    debris = {**BAD_HOOKS, "taglines": ["taglines: first line", "ad_copy: second", "Third poster line"]}
    model = scripted(GOOD_PITCH, GOOD_OUTLINE, "not json", debris, "] {", "]", APPROVE)  # two answers for the hooks
    result = run_write(film_brief, settings, model=model)
    assert {f.field for f in result.draft.fallbacks} == {"hooks.taglines"}  # the ad lines were fine
    assert all("unusable" in f.reason for f in result.draft.fallbacks)
    assert result.draft.source("hooks.taglines") == "fallback" and result.draft.source("pitch.logline") == "model"
    assert "Keep the lamp burning through a week-long storm." in result.draft.hooks.taglines  # the brief's logline, as a call
    assert not any("suicide" in line.lower() for line in result.draft.hooks.taglines)


def test_the_model_can_ask_for_a_revision_even_when_checks_pass(scripted, settings: Settings, film_brief: Brief) -> None:
    model = scripted(*round_replies(judgement=REVISE), *round_replies())
    result = run_write(film_brief, settings, model=model)
    assert result.rounds == 2 and result.outcome == "approved"
    assert "Make the salvage crew a sharper threat." in model.chat.calls[4]["messages"][-1].content  # type: ignore[attr-defined]


def test_the_round_cap_ends_the_loop_and_says_so(scripted, settings: Settings, film_brief: Brief) -> None:
    settings.max_edit_rounds = 3
    settings.writer.candidates = 1
    model = scripted(*round_replies(BAD_HOOKS), BAD_HOOKS, APPROVE, BAD_HOOKS, REVISE)
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


def test_a_launch_with_fallback_fields_ends_with_a_warning_that_names_them() -> None:
    debris = {**GOOD_HOOKS, "taglines": ["taglines: one", "ad_copy: two", "Three lines here"]}
    model = story_model(replies={"Hooks": debris})
    context = AgentContext(model=model, max_edit_rounds=1, writer_candidates=1, catalog=small_catalog(), trained=None)
    state = build_launch_graph().compile().invoke({"brief": load_brief(BRIEFS / "night-shift-film.yaml")}, context=context)
    package = state["package"]
    assert package.draft.source("hooks.taglines") == "fallback"
    assert package.warnings and "hooks.taglines" in package.warnings[0]
    report = render_markdown(package)
    assert "### Taglines (written from the brief:" in report and "**Warning:**" in report
    assert "taglines: one" not in report


REPEATED_OUTLINE = {
    "outline": [{"heading": "The Luminous Ends", "summary": "The keeper and the girl hold the lamp as the night goes on and on."}]
    * 5
}


def test_repeated_outline_parts_in_every_round_ship_the_marked_fallback() -> None:
    model = story_model(replies={"Outline": REPEATED_OUTLINE})  # every outline the model writes repeats one part
    context = AgentContext(model=model, max_edit_rounds=2, writer_candidates=1, catalog=small_catalog(), trained=None)
    state = build_launch_graph().compile().invoke({"brief": load_brief(BRIEFS / "night-shift-film.yaml")}, context=context)
    package = state["package"]
    assert [c.purpose for c in package.calls].count("DraftOutline") == 2  # asked again in round 2, repeated again
    # The package ships the outline drafted from the brief, not the repeated parts, and says why.
    headings = [item.heading for item in package.draft.outline.outline]
    assert "The Luminous Ends" not in headings and len(set(headings)) == len(headings)
    assert package.draft.source("outline") == "fallback" and package.draft.source("pitch.logline") == "model"
    [fallback] = package.draft.fallbacks
    assert "no repeated outline parts" in fallback.reason
    assert package.edit_outcome == "max_rounds" and not package.review.approved  # a drafted field is not approved as written
    # Marked in the REST API's JSON, the report (Markdown and HTML) and Slack.
    served = json.loads(package.model_dump_json())
    assert served["draft"]["fallbacks"][0]["field"] == "outline" and "outline" in served["warnings"][0]
    assert "### Outline (written from the brief:" in render_markdown(package)
    assert "<h3>Outline (written from the brief:" in render_html(package)
    assert any("The outline was written from the brief" in field for field in package_fields(package))
