"""The launch graph: one brief in, one launch package out.

    intake ─► analyst ─► writer ⇄ editor ─┬► marketer ─┐
                                           └► pricing ──┴► assemble ─► [approval] ─► END

The agents and their order come from their declarations (`graphs.steps.LAUNCH_STEPS`): a step runs after
the steps it names, steps with no order between them run at the same time, and a step with a reviewer loops
with it before the next steps start. A revision re-enters at intake on the same thread: intake compares the
new brief with the last package's and sets `rerun`, and the routes skip every step whose inputs did not
change (a budget change re-runs marketer and pricing, not the writer). Each node is wrapped by `_step`, which
records its time, calls, tokens and cost, and stops the run cleanly when a token or cost cap is spent.
"""

from __future__ import annotations

import datetime as dt
import inspect
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from pydantic_core import to_jsonable_python

from greenroom.agents.context import AgentContext
from greenroom.core import limits
from greenroom.core.brief import Brief
from greenroom.core.funnel import AudienceFunnel
from greenroom.core.package import Accounting, LaunchPackage, StepRecord, fallback_warning
from greenroom.core.schemas import CallRecord
from greenroom.core.state import LaunchInput, LaunchState
from greenroom.core.telemetry import record_step_usage, step_span
from greenroom.core.vocabulary import set_dotted
from greenroom.graphs.inputs import checked_inputs
from greenroom.graphs.served import served
from greenroom.graphs.steps import LAUNCH_STEPS, STEP_NAMES, AgentStep
from greenroom.models.costs import call_cost
from greenroom.tools.funnel import build_funnel


class CapReached(RuntimeError):
    """The run spent its token or cost cap; the steps done so far are checkpointed."""


class RunCancelled(RuntimeError):
    """Someone cancelled the run; it stopped before a step, and the steps done so far are checkpointed."""


def changed_fields(old: Brief, new: Brief) -> set[str]:
    """Top-level brief fields whose values differ."""
    return {name for name in Brief.model_fields if getattr(old, name) != getattr(new, name)}


def steps_to_rerun(changed: set[str], note: str, steps: Sequence[AgentStep] = LAUNCH_STEPS) -> list[str]:
    """The steps a revision must re-run, given the changed fields and a request in words."""
    rerun = {s.name for s in steps if s.brief_fields & changed or (note and s.on_note)}
    grown = True
    while grown:  # a step that reads a re-run step's result re-runs too, and so on down
        more = {s.name for s in steps if set(s.reads) & rerun} - rerun
        rerun |= more
        grown = bool(more)
    return [s.name for s in steps if s.name in rerun]


# --- the graph's shape, read from the declarations ------------------------------------------------


def _stages(steps: Sequence[AgentStep]) -> list[list[str]]:
    """The steps grouped by when they run: each after every step it names in `after`, in declaration order."""
    names = [s.name for s in steps]
    if len(set(names)) != len(names) or {"intake", "assemble", "approval"} & set(names):
        raise ValueError(f"launch steps need names of their own, and not intake, assemble or approval: {names}")
    unknown = sorted({a for s in steps for a in (*s.after, *s.reads) if a not in names})
    if unknown:
        raise ValueError(f"launch steps wait for or read steps that are not declared: {', '.join(unknown)}")
    level: dict[str, int] = {}
    todo = list(steps)
    while todo:
        ready = [s for s in todo if all(a in level for a in s.after)]
        if not ready:
            raise ValueError(f"launch steps {', '.join(s.name for s in todo)} wait for each other")
        for s in ready:
            level[s.name] = 1 + max((level[a] for a in s.after), default=-1)
        todo = [s for s in todo if s.name not in level]
    stages = [[s.name for s in steps if level[s.name] == n] for n in range(max(level.values(), default=-1) + 1)]
    for step in steps:
        stage = stages[level[step.name]]
        if step.reviewer and len(stage) > 1:
            others = [n for n in stage if n != step.name]
            raise ValueError(f"{step.name} loops with its {step.reviewer.name} before anything runs after it; "
                             f"order {', '.join(others)} before or after {step.name}")  # fmt: skip
    for key in [k for s in steps for k in (*s.sections, *(s.reviewer.sections if s.reviewer else ()))]:
        if key not in LaunchPackage.model_fields or key not in LaunchState.__annotations__:
            raise ValueError(f"{key} is not a section of the launch package; leave `sections` empty to use extras")
    return stages


