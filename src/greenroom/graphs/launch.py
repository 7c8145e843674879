"""The launch graph: one brief in, one launch package out.

    intake ─► analyst ─► writer ⇄ editor ─┬► marketer ─┐
                                           └► pricing ──┴► assemble ─► [approval] ─► END

A revision re-enters at intake on the same thread: intake compares the new
brief with the last package's and sets `rerun`, and the routes skip every step
whose inputs did not change (a budget change re-runs marketer and pricing, not
the writer). Each node is wrapped by `_step`, which records its time, calls,
tokens and cost, and stops the run cleanly when a token or cost cap is spent.
"""

from __future__ import annotations

import datetime as dt
import inspect
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from greenroom.agents.analyst import analyse
from greenroom.agents.context import AgentContext
from greenroom.agents.editor import review_draft
from greenroom.agents.marketer import market
from greenroom.agents.pricing import price
from greenroom.agents.writer import write
from greenroom.core import limits
from greenroom.core.brief import Brief
from greenroom.core.funnel import AudienceFunnel
from greenroom.core.package import Accounting, LaunchPackage, StepRecord, fallback_warning
from greenroom.core.schemas import CallRecord
from greenroom.core.state import LaunchInput, LaunchState
from greenroom.core.vocabulary import STEP_NAMES, set_dotted
from greenroom.graphs.inputs import checked_inputs
from greenroom.graphs.served import served
from greenroom.graphs.write import writing_done
from greenroom.models.costs import call_cost
from greenroom.tools.funnel import build_funnel

STEPS = ("analyst", "writer", "marketer", "pricing")

# Which steps read which brief fields (top-level names of Brief).
DEPENDS_ON: dict[str, frozenset[str]] = {
    "analyst": frozenset(
        {
            "logline",
            "genres",
            "format",
            "audience",
            "length",
            "budget",
            "business_model",
            "constraints",
            "release",
            "territories",
            "studio",
        }
    ),  # the forecast reads the release year, the US share, the studio
    "writer": frozenset({"working_title", "logline", "genres", "format", "audience", "tone", "length", "constraints"}),
    "marketer": frozenset({"budget", "release", "business_model", "territories", "format", "audience", "genres"}),
    "pricing": frozenset({"business_model", "budget", "territories", "format"}),
}
# Steps that read another step's output: re-running the key re-runs these too.
DOWNSTREAM: dict[str, tuple[str, ...]] = {"analyst": ("marketer",), "writer": ("marketer",)}


class CapReached(RuntimeError):
    """The run spent its token or cost cap; the steps done so far are checkpointed."""


class RunCancelled(RuntimeError):
    """Someone cancelled the run; it stopped before a step, and the steps done so far are checkpointed."""


def changed_fields(old: Brief, new: Brief) -> set[str]:
    """Top-level brief fields whose values differ."""
    return {name for name in Brief.model_fields if getattr(old, name) != getattr(new, name)}


def steps_to_rerun(changed: set[str], note: str) -> list[str]:
    """The steps a revision must re-run, given the changed fields and a request in words."""
    rerun = {step for step, fields in DEPENDS_ON.items() if fields & changed}
    if note:
        rerun.add("writer")
    for step in list(rerun):
        rerun.update(DOWNSTREAM.get(step, ()))
    return [s for s in STEPS if s in rerun]


# --- nodes -------------------------------------------------------------------


def intake(state: LaunchState) -> dict[str, Any]:
    """Validate the brief (and what came with it); on a revision, work out which steps its changes touch."""
    checked = checked_inputs(state)
    brief: Brief = checked.get("brief", state["brief"])
    previous = state.get("package")
    if previous is None:
        return {**checked, "brief": brief, "rerun": list(STEPS), "status": "running"}
    rerun = steps_to_rerun(changed_fields(previous.brief, brief), state.get("revision_note", ""))
    update: dict[str, Any] = {**checked, "brief": brief, "rerun": rerun, "status": "running"}
    if "writer" in rerun:
        update |= {"round": 0, "review": None}  # a fresh writing pass with its own round cap
    return update


