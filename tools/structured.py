"""Structured output into pydantic models, on small and large models alike.

Two ways of asking, picked per provider (`ModelHandle.structured_mode`):
- `llamacpp`: the JSON schema travels in `response_format` inside the request
  body, where llama.cpp's server turns it into a grammar. This measured best on
  the embedded model (DESIGN.md): function calling truncates silently and
  `json_mode` sends no schema. The reply is parsed with `strict=False` because
  the grammar lets raw newlines into strings.
- `native`: the provider's own structured output (`with_structured_output`
  with `include_raw=True`, so a truncated or unparsable answer is seen rather
  than returned as None).

Either way an invalid answer gets one repair round that shows the model its
own output and the validation errors; a second failure raises
`StructuredOutputError` naming the schema and the reasons. Every attempt is
accounted for as a `CallRecord`.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, TypeVar

import httpx
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from graphs.schemas import CallRecord
from prompts import render
from tools.llm import ModelHandle, ModelUnavailableError, provider_errors

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


class StructuredOutputError(RuntimeError):
    """The model did not produce a valid object, even after a repair round."""

    def __init__(self, schema: str, reasons: list[str], raw: str, calls: list[CallRecord]) -> None:
        self.schema = schema
        self.reasons = reasons
        self.raw = raw
        self.calls = calls
        shown = "; ".join(reasons[:5])
        super().__init__(f"the model's {schema} was invalid after {len(calls)} attempts: {shown}")


def parse_json_object(text: str, schema: type[T]) -> T:
    """Parse model text into `schema`, tolerating code fences and raw newlines in strings."""
    cleaned = _FENCE.sub("", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer")
    data = json.loads(cleaned[start : end + 1], strict=False)
    return schema.model_validate(data)


def _reasons(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(str(p) for p in e['loc']) or 'root'}: {e['msg']}" for e in exc.errors()]
    if isinstance(exc, json.JSONDecodeError):
        return [f"not valid JSON ({exc.msg} at character {exc.pos})"]
    return [str(exc)]


def _usage(message: BaseMessage) -> tuple[int, int, str]:
    usage = getattr(message, "usage_metadata", None) or {}
    meta = getattr(message, "response_metadata", None) or {}
    finish = str(meta.get("finish_reason") or meta.get("stop_reason") or meta.get("done_reason") or "")
    return int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0)), finish


def _invoke_raw(
    handle: ModelHandle, messages: list[BaseMessage], schema: type[BaseModel], max_tokens: int
) -> tuple[AIMessage, T | None, Exception | None]:
    if handle.structured_mode == "llamacpp":
        body = {**handle.llamacpp_params, "max_tokens": max_tokens}
        body["response_format"] = {"type": "json_object", "schema": schema.model_json_schema()}
        runnable: Any = handle.chat
        kwargs: dict[str, Any] = {"extra_body": body}
    else:
        runnable = handle.chat.with_structured_output(schema, include_raw=True)
        kwargs = {}
    if handle.transport_retries:
        runnable = runnable.with_retry(
            retry_if_exception_type=(httpx.TransportError, ConnectionError), stop_after_attempt=handle.transport_retries + 1
        )
    out = runnable.invoke(messages, **kwargs)
    if handle.structured_mode == "llamacpp":
        message = out
        try:
            return message, parse_json_object(str(message.content), schema), None  # type: ignore[return-value]
        except (ValueError, ValidationError) as exc:
            return message, None, exc
    message, parsed, error = out["raw"], out.get("parsed"), out.get("parsing_error")
    if parsed is None and error is None:
        error = ValueError("the provider returned no structured object (truncated or refused)")
    return message, parsed, error


def _raw_text(message: AIMessage) -> str:
    if message.content:
        return message.content if isinstance(message.content, str) else json.dumps(message.content)
    calls = getattr(message, "tool_calls", None) or []
    return json.dumps(calls[0]["args"]) if calls else ""


def generate(
    handle: ModelHandle,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    agent: str,
    max_tokens: int | None = None,
) -> tuple[T, list[CallRecord]]:
    """Ask the model for an instance of `schema`; one repair round, then StructuredOutputError."""
    limit = max_tokens or handle.max_tokens
    calls: list[CallRecord] = []
    history = list(messages)
    reasons: list[str] = []
    raw = ""
    for attempt in (1, 2):
        started = time.perf_counter()
        try:
            message, parsed, error = _invoke_raw(handle, history, schema, limit)
        except provider_errors() as exc:
            raise ModelUnavailableError(f"{handle.label} failed for the {agent} ({schema.__name__}): {exc}") from exc
        tokens_in, tokens_out, finish = _usage(message)
        raw = _raw_text(message)
        reasons = _reasons(error) if error else []
        if finish == "length" and error is not None:
            # A grammar-bound answer that parses is complete; one that does not was cut off.
            reasons.insert(0, f"the answer was cut off at the {limit}-token limit")
        calls.append(
            CallRecord(
                agent=agent, model=handle.label, purpose=schema.__name__,
                input_tokens=tokens_in, output_tokens=tokens_out,
                seconds=round(time.perf_counter() - started, 3), attempt=attempt,
                valid=parsed is not None, finish_reason=finish, error="; ".join(reasons)[:500],
            )
        )  # fmt: skip
        if parsed is not None:
            return parsed, calls
        repair = render("common/repair.j2", schema_name=schema.__name__, errors=reasons[:8])
        history = [*messages, AIMessage(content=raw[:4000]), HumanMessage(content=repair)]
    raise StructuredOutputError(schema.__name__, reasons, raw, calls)
