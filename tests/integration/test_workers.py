"""The worker pool on a real deployment on loopback: Redis, PostgreSQL, a Chroma server, `greenroom worker` processes.

The fake model (with a fixed delay per call) writes one line per call to a log
shared by every process, so the tests can count model calls across workers.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from greenroom.core.brief import load_brief
from greenroom.core.settings import ModelSettings
from greenroom.core.vocabulary import AT_REST
from greenroom.interfaces.api import create_app
from greenroom.interfaces.settings import QueueSettings, Settings
from greenroom.store.runs import RunRegistry
from tests.cluster import (
    ChromaServer,
    PostgresServer,
    RabbitServer,
    RedisServer,
    ServiceUnavailable,
    Workers,
    private_folder,
    worker_env,
)
from tests.conftest import EXAMPLES, ROOT, SMALL_CATALOG
from tests.integration.api_helpers import free_port, make_keys
from tests.integration.test_api_server import _brief

pytestmark = pytest.mark.slow
FILM = ROOT / "examples" / "briefs" / "night-shift-film.yaml"


def _unavailable(exc: ServiceUnavailable) -> None:
    if os.environ.get("GREENROOM_REQUIRE_SERVICES") == "1":
        pytest.fail(f"a service the worker tests need is missing: {exc}")
    pytest.skip(f"{exc} (CI installs it; see .ci/run)")


@contextmanager
def _running(server: Any) -> Iterator[Any]:
    """Start a server for the tests, skip (or in CI fail) where it cannot start, stop it afterwards."""
    try:
        server.start()
    except ServiceUnavailable as exc:
        _unavailable(exc)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with _running(PostgresServer(private_folder("greenroom-pg-"))) as server:
        yield server
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    from greenroom.store.catalog import Catalog, Title

    with _running(ChromaServer(tmp_path_factory.mktemp("chroma"))) as server:
        Catalog.open(Path("unused"), url=server.url).upsert([Title(source="test", **row) for row in SMALL_CATALOG])
        yield server


@pytest.fixture
def rabbitmq() -> Iterator[RabbitServer]:
    with _running(RabbitServer(private_folder("greenroom-rabbit-"))) as server:
        yield server
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    (tmp_path / "redis").mkdir()
    with _running(RedisServer(tmp_path / "redis")) as server:
        yield server


@dataclass
class Deployment:
    """Settings for this process (the one submitting), the workers' environment, and the call log."""

    settings: Settings
    env: dict[str, str]
    call_log: Path
    workers: Workers

    def registry(self) -> RunRegistry:
        return RunRegistry(self.settings.registry_target)

    def calls_by_pid(self) -> collections.Counter[int]:
        lines = self.call_log.read_text().split() if self.call_log.exists() else []
        return collections.Counter(int(line) for line in lines)

    def wait_until_at_rest(self, run_ids: list[str], timeout: float = 600) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        registry = self.registry()
        while True:
            statuses = {run_id: registry.get(run_id).status for run_id in run_ids}
            if all(s in AT_REST for s in statuses.values()):
                return statuses
            if time.monotonic() > deadline:
                raise AssertionError(f"runs not finished after {timeout:.0f} s: {statuses}\n{self.workers.logs()}")
            time.sleep(0.25)


def _deployment(tmp_path: Path, models: Path, postgres: PostgresServer, chroma: ChromaServer, broker_url: str,
                fake_delay_s: float, **queue: Any) -> Deployment:  # fmt: skip
    data_dir = tmp_path / "data"
    shutil.copytree(models, data_dir / "models")  # trained once for the session, shared by every worker
    call_log = tmp_path / "calls.log"
    database_url = postgres.new_database()
    env = worker_env(data_dir, broker_url=broker_url, database_url=database_url, chroma_url=chroma.url,
                     fake_delay_s=fake_delay_s, call_log=call_log, **queue)  # fmt: skip
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir, output_dir=data_dir / "out", seed_catalog=False, max_edit_rounds=1, database_url=database_url,
        chroma_url=chroma.url, model=ModelSettings(provider="fake"), queue=QueueSettings(broker_url=broker_url, **queue),
    )  # fmt: skip
    return Deployment(settings=settings, env=env, call_log=call_log, workers=Workers(env, tmp_path))


