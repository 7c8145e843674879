"""Where traces go: set up once per process from the settings, and the span around each launch run.

Nothing is sent by default. An OTLP endpoint (`GREENROOM_OTEL__ENDPOINT`, or the
standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
sets up the OpenTelemetry SDK with a batching OTLP/HTTP exporter (install
`greenroom[otel]`); without one no provider is installed, the API's no-op
tracer answers, and no span is even recorded. A program that embeds greenroom
and sets up its own provider gets greenroom's spans in its own traces.

LangSmith needs nothing here: LangChain and LangGraph send their runs to it
themselves when `LANGSMITH_TRACING=true` and `LANGSMITH_API_KEY` are set, and
greenroom never turns that off.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greenroom.core.telemetry import INPUT_TOKENS, OUTPUT_TOKENS, REQUEST_MODEL, fail, provider_and_model, run_span
from greenroom.interfaces.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_installed: list[TracerProvider] = []


def otlp_endpoint(settings: Settings, environ: dict[str, str] | None = None) -> str:
    """The OTLP/HTTP traces URL the settings or the standard variables name; empty when none does."""
    env = os.environ if environ is None else environ
    if settings.otel.endpoint:
        base = settings.otel.endpoint.rstrip("/")
        return base if base.endswith("/v1/traces") else base + "/v1/traces"
    if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
    return ""


def install_provider(settings: Settings, exporter: SpanExporter, *, batch: bool = True) -> TracerProvider:
    """Make an SDK tracer provider exporting to `exporter` this process's provider (the first one installed stays)."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    with _lock:
        if _installed:
            provider = _installed[0]
        else:
            provider = TracerProvider(resource=Resource.create({"service.name": settings.otel.service_name}))
            trace.set_tracer_provider(provider)
            _installed.append(provider)
    provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    return provider


def configure_tracing(settings: Settings) -> TracerProvider | None:
    """Export traces over OTLP when an endpoint is configured (once per process); None, and nothing set up, otherwise."""
    endpoint = otlp_endpoint(settings)
    if not endpoint:
        return None
    with _lock:
        if _installed:
            return _installed[0]
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        logger.warning(
            "traces are not exported: an OTLP endpoint is set, but the exporter is missing (pip install 'greenroom[otel]')"
        )
        return None
    provider = install_provider(settings, OTLPSpanExporter(endpoint=endpoint))
    logger.info("exporting traces over OTLP to %s", endpoint)
    return provider


def _job(graph_input: Any) -> str:
    if graph_input is None:
        return "resume"
    if isinstance(graph_input, dict):
        return "revise" if "revision_note" in graph_input else "launch"
    return "approve"


Drive = Callable[..., Any]
"""The function that drives a launch run: (graph_input, run_id, settings, context, ...) -> RunOutcome."""


def traced_run(drive: Drive) -> Drive:
    """Wrap the function that drives a launch run (`runs.advance_run`) in the run's span, with its outcome, tokens and model."""

    @functools.wraps(drive)
    def wrapper(graph_input: Any, run_id: str, settings: Settings, context: Any, *args: Any, **kwargs: Any) -> Any:
        model = getattr(getattr(context, "model", None), "label", None)
        with run_span(run_id, tenant=getattr(context, "tenant", None), job=_job(graph_input)) as span:
            if model:
                span.set_attribute(REQUEST_MODEL, provider_and_model(model)[1])
            outcome = drive(graph_input, run_id, settings, context, *args, **kwargs)
            span.set_attribute("greenroom.run.status", outcome.status)
            package = outcome.package
            if package is not None:
                span.set_attribute("greenroom.run.version", package.version)
                span.set_attribute(INPUT_TOKENS, package.accounting.input_tokens)
                span.set_attribute(OUTPUT_TOKENS, package.accounting.output_tokens)
                span.set_attribute("greenroom.run.model_calls", package.accounting.model_calls)
            if outcome.status in ("failed", "stopped_cap"):
                fail(span, outcome.status, outcome.message)
            return outcome

    return wrapper