class _Launch:
    """The launch graph's nodes and routes for one list of declared steps."""

    def __init__(self, steps: Sequence[AgentStep]) -> None:
        self.steps = tuple(steps)
        self.names = [s.name for s in self.steps]
        self.stages = _stages(self.steps)

    def next_steps(self, stage: int, rerun: Sequence[str]) -> list[str]:
        """The steps of the first stage after `stage` that has one to run; assembly when none is left."""
        for names in self.stages[stage + 1 :]:
            todo = [n for n in names if n in rerun]
            if todo:
                return todo
        return ["assemble"]

    def fresh(self, rerun: Sequence[str]) -> dict[str, Any]:
        """The state the re-run steps start again from."""
        update: dict[str, Any] = {}
        for step in self.steps:
            if step.name in rerun:
                update |= step.fresh
        return update

    # --- nodes ---------------------------------------------------------------

    def intake(self, state: LaunchState) -> dict[str, Any]:
        """Validate the brief (and what came with it); on a revision, work out which steps its changes touch."""
        checked = checked_inputs(state)
        brief: Brief = checked.get("brief", state["brief"])
        previous = state.get("package")
        if previous is None:
            return {**checked, "brief": brief, "rerun": self.names, "status": "running"}
        rerun = steps_to_rerun(changed_fields(previous.brief, brief), state.get("revision_note", ""), self.steps)
        return {**checked, "brief": brief, "rerun": rerun, "status": "running", **self.fresh(rerun)}

    def assemble(self, state: LaunchState) -> dict[str, Any]:
        """Put the artifacts together into a new version of the LaunchPackage."""
        versions = state.get("versions", [])
        draft = state["draft"]
        assert draft is not None, "assembly runs after the writer"
        calls: list[CallRecord] = state.get("calls", [])
        steps: list[StepRecord] = state.get("steps", [])
        sections = {
            key: state.get(key) for s in self.steps for key in (*s.sections, *(s.reviewer.sections if s.reviewer else ()))
        }
        package = LaunchPackage(
            run_id="",  # filled in by the runner, which knows the thread
            version=len(versions) + 1,
            created_at=dt.datetime.now(dt.UTC),
            brief=state["brief"],
            **sections,
            edit_outcome="approved" if state["review"] and state["review"].approved else "max_rounds",
            extras=state.get("extras", {}),
            funnel=_funnel(state),
            accounting=_accounting(steps),
            calls=calls,
            revision_note=state.get("revision_note", ""),
            warnings=[fallback_warning([f.field for f in draft.fallbacks])] if draft.fallbacks else [],
        )
        return {"package": package, "versions": [package], "revision_note": ""}

    def approval(self, state: LaunchState) -> Command[str]:
        """Pause for a person: accept, edit a field, ask for a change in words, or reject."""
        package: LaunchPackage = state["package"]
        answer = interrupt({"question": "Approve this launch package?", "run_version": package.version,
                            "answers": ["accept", "edit", "respond", "reject"]})  # fmt: skip
        action = str(answer.get("action", "")) if isinstance(answer, dict) else str(answer)
        if action == "accept":
            return Command(goto=END, update={"status": "approved"})
        if action == "reject":
            return Command(goto=END, update={"status": "rejected", "revision_note": str(answer.get("reason", ""))})
        if action == "edit":
            edited = apply_edit(package, str(answer["field"]), answer["value"])
            return Command(goto="approval", update={"package": edited, "versions": [edited], "draft": edited.draft})
        if action == "respond":
            note = str(answer.get("text", "")).strip()
            rerun = steps_to_rerun(set(), note, self.steps)
            rewrite = self.next_steps(-1, [s.name for s in self.steps if s.on_note])  # the writer, even for an empty note
            return Command(goto=rewrite, update={"revision_note": note, "rerun": rerun, **self.fresh([*rerun, *rewrite])})
        raise ValueError(f"approval: unknown answer {action!r}; use accept, edit, respond or reject")

    # --- routes --------------------------------------------------------------

    def route_after(self, stage: int) -> Callable[[LaunchState], list[str]]:
        """The route out of a stage (-1: out of intake): on to the next stage with a step the pass needs."""

        def route(state: LaunchState) -> list[str]:
            return self.next_steps(stage, state.get("rerun", self.names))

        route.__name__ = f"route_after_{'intake' if stage < 0 else '_'.join(self.stages[stage])}"
        return route

    def route_after_review(self, step: AgentStep, stage: int) -> Callable[[LaunchState, Runtime[AgentContext]], list[str]]:
        """Back to the reviewed step until its reviewer is done; then on to the next stage."""
        assert step.reviewer is not None
        done = step.reviewer.done

        def route(state: LaunchState, runtime: Runtime[AgentContext]) -> list[str]:
            return self.next_steps(stage, state.get("rerun", self.names)) if done(state, runtime.context) else [step.name]

        route.__name__ = f"route_after_{step.reviewer.name}"
        return route


