"""REST API under load: briefs submitted at once to a real server with the fake model and its workers running.

    python benchmarks/api_bench.py                       # starts `greenroom serve` on a temporary data folder
    python benchmarks/api_bench.py --briefs 100 --workers 2 --delay 0.05
    python benchmarks/api_bench.py --briefs 100 --compare HEAD~1   # the same load on an earlier commit's code first
    python benchmarks/api_bench.py --url http://127.0.0.1:8000 --key gr_...   # an already running server

`--compare REV` takes the package as it was at commit REV (`git archive`), starts a
server on that code with the same settings and load, then one on the working tree's
code, and prints one table with both: "before" is that commit's code measured now,
on the same machine, in the same run.

Measures submit latency (POST /v1/briefs until the 202) at p50/p99, then waits
until every run is at rest and checks that none was lost or duplicated: every
brief is also retried with its Idempotency-Key, and the run ids must come back
the same, one run per brief. Other processes share the CPU, so the table also
gives the load average.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from greenroom.core.brief import load_brief
from greenroom.core.vocabulary import AT_REST

ROOT = Path(__file__).resolve().parent.parent

console = Console(width=120)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _briefs(n: int) -> list[dict[str, Any]]:
    examples = [load_brief(p).model_dump(mode="json") for p in sorted((ROOT / "examples" / "briefs").glob("*.*"))]
    return [
        examples[i % len(examples)] | {"working_title": f"{examples[i % len(examples)]['working_title']} #{i}"} for i in range(n)
    ]


async def _submit_all(url: str, key: str, briefs: list[dict[str, Any]], tag: str) -> tuple[list[str], list[float]]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=len(briefs))
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(i: int, brief: dict[str, Any]) -> tuple[str, float]:
            started = time.perf_counter()
            response = await client.post("/v1/briefs", json=brief, headers={**headers, "Idempotency-Key": f"{tag}-{i}"})
            response.raise_for_status()
            return str(response.json()["run_id"]), time.perf_counter() - started

        results = await asyncio.gather(*(one(i, b) for i, b in enumerate(briefs)))
    return [r[0] for r in results], [r[1] for r in results]


def _wait_at_rest(url: str, key: str, run_ids: list[str], timeout: float) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        while time.monotonic() < deadline:
            statuses = {rid: client.get(f"/v1/runs/{rid}").json()["status"] for rid in set(run_ids)}
            if all(s in AT_REST for s in statuses.values()):
                return statuses
            time.sleep(1)
    return statuses


def start_fake_server(data_dir: Path, port: int, workers: int, env_extra: dict[str, str] | None = None,
                      src: Path | None = None) -> subprocess.Popen[bytes]:  # fmt: skip
    """`greenroom serve` on the fake model over `data_dir` (small analyst models trained first), once it answers.

    `env_extra` adds settings; `src` puts an earlier commit's package first on the path. webhook_bench.py starts
    its server here too.
    """
    from greenroom.tools.training import TrainingConfig, load_or_train

    console.print("training the small analyst models for the benchmark's data folder…")
    load_or_train(data_dir, config=TrainingConfig.small())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENROOM_", "OTEL_"))}
    env.update({
        "GREENROOM_MODEL__PROVIDER": "fake", "GREENROOM_DATA_DIR": str(data_dir), "GREENROOM_OUTPUT_DIR": str(data_dir / "out"),
        "GREENROOM_MAX_EDIT_ROUNDS": "1", "GREENROOM_SEED_CATALOG": "false",
        "PYTHONPATH": str(src or ROOT / "src"),  # an earlier commit's package comes first on the path
        **(env_extra or {}),
    })  # fmt: skip
    cmd = [sys.executable, "-m", "greenroom", "serve", "--port", str(port), "--workers-per-server", str(workers)]
    proc = subprocess.Popen(cmd, env=env, cwd=data_dir, stdout=subprocess.DEVNULL, stderr=(data_dir / "server.log").open("wb"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the server did not start; see {data_dir / 'server.log'}")


def _code_at(rev: str, folder: Path) -> Path:
    """The package's source as it was at commit `rev`, unpacked into `folder`; return its `src` folder."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


