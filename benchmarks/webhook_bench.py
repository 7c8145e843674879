"""Webhooks under failure: N runs on a real server (fake model), posted to a receiver that fails 30% of the time.

    python benchmarks/webhook_bench.py                    # 200 runs, a receiver failing 30% of posts with a 500
    python benchmarks/webhook_bench.py --runs 50 --fail 0.5

Starts `greenroom serve` on a temporary data folder (loopback receivers allowed,
short backoff), registers the receiver with PUT /v1/webhooks, submits the runs
(every fourth asks for approval, so it stops at `awaiting_approval`), and waits
until every run is at rest and every run's event has arrived. The receiver
checks each post's signature the way the README shows, answers a random 30%
with 500, and counts: events expected (one per run at rest), delivered at least
once, signatures verified, retries (posts after a failed one), duplicates, and
the delay from the event to its first successful post (p50/p99). Target: every
run's event arrives and every signature verifies.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from api_bench import start_fake_server  # benchmarks/ is on the path when a bench runs as a script
from rich.console import Console
from rich.table import Table

from greenroom.core.brief import load_brief
from greenroom.core.vocabulary import AT_REST

ROOT = Path(__file__).resolve().parent.parent
console = Console(width=120)


def verify(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    """The README's receiver check."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class Receiver:
    """Answers a random share of posts with 500; records every post."""

    def __init__(self, fail: float, seed: int) -> None:
        self.fail, self.rng, self.lock = fail, random.Random(seed), threading.Lock()
        self.secret = ""
        self.posts: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                arrived = time.time()
                signature = self.headers.get("Greenroom-Signature", "")
                verified = verify(receiver.secret, body, signature)  # on arrival, as a receiver does (timestamps age)
                with receiver.lock:
                    code = 500 if receiver.rng.random() < receiver.fail else 200
                    receiver.posts.append({"body": body, "verified": verified, "arrived": arrived, "code": code})
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self) -> dict[str, dict[str, Any]]:
        """Run id -> the first successful post's payload and arrival time."""
        out: dict[str, dict[str, Any]] = {}
        with self.lock:
            posts = list(self.posts)
        for post in posts:
            if post["code"] == 200:
                payload = json.loads(post["body"])
                out.setdefault(payload["data"]["run_id"], {"payload": payload, "arrived": post["arrived"]})
        return out


def _briefs(n: int) -> list[dict[str, Any]]:
    examples = [load_brief(p).model_dump(mode="json") for p in sorted((ROOT / "examples" / "briefs").glob("*.*"))]
    return [
        examples[i % len(examples)] | {"working_title": f"{examples[i % len(examples)]['working_title']} #{i}"} for i in range(n)
    ]


async def _submit_all(url: str, key: str, briefs: list[dict[str, Any]]) -> list[str]:
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=50)) as client:

        async def one(i: int, brief: dict[str, Any]) -> str:
            params = {"approval": "true"} if i % 4 == 3 else {}
            response = await client.post("/v1/briefs", json=brief, params=params, headers={"Authorization": f"Bearer {key}"})
            response.raise_for_status()
            return str(response.json()["run_id"])

        return list(await asyncio.gather(*(one(i, b) for i, b in enumerate(briefs))))


