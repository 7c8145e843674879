"""The few functions every interface calls to run greenroom's graphs."""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, Field

from greenroom.agents.context import AgentContext, catalog_in, trained_models_in, viewers_in
from greenroom.core.brief import Brief, BriefError, FieldError, parse_brief
from greenroom.core.schemas import CallRecord, WriteResult
from greenroom.core.vocabulary import ACTIVE, RunStatus, set_dotted, status_words
from greenroom.interfaces.outputs import content_note, save_json_and_markdown
from greenroom.interfaces.settings import Settings
from greenroom.interfaces.telemetry import traced_run
from greenroom.models.llm import ModelHandle, build_model
from greenroom.store.checkpoints import open_checkpointer

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.graph import StateGraph

    from greenroom.core.audience import AudienceReport
    from greenroom.core.package import LaunchPackage
    from greenroom.store.catalog import Catalog
    from greenroom.store.runs import RunRegistry
    from greenroom.tools.training import TrainedModels

logger = logging.getLogger(__name__)
StepCallback = Callable[[str, dict[str, Any]], None]
"""Called after each step with the node's name and the keys it changed."""

EventCallback = Callable[[str, dict[str, Any]], None]
"""Called while a launch run streams: `step_started` with {step}, `step_finished` with the step's accounting."""


def checkpointer(settings: Settings) -> AbstractContextManager[BaseCheckpointSaver]:
    """The checkpointer the settings name: PostgreSQL with a database_url, else SQLite in the data folder."""
    return open_checkpointer(settings.checkpoint_path, settings.database_url)


def new_run_id() -> str:
    """A short, unique, sortable-enough run id."""
    return uuid.uuid4().hex[:12]


def model_for(settings: Settings, progress: ProgressFn | None = None) -> ModelHandle:
    """The generation model the settings name (the embedded one starts on first use; the capable tier's file is
    joined from its packages the first time, with progress)."""
    settings.ensure_dirs()
    joining = (lambda done, total: progress("preparing the capable model (once)", done, total)) if progress else None
    return build_model(settings.model, log_dir=settings.data_dir, progress=joining)


ProgressFn = Callable[[str, int, int], None]
"""Called with (what, done, total) while the catalog seeds or models train."""


def open_catalog(settings: Settings, progress: ProgressFn | None = None) -> Catalog:
    """The catalog the settings name, seeded with the bundled films on first use."""
    return catalog_in(settings.data_dir, settings.chroma_url, seed=settings.seed_catalog, progress=progress)


def trained_models(settings: Settings, progress: ProgressFn | None = None) -> TrainedModels:
    """The analyst's predictors, trained on first use and loaded afterwards (one process at a time trains)."""
    return trained_models_in(settings.data_dir, progress)


def agent_context(settings: Settings, *, model: ModelHandle | None = None, analyst: bool = True,
                  progress: ProgressFn | None = None, approval: bool = False, max_tokens: int = 0, max_cost: float = 0.0,
                  tenant: str = "default") -> AgentContext:  # fmt: skip
    """Everything the nodes need, built once from the settings: the one place a run's context is made.

    `analyst=False` leaves the catalog, the trained predictors and the viewer panels out (the write and plan graphs
    do not read them); the options (approval, caps, tenant) are the run's own.
    """
    catalog = open_catalog(settings, progress) if analyst else None
    return AgentContext(
        model=model or model_for(settings, progress),
        max_edit_rounds=settings.max_edit_rounds,
        writer_candidates=settings.writer.candidates,
        catalog=catalog,
        trained=trained_models(settings, progress) if analyst else None,
        viewers=viewers_in(settings.data_dir, catalog, settings.database_url) if analyst else None,
        approval=approval,
        max_tokens=max_tokens,
        max_cost=max_cost,
        tenant=tenant,
    )


# --- running a graph -------------------------------------------------------------

GraphName = Literal["launch", "write", "plan", "analyse"]
"""greenroom's graphs, by the name every interface runs them under."""


def graph_builder(name: GraphName) -> StateGraph[Any, Any, Any, Any]:
    """The uncompiled graph of that name (each graph's modules load only when it runs)."""
    if name == "launch":
        from greenroom.graphs.launch import build_launch_graph

        return build_launch_graph()
    if name == "write":
        from greenroom.graphs.write import build_write_graph

        return build_write_graph()
    if name == "plan":
        from greenroom.graphs.plan import build_plan_graph

        return build_plan_graph()
    from greenroom.graphs.analyse import build_analysis_graph

    return build_analysis_graph()