def assemble(state: LaunchState) -> dict[str, Any]:
    """Put the artifacts together into a new version of the LaunchPackage."""
    versions = state.get("versions", [])
    draft = state["draft"]
    assert draft is not None, "assembly runs after the writer"
    calls: list[CallRecord] = state.get("calls", [])
    steps: list[StepRecord] = state.get("steps", [])
    package = LaunchPackage(
        run_id="",  # filled in by the runner, which knows the thread
        version=len(versions) + 1,
        created_at=dt.datetime.now(dt.UTC),
        brief=state["brief"],
        audience=state["audience"],
        draft=draft,
        review=state["review"],
        edit_outcome="approved" if state["review"] and state["review"].approved else "max_rounds",
        release_plan=state["release_plan"],
        promotion_plan=state["promotion_plan"],
        pricing_plan=state["pricing_plan"],
        funnel=_funnel(state),
        accounting=_accounting(steps),
        calls=calls,
        revision_note=state.get("revision_note", ""),
        warnings=[fallback_warning([f.field for f in draft.fallbacks])] if draft.fallbacks else [],
    )
    return {"package": package, "versions": [package], "revision_note": ""}


def _funnel(state: LaunchState) -> AudienceFunnel:
    """The one audience funnel the report reads: the marketer's allocation and the pricing plan on the same count."""
    audience = state["audience"]
    return build_funnel(state["brief"], state["promotion_plan"].allocation, state["pricing_plan"].recommendation,
                        audience.forecast if audience is not None else None)  # fmt: skip


def approval(state: LaunchState) -> Command[Literal["writer", "approval", "__end__"]]:
    """Pause for a person: accept, edit a field, ask for a change in words, or reject."""
    package: LaunchPackage = state["package"]
    answer = interrupt({"question": "Approve this launch package?", "run_version": package.version,
                        "answers": ["accept", "edit", "respond", "reject"]})  # fmt: skip
    action = str(answer.get("action", "")) if isinstance(answer, dict) else str(answer)
    if action == "accept":
        return Command(goto="__end__", update={"status": "approved"})  # == END, which LangGraph types as plain str
    if action == "reject":
        return Command(goto="__end__", update={"status": "rejected", "revision_note": str(answer.get("reason", ""))})
    if action == "edit":
        edited = apply_edit(package, str(answer["field"]), answer["value"])
        return Command(goto="approval", update={"package": edited, "versions": [edited], "draft": edited.draft})
    if action == "respond":
        note = str(answer.get("text", "")).strip()
        return Command(
            goto="writer", update={"revision_note": note, "rerun": steps_to_rerun(set(), note), "round": 0, "review": None}
        )
    raise ValueError(f"approval: unknown answer {action!r}; use accept, edit, respond or reject")


def apply_edit(package: LaunchPackage, field: str, value: Any) -> LaunchPackage:
    """A new version of the package with one field changed, e.g. `draft.hooks.taglines.0`."""
    limits.check_value(value, field)  # a non-finite or endless number would validate here and break the report later
    data = package.model_dump(mode="json")
    try:
        set_dotted(data, field, value)
    except KeyError as exc:
        raise ValueError(f"edit: {field} is not a field of the launch package") from exc
    data["version"] = package.version + 1
    data["revision_note"] = f"edited {field}"
    return LaunchPackage.model_validate(data)


# --- routes ------------------------------------------------------------------


def _plans(state: LaunchState) -> list[str]:
    todo = [s for s in ("marketer", "pricing") if s in state.get("rerun", STEPS)]
    return todo or ["assemble"]


def route_after_intake(state: LaunchState) -> list[str]:
    """Start at the first step the run (or revision) needs."""
    rerun = state.get("rerun", STEPS)
    if "analyst" in rerun:
        return ["analyst"]
    if "writer" in rerun:
        return ["writer"]
    return _plans(state)


def route_after_analyst(state: LaunchState) -> list[str]:
    """On to the writer, or straight to the plans when the content stands."""
    return ["writer"] if "writer" in state.get("rerun", STEPS) else _plans(state)


def route_after_review(state: LaunchState, runtime: Runtime[AgentContext]) -> list[str]:
    """Back to the writer until approved or out of rounds; then marketer and pricing in parallel."""
    return _plans(state) if writing_done(state, runtime.context.max_edit_rounds) else ["writer"]


