"""The few functions every interface calls to run greenroom's graphs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from graphs.brief import Brief
from graphs.context import AgentContext
from graphs.schemas import WriteResult
from graphs.write import build_write_graph
from interfaces.settings import Settings
from store.checkpoints import sqlite_checkpointer
from tools.llm import ModelHandle, build_model

StepCallback = Callable[[str, dict[str, Any]], None]
"""Called after each step with the node's name and the keys it changed."""

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def new_run_id() -> str:
    """A short, unique, sortable-enough run id."""
    return uuid.uuid4().hex[:12]


def model_for(settings: Settings) -> ModelHandle:
    """The generation model the settings name (the embedded one starts on first use)."""
    settings.ensure_dirs()
    return build_model(settings.model, log_dir=settings.data_dir)


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
    context = AgentContext(model=model or model_for(settings), max_edit_rounds=settings.max_edit_rounds)
    config = {"configurable": {"thread_id": run_id}}
    with sqlite_checkpointer(settings.checkpoint_path) as saver:
        graph = build_write_graph().compile(checkpointer=saver)
        for update in graph.stream({"brief": brief}, config, context=context, stream_mode="updates"):
            for node, changes in update.items():
                if on_step:
                    on_step(node, changes or {})
        state = graph.get_state(config).values
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
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "draft.json", "markdown": folder / "draft.md"}
    payload = {"brief": brief.model_dump(mode="json"), **result.model_dump(mode="json")}
    paths["json"].write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown = _TEMPLATES.get_template("draft.md.j2").render(brief=brief, result=result)
    paths["markdown"].write_text(markdown, encoding="utf-8")
    return paths