def _funnel(state: LaunchState) -> AudienceFunnel:
    """The one audience funnel the report reads: the marketer's allocation and the pricing plan on the same count."""
    audience = state["audience"]
    return build_funnel(state["brief"], state["promotion_plan"].allocation, state["pricing_plan"].recommendation,
                        audience.forecast if audience is not None else None)  # fmt: skip


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
    """Wrap a node: stop a cancelled run and enforce the caps before it, trace it, and record its accounting after it."""
    takes_runtime = len(inspect.signature(node).parameters) > 1

    def run(state: LaunchState, runtime: Runtime[AgentContext]) -> Any:
        if runtime.context.should_stop is not None and runtime.context.should_stop():
            raise RunCancelled(f"cancelled before the {STEP_NAMES.get(name, name).lower()} step")
        _check_caps(state, runtime.context, name)
        started = time.time()
        with step_span(name) as span:
            out = node(state, runtime) if takes_runtime else node(state)
            calls: list[CallRecord] = out.get("calls", []) if isinstance(out, dict) else []
            record_step_usage(span, calls)
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


def _extra(name: str, node: Callable[..., Any]) -> Callable[..., Any]:
    """A node whose result is not a section of the package: what it returns (less its calls) goes to `extras`."""
    takes_runtime = len(inspect.signature(node).parameters) > 1

    def run(state: LaunchState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
        out = dict(node(state, runtime) if takes_runtime else node(state))
        calls = out.pop("calls", [])
        return {"extras": {name: to_jsonable_python(out)}, "calls": calls}

    return run


def build_launch_graph(
    steps: Sequence[AgentStep] = LAUNCH_STEPS,
) -> StateGraph[LaunchState, AgentContext, LaunchInput, LaunchState]:
    """The uncompiled launch graph for the declared `steps` (the project's agents unless told otherwise)."""
    launch = _Launch(steps)
    stages = launch.stages
    builder = StateGraph(LaunchState, context_schema=AgentContext, input_schema=LaunchInput)
    builder.add_node("intake", _step("intake", launch.intake))
    for step in launch.steps:
        builder.add_node(step.name, _step(step.name, step.node if step.sections else _extra(step.name, step.node)))
        if step.reviewer:
            builder.add_node(step.reviewer.name, _step(step.reviewer.name, step.reviewer.node))
    builder.add_node("assemble", _step("assemble", launch.assemble))
    builder.add_node("approval", launch.approval, destinations=(*launch.names, "approval", END))
    builder.add_edge(START, "intake")
    builder.add_conditional_edges("intake", launch.route_after(-1), [*launch.names, "assemble"])
    for index, names in enumerate(stages):
        later = [n for stage in stages[index + 1 :] for n in stage] + ["assemble"]
        for step in (s for s in launch.steps if s.name in names):
            if step.reviewer:
                builder.add_edge(step.name, step.reviewer.name)
                builder.add_conditional_edges(step.reviewer.name, launch.route_after_review(step, index), [step.name, *later])
            else:
                builder.add_conditional_edges(step.name, launch.route_after(index), later)
    builder.add_conditional_edges("assemble", route_after_assemble, ["approval", END])
    return builder


graph = served(build_launch_graph())
"""Compiled without a checkpointer, for LangGraph's own tooling; runs use `store.checkpoints`."""
