"""A what-if's new version beside the current one: brief changes and key numbers, in the report's words."""

from __future__ import annotations

from greenroom.core.compare import compare, describe
from greenroom.core.package import LaunchPackage
from greenroom.graphs.conversation import Conversation
from greenroom.tools.funnel import build_funnel
from tests.packages import make_package


def _halved(package: LaunchPackage) -> LaunchPackage:
    """The package as a revision that halved the budget would leave it (promotion budget and reach halved)."""
    brief = package.brief.model_copy(
        update={"budget": package.brief.budget.model_copy(update={"amount": package.brief.budget.amount / 2})}
    )
    allocation = package.promotion_plan.allocation
    reach = allocation.expected_reach
    halved = allocation.model_copy(update={
        "budget": allocation.budget / 2,
        "expected_reach": reach.model_copy(update={"expected": reach.expected * 0.6, "low": reach.low * 0.6, "high": reach.high * 0.6}),
        "unique_reach": None if allocation.unique_reach is None else allocation.unique_reach * 0.6,
    })  # fmt: skip
    plan = package.promotion_plan.model_copy(update={"allocation": halved})
    funnel = build_funnel(brief, halved, package.pricing_plan.recommendation)  # assembly rebuilds it from the new plan
    return package.model_copy(update={"version": 2, "brief": brief, "promotion_plan": plan, "funnel": funnel})


def test_the_comparison_names_what_the_revision_changed_and_every_key_number() -> None:
    old = make_package()
    new = _halved(old)
    changes = {c.name: c for c in compare(old, new)}
    assert changes["budget amount"].kind == "brief" and changes["budget amount"].changed
    assert changes["promotion budget"].changed and changes["people reached"].changed
    assert not changes["launch date"].changed
    assert [c.name for c in compare(old, new) if c.kind == "brief"] == ["budget amount"]
    lines = describe(old, new)
    assert lines[0] == "Version 2 beside version 1:"
    assert any(line.startswith("• launch date:") and line.endswith("(unchanged)") for line in lines)
    assert not any("[" in line or "{" in line for line in lines)


def test_the_chat_shows_the_new_version_beside_the_one_it_showed_before() -> None:
    old = make_package()
    conversation = Conversation()
    conversation.run_id = old.run_id
    first = conversation.settled("awaiting_approval", "", old)
    assert first.comparison == [] and "awaiting your approval" in first.say[0]
    assert "Promotion $250K over" in first.say[1] and "tier(s)" not in first.say[1]  # rounded as the report rounds
    turn = conversation.settled("awaiting_approval", "", _halved(old))
    assert any(c.name == "budget amount" and c.changed for c in turn.comparison)
    assert any(line.startswith("Version 2 beside version 1:") for line in turn.say)


def test_a_revision_that_left_the_brief_alone_lists_no_number_as_unchanged() -> None:
    old = make_package()
    new = old.model_copy(update={"version": 2, "revision_note": "make it darker"})
    lines = describe(old, new)
    assert lines[1] == "The brief did not change, so the key numbers are as they were; only the words were revised."
    assert not any("(unchanged)" in line for line in lines)
