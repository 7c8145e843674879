"""Benchmark grammar-bound decoding on the embedded model's server: tokens/s and how many answers fit their schema.

The writer's three parts and the editor's judgement, each asked for with `--seeds` seeds at the writer's
650-token limit, against the embedded server greenroom runs (`models.llama_server`, xllamacpp). An answer is
valid when it parses and validates against its schema; one cut off at the limit counts as invalid.
Target: at least 99% valid. Unconstrained decoding is measured too, for reference.

    .venv/bin/python benchmarks/grammar_bench.py [--seeds 25] [--parallel 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from greenroom.core.schemas import DraftHooks, DraftOutline, DraftPitch, EditorJudgement
from greenroom.core.settings import ModelSettings
from greenroom.models.llm import EMBEDDED_ALIAS, EmbeddedServer

PROMPTS = (
    "A podcast about the history of Chicago deep dish pizza, told by the families who run the oldest pizzerias. "
    "Tone: warm, funny. Audience: adults 25-54 in the US.",
    "A horror film about a night nurse in a hospital that is closing down. Tone: cold, slow dread. Audience: 18-34.",
    "A preschool animated series about a hedgehog who runs a tiny post office. Tone: gentle, curious. Ages 3-5.",
)
SCHEMAS: tuple[type[BaseModel], ...] = (DraftPitch, DraftOutline, DraftHooks, EditorJudgement)


def run(url: str, schema: type[BaseModel] | None, seed: int) -> tuple[float, int, bool, str]:
    """(seconds, completion tokens, valid, finish reason) of one request."""
    name = schema.__name__ if schema else "answer"
    prompt = f"{PROMPTS[seed % len(PROMPTS)]} Answer with the {name} as JSON."
    body: dict[str, Any] = {
        "model": EMBEDDED_ALIAS, "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 650, "seed": seed, "temperature": 0.7, "repeat_penalty": 1.1,
    }  # fmt: skip
    if schema is not None:
        body["response_format"] = {"type": "json_object", "schema": schema.model_json_schema()}
    started = time.perf_counter()
    reply = httpx.post(f"{url}/chat/completions", json=body, timeout=600).json()
    seconds = time.perf_counter() - started
    choice = reply["choices"][0]
    valid = True
    if schema is not None:
        try:
            schema.model_validate(json.loads(choice["message"]["content"], strict=False))
        except (ValueError, ValidationError):
            valid = False
    return seconds, int(reply["usage"]["completion_tokens"]), valid, str(choice.get("finish_reason"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=25)
    parser.add_argument("--parallel", type=int, default=2, help="requests sent at once (the server's slots)")
    args = parser.parse_args()
    server = EmbeddedServer(ModelSettings(parallel=args.parallel))
    table = Table(title=f"Grammar-bound decoding on {EMBEDDED_ALIAS} (xllamacpp), {args.seeds} seeds per request, "
                        f"{args.parallel} at once")  # fmt: skip
    for column in ("request", "answers", "valid", "cut off at 650", "tok/s per request", "tok/s together"):
        table.add_column(column, justify="left" if column == "request" else "right")
    total = valid_total = 0
    try:
        run(server.url, None, 0)  # warm
        for schema in (None, *SCHEMAS):
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.parallel) as pool:
                results = list(pool.map(partial(run, server.url, schema), range(1, args.seeds + 1)))
            wall = time.perf_counter() - started
            tokens = sum(r[1] for r in results)
            valid = sum(r[2] for r in results)
            cut = sum(r[3] == "length" for r in results)
            per_request = tokens / sum(r[0] for r in results)
            if schema is not None:
                total, valid_total = total + len(results), valid_total + valid
            print(f"{schema.__name__ if schema else 'no grammar'}: {valid}/{len(results)} valid, {cut} cut off, "
                  f"{tokens / wall:.1f} tok/s together", file=sys.stderr, flush=True)  # fmt: skip
            table.add_row(schema.__name__ if schema else "no grammar", str(len(results)),
                          f"{valid}/{len(results)}" if schema else "-", str(cut), f"{per_request:.1f}", f"{tokens / wall:.1f}")  # fmt: skip
    finally:
        server.stop()
    Console(width=160).print(table)
    print(f"schema-bound answers valid: {valid_total}/{total} ({valid_total / max(total, 1):.1%}); target at least 99%")


if __name__ == "__main__":
    main()
