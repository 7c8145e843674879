"""Running the plan graph and saving its plans: the functions every interface calls for `plan`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from greenroom.core.brief import Brief
from greenroom.core.market import PricingAssumptions
from greenroom.core.plans import MarketingInputs, PlanResult
from greenroom.core.schemas import Draft
from greenroom.core.state import PlanInput
from greenroom.interfaces.outputs import save_json_and_markdown
from greenroom.interfaces.runs import StepCallback, agent_context, new_run_id, run_graph
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import ModelHandle


def run_plan(
    brief: Brief,
    settings: Settings,
    *,
    model: ModelHandle | None = None,
    run_id: str | None = None,
    on_step: StepCallback | None = None,
    marketing: MarketingInputs | None = None,
    pricing_assumptions: PricingAssumptions | None = None,
    draft: Draft | None = None,
    audience: Any = None,
    tenant: str = "default",
) -> PlanResult:
    """Run the marketer and the pricing agent on a checkpointed thread and return the three plans.

    Engine input errors (`ReleaseInputError`, `PromotionInputError`, `PricingInputError`)
    propagate unchanged, naming the field or row at fault.
    """
    run_id = run_id or new_run_id()
    context = agent_context(settings, model=model, analyst=False, tenant=tenant)
    start: PlanInput = {"brief": brief, "marketing": marketing, "pricing_assumptions": pricing_assumptions, "draft": draft}
    if audience is not None:
        start["audience"] = audience
    state = run_graph("plan", start, run_id, settings, context, on_step=on_step).final_state()
    return PlanResult(
        run_id=run_id,
        release_plan=state["release_plan"],
        promotion_plan=state["promotion_plan"],
        pricing_plan=state["pricing_plan"],
        calls=state.get("calls", []),
    )


def save_plan_result(result: PlanResult, brief: Brief, folder: Path) -> dict[str, Path]:
    """Write the plans as JSON (`plans.json`) and Markdown tables (`plans.md`) into `folder`; return the paths."""
    payload = {"brief": brief.model_dump(mode="json"), **result.model_dump(mode="json")}
    return save_json_and_markdown(folder, "plans", payload, "plans.md.j2", brief=brief, result=result)
