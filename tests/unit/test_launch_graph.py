"""The launch graph with the fake model: routing, parallel plans, caps, approval answers, revisions."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from greenroom.agents.context import AgentContext
from greenroom.core.brief import Brief, BriefError
from greenroom.core.settings import ModelSettings
from greenroom.graphs.launch import steps_to_rerun
from greenroom.interfaces.runs import answer_approval, launch_run, registry, resume_run, revise_run
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import build_model


@pytest.fixture
def context(settings: Settings, trained_small: Any, small_catalog: Any) -> AgentContext:
    settings.max_edit_rounds = 1
    return AgentContext(
        model=build_model(ModelSettings(provider="fake")), max_edit_rounds=1, catalog=small_catalog, trained=trained_small
    )


def _steps(outcome: Any, since: int = 0) -> list[str]:
    return [s.step for s in outcome.package.accounting.steps[since:]]


def test_a_first_run_goes_through_every_agent_and_writes_the_package(
    settings: Settings, context: AgentContext, film_brief: Brief
) -> None:
    outcome = launch_run(film_brief, settings, context)
    assert outcome.status == "done" and outcome.package.version == 1
    steps = _steps(outcome)
    assert steps[:4] == ["intake", "analyst", "writer", "editor"]
    assert sorted(steps[4:]) == ["marketer", "pricing"]  # the package's accounting runs up to its assembly
    package = outcome.package
    assert package.run_id == outcome.run_id
    assert package.promotion_plan.allocation.budget == pytest.approx(film_brief.budget.amount)
    assert package.audience.comparables and package.pricing_plan.recommendation.tiers
    # Accounting adds up, per step and in total.
    assert package.accounting.model_calls == len(package.calls) > 0
    assert package.accounting.output_tokens == sum(c.output_tokens for c in package.calls)
    saved = json.loads((outcome.output_dir / "package.json").read_text())
    assert saved["run_id"] == outcome.run_id
    assert registry(settings).get(outcome.run_id).status == "done"


def test_marketer_and_pricing_run_concurrently(settings: Settings, context: AgentContext, film_brief: Brief) -> None:
    context.model = build_model(ModelSettings(provider="fake", fake_delay_s=0.3))
    context.writer_candidates = 1  # both plan agents ask the model (by default a llama.cpp model writes no rationale)
    records = {s.step: s for s in launch_run(film_brief, settings, context).package.accounting.steps}
    marketer, pricing = records["marketer"], records["pricing"]
    m_start, p_start = marketer.started_at.timestamp(), pricing.started_at.timestamp()
    overlap = min(m_start + marketer.seconds, p_start + pricing.seconds) - max(m_start, p_start)
    assert overlap > 0.25, (marketer, pricing)


def test_a_token_cap_stops_the_run_cleanly_and_resume_repeats_nothing(
    settings: Settings, context: AgentContext, film_brief: Brief
) -> None:
    context.max_tokens = 1
    stopped = launch_run(film_brief, settings, context)
    assert stopped.status == "stopped_cap" and "token cap reached before writer" in stopped.message
    assert stopped.package is None and registry(settings).get(stopped.run_id).status == "stopped_cap"
    context.max_tokens = 0
    done = resume_run(stopped.run_id, settings, context)
    assert done.status == "done"
    assert [c.agent for c in done.package.calls].count("analyst") == 1  # the analyst's call was not repeated
    assert _steps(done).count("analyst") == 1


def _awaiting(settings: Settings, context: AgentContext, brief: Brief) -> Any:
    context.approval = True
    outcome = launch_run(brief, settings, context)
    assert outcome.status == "awaiting_approval" and outcome.question["answers"] == ["accept", "edit", "respond", "reject"]
    return outcome


def test_approval_accept(settings: Settings, context: AgentContext, film_brief: Brief) -> None:
    run = _awaiting(settings, context, film_brief)
    assert answer_approval(run.run_id, {"action": "accept"}, settings, context).status == "approved"
    with pytest.raises(ValueError, match="not awaiting approval"):
        answer_approval(run.run_id, {"action": "accept"}, settings, context)


def test_approval_reject_keeps_the_reason(settings: Settings, context: AgentContext, film_brief: Brief) -> None:
    run = _awaiting(settings, context, film_brief)
    outcome = answer_approval(run.run_id, {"action": "reject", "reason": "wrong tone"}, settings, context)
    assert (outcome.status, outcome.message) == ("rejected", "wrong tone")


def test_approval_edit_makes_a_new_version_and_asks_again(settings: Settings, context: AgentContext, film_brief: Brief) -> None:
    run = _awaiting(settings, context, film_brief)
    outcome = answer_approval(
        run.run_id, {"action": "edit", "field": "draft.hooks.taglines.0", "value": "The lamp never sleeps."}, settings, context
    )
    assert outcome.status == "awaiting_approval"
    assert outcome.package.version == 2 and outcome.package.draft.hooks.taglines[0] == "The lamp never sleeps."
    assert (outcome.output_dir.parent / "v1" / "package.json").exists()  # the earlier version is kept


def test_approval_respond_rewrites_without_repricing(settings: Settings, context: AgentContext, film_brief: Brief) -> None:
    run = _awaiting(settings, context, film_brief)
    before = len(run.package.accounting.steps)
    outcome = answer_approval(run.run_id, {"action": "respond", "text": "make the tagline darker"}, settings, context)
    assert outcome.status == "awaiting_approval" and outcome.package.version == 2
    assert _steps(outcome, before) == ["assemble", "writer", "editor", "marketer"]  # v1's assembly, then the rewrite
    writer_prompts = [
        c["messages"][-1].content
        for c in context.model.chat.calls
        if "Pitch" in json.dumps(c["kwargs"].get("extra_body", {}).get("response_format", {}))
    ]  # type: ignore[attr-defined]
    assert "make the tagline darker" in writer_prompts[-1]


def test_a_budget_revision_reruns_only_what_depends_on_budget(
    settings: Settings, context: AgentContext, film_brief: Brief
) -> None:
    first = launch_run(film_brief, settings, context)
    before = len(first.package.accounting.steps)
    revised = revise_run(first.run_id, settings, context, sets={"budget.amount": 20000})
    assert revised.package.version == 2 and revised.package.promotion_plan.allocation.budget == pytest.approx(20000)
    new_steps = _steps(revised, before)
    assert "writer" not in new_steps and "editor" not in new_steps
    assert {"marketer", "pricing"} <= set(new_steps)
    assert revised.package.draft == first.package.draft  # the content was not rewritten
    assert (first.output_dir / "package.json").exists() and first.output_dir != revised.output_dir


def test_a_what_if_on_a_run_awaiting_approval_builds_a_version_beside_it(
    settings: Settings, context: AgentContext, film_brief: Brief
) -> None:
    run = _awaiting(settings, context, film_brief)
    revised = revise_run(run.run_id, settings, context, sets={"budget.amount": film_brief.budget.amount / 2})
    assert revised.status == "awaiting_approval" and revised.package.version == 2
    assert revised.package.promotion_plan.allocation.budget == pytest.approx(film_brief.budget.amount / 2)
    first = json.loads((run.output_dir / "package.json").read_text())
    assert first["version"] == 1 and first["brief"]["budget"]["amount"] == film_brief.budget.amount  # v1 kept as it was
    report = (revised.output_dir / "report.md").read_text()
    assert "## What changed since version 1" in report and "| Budget amount |" in report
    assert "(unchanged)" in report and "What changed" not in (run.output_dir / "report.md").read_text()
    assert 'id="changes"' in (revised.output_dir / "report.html").read_text()
    accepted = answer_approval(run.run_id, {"action": "accept"}, settings, context)
    assert accepted.status == "approved" and accepted.package.version == 2


def test_a_bad_revision_names_the_field(settings: Settings, context: AgentContext, film_brief: Brief) -> None:
    first = launch_run(film_brief, settings, context)
    with pytest.raises(BriefError) as info:
        revise_run(first.run_id, settings, context, sets={"budget.amount": -5})
    assert [str(e) for e in info.value.errors] == ["budget.amount: must be greater than 0"]


@pytest.mark.parametrize(
    ("changed", "note", "expected"),
    [
        ({"budget"}, "", ["analyst", "marketer", "pricing"]),
        ({"release"}, "", ["analyst", "marketer"]),  # the forecast reads the release year
        ({"tone"}, "", ["writer", "marketer"]),
        (set(), "darker", ["writer", "marketer"]),
        ({"business_model"}, "", ["analyst", "marketer", "pricing"]),
    ],
)
def test_revision_dependencies(changed: set[str], note: str, expected: list[str]) -> None:
    assert steps_to_rerun(changed, note) == expected


def test_resume_after_a_failure_asks_with_new_seeds(settings: Settings, context: AgentContext, film_brief: Brief) -> None:
    import httpx

    from tests.packages import story_model

    sent: list[int] = []

    def dead(messages: Any, kwargs: dict[str, Any]) -> str:
        sent.append(kwargs["extra_body"]["seed"])
        raise httpx.ConnectError("connection refused")

    failing = story_model()
    failing.chat.replies = [dead] * 10  # type: ignore[attr-defined]
    failed = launch_run(film_brief, settings, dataclasses.replace(context, model=failing), run_id="seeds-1")
    assert failed.status == "failed" and sent
    resumed = resume_run("seeds-1", settings, dataclasses.replace(context, model=story_model()))
    assert resumed.status == "done"
    resumed_seeds = [c.seed for c in resumed.package.calls if c.agent == "analyst"]
    assert resumed_seeds and not set(resumed_seeds) & set(sent)


def test_a_revision_of_an_approved_run_goes_back_to_awaiting_approval(
    settings: Settings, context: AgentContext, film_brief: Brief
) -> None:
    run = _awaiting(settings, context, film_brief)
    assert answer_approval(run.run_id, {"action": "accept"}, settings, context).status == "approved"
    revised = revise_run(run.run_id, settings, context, sets={"budget.amount": film_brief.budget.amount / 2})
    assert revised.status == "awaiting_approval" and revised.package.version == 2
    assert registry(settings).get(run.run_id).status == "awaiting_approval"
    assert answer_approval(run.run_id, {"action": "accept"}, settings, context).status == "approved"