class RunOutcome(BaseModel):
    """Where a run stands after a call that drove it."""

    run_id: str = Field(..., description="The run's id.")
    status: RunStatus = Field(..., description="done, awaiting_approval, approved, rejected, stopped_cap, failed or cancelled.")
    message: str = Field("", description="Why, in words.")
    package: Any = Field(None, description="The latest LaunchPackage, when one was assembled.")
    question: dict[str, Any] | None = Field(None, description="The approval request, when the run waits for one.")
    output_dir: Path | None = Field(None, description="Folder of the latest package's files (after `record_outcome`).")
    state: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False, description="The graph's final state.")
    error: Any = Field(None, exclude=True, repr=False, description="What stopped the run, when it stopped short.")

    def final_state(self) -> dict[str, Any]:
        """The graph's final state; the error that stopped it, raised, when it stopped short."""
        if self.error is not None:
            raise self.error
        return self.state


def run_graph(name: GraphName, graph_input: Any, run_id: str, settings: Settings, context: AgentContext, *,
              on_step: StepCallback | None = None, on_event: EventCallback | None = None) -> RunOutcome:  # fmt: skip
    """Run a graph on the run's checkpointed thread until it ends, pauses or stops; the one way every interface runs one.

    `graph_input` is the graph's input (a Brief or its JSON, which the graph's entry checks), None to continue from
    the last checkpoint, or a `Command` answering an interrupt. Nothing is written but the checkpoints: a launch run's
    reports and registry entry are the next step's (`record_outcome`). A cap, a model that does not answer or one that
    does not write a usable answer ends the run with a status and a message in words; any other error propagates.
    """
    from greenroom.graphs.launch import CapReached, RunCancelled
    from greenroom.models.llm import ModelUnavailableError
    from greenroom.models.structured import StructuredOutputError

    config: RunnableConfig = {"configurable": {"thread_id": run_id}}
    status, message = "done", ""
    error: Exception | None = None
    with checkpointer(settings) as saver:
        graph = graph_builder(name).compile(checkpointer=saver)
        try:
            for mode, chunk in graph.stream(graph_input, config, context=context, stream_mode=["updates", "tasks"]):
                _dispatch(mode, chunk, on_step, on_event)
        except RunCancelled as exc:
            status, message, error = "cancelled", f"{exc}; the steps before it are kept", exc
        except CapReached as exc:
            status, message, error = "stopped_cap", f"{exc}; the steps before it are kept (resume with a higher cap)", exc
        except StructuredOutputError as exc:  # its reasons are parser output: the log keeps them, the run says it in words
            logger.warning("run %s: %s", run_id, exc)
            what = re.sub(r"(?<!^)(?=[A-Z])", " ", exc.schema).lower()
            status, error = "failed", exc
            message = f"the model did not write a usable {what} in {len(exc.calls)} attempts; the steps before it are kept (resume to retry)"
        except ModelUnavailableError as exc:
            status, message, error = "failed", f"{exc}; the steps before it are kept (resume to retry)", exc
        snapshot = graph.get_state(config)
    values = dict(snapshot.values)
    question = None
    if status == "done" and snapshot.interrupts:
        status, message = "awaiting_approval", "waiting for a person to accept, edit, respond or reject"
        question = dict(snapshot.interrupts[0].value)
    elif status == "done" and values.get("status") in ("approved", "rejected"):
        status = values["status"]
        message = values.get("revision_note", "") if status == "rejected" else ""
    package = values.get("package")
    if status == "done" and package is not None and package.warnings:
        message = "done with a warning: " + (content_note(package.draft) or "; ".join(package.warnings))
    if package is not None:
        package = package.model_copy(update={"run_id": run_id})
    return RunOutcome(run_id=run_id, status=status, message=message, package=package, question=question, state=values,
                      error=error)  # fmt: skip


def record_outcome(outcome: RunOutcome, settings: Settings) -> RunOutcome:
    """The step after a launch run: write the latest package and its reports, then record the outcome in the registry."""
    from greenroom.interfaces.reports import save_package  # reports -> charts -> matplotlib: only once a run is over

    package, folder = outcome.package, None
    if package is not None:
        folder = settings.output_dir / outcome.run_id / f"v{package.version}"
        save_package(package, folder, outcome.status)
    registry(settings).update(outcome.run_id, status=outcome.status, message=outcome.message,
                              version=package.version if package else 0, output_dir=str(folder) if folder else None)  # fmt: skip
    return outcome.model_copy(update={"output_dir": folder})


