"""Compare model runtimes for the embedded model in one run on one machine: xllamacpp (llama.cpp's own C++
server, prebuilt portable wheel; what greenroom runs) against llama-cpp-python (compiled at install; what
greenroom ran before, with its grammar-first sampler).

Per runtime, one after the other on the same model file and thread count:
- prompt and decode tokens/s (a fresh 1,000-token prompt read with one token out; a 200-token story),
- grammar validity and tokens/s over the writer's and editor's schemas (`--seeds` answers each),
- launches of the example briefs through the launch graph (`--briefs`, `--rounds`): wall time, calls,
  tokens sent (prompt + completion), the longest single call, and wall / limit (completion tokens at the
  decode rate plus fresh prompt tokens at the prompt rate).

    .venv/bin/python benchmarks/runtime_bench.py [--llama-cpp-python PYTHON] [--seeds 3] [--rounds 2] [BRIEF ...]

`--llama-cpp-python` names the Python of a virtual environment inside a checkout before the change
(`<checkout>/.venv/bin/python`, with llama-cpp-python[server] installed): its server runs from that checkout;
without it only xllamacpp is measured. The catalog and trained models come from --data-dir (made on first use, not timed).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from greenroom.core.brief import load_brief
from greenroom.core.schemas import DraftHooks, DraftOutline, DraftPitch, EditorJudgement
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.runs import agent_context, launch_run
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import EMBEDDED_ALIAS, default_threads, embedded_model_path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS: tuple[type[BaseModel], ...] = (DraftPitch, DraftOutline, DraftHooks, EditorJudgement)
PROMPT = (
    "A podcast about the history of Chicago deep dish pizza, told by the families who run the oldest pizzerias. "
    "Tone: warm, funny. Audience: adults 25-54 in the US. Answer with the {name} as JSON."
)


@dataclass
class Runtime:
    """A runtime's name, the command that serves the model on a port, and how many requests it serves at once."""

    name: str
    command: list[str]
    parallel: int
    cwd: Path | None = None
    """Where the command runs: the earlier checkout, so `python -m greenroom...` finds its own code there."""


@dataclass
class Result:
    rates: tuple[float, float] = (0.0, 0.0)
    grammar: dict[str, tuple[float, int, int]] = field(default_factory=dict)
    launches: list[dict[str, Any]] = field(default_factory=list)