def route_after_assemble(state: LaunchState, runtime: Runtime[AgentContext]) -> Literal["approval", "__end__"]:
    """Pause for approval when the run asked for it."""
    return "approval" if runtime.context.approval else "__end__"  # == END, which LangGraph types as plain str


# --- accounting --------------------------------------------------------------


def _accounting(steps: list[StepRecord]) -> Accounting:
    return Accounting(
        steps=steps,
        model_calls=sum(s.model_calls for s in steps),
        input_tokens=sum(s.input_tokens for s in steps),
        cached_input_tokens=sum(s.cached_input_tokens for s in steps),
        output_tokens=sum(s.output_tokens for s in steps),
        cost=round(sum(s.cost for s in steps), 6),
    )


def _check_caps(state: LaunchState, context: AgentContext, step: str) -> None:
    calls: list[CallRecord] = state.get("calls", [])
    tokens = sum(c.input_tokens + c.output_tokens for c in calls)
    cost = sum(call_cost(c) for c in calls)
    if context.max_tokens and tokens >= context.max_tokens:
        raise CapReached(f"token cap reached before {step}: {tokens:,} of {context.max_tokens:,} tokens used")
    if context.max_cost and cost >= context.max_cost:
        raise CapReached(f"cost cap reached before {step}: ${cost:.4f} of ${context.max_cost:.4f} spent")


class LaunchNode(Protocol):
    """A launch-graph node as `_step` wraps it: LangGraph passes the runtime by keyword, so the name matters."""

    def __call__(self, state: LaunchState, runtime: Runtime[AgentContext]) -> Any: ...


def _step(name: str, node: Callable[..., Any]) -> LaunchNode:
    """Wrap a node: stop a cancelled run and enforce the caps before it, and record its accounting after it."""
    takes_runtime = len(inspect.signature(node).parameters) > 1

    def run(state: LaunchState, runtime: Runtime[AgentContext]) -> Any:
        if runtime.context.should_stop is not None and runtime.context.should_stop():
            raise RunCancelled(f"cancelled before the {STEP_NAMES.get(name, name).lower()} step")
        _check_caps(state, runtime.context, name)
        started = time.time()
        out = node(state, runtime) if takes_runtime else node(state)
        calls: list[CallRecord] = out.get("calls", []) if isinstance(out, dict) else []
        record = StepRecord(
            step=name, started_at=started, seconds=round(time.time() - started, 4), model_calls=len(calls),
            input_tokens=sum(c.input_tokens for c in calls), output_tokens=sum(c.output_tokens for c in calls),
            cached_input_tokens=sum(c.cached_input_tokens for c in calls),
            model_seconds=round(sum(c.seconds for c in calls), 4), cost=round(sum(call_cost(c) for c in calls), 6),
        )  # fmt: skip
        if isinstance(out, dict):
            return {**out, "steps": [record]}
        return out

    run.__name__ = name
    return run


def build_launch_graph() -> StateGraph[LaunchState, AgentContext, LaunchInput, LaunchState]:
    """The uncompiled launch graph."""
    builder = StateGraph(LaunchState, context_schema=AgentContext, input_schema=LaunchInput)
    builder.add_node("intake", _step("intake", intake))
    builder.add_node("analyst", _step("analyst", analyse))
    builder.add_node("writer", _step("writer", write))
    builder.add_node("editor", _step("editor", review_draft))
    builder.add_node("marketer", _step("marketer", market))
    builder.add_node("pricing", _step("pricing", price))
    builder.add_node("assemble", _step("assemble", assemble))
    builder.add_node("approval", approval, destinations=("writer", "approval", END))
    builder.add_edge(START, "intake")
    builder.add_conditional_edges("intake", route_after_intake, ["analyst", "writer", "marketer", "pricing", "assemble"])
    builder.add_conditional_edges("analyst", route_after_analyst, ["writer", "marketer", "pricing", "assemble"])
    builder.add_edge("writer", "editor")
    builder.add_conditional_edges("editor", route_after_review, ["writer", "marketer", "pricing", "assemble"])
    builder.add_edge("marketer", "assemble")
    builder.add_edge("pricing", "assemble")
    builder.add_conditional_edges("assemble", route_after_assemble, ["approval", END])
    return builder


graph = served(build_launch_graph())
"""Compiled without a checkpointer, for LangGraph's own tooling; runs use `store.checkpoints`."""
