"""Worker pool throughput: briefs per minute with 1, 2 and 4 workers, and the ratio to ideal linear scaling.

A private Redis, PostgreSQL and Chroma server on loopback (see tests/cluster.py;
Redis and PostgreSQL from Debian's packages), `greenroom worker` processes, and
the fake model with a fixed delay per call, so what is measured is the
orchestration: queue, claims, leases, checkpoints in PostgreSQL, the event feed.

    PYTHONPATH=. python benchmarks/worker_bench.py [--workers 1 --workers 2 --workers 4] [--briefs 16] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from greenroom.core.brief import load_brief
from greenroom.core.settings import ModelSettings
from greenroom.core.vocabulary import AT_REST
from greenroom.interfaces.runs import latest_package
from greenroom.interfaces.service import RunService
from greenroom.interfaces.settings import QueueSettings, Settings
from greenroom.store.runs import RunRegistry
from tests.cluster import ROOT, ChromaServer, PostgresServer, RedisServer, Workers, private_folder, started, worker_env


def _wait_ready(workers: Workers, log_dir: Path, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while sum("ready." in p.read_text(errors="replace") for p in log_dir.glob("worker-*.log")) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"workers not ready after {timeout:.0f} s:\n{workers.logs()}")
        time.sleep(0.2)


def measure(n_workers: int, n_briefs: int, delay: float, models: Path, postgres: PostgresServer, redis: RedisServer,
            chroma: ChromaServer) -> tuple[float, int]:  # fmt: skip
    """Seconds from the first submission to the last run at rest, and model calls per run."""
    folder = Path(tempfile.mkdtemp(prefix=f"greenroom-bench-{n_workers}-"))
    data_dir = folder / "data"
    shutil.copytree(models, data_dir / "models")
    database_url = postgres.new_database()
    env = worker_env(data_dir, broker_url=redis.url, database_url=database_url, chroma_url=chroma.url, fake_delay_s=delay,
                     call_log=folder / "calls.log", lease_s=30, sweep_s=2, requeue_after_s=600)  # fmt: skip
    settings = Settings(_env_file=None, data_dir=data_dir, output_dir=data_dir / "out", seed_catalog=False,  # type: ignore[call-arg]
                        max_edit_rounds=1, database_url=database_url, chroma_url=chroma.url,
                        model=ModelSettings(provider="fake"), queue=QueueSettings(broker_url=redis.url))  # fmt: skip
    workers = Workers(env, folder)
    workers.start(n_workers)
    try:
        _wait_ready(workers, folder, n_workers)
        service = RunService(settings)
        service.start()
        brief = load_brief(ROOT / "examples" / "briefs" / "night-shift-film.yaml")
        registry = RunRegistry(settings.registry_target)
        started_at = time.perf_counter()
        run_ids = [service.submit(brief, tenant="bench")[0].id for _ in range(n_briefs)]
        while not all(registry.get(r).status in AT_REST for r in run_ids):
            time.sleep(0.1)
        elapsed = time.perf_counter() - started_at
        records = [registry.get(r) for r in run_ids]
        if {r.status for r in records} != {"done"}:
            failed = "\n".join(f"{r.id}: {r.status}: {r.message}" for r in records if r.status != "done")
            raise SystemExit(f"runs did not finish:\n{failed}")
        package = latest_package(run_ids[0], settings)
        calls = len(package.calls) if package else 0
    finally:
        workers.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return elapsed, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, action="append", help="Worker counts to measure (default 1, 2, 4).")
    parser.add_argument("--briefs", type=int, default=16, help="Briefs submitted per measurement.")
    parser.add_argument("--delay", type=float, default=0.2, help="Seconds the fake model waits per call.")
    args = parser.parse_args()
    counts = args.workers or [1, 2, 4]

    from greenroom.tools.training import TrainingConfig, load_or_train

    scratch = Path(tempfile.mkdtemp(prefix="greenroom-bench-"))
    print("training the small analyst models once for every worker...", flush=True)
    load_or_train(scratch / "trained", config=TrainingConfig.small())
    postgres = PostgresServer(private_folder("greenroom-bench-pg-"))
    redis = RedisServer(scratch / "redis")
    redis.folder.mkdir()
    chroma = ChromaServer(scratch / "chroma")
    rows = []
    with started(postgres), started(redis), started(chroma):
        for n in counts:
            print(f"measuring {n} worker(s)...", flush=True)
            elapsed, calls = measure(n, args.briefs, args.delay, scratch / "trained" / "models", postgres, redis, chroma)
            rows.append((n, elapsed, calls))
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(postgres.folder, ignore_errors=True)

    base_n, base_s, _ = rows[0]
    base_rate = args.briefs / base_s * 60 / base_n  # briefs per minute per worker at the smallest count
    print(f"\n{args.briefs} briefs per row; fake model, {args.delay:g} s per call, {rows[0][2]} calls per brief; "
          f"Redis broker, PostgreSQL checkpoints and registry, Chroma server")  # fmt: skip
    header = f"{'workers':>7} {'wall s':>8} {'briefs/min':>11} {'ideal briefs/min':>17} {'ratio to linear':>16}"
    print(header)
    print("-" * len(header))
    for n, elapsed, _ in rows:
        rate = args.briefs / elapsed * 60
        print(f"{n:>7} {elapsed:>8.1f} {rate:>11.1f} {base_rate * n:>17.1f} {rate / (base_rate * n):>16.2f}")
    print(f"\none worker: {rows[0][1] / args.briefs:.2f} s per brief (marketer and pricing call the model in parallel)")


if __name__ == "__main__":
    main()
