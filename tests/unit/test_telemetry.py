"""Traces: a launch as an exporter receives it (run, steps, model calls with GenAI attributes), and nothing by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from greenroom.agents.context import AgentContext
from greenroom.core.brief import Brief
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.runs import launch_run
from greenroom.interfaces.settings import OtelSettings, Settings
from greenroom.interfaces.telemetry import install_provider, otlp_endpoint
from greenroom.models.llm import build_model


class _Switched(InMemorySpanExporter):
    """Keeps spans only while a test that reads them runs (a process installs its provider once, for every test after)."""

    active = False

    def export(self, spans: Any) -> Any:
        return super().export(spans) if self.active else SpanExportResult.SUCCESS


_EXPORTER = _Switched()
_INSTALLED: list[bool] = []


@pytest.fixture
def spans(settings: Settings) -> Iterator[InMemorySpanExporter]:
    """This process's tracer provider, exporting to memory while the test runs."""
    if not _INSTALLED:
        install_provider(settings, _EXPORTER, batch=False)
        _INSTALLED.append(True)
    _EXPORTER.clear()
    _EXPORTER.active = True
    yield _EXPORTER
    _EXPORTER.active = False
    _EXPORTER.clear()


def _tree(finished: tuple[ReadableSpan, ...]) -> tuple[ReadableSpan, dict[int, list[ReadableSpan]]]:
    children: dict[int, list[ReadableSpan]] = {}
    roots = []
    for span in finished:
        if span.parent is None:
            roots.append(span)
        else:
            children.setdefault(span.parent.span_id, []).append(span)
    (root,) = roots
    return root, children


def test_a_launch_is_one_run_span_with_its_steps_and_their_model_calls(
    settings: Settings, trained_small: Any, small_catalog: Any, film_brief: Brief, spans: InMemorySpanExporter
) -> None:
    settings.max_edit_rounds = 1
    context = AgentContext(
        model=build_model(ModelSettings(provider="fake")), max_edit_rounds=1, catalog=small_catalog, trained=trained_small
    )
    outcome = launch_run(film_brief, settings, context, tenant="acme")
    root, children = _tree(spans.get_finished_spans())
    assert root.name == "invoke_workflow launch"
    attrs = root.attributes or {}
    assert attrs["gen_ai.operation.name"] == "invoke_workflow" and attrs["gen_ai.conversation.id"] == outcome.run_id
    assert attrs["greenroom.run.status"] == "done" and attrs["greenroom.tenant"] == "acme"
    assert attrs["gen_ai.usage.output_tokens"] == outcome.package.accounting.output_tokens > 0

    steps = {s.name: s for s in children[root.context.span_id]}
    assert {"invoke_agent intake", "invoke_agent analyst", "invoke_agent writer", "invoke_agent editor",
            "invoke_agent marketer", "invoke_agent pricing", "invoke_agent assemble"} <= set(steps)  # fmt: skip
    writer = steps["invoke_agent writer"]
    assert (writer.attributes or {})["gen_ai.agent.name"] == "writer"
    calls = children[writer.context.span_id]
    assert calls, "the writer's model calls nest under its step"
    for call in calls:
        a = call.attributes or {}
        assert call.name == f"chat {a['gen_ai.request.model']}" and a["gen_ai.operation.name"] == "chat"
        assert a["gen_ai.provider.name"] == "fake" and a["gen_ai.agent.name"] == "writer"
        assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
    # Every model call of the package is a span, and the tokens agree with the package's accounting.
    all_calls = [s for s in spans.get_finished_spans() if s.name.startswith("chat ")]
    assert len(all_calls) == outcome.package.accounting.model_calls
    assert sum((s.attributes or {})["gen_ai.usage.output_tokens"] for s in all_calls) == outcome.package.accounting.output_tokens
    assert (writer.attributes or {})["gen_ai.usage.output_tokens"] == sum(
        (c.attributes or {})["gen_ai.usage.output_tokens"] for c in calls
    )


def test_an_invalid_model_answer_is_a_failed_call_span(spans: InMemorySpanExporter, scripted: Any) -> None:
    from pydantic import BaseModel, Field

    from greenroom.models.structured import StructuredOutputError, generate

    class Tagline(BaseModel):
        text: str = Field(..., pattern=r"^[^{}\[\]]*$")

    from langchain_core.messages import HumanMessage

    with pytest.raises(StructuredOutputError):
        generate(scripted("not json", "still not json"), [HumanMessage(content="a tagline")], Tagline, agent="writer")
    failed = spans.get_finished_spans()
    assert len(failed) == 2
    for span in failed:
        assert (span.attributes or {})["error.type"] == "invalid_output" and span.status.status_code.name == "ERROR"


def test_an_endpoint_comes_from_the_settings_or_the_standard_variables(settings: Settings) -> None:
    assert otlp_endpoint(settings, {}) == ""
    assert otlp_endpoint(settings, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}) == "http://collector:4318/v1/traces"
    mine = settings.model_copy(update={"otel": OtelSettings(endpoint="http://otel.internal:4318")})
    assert otlp_endpoint(mine, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}) == "http://otel.internal:4318/v1/traces"


def test_with_nothing_configured_no_exporter_is_installed_and_spans_record_nothing(tmp_path: Any) -> None:
    script = (
        "import json\n"
        "from opentelemetry import trace\n"
        "from greenroom.interfaces.settings import Settings\n"
        "from greenroom.interfaces.telemetry import configure_tracing\n"
        "from greenroom.core.telemetry import run_span\n"
        "installed = configure_tracing(Settings(_env_file=None))\n"
        "with run_span('r1') as span:\n"
        "    recording = span.is_recording()\n"
        "print(json.dumps({'installed': installed is not None, 'recording': recording,\n"
        "                  'provider': type(trace.get_tracer_provider()).__name__}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "GREENROOM_"))}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=120
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"installed": False, "recording": False, "provider": "ProxyTracerProvider"}, out.stderr