def _start_server(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    return start_fake_server(data_dir, port, workers, {
        "GREENROOM_WEBHOOKS__ALLOW_PRIVATE": "true", "GREENROOM_WEBHOOKS__BACKOFF_S": "0.2",
        "GREENROOM_WEBHOOKS__BACKOFF_MAX_S": "5", "GREENROOM_WEBHOOKS__MAX_ATTEMPTS": "12",
    })  # fmt: skip


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main(
    runs: Annotated[int, typer.Option(help="Runs submitted.")] = 200,
    fail: Annotated[float, typer.Option(help="Share of posts the receiver answers with 500.")] = 0.3,
    workers: Annotated[int, typer.Option(help="Runs the server executes at once.")] = 4,
    port: Annotated[int, typer.Option(help="Port for the started server.")] = 8766,
    seed: Annotated[int, typer.Option(help="Seed of the receiver's failures.")] = 7,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every run and event.")] = 1800,
) -> None:
    """Run the benchmark and print its table."""
    receiver = Receiver(fail, seed)
    with tempfile.TemporaryDirectory() as tmp:
        from greenroom.store.keys import KeyStore

        data_dir = Path(tmp)
        key = KeyStore(data_dir / "api_keys.sqlite").create("bench")[1]
        proc = _start_server(data_dir, port, workers)
        url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key}"}
        try:
            registered = httpx.put(f"{url}/v1/webhooks", json={"url": receiver.url}, headers=headers, timeout=30)
            registered.raise_for_status()
            receiver.secret = registered.json()["secret"]
            started = time.perf_counter()
            run_ids = asyncio.run(_submit_all(url, key, _briefs(runs)))
            deadline = time.monotonic() + timeout
            statuses: dict[str, str] = {}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                while time.monotonic() < deadline:
                    page = client.get("/v1/runs", params={"limit": 200}).json()["runs"]
                    statuses = {r["run_id"]: r["status"] for r in page if r["run_id"] in set(run_ids)}
                    if len(statuses) == len(run_ids) and all(s in AT_REST for s in statuses.values()):
                        break
                    time.sleep(1)
                runs_done = time.perf_counter() - started
                while time.monotonic() < deadline and len(receiver.delivered()) < len(run_ids):
                    time.sleep(0.5)
                logged = client.get("/v1/webhooks/deliveries", params={"limit": 200}).json()["deliveries"]
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    _print(runs, fail, receiver, run_ids, statuses, logged, runs_done)


def _print(n: int, fail: float, receiver: Receiver, run_ids: list[str], statuses: dict[str, str], logged: list[dict[str, Any]],
           runs_done: float) -> None:  # fmt: skip
    delivered = receiver.delivered()
    posts = receiver.posts
    verified = sum(p["verified"] for p in posts)
    per_delivery = Counter(json.loads(p["body"])["id"] for p in posts)
    ok_per_delivery = Counter(json.loads(p["body"])["id"] for p in posts if p["code"] == 200)
    delays = [
        (d["arrived"] - dt.datetime.fromisoformat(d["payload"]["created_at"]).timestamp()) * 1000 for d in delivered.values()
    ]
    expected_events = Counter("run.awaiting_approval" if s == "awaiting_approval" else "run.ended" for s in statuses.values())
    table = Table(title=f"Webhooks: {n} runs (fake model), receiver failing {fail:.0%} of posts with 500")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("runs at rest", f"{sum(s in AT_REST for s in statuses.values())} of {n} ({', '.join(f'{s} {c}' for s, c in sorted(Counter(statuses.values()).items()))})"),
        ("events expected", f"{sum(expected_events.values())} ({', '.join(f'{e} {c}' for e, c in sorted(expected_events.items()))})"),
        ("events delivered at least once", f"{sum(rid in delivered for rid in run_ids)} of {len(run_ids)}"),
        ("posts received / answered 500", f"{len(posts)} / {sum(p['code'] == 500 for p in posts)}"),
        ("signatures verified", f"{verified} of {len(posts)}"),
        ("retries (posts after a failed one)", str(sum(c - 1 for c in per_delivery.values()))),
        ("deliveries posted 2xx more than once", str(sum(c > 1 for c in ok_per_delivery.values()))),
        ("most attempts for one delivery", str(max(per_delivery.values(), default=0))),
        ("delivery delay p50 / p99 / max (ms)", f"{statistics.median(delays):.0f} / {_percentile(delays, 99):.0f} / {max(delays):.0f}" if delays else "-"),
        ("server's log: delivered / attempts logged", f"{sum(d['state'] == 'delivered' for d in logged)} / {sum(d['attempts'] for d in logged)}"),
        ("wall time, first submit to last run at rest (s)", f"{runs_done:.1f}"),
        ("load average (1 min)", f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"),
    ]  # fmt: skip
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