@traced_run
def advance_run(graph_input: Any, run_id: str, settings: Settings, context: AgentContext, *,
                on_step: StepCallback | None = None, on_event: EventCallback | None = None) -> RunOutcome:  # fmt: skip
    """Take a registered launch run one stretch further (until it ends, pauses or fails), then record the outcome.

    The run is its own tenant's whoever drives it (a launch, a resume, an answer, a revision): the analyst scores
    that tenant's viewers.
    """
    record = registry(settings).update(run_id, status="running", message="")
    if context.tenant != record.tenant:
        context = dataclasses.replace(context, tenant=record.tenant)
    return record_outcome(run_graph("launch", graph_input, run_id, settings, context, on_step=on_step, on_event=on_event),
                          settings)  # fmt: skip


def run_analysis(
    brief: Brief, settings: Settings, context: AgentContext, *, run_id: str | None = None
) -> tuple[str, AudienceReport, list[CallRecord]]:
    """Run the analyst on a checkpointed thread; return the run id, its report and its model calls."""
    run_id = run_id or new_run_id()
    state = run_graph("analyse", {"brief": brief}, run_id, settings, context).final_state()
    return run_id, state["audience"], state.get("calls", [])


def run_write(
    brief: Brief,
    settings: Settings,
    *,
    model: ModelHandle | None = None,
    run_id: str | None = None,
    on_step: StepCallback | None = None,
) -> WriteResult:
    """Run the writer/editor loop on a checkpointed thread and return its result."""
    run_id = run_id or new_run_id()
    context = agent_context(settings, model=model, analyst=False)
    state = run_graph("write", {"brief": brief}, run_id, settings, context, on_step=on_step).final_state()
    return WriteResult(
        run_id=run_id,
        draft=state["draft"],
        review=state["review"],
        outcome=state["outcome"],
        rounds=state["round"],
        calls=state.get("calls", []),
    )


def save_write_result(result: WriteResult, brief: Brief, folder: Path) -> dict[str, Path]:
    """Write the draft as JSON and Markdown into `folder`; return the paths."""
    payload = {"brief": brief.model_dump(mode="json"), **result.model_dump(mode="json")}
    return save_json_and_markdown(folder, "draft", payload, "draft.md.j2", brief=brief, result=result)


def save_audience_report(report: AudienceReport, brief: Brief, calls: list[CallRecord], folder: Path) -> dict[str, Path]:
    """Write the analyst's report as JSON and Markdown into `folder`; return the paths."""
    payload = {"brief": brief.model_dump(mode="json"), "audience": report.model_dump(mode="json"),
               "calls": [c.model_dump(mode="json") for c in calls]}  # fmt: skip
    return save_json_and_markdown(folder, "audience", payload, "audience.md.j2", brief=brief, report=report, calls=calls)


# --- launch runs ---------------------------------------------------------------


def registry(settings: Settings) -> RunRegistry:
    """The run registry the settings name (SQLite in the data folder, or the database)."""
    from greenroom.store.runs import RunRegistry

    settings.ensure_dirs()
    return RunRegistry(settings.registry_target)


def _dispatch(mode: str, chunk: Any, on_step: StepCallback | None, on_event: EventCallback | None) -> None:
    """Turn one `["updates", "tasks"]` stream item into step callbacks and events."""
    if mode == "tasks":
        if on_event and "result" not in chunk:  # a task's start; its end also arrives as an update
            on_event("step_started", {"step": chunk["name"]})
        return
    for node, changes in chunk.items():
        if node == "__interrupt__":
            continue
        if on_step:
            on_step(node, changes or {})
        records = (changes or {}).get("steps") or []
        if on_event:
            on_event("step_finished", records[-1].model_dump(mode="json") if records else {"step": node})


def launch_run(brief: Brief, settings: Settings, context: AgentContext, *, run_id: str | None = None,
               tenant: str = "default", on_step: StepCallback | None = None,
               on_event: EventCallback | None = None) -> RunOutcome:  # fmt: skip
    """Register a run and drive the launch graph from the brief."""
    run_id = run_id or new_run_id()
    registry(settings).register(run_id, brief.working_title, brief.model_dump(mode="json"), tenant=tenant,
                                approval=context.approval, job=None)  # fmt: skip
    if context.tenant != tenant:  # set before the run's span opens, so the trace names the tenant too
        context = dataclasses.replace(context, tenant=tenant)
    return advance_run({"brief": brief}, run_id, settings, context, on_step=on_step, on_event=on_event)


RESUME_SEED_SPAN = 1_000_000
"""A resumed run's seeds move by a random amount below this (recorded in every call record)."""


