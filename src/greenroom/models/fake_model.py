"""Offline chat models for tests and benchmarks: scripted, or filling any JSON schema."""

from __future__ import annotations

import json
import math
import os
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

Responder = Callable[[list[BaseMessage], dict[str, Any]], str]


def _count_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class ScriptedChatModel(BaseChatModel):
    """Answers with the given replies in order (strings, or callables of the messages and request)."""

    replies: list[str | Responder] = Field(default_factory=list)
    calls: list[dict[str, Any]] = Field(default_factory=list)
    delay_s: float = 0.0
    finish_reason: str = "stop"
    call_log: str = ""
    """A file that gets one line per call (the process id): counts calls across processes."""

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if not self.replies:
            raise AssertionError(f"the scripted model has no reply left for call {len(self.calls) + 1}")
        reply = self.replies.pop(0)
        self.calls.append({"messages": messages, "kwargs": kwargs})
        text = reply(messages, kwargs) if callable(reply) else reply
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.call_log:
            with open(self.call_log, "a") as log:  # one short append per call: whole lines, even from many processes
                log.write(f"{os.getpid()}\n")
        prompt = sum(_count_tokens(str(m.content)) for m in messages)
        message = AIMessage(
            content=text,
            usage_metadata={
                "input_tokens": prompt,
                "output_tokens": _count_tokens(text),
                "total_tokens": prompt + _count_tokens(text),
            },
            response_metadata={"finish_reason": self.finish_reason},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


_WORDS = [
    "steady",
    "offline",
    "model",
    "answers",
    "with",
    "quiet",
    "lines",
    "about",
    "harbours",
    "lanterns",
    "gardens",
    "rivers",
    "trains",
    "clocks",
    "orchards",
    "bridges",
    "letters",
    "kites",
    "maps",
    "islands",
    "winters",
    "markets",
    "songs",
    "ladders",
    "mirrors",
]


def fill_schema(schema: dict[str, Any], root: dict[str, Any] | None = None, path: str = "") -> Any:
    """A deterministic instance of a JSON schema: enums take their first value, strings fill their bounds."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return fill_schema(root["$defs"][name], root, path)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return fill_schema(options[0], root, path) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: fill_schema(v, root, f"{path}.{k}" if path else k) for k, v in props.items()}
    if kind == "array":
        low, high = max(schema.get("minItems", 1), 1), schema.get("maxItems", 1)
        count = max(low, (low + high) // 2)
        return [fill_schema(schema.get("items", {}), root, f"{path}[{i}]") for i in range(count)]
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 60)
        # Plain text (no brackets or field names), different for every field path, so list items do not repeat.
        key = zlib.crc32(path.encode())
        steps = [n for n in range(1, len(_WORDS)) if math.gcd(n, len(_WORDS)) == 1]
        step = steps[key % len(steps)]  # coprime with the word count: every word once, in an order of its own
        words = [_WORDS[(key + step * k) % len(_WORDS)] for k in range(len(_WORDS))]
        target = max(low, (low + high) // 2)
        text = "Sample"
        for k in range(10_000):
            if len(text) >= target:
                break
            text += " " + words[k % len(words)]
        return text[: max(low, min(high, len(text)))].rstrip()
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    return None


def _schema_reply(messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> str:
    body = kwargs.get("extra_body") or {}
    schema = (body.get("response_format") or {}).get("schema")
    if not schema:
        return "An offline answer from the fake model."
    return json.dumps(fill_schema(schema))


class SchemaFillingChatModel(ScriptedChatModel):
    """Answers every structured request with a valid instance of the requested schema, forever."""

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:  # fmt: skip
        self.replies = [_schema_reply]
        return super()._generate(messages, stop, run_manager, **kwargs)
