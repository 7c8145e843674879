"""Structured output into pydantic models, on small and large models alike.

Two ways of asking, picked per provider (`ModelHandle.structured_mode`):
- `llamacpp`: the JSON schema travels in `response_format` inside the request
  body, where llama.cpp's server turns it into a grammar. This measured best on
  the embedded model (measured on SmolLM2-135M): function calling truncates silently and
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
import logging
import re
import time
from typing import Any, TypeVar

import httpx
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from greenroom.core.schemas import CallRecord
from greenroom.core.telemetry import failed_call_span, model_call_span
from greenroom.models.llm import ModelHandle, ModelUnavailableError, deadline_errors, prompt_cache, provider_errors, request_slots
from greenroom.prompts import render

T = TypeVar("T", bound=BaseModel)
logger = logging.getLogger(__name__)

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
    """Parse model text into `schema`, tolerating code fences, and raw newlines in strings (read as spaces)."""
    cleaned = _FENCE.sub("", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer")
    data = json.loads(cleaned[start : end + 1], strict=False)
    return schema.model_validate(_one_line(data))


def _one_line(value: Any) -> Any:
    """Line breaks and tabs inside strings become spaces (model text is one line; see core.text)."""
    if isinstance(value, str):
        return " ".join(value.split()) if any(c in value for c in "\n\r\t") else value
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    if isinstance(value, dict):
        return {k: _one_line(v) for k, v in value.items()}
    return value


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


def _reported_cache_read(message: BaseMessage) -> int | None:
    """Prompt tokens the provider says it served from its cache, when it says (llama-cpp-python's server does not)."""
    details = (getattr(message, "usage_metadata", None) or {}).get("input_token_details") or {}
    value = details.get("cache_read")
    return int(value) if value is not None else None


def prompt_text(messages: list[BaseMessage]) -> str:
    """The messages as one text, in the order the server's chat template lays them out (for prefix matching)."""
    return "".join(f"<{m.type}>{m.content if isinstance(m.content, str) else json.dumps(m.content)}\n" for m in messages)


def _cached_tokens(message: BaseMessage, tokens_in: int, shared_chars: int | None, prompt_chars: int) -> tuple[int, bool]:
    """Prompt tokens reused from the server's cache: as reported, else the shared prefix's share of the prompt."""
    reported = _reported_cache_read(message)
    if reported is not None:
        return min(reported, tokens_in), False
    if shared_chars is None or prompt_chars == 0:
        return 0, False
    return min(tokens_in, round(tokens_in * shared_chars / prompt_chars)), True


DEADLINE_FINISH = "deadline"
"""A CallRecord's finish_reason when the call ran past its deadline and was cut off."""

SEED_STEP_CANDIDATE = 7919
SEED_STEP_ATTEMPT = 104729
"""Seeds move by these primes per candidate and per repair attempt, so no two requests of a run share one."""


def request_seed(handle: ModelHandle, seed_offset: int, attempt: int) -> int | None:
    """The sampling seed of one request, or None where the provider takes no seed."""
    if handle.structured_mode != "llamacpp":
        return None
    base = int(handle.llamacpp_params.get("seed", 0)) + handle.seed_offset
    return (base + SEED_STEP_CANDIDATE * seed_offset + SEED_STEP_ATTEMPT * (attempt - 1)) % 2**31


def _invoke_raw(
    handle: ModelHandle, messages: list[BaseMessage], schema: type[BaseModel], max_tokens: int, seed: int | None
) -> tuple[AIMessage, T | None, Exception | None]:
    if handle.structured_mode == "llamacpp":
        # llama.cpp's server reads max_completion_tokens (which langchain-openai sends from the model's own limit)
        # before max_tokens: both carry this request's limit.
        body = {**handle.llamacpp_params, "max_tokens": max_tokens, "max_completion_tokens": max_tokens}
        if seed is not None:
            body["seed"] = seed
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


def _cut_off(
    handle: ModelHandle, agent: str, schema: type[BaseModel], seconds: float, attempt: int, seed: int | None
) -> CallRecord:
    """The record of a call cut off at its deadline: nothing came back, so no tokens are known."""
    return CallRecord(
        agent=agent, model=handle.label, purpose=schema.__name__, seconds=round(seconds, 3), attempt=attempt,
        valid=False, finish_reason=DEADLINE_FINISH, seed=seed,
        error=f"cut off at the {handle.deadline_s:g}-second deadline for one model call",
    )  # fmt: skip


def _raw_text(message: AIMessage) -> str:
    if message.content:
        return message.content if isinstance(message.content, str) else json.dumps(message.content)
    calls = getattr(message, "tool_calls", None) or []
    return json.dumps(calls[0]["args"]) if calls else ""


def unguarded_strings(schema: type[BaseModel]) -> list[str]:
    """Paths of the string fields in `schema` that carry no plain-text pattern (see core.text).

    Every schema the model fills must come back empty: a string without the pattern lets
    JSON debris through the grammar on some CPUs.
    """
    root = schema.model_json_schema()
    found: list[str] = []

    def walk(node: dict[str, Any], path: str) -> None:
        if "$ref" in node:
            walk(root["$defs"][node["$ref"].rsplit("/", 1)[-1]], path)
        for key in ("anyOf", "allOf", "oneOf"):
            for option in node.get(key, []):
                walk(option, path)
        if node.get("type") == "string" and "enum" not in node and "const" not in node and "pattern" not in node:
            found.append(path or "root")
        for name, child in node.get("properties", {}).items():
            walk(child, f"{path}.{name}" if path else name)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")

    walk(root, "")
    return found


def generate(
    handle: ModelHandle,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    agent: str,
    max_tokens: int | None = None,
    seed_offset: int = 0,
    repair: bool = True,
) -> tuple[T, list[CallRecord]]:
    """Ask the model for an instance of `schema`; one repair round (unless `repair` is False), then
    StructuredOutputError.

    Every attempt samples with its own seed (`request_seed`): a repair, another candidate
    (`seed_offset`) or a resumed run never sends the request that failed before. A caller that draws
    another candidate after a failure passes `repair=False`: the candidate's prompt is the same one, which
    the server has cached, while a repair round sends the prompt again with the answer and its errors.
    """
    if unguarded := unguarded_strings(schema):
        raise TypeError(f"{schema.__name__}: string fields without a plain-text pattern: {', '.join(unguarded)}")
    limit = max_tokens or handle.max_tokens
    calls: list[CallRecord] = []
    history = list(messages)
    reasons: list[str] = []
    raw = ""
    for attempt in (1, 2) if repair else (1,):
        cache = prompt_cache(handle)
        shared: int | None = None
        text = prompt_text(history)
        # One request at a time to a single-slot server; no more at once than a local server has slots, so a
        # call's deadline never runs while it waits in the server's queue.
        with cache.lock if cache else request_slots(handle):
            started, started_ns = time.perf_counter(), time.time_ns()
            seed = request_seed(handle, seed_offset, attempt)
            try:
                message, parsed, error = _invoke_raw(handle, history, schema, limit, seed)
            except deadline_errors() as exc:
                if cache:
                    cache.text = ""
                calls.append(_cut_off(handle, agent, schema, time.perf_counter() - started, attempt, seed))
                model_call_span(calls[-1], started_ns, time.time_ns(), max_tokens=limit)
                logger.info("%s: the %s call was cut off at its %g s deadline (%s)", agent, schema.__name__,
                               handle.deadline_s, exc)  # fmt: skip
                raise StructuredOutputError(schema.__name__, [calls[-1].error], "", calls) from exc
            except provider_errors() as exc:
                if cache:
                    cache.text = ""  # what the server holds now is unknown
                failed_call_span(handle.label, agent, type(exc).__name__, str(exc), started_ns, time.time_ns())
                raise ModelUnavailableError(f"{handle.label} failed for the {agent} ({schema.__name__}): {exc}") from exc
            seconds = time.perf_counter() - started
            raw = _raw_text(message)
            if cache:
                shared = cache.reuse(text, f"<ai>{raw}")
        tokens_in, tokens_out, finish = _usage(message)
        cached, estimated = _cached_tokens(message, tokens_in, shared, len(text))
        reasons = _reasons(error) if error else []
        if finish == "length" and error is not None:
            # A grammar-bound answer that parses is complete; one that does not was cut off.
            reasons.insert(0, f"the answer was cut off at the {limit}-token limit")
        calls.append(
            CallRecord(
                agent=agent, model=handle.label, purpose=schema.__name__,
                input_tokens=tokens_in, output_tokens=tokens_out,
                cached_input_tokens=cached, cached_estimated=estimated,
                seconds=round(seconds, 3), attempt=attempt,
                valid=parsed is not None, finish_reason=finish, error="; ".join(reasons)[:500], seed=seed,
            )
        )  # fmt: skip
        model_call_span(calls[-1], started_ns, started_ns + round(seconds * 1e9), max_tokens=limit)
        if parsed is not None:
            return parsed, calls
        fix = render("common/repair.j2", schema_name=schema.__name__, errors=reasons[:8])
        history = [*messages, AIMessage(content=raw[:4000]), HumanMessage(content=fix)]
    raise StructuredOutputError(schema.__name__, reasons, raw, calls)
