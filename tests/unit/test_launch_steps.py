"""Adding an agent to the launch graph is one declaration: it runs in its place, re-runs with what it reads,
shows its label, and its result is in the package."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from greenroom.agents.context import AgentContext
from greenroom.core.brief import Brief
from greenroom.core.settings import ModelSettings
from greenroom.graphs.launch import build_launch_graph, steps_to_rerun
from greenroom.graphs.steps import LAUNCH_STEPS, AgentStep, step_labels
from greenroom.models.llm import build_model


def count_reach(state: dict[str, Any]) -> dict[str, Any]:
    """A toy agent: reads the marketer's plan and the pricing plan, and sums up what they reach."""
    promotion, pricing = state["promotion_plan"], state["pricing_plan"]
    return {"channels": len(promotion.allocation.channels), "tiers": len(pricing.recommendation.tiers),
            "budget": state["brief"].budget.amount}  # fmt: skip


TALLY = AgentStep(name="tally", node=count_reach, label="reach tallied", who="Tally clerk",
                  brief_fields=frozenset({"budget"}), after=("marketer", "pricing"), reads=("marketer", "pricing"))  # fmt: skip
STEPS = (*LAUNCH_STEPS, TALLY)


@pytest.fixture
def run() -> Any:
    graph = build_launch_graph(STEPS).compile(checkpointer=InMemorySaver())
    context = AgentContext(model=build_model(ModelSettings(provider="fake")), max_edit_rounds=1)
    config: Any = {"configurable": {"thread_id": "toy"}}

    def invoke(brief: Brief) -> dict[str, Any]:
        return graph.invoke({"brief": brief}, config, context=context)

    return invoke


def test_a_declared_agent_runs_after_what_it_waits_for_and_its_result_is_in_the_package(run: Any, film_brief: Brief) -> None:
    state = run(film_brief)
    order = [s.step for s in state["steps"]]
    assert order.index("tally") > max(order.index("marketer"), order.index("pricing"))
    assert order.index("tally") < order.index("assemble") and order.count("tally") == 1
    package = state["package"]
    assert package.extras["tally"] == {
        "channels": len(package.promotion_plan.allocation.channels),
        "tiers": len(package.pricing_plan.recommendation.tiers),
        "budget": film_brief.budget.amount,
    }
    assert package.model_dump(mode="json")["extras"]["tally"]["budget"] == film_brief.budget.amount  # as package.json holds it
    assert step_labels(STEPS)["tally"] == "reach tallied" and "tally" not in step_labels()


def test_a_declared_agent_reruns_with_its_brief_fields_and_with_the_steps_it_reads(run: Any, film_brief: Brief) -> None:
    assert steps_to_rerun({"budget"}, "", STEPS) == ["analyst", "marketer", "pricing", "tally"]
    assert steps_to_rerun({"tone"}, "", STEPS) == ["writer", "marketer", "tally"]  # through the marketer it reads
    assert steps_to_rerun({"working_title"}, "", STEPS) == ["writer", "marketer", "tally"]
    first = run(film_brief)
    before = len(first["steps"])
    budget = film_brief.budget.model_copy(update={"amount": film_brief.budget.amount * 2})
    revised = run(film_brief.model_copy(update={"budget": budget}))
    again = [s.step for s in revised["steps"][before:]]
    assert "writer" not in again and again.count("tally") == 1 and again[-1] == "assemble"
    assert revised["package"].version == 2 and revised["package"].extras["tally"]["budget"] == budget.amount


def test_a_declaration_that_cannot_be_placed_is_refused_in_words() -> None:
    lost = AgentStep(name="lost", node=count_reach, label="", who="", brief_fields=frozenset(), after=("nobody",))
    with pytest.raises(ValueError, match="not declared: nobody"):
        build_launch_graph((*LAUNCH_STEPS, lost))
    beside_writer = AgentStep(name="beside", node=count_reach, label="", who="", brief_fields=frozenset(), after=("analyst",))
    with pytest.raises(ValueError, match="writer loops with its editor"):
        build_launch_graph((*LAUNCH_STEPS, beside_writer))
