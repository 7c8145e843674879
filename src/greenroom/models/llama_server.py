"""llama.cpp's own OpenAI-compatible server for the embedded model, from the prebuilt `xllamacpp` wheel.

Why this runtime (measured in `benchmarks/runtime_bench.py`, see the README): `xllamacpp` ships
llama.cpp's C++ server as a portable wheel, so nothing compiles at install and no native-only code path
(AMX, AVX-512) is taken on a machine that advertises it but cannot run it. Its server checks the grammar
on the sampled token first (llama.cpp's common/sampling.cpp), serves several requests at once in parallel
slots with continuous batching, caches each slot's prompt, reports the prompt tokens it reused, and stops
decoding when the client hangs up (which is how a call's deadline cuts it off). JSON schemas in
`response_format` are compiled by LLGuidance.

The server runs in a child process of its own (started by `models.llm.EmbeddedServer`), so a crash in
native code ends that process with a plain error, never the run that called it:

    python -m greenroom.models.llama_server --model FILE [--alias NAME] [--host H] [--port P]
        [--ctx N] [--threads N] [--parallel N] [--watch-stdin]

It serves until it is signalled, or (with --watch-stdin) until its standard input closes.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path


def build_params(model: Path, *, alias: str, host: str, port: int, ctx: int, threads: int, parallel: int) -> object:
    """The server's parameters: `ctx` tokens of context for each of `parallel` slots."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.model_alias = alias
    params.hostnames = [host]
    params.port = port
    params.n_parallel = parallel
    params.n_ctx = ctx * parallel  # llama.cpp splits the context evenly between the slots
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.cache_prompt = True
    params.use_jinja = True  # the chat template read from the GGUF file, as the model's authors wrote it
    params.warmup = True
    params.endpoint_metrics = False
    params.endpoint_slots = False
    params.ui = False  # no web page: the API only
    return params


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m greenroom.models.llama_server", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="GGUF file")
    parser.add_argument("--alias", default="local", help="the model's name in the API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--ctx", type=int, default=4096, help="context tokens per slot")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--parallel", type=int, default=2, help="requests served at once")
    parser.add_argument("--watch-stdin", action="store_true", help="stop when standard input closes (the parent ended)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start the server and serve until a signal arrives, or standard input closes (with --watch-stdin)."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    if not args.model.is_file():
        sys.exit(f"no model file at {args.model}")
    import xllamacpp

    params = build_params(
        args.model, alias=args.alias, host=args.host, port=args.port, ctx=args.ctx, threads=args.threads, parallel=args.parallel
    )
    server = xllamacpp.Server(params)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())

    def watch_stdin() -> None:
        try:
            while sys.stdin.buffer.read(1):
                pass
        except (OSError, ValueError):
            pass
        done.set()

    if args.watch_stdin:
        threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait()
    del server  # stops the HTTP loop and frees the model


if __name__ == "__main__":
    main()