def resume_run(run_id: str, settings: Settings, context: AgentContext, *, on_step: StepCallback | None = None,
               on_event: EventCallback | None = None) -> RunOutcome:  # fmt: skip
    """Continue a run from its last checkpoint (after a crash, a cap or a failure).

    The resumed steps sample with new seeds, so a step that failed is not asked the identical question again.
    """
    registry(settings).get(run_id)  # raises UnknownRunError
    context = dataclasses.replace(context, model=context.model.reseeded(1 + secrets.randbelow(RESUME_SEED_SPAN)))
    return advance_run(None, run_id, settings, context, on_step=on_step, on_event=on_event)


def answer_approval(run_id: str, answer: dict[str, Any], settings: Settings, context: AgentContext,
                    *, on_step: StepCallback | None = None, on_event: EventCallback | None = None) -> RunOutcome:  # fmt: skip
    """Resume a run paused for approval with a person's answer."""
    from langgraph.types import Command

    record = registry(settings).get(run_id)
    if record.status != "awaiting_approval":
        raise ValueError(f"run {run_id} is {status_words(record.status)}, not awaiting approval")
    return advance_run(Command(resume=answer), run_id, settings, context, on_step=on_step, on_event=on_event)


def latest_package(run_id: str, settings: Settings) -> LaunchPackage | None:
    """The run's latest package from its checkpoint, if it has one."""
    with checkpointer(settings) as saver:
        graph = graph_builder("launch").compile(checkpointer=saver)
        package = graph.get_state({"configurable": {"thread_id": run_id}}).values.get("package")
    return package.model_copy(update={"run_id": run_id}) if package is not None else None


def version_folder(settings: Settings, run_id: str, version: int, latest_dir: str = "") -> Path:
    """Where a version's files are written: `vN` beside the latest version's folder (`output_dir/<run>/vN` by default)."""
    return (Path(latest_dir).parent if latest_dir else settings.output_dir / run_id) / f"v{version}"


def package_version(run_id: str, settings: Settings, version: int, latest_dir: str = "") -> LaunchPackage | None:
    """One version of a run's package: its `package.json` on disk, else the run's checkpoint (written on another machine).

    None when neither holds it (pruned, or no such version).
    """
    from greenroom.core.package import LaunchPackage

    path = version_folder(settings, run_id, version, latest_dir) / "package.json"
    if path.is_file():
        return LaunchPackage.model_validate_json(path.read_text(encoding="utf-8"))
    from greenroom.graphs.launch import build_launch_graph

    with checkpointer(settings) as saver:
        graph = build_launch_graph().compile(checkpointer=saver)
        versions = graph.get_state({"configurable": {"thread_id": run_id}}).values.get("versions") or []
    found = [p for p in versions if p.version == version]  # an approval edit keeps the number: the last one stands
    return found[-1].model_copy(update={"run_id": run_id}) if found else None


def revised_brief(brief: Brief, sets: dict[str, Any]) -> Brief:
    """The brief with dotted-path fields changed (`budget.amount=20000`); every bad field is reported."""
    data = brief.model_dump(mode="json")
    for dotted, value in sets.items():
        try:
            set_dotted(data, dotted, value)
        except KeyError:
            raise BriefError([FieldError(field=dotted, message="is not a field of the brief")]) from None
    return parse_brief(data, "revised brief")


def revise_run(run_id: str, settings: Settings, context: AgentContext, *, note: str = "", sets: dict[str, Any] | None = None,
               on_step: StepCallback | None = None, on_event: EventCallback | None = None) -> RunOutcome:  # fmt: skip
    """Re-run only the steps a change touches; the earlier version stays in the run and on disk."""
    record = registry(settings).get(run_id)
    if record.status in ACTIVE:
        raise ValueError(f"run {run_id} is {status_words(record.status)}: wait for it to finish before revising")
    package = latest_package(run_id, settings)
    if package is None:
        raise ValueError(f"run {run_id} has no package yet: resume it first")
    brief = revised_brief(package.brief, sets or {})
    registry(settings).update(run_id, brief=brief.model_dump(mode="json"))
    graph_input = {"brief": brief, "revision_note": note}
    return advance_run(graph_input, run_id, settings, context, on_step=on_step, on_event=on_event)


def prune_finished_runs(settings: Settings, *, older_than_days: float | None = None) -> list[str]:
    """Cut the checkpoints of runs finished longer ago than the retention period down to their final state."""
    import datetime as dt

    from greenroom.store.checkpoints import prune_threads

    days = settings.checkpoint_retention_days if older_than_days is None else older_than_days
    runs = registry(settings)
    due = runs.due_for_pruning(dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
    if due:
        with checkpointer(settings) as saver:
            prune_threads(saver, due)
        runs.mark_pruned(due)
    return due