def runtimes(model: Path, threads: int, old_python: str | None) -> list[Runtime]:
    found = []
    if old_python:
        found.append(Runtime("llama-cpp-python (compiled)", [
            old_python, "-m", "greenroom.models.llama_server", "--model", str(model), "--model_alias", EMBEDDED_ALIAS,
            "--n_ctx", "4096", "--n_threads", str(threads), "--logits_all", "false",
        ], 1, Path(old_python).parent.parent.parent))  # fmt: skip
    found.append(Runtime("xllamacpp (prebuilt)", [
        sys.executable, "-m", "greenroom.models.llama_server", "--model", str(model), "--alias", EMBEDDED_ALIAS,
        "--ctx", "4096", "--threads", str(threads), "--parallel", "2",
    ], 2))  # fmt: skip
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(runtime: Runtime, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen([*runtime.command, "--host", "127.0.0.1", "--port", str(port)], stdout=log.open("ab"),
                               stderr=subprocess.STDOUT, cwd=runtime.cwd)  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{runtime.name} exited with code {process.returncode}; see {log}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{runtime.name} did not start within 300 s; see {log}")


def _chat(url: str, content: str, max_tokens: int, **extra: Any) -> tuple[float, dict[str, Any]]:
    body = {"model": EMBEDDED_ALIAS, "messages": [{"role": "user", "content": content}], "max_tokens": max_tokens, **extra}
    started = time.perf_counter()
    reply = httpx.post(f"{url}/chat/completions", json=body, timeout=600).json()
    return time.perf_counter() - started, reply


def rates(url: str) -> tuple[float, float]:
    """(prompt tokens/s, decode tokens/s), measured from the client the same way for every runtime."""
    _chat(url, "Say hello.", 2)
    filler = " ".join(f"Line {i}: the {w} keeper counts {i * 7} ships." for i, w in enumerate(["lighthouse", "harbour"] * 40))
    seconds, reply = _chat(url, f"{uuid.uuid4().hex} {filler}", 1)
    prompt_rate = reply["usage"]["prompt_tokens"] / seconds
    story = f"{uuid.uuid4().hex} Write a long story about a lighthouse keeper and a storm, in many paragraphs."
    seconds, reply = _chat(url, story, 200, seed=1, temperature=0.7)
    decode_s = seconds - reply["usage"]["prompt_tokens"] / prompt_rate
    return prompt_rate, reply["usage"]["completion_tokens"] / max(decode_s, 1e-6)


def grammar(url: str, seeds: int) -> dict[str, tuple[float, int, int]]:
    """Per schema: (tokens/s, valid answers, answers)."""
    found = {}
    for schema in SCHEMAS:
        tokens, seconds, valid = 0, 0.0, 0
        for seed in range(1, seeds + 1):
            took, reply = _chat(url, PROMPT.format(name=schema.__name__), 650, seed=seed, temperature=0.7, repeat_penalty=1.1,
                                response_format={"type": "json_object", "schema": schema.model_json_schema()})  # fmt: skip
            tokens, seconds = tokens + reply["usage"]["completion_tokens"], seconds + took
            try:
                schema.model_validate(json.loads(reply["choices"][0]["message"]["content"], strict=False))
                valid += 1
            except (ValueError, ValidationError):
                pass
        found[schema.__name__] = (tokens / seconds, valid, seeds)
    return found


def launches(url: str, runtime: Runtime, briefs: list[Path], rounds: int, data_dir: Path) -> list[dict[str, Any]]:
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        model = ModelSettings(provider="embedded", base_url=url, parallel=runtime.parallel)
        settings = Settings(_env_file=None, data_dir=data_dir, output_dir=Path(tmp), max_edit_rounds=rounds, model=model)  # type: ignore[call-arg]
        context = agent_context(settings)
        for path in briefs:
            started = time.perf_counter()
            outcome = launch_run(load_brief(path), settings, context)
            wall = time.perf_counter() - started
            package = outcome.package
            if package is None:
                found.append({"brief": path.stem, "status": outcome.status, "wall": wall})
                continue
            acct = package.accounting
            found.append({
                "brief": path.stem, "status": outcome.status, "wall": wall, "calls": acct.model_calls,
                "fresh": acct.input_tokens - acct.cached_input_tokens, "reused": acct.cached_input_tokens,
                "completion": acct.output_tokens, "sent": acct.input_tokens + acct.output_tokens,
                "longest": max((c.seconds for c in package.calls), default=0.0), "editor": package.edit_outcome,
                "fallbacks": len(package.draft.fallbacks),
            })  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("briefs", nargs="*", type=Path, default=[ROOT / "examples" / "briefs" / "deep-dish-podcast.yaml",
                                                                   ROOT / "examples" / "briefs" / "night-shift-film.yaml"])  # fmt: skip
    parser.add_argument("--llama-cpp-python", dest="old_python", help="a Python with llama-cpp-python and the earlier server")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=Path(".greenroom"))
    args = parser.parse_args()
    threads = args.threads or default_threads()
    results: dict[str, Result] = {}
    log = Path(tempfile.gettempdir()) / "runtime_bench.log"
    for runtime in runtimes(embedded_model_path(), threads, args.old_python):
        process, url = start(runtime, log)
        try:
            result = Result(rates=rates(url), grammar=grammar(url, args.seeds))
            result.launches = launches(url, runtime, args.briefs, args.rounds, args.data_dir)
            results[runtime.name] = result
        finally:
            process.terminate()
            process.wait(timeout=30)
    console = Console(width=200)
    table = Table(title=f"Runtimes for {EMBEDDED_ALIAS}, {threads} threads, same machine, one run")
    for column in ("runtime", "prompt tok/s", "decode tok/s", "schema-bound tok/s", "valid answers"):
        table.add_column(column, justify="left" if column == "runtime" else "right")
    for name, result in results.items():
        schema_rate = sum(r[0] for r in result.grammar.values()) / len(result.grammar)
        valid = sum(r[1] for r in result.grammar.values())
        asked = sum(r[2] for r in result.grammar.values())
        table.add_row(
            name,
            f"{result.rates[0]:.0f}",
            f"{result.rates[1]:.0f}",
            f"{schema_rate:.0f}",
            f"{valid}/{asked} ({valid / asked:.0%})",
        )
    console.print(table)
    table = Table(title=f"Launches, {args.rounds} edit round(s)")
    for column in ("runtime", "brief", "status", "wall s", "calls", "prompt fresh", "prompt reused", "completion",
                   "tokens sent", "longest call s", "limit s", "wall / limit", "editor", "fallback fields"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("runtime", "brief", "status") else "right")
    for name, result in results.items():
        prompt_rate, decode_rate = result.rates
        for row in result.launches:
            if "calls" not in row:
                table.add_row(name, row["brief"], row["status"], f"{row['wall']:.1f}", *["-"] * 10)
                continue
            limit = row["completion"] / decode_rate + row["fresh"] / prompt_rate
            table.add_row(name, row["brief"], row["status"], f"{row['wall']:.1f}", str(row["calls"]), str(row["fresh"]),
                          str(row["reused"]), str(row["completion"]), str(row["sent"]), f"{row['longest']:.1f}",
                          f"{limit:.1f}", f"{row['wall'] / limit:.2f}", row["editor"], str(row["fallbacks"]))  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
