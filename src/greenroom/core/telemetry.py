"""Spans for runs, steps and model calls, named after OpenTelemetry's GenAI semantic conventions.

Only the OpenTelemetry API is used here: with no SDK set up (nothing configured,
see `interfaces/telemetry.py`) every span is a no-op and nothing leaves the
process. The attribute names follow the GenAI conventions as they stand
(development status): `gen_ai.operation.name` (`invoke_workflow` for a run,
`invoke_agent` for a step, `chat` for a model call), `gen_ai.provider.name`
(and the older `gen_ai.system`, which some backends still read),
`gen_ai.request.model`, `gen_ai.usage.input_tokens` / `output_tokens`, and
`error.type` on failures. What the conventions do not name is under
`greenroom.*`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from greenroom.core.schemas import CallRecord

TRACER_NAME = "greenroom"

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
SYSTEM = "gen_ai.system"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
REQUEST_SEED = "gen_ai.request.seed"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
FINISH_REASONS = "gen_ai.response.finish_reasons"
AGENT_NAME = "gen_ai.agent.name"
WORKFLOW_NAME = "gen_ai.workflow.name"
CONVERSATION_ID = "gen_ai.conversation.id"
ERROR_TYPE = "error.type"


def tracer() -> trace.Tracer:
    """greenroom's tracer from whatever provider the process set up (a no-op one by default)."""
    return trace.get_tracer(TRACER_NAME)


def fail(span: Span, error_type: str, description: str = "") -> None:
    """Mark a span as failed with a short, low-cardinality error type."""
    span.set_attribute(ERROR_TYPE, error_type)
    span.set_status(Status(StatusCode.ERROR, description[:500] or error_type))


@contextmanager
def run_span(run_id: str, workflow: str = "launch", **attributes: Any) -> Iterator[Span]:
    """The span of one run (`invoke_workflow launch`): every step and model call of the run nests under it."""
    attrs = {OPERATION: "invoke_workflow", WORKFLOW_NAME: workflow, CONVERSATION_ID: run_id, "greenroom.run.id": run_id}
    attrs.update({f"greenroom.{k}": v for k, v in attributes.items() if v is not None})
    with tracer().start_as_current_span(f"invoke_workflow {workflow}", kind=SpanKind.INTERNAL, attributes=attrs) as span:
        yield span


@contextmanager
def step_span(step: str) -> Iterator[Span]:
    """The span of one graph step (`invoke_agent writer`); an exception marks it failed and goes on up."""
    attrs = {OPERATION: "invoke_agent", AGENT_NAME: step, "greenroom.step": step}
    with tracer().start_as_current_span(
        f"invoke_agent {step}", kind=SpanKind.INTERNAL, attributes=attrs, record_exception=True, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except Exception as exc:
            fail(span, type(exc).__name__, str(exc))
            raise


def record_step_usage(span: Span, calls: list[CallRecord]) -> None:
    """A step's model calls summed onto its span."""
    span.set_attribute("greenroom.step.model_calls", len(calls))
    span.set_attribute(INPUT_TOKENS, sum(c.input_tokens for c in calls))
    span.set_attribute(OUTPUT_TOKENS, sum(c.output_tokens for c in calls))


def provider_and_model(label: str) -> tuple[str, str]:
    """A model label ('embedded:smollm2-135m') as the GenAI provider and model names."""
    provider, _, model = label.partition(":")
    return (provider, model) if model else ("_OTHER", label)


def model_call_span(call: CallRecord, start_ns: int, end_ns: int, *, max_tokens: int | None = None) -> None:
    """Record one finished model call (`chat <model>`) as a child of the current span, with its tokens and outcome."""
    provider, model = provider_and_model(call.model)
    attrs: dict[str, Any] = {
        OPERATION: "chat", PROVIDER: provider, SYSTEM: provider, REQUEST_MODEL: model,
        INPUT_TOKENS: call.input_tokens, OUTPUT_TOKENS: call.output_tokens, CACHE_READ_TOKENS: call.cached_input_tokens,
        AGENT_NAME: call.agent, "greenroom.call.purpose": call.purpose, "greenroom.call.attempt": call.attempt,
        "greenroom.call.valid": call.valid,
    }  # fmt: skip
    if max_tokens:
        attrs[REQUEST_MAX_TOKENS] = max_tokens
    if call.seed is not None:
        attrs[REQUEST_SEED] = call.seed
    if call.finish_reason:
        attrs[FINISH_REASONS] = [call.finish_reason]
    span = tracer().start_span(f"chat {model}", kind=SpanKind.CLIENT, attributes=attrs, start_time=start_ns)
    if call.finish_reason == "deadline":
        fail(span, "timeout", call.error)
    elif not call.valid:
        fail(span, "invalid_output", call.error)
    span.end(end_time=max(end_ns, start_ns))


def failed_call_span(label: str, agent: str, error_type: str, message: str, start_ns: int, end_ns: int) -> None:
    """Record a model call that got no answer at all (the provider was unreachable or refused)."""
    provider, model = provider_and_model(label)
    attrs = {OPERATION: "chat", PROVIDER: provider, SYSTEM: provider, REQUEST_MODEL: model, AGENT_NAME: agent}
    span = tracer().start_span(f"chat {model}", kind=SpanKind.CLIENT, attributes=attrs, start_time=start_ns)
    fail(span, error_type, message)
    span.end(end_time=max(end_ns, start_ns))