def _measure(tmp: Path, label: str, n: int, workers: int, delay: float, port: int, timeout: float,
             src: Path | None = None, url: str = "", key: str = "") -> dict[str, Any]:  # fmt: skip
    """Submit n briefs at once, retry each with its Idempotency-Key, wait until every run is at rest."""
    proc = None
    if not url:
        from greenroom.store.keys import KeyStore

        data_dir = tmp / label
        data_dir.mkdir()
        key = KeyStore(data_dir / "api_keys.sqlite").create("bench")[1]
        proc = start_fake_server(data_dir, port, workers, {"GREENROOM_MODEL__FAKE_DELAY_S": str(delay)}, src)
        url = f"http://127.0.0.1:{port}"
    try:
        payloads = _briefs(n)
        tag = f"bench-{time.time_ns()}"
        started = time.perf_counter()
        run_ids, latencies = asyncio.run(_submit_all(url, key, payloads, tag))
        retried, retry_latencies = asyncio.run(_submit_all(url, key, payloads, tag))
        statuses = _wait_at_rest(url, key, run_ids, timeout)
        wall = time.perf_counter() - started
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
    return {"label": label, "run_ids": run_ids, "retried": retried, "latencies": latencies,
            "retry_latencies": retry_latencies, "statuses": statuses, "wall": wall}  # fmt: skip


def main(
    briefs: Annotated[int, typer.Option(help="Briefs submitted at once.")] = 100,
    workers: Annotated[int, typer.Option(help="Runs the started server executes at once.")] = 2,
    delay: Annotated[float, typer.Option(help="Seconds the fake model waits per call.")] = 0.0,
    url: Annotated[str, typer.Option(help="An already running server (with --key); empty starts one.")] = "",
    key: Annotated[str, typer.Option(help="API key for --url.")] = "",
    port: Annotated[int, typer.Option(help="Port for the started server.")] = 8765,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every run to finish.")] = 1800,
    compare: Annotated[str, typer.Option(help="A commit whose code is measured first, as 'before' (started servers only).")] = "",
) -> None:
    """Submit N briefs concurrently, retry each with its Idempotency-Key, wait for all, print a table."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        measured = []
        if compare and not url:
            before = _code_at(compare, tmp / "before-code")
            measured.append(_measure(tmp, f"before ({compare})", briefs, workers, delay, port, timeout, src=before))
        measured.append(_measure(tmp, "now" if compare else "this tree", briefs, workers, delay, port + 1, timeout,
                                 url=url, key=key))  # fmt: skip
    _print(briefs, workers if not url else None, measured)


def _print(n: int, workers: int | None, measured: list[dict[str, Any]]) -> None:
    table = Table(title=f"REST API: {n} briefs submitted at once (fake model, the server's workers running)")
    table.add_column("measure")
    for m in measured:
        table.add_column(m["label"], justify="right")

    def row(name: str, value: Any) -> None:
        table.add_row(name, *(value(m) for m in measured))

    def ms(values: list[float]) -> list[float]:
        return [x * 1000 for x in values]

    row("worker threads", lambda m: str(workers) if workers else "(external server)")
    row("submit p50 / p99 / max (ms)", lambda m: "{:.0f} / {:.0f} / {:.0f}".format(
        statistics.median(ms(m["latencies"])), _percentile(ms(m["latencies"]), 99), max(ms(m["latencies"]))))  # fmt: skip
    row("retry (same Idempotency-Key) p50 / p99 (ms)", lambda m: "{:.0f} / {:.0f}".format(
        statistics.median(ms(m["retry_latencies"])), _percentile(ms(m["retry_latencies"]), 99)))  # fmt: skip
    row("distinct run ids", lambda m: f"{len(set(m['run_ids']))} of {n}")
    row("retries that returned the same run",
        lambda m: f"{sum(a == b for a, b in zip(m['run_ids'], m['retried'], strict=True))} of {n}")  # fmt: skip
    row("final statuses", lambda m: ", ".join(f"{s} {c}" for s, c in sorted(Counter(m["statuses"].values()).items())))
    row("runs not at rest when the wait ended (--timeout)", lambda m: str(sum(s not in AT_REST for s in m["statuses"].values())))
    row("wall time, first submit to last run done (s)", lambda m: f"{m['wall']:.1f}")
    row("runs per minute", lambda m: f"{len(m['statuses']) / m['wall'] * 60:.1f}")
    console.print(table)
    console.print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    typer.run(main)