@pytest.fixture
def deploy(tmp_path: Path, trained_small: Any, tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer,
           chroma: ChromaServer, redis: RedisServer) -> Iterator[Any]:  # fmt: skip
    """Build a deployment on demand; its workers are stopped afterwards."""
    models = tmp_path_factory.getbasetemp() / "greenroom-data" / "models"  # where trained_small saved them
    made: list[Deployment] = []

    def make(fake_delay_s: float, broker_url: str = redis.url, **queue: Any) -> Deployment:
        made.append(_deployment(tmp_path, models, postgres, chroma, broker_url, fake_delay_s, **queue))
        return made[-1]

    yield make
    for deployment in made:
        deployment.workers.stop()


def _service(deployment: Deployment) -> Any:
    from greenroom.interfaces.service import RunService

    service = RunService(deployment.settings)
    assert service.sends_to_queue
    service.start()
    return service


def _package_calls(deployment: Deployment, run_id: str) -> int:
    from greenroom.interfaces.runs import latest_package

    package = latest_package(run_id, deployment.settings)
    assert package is not None
    return len(package.calls)


def test_three_workers_take_twenty_briefs_through_the_api_and_each_runs_exactly_once(deploy: Any) -> None:

    deployment = deploy(fake_delay_s=0.02)
    deployment.workers.start(3)
    keys = make_keys(deployment.settings.data_dir, "acme")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(deployment.settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    auth = {"Authorization": f"Bearer {keys['acme']}"}
    names = [p.name for p in EXAMPLES]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            run_ids = []
            for i in range(20):
                response = client.post("/v1/briefs", json=_brief(names[i % len(names)]), headers=auth)
                assert response.status_code == 202, response.text
                run_ids.append(response.json()["run_id"])
            statuses = deployment.wait_until_at_rest(run_ids)
            assert set(statuses.values()) == {"done"}, statuses
            feed = client.get(f"/v1/runs/{run_ids[0]}/events", headers=auth, timeout=30).text
    finally:
        server.should_exit = True
        thread.join(timeout=30)

    assert "event: step_finished" in feed and '"status": "done"' in feed  # a worker's events reach the API's followers
    registry = deployment.registry()
    for run_id in run_ids:
        starts = [e.data["message"] for e in registry.events(run_id) if e.type == "status" and e.data["status"] == "running"]
        assert starts == ["launch started"], (run_id, starts)  # one worker began it, once, and never again
        finished = [e.data["step"] for e in registry.events(run_id) if e.type == "step_finished"]
        assert len(finished) == len(set(finished)), (run_id, finished)
    calls = deployment.calls_by_pid()
    expected = sum(_package_calls(deployment, run_id) for run_id in run_ids)
    assert sum(calls.values()) == expected  # no model call was made twice
    assert len(calls) == 3, calls  # all three workers took runs
    assert not registry.pending_jobs()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_run_whose_worker_is_killed_is_finished_by_another_without_repeating_done_model_calls(
    deploy: Any, broker: str, request: pytest.FixtureRequest
) -> None:
    from greenroom.graphs.launch import build_launch_graph
    from greenroom.interfaces.runs import checkpointer

    broker_url = request.getfixturevalue(broker).url  # RabbitMQ redelivers at once; Redis waits for the lease to lapse
    deployment = deploy(fake_delay_s=0.25, broker_url=broker_url, lease_s=3.0, sweep_s=0.5)
    deployment.workers.start(2)
    service = _service(deployment)
    record, _ = service.submit(load_brief(FILM), tenant="acme")
    registry = deployment.registry()
    deadline = time.monotonic() + 300
    while not any(e.type == "step_finished" and e.data.get("step") == "editor" for e in registry.events(record.id)):
        assert time.monotonic() < deadline, deployment.workers.logs()
        time.sleep(0.05)
    with registry._connect() as conn:
        owner = conn.execute(text("SELECT owner FROM run_jobs WHERE run_id = :id"), {"id": record.id}).scalar_one()
    victim = int(owner.rsplit(":", 1)[1])
    os.kill(victim, signal.SIGKILL)
    deployment.workers.by_pid(victim).wait(timeout=30)
    config = {"configurable": {"thread_id": record.id}}
    with checkpointer(deployment.settings) as saver:
        saved_calls = len(build_launch_graph().compile(checkpointer=saver).get_state(config).values.get("calls", []))
    assert saved_calls > 0

    assert deployment.wait_until_at_rest([record.id])[record.id] == "done", deployment.workers.logs()
    calls = deployment.calls_by_pid()
    survivor = next(pid for pid in calls if pid != victim)
    total = _package_calls(deployment, record.id)
    assert calls[survivor] == total - saved_calls  # the survivor made only the calls the checkpoint did not hold
    assert calls[victim] >= saved_calls
    started = [e.data for e in registry.events(record.id) if e.type == "status" and e.data["status"] == "running"]
    assert [s["message"] for s in started] == ["launch started", "launch started again"]
    later = registry.events(record.id)
    restart = next(e.seq for e in later if e.type == "status" and e.data["message"] == "launch started again")
    rerun = {e.data["step"] for e in later if e.seq > restart and e.type == "step_started"}
    assert not rerun & {"intake", "analyst", "writer", "editor"}, rerun


def test_redis_restarted_mid_batch_loses_no_run(deploy: Any, redis: RedisServer) -> None:
    deployment = deploy(fake_delay_s=0.1, lease_s=3.0, sweep_s=0.5, requeue_after_s=5.0)
    deployment.workers.start(2)
    service = _service(deployment)
    brief = load_brief(FILM)
    run_ids = [service.submit(brief, tenant="acme")[0].id for _ in range(8)]
    registry = deployment.registry()
    deadline = time.monotonic() + 300
    while sum(registry.get(r).status == "done" for r in run_ids) < 1:
        assert time.monotonic() < deadline, deployment.workers.logs()
        time.sleep(0.1)
    redis.restart(down_s=2.0)  # no persistence: the queued messages are gone
    late = [service.submit(brief, tenant="acme")[0].id for _ in range(2)]  # sent while workers reconnect
    statuses = deployment.wait_until_at_rest(run_ids + late)
    assert set(statuses.values()) == {"done"}, statuses
    expected = sum(_package_calls(deployment, run_id) for run_id in run_ids + late)
    assert sum(deployment.calls_by_pid().values()) == expected  # each run exactly once, none lost
    for run_id in run_ids + late:
        starts = [e for e in registry.events(run_id) if e.type == "status" and e.data["status"] == "running"]
        assert len(starts) == 1, (run_id, [s.data for s in starts])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_pruning_keeps_final_states_and_drops_the_rest(backend: str, tmp_path: Path, postgres: PostgresServer,
                                                       small_catalog: Any, trained_small: Any) -> None:  # fmt: skip
    from greenroom.agents.context import AgentContext
    from greenroom.interfaces.runs import answer_approval, checkpointer, latest_package, launch_run, prune_finished_runs, registry
    from greenroom.models.llm import build_model
    from greenroom.store.checkpoints import checkpoint_count

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data", output_dir=tmp_path / "out", max_edit_rounds=1, model=ModelSettings(provider="fake"),
        database_url=postgres.new_database() if backend == "postgres" else "", checkpoint_retention_days=0,
    )  # fmt: skip
    context = AgentContext(model=build_model(settings.model), max_edit_rounds=1, catalog=small_catalog, trained=trained_small)
    brief = load_brief(FILM)
    done = launch_run(brief, settings, context)
    approved = launch_run(brief, settings, AgentContext(**{**context.__dict__, "approval": True}))
    waiting = launch_run(brief, settings, AgentContext(**{**context.__dict__, "approval": True}))
    answer_approval(approved.run_id, {"action": "accept"}, settings, AgentContext(**{**context.__dict__, "approval": True}))
    assert registry(settings).get(waiting.run_id).status == "awaiting_approval"

    def counts() -> dict[str, int]:
        with checkpointer(settings) as saver:
            return {r: checkpoint_count(saver, r) for r in (done.run_id, approved.run_id, waiting.run_id)}

    before = counts()
    finals = {r: latest_package(r, settings) for r in (done.run_id, approved.run_id)}
    assert all(n > 5 for n in before.values()), before
    assert prune_finished_runs(settings, older_than_days=1) == []  # within the retention period: nothing goes
    pruned = prune_finished_runs(settings)
    assert sorted(pruned) == sorted([done.run_id, approved.run_id])
    after = counts()
    assert after[done.run_id] == 1 and after[approved.run_id] == 1
    assert after[waiting.run_id] == before[waiting.run_id]  # a run still waiting for a person keeps everything
    for run_id, package in finals.items():
        kept = latest_package(run_id, settings)
        assert kept is not None and package is not None
        assert kept.model_dump(mode="json") == package.model_dump(mode="json")
    assert prune_finished_runs(settings) == []  # pruned runs are not pruned again until they change
    answer_approval(waiting.run_id, {"action": "accept"}, settings, AgentContext(**{**context.__dict__, "approval": True}))
    assert registry(settings).get(waiting.run_id).status == "approved"
    assert json.loads(json.dumps(prune_finished_runs(settings))) == [waiting.run_id]
