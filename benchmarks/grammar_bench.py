"""Benchmark grammar-bound decoding on the embedded model: llama-cpp-python's server as shipped, against
greenroom's (`tools.llama_server`: the grammar checked on the sampled token first, every core decoding,
no logits kept for prompt tokens).

Both servers run the same schema-bound requests (the writer's three parts and the editor's judgement, several
seeds) one after the other on the same machine; the table gives completion tokens per second, and how many
answers parsed and validated against their schema (an answer cut off at the writer's 650-token limit counts as
invalid). Unconstrained decoding is measured too, for reference.

    .venv/bin/python benchmarks/grammar_bench.py [--seeds 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

import greenroom.tools.llm as llm
from greenroom.core.schemas import DraftHooks, DraftOutline, DraftPitch, EditorJudgement
from greenroom.core.settings import ModelSettings
from greenroom.tools.llm import EMBEDDED_ALIAS, EmbeddedServer

PROMPT = (
    "A podcast about the history of Chicago deep dish pizza, told by the families who run the oldest pizzerias. "
    "Tone: warm, funny. Audience: adults 25-54 in the US. Answer with the {name} as JSON."
)
SCHEMAS: tuple[type[BaseModel], ...] = (DraftPitch, DraftOutline, DraftHooks, EditorJudgement)


_CHECKED_COMMAND = llm.embedded_server_command


def _stock_command(**kwargs: Any) -> list[str]:
    """llama-cpp-python's server module with its own defaults (threads, logits of every prompt token)."""
    args = _CHECKED_COMMAND(**kwargs)
    args = args[: args.index("--n_threads")]
    return [*args[:2], "llama_cpp.server", *args[3:]]


def run(url: str, schema: type[BaseModel] | None, seed: int) -> tuple[float, int, bool]:
    """(seconds, completion tokens, valid) of one request."""
    name = schema.__name__ if schema else "answer"
    body: dict[str, Any] = {
        "model": EMBEDDED_ALIAS, "messages": [{"role": "user", "content": PROMPT.format(name=name)}],
        "max_tokens": 650, "seed": seed, "temperature": 0.7, "repeat_penalty": 1.1,
    }  # fmt: skip
    if schema is not None:
        body["response_format"] = {"type": "json_object", "schema": schema.model_json_schema()}
    started = time.perf_counter()
    reply = httpx.post(f"{url}/chat/completions", json=body, timeout=600).json()
    seconds = time.perf_counter() - started
    text = reply["choices"][0]["message"]["content"]
    valid = True
    if schema is not None:
        try:
            schema.model_validate(json.loads(text, strict=False))
        except (ValueError, ValidationError):
            valid = False
    return seconds, int(reply["usage"]["completion_tokens"]), valid


def measure(server: EmbeddedServer, seeds: int) -> dict[str, tuple[float, int, int]]:
    """Per kind of request: (tokens/s, valid answers, answers)."""
    run(server.url, None, 0)  # warm
    found: dict[str, tuple[float, int, int]] = {}
    for schema in (None, *SCHEMAS):
        timings = [run(server.url, schema, seed) for seed in range(1, seeds + 1)]
        rate = sum(t[1] for t in timings) / sum(t[0] for t in timings)
        found[schema.__name__ if schema else "no grammar"] = (rate, sum(t[2] for t in timings), len(timings))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    settings = ModelSettings(provider="embedded")
    results: dict[str, dict[str, tuple[float, int, int]]] = {}
    for label, command in (("llama-cpp-python as shipped", _stock_command), ("greenroom's server", _CHECKED_COMMAND)):
        llm.embedded_server_command = command  # EmbeddedServer builds its command line through this name
        server = EmbeddedServer(context_size=settings.context_size, threads=settings.threads)
        try:
            results[label] = measure(server, args.seeds)
        finally:
            server.stop()
            llm.embedded_server_command = _CHECKED_COMMAND
    table = Table(title=f"Grammar-bound decoding on {EMBEDDED_ALIAS}, {args.seeds} seeds per request")
    table.add_column("request")
    for label in results:
        table.add_column(f"{label}: tok/s", justify="right")
        table.add_column(f"{label}: valid", justify="right")
    table.add_column("speed-up", justify="right")
    stock, checked = results.values()
    for kind in stock:
        a, b = stock[kind], checked[kind]
        table.add_row(kind, f"{a[0]:.1f}", f"{a[1]}/{a[2]}", f"{b[0]:.1f}", f"{b[1]}/{b[2]}", f"{b[0] / a[0]:.2f}×")
    all_stock = statistics.fmean(v[0] for k, v in stock.items() if k != "no grammar")
    all_checked = statistics.fmean(v[0] for k, v in checked.items() if k != "no grammar")
    Console(width=160).print(table)
    print(f"schema-bound mean: {all_stock:.1f} → {all_checked:.1f} tokens/s ({all_checked / all_stock:.2f}×)")


if __name__ == "__main__":
    main()
