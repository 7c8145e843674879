"""A launch's trace as an exporter receives it: the span tree with each span's attributes.

    python benchmarks/trace_demo.py                 # the example film brief, fake model
    python benchmarks/trace_demo.py examples/briefs/night-shift-film.yaml --all-calls

Runs one launch with the fake model on a temporary data folder, with the
OpenTelemetry SDK exporting to memory (the same spans an OTLP collector would
receive with GREENROOM_OTEL__ENDPOINT set), then prints the tree: the run span
(`invoke_workflow launch`), a span per step (`invoke_agent <step>`) and a span
per model call (`chat <model>`), each with its GenAI attributes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from rich.console import Console
from rich.tree import Tree

from greenroom.agents.context import AgentContext
from greenroom.core.brief import load_brief
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.runs import launch_run
from greenroom.interfaces.settings import Settings
from greenroom.interfaces.telemetry import install_provider
from greenroom.models.llm import build_model

ROOT = Path(__file__).resolve().parent.parent
console = Console(width=120)

SHOWN_CALLS = 4
"""Model-call spans shown per step unless --all-calls (the writer makes many)."""


def _catalog() -> Any:
    from greenroom.store.catalog import Catalog, Title

    catalog = Catalog.memory()
    catalog.upsert([
        Title(source="demo", title="Storm Light", year=2009, genres=["thriller", "drama"], rotten_tomatoes=81,
              synopsis="A lighthouse keeper shelters a runaway during a storm while salvagers circle a wreck."),
        Title(source="demo", title="Night Ward", year=2011, genres=["drama"], rotten_tomatoes=72,
              synopsis="A night nurse on a hospital ward keeps a patient's secret through one long shift."),
        Title(source="demo", title="Graveyard Shift", year=2004, genres=["thriller"], rotten_tomatoes=58,
              synopsis="Night workers at a depot find that the last bus of the night never arrives."),
    ])  # fmt: skip
    return catalog


def _label(span: ReadableSpan) -> str:
    attrs = dict(span.attributes or {})
    shown = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in sorted(attrs.items()))
    ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
    status = "" if span.status.status_code.name == "UNSET" else f" [{span.status.status_code.name}]"
    return f"[bold]{span.name}[/bold] ({span.kind.name.lower()}, {ms:.0f} ms){status}\n[dim]{shown}[/dim]"


def main(
    brief: Annotated[Path, typer.Argument(help="The brief to launch.")] = ROOT / "examples" / "briefs" / "night-shift-film.yaml",
    all_calls: Annotated[bool, typer.Option("--all-calls", help="Show every model call, not the first four per step.")] = False,
) -> None:
    """Launch once and print the trace."""
    from greenroom.tools.training import TrainingConfig, load_or_train

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data", output_dir=Path(tmp) / "out", seed_catalog=False,  # type: ignore[call-arg]
                            max_edit_rounds=1, model=ModelSettings(provider="fake"))  # fmt: skip
        exporter = InMemorySpanExporter()
        install_provider(settings, exporter, batch=False)
        console.print("training the small analyst models (not traced)…")
        trained = load_or_train(Path(tmp) / "trained", config=TrainingConfig.small())
        context = AgentContext(model=build_model(settings.model), max_edit_rounds=1, catalog=_catalog(), trained=trained)
        exporter.clear()
        outcome = launch_run(load_brief(brief), settings, context, tenant="demo")
    spans = exporter.get_finished_spans()
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        children.setdefault(span.parent.span_id if span.parent else None, []).append(span)

    def add(tree: Tree, span: ReadableSpan) -> None:
        node = tree.add(_label(span))
        kids = sorted(children.get(span.context.span_id, []), key=lambda s: s.start_time or 0)
        calls = [k for k in kids if k.name.startswith("chat ")]
        for kid in kids:
            if kid in calls and not all_calls and calls.index(kid) >= SHOWN_CALLS:
                continue
            add(node, kid)
        if not all_calls and len(calls) > SHOWN_CALLS:
            node.add(f"[dim]… {len(calls) - SHOWN_CALLS} more model calls (--all-calls shows them)[/dim]")

    root = Tree(f"trace of run {outcome.run_id}: {len(spans)} spans, status {outcome.status}")
    for span in sorted(children.get(None, []), key=lambda s: s.start_time or 0):
        add(root, span)
    console.print(root)


if __name__ == "__main__":
    typer.run(main)
