"""Real REST API servers on loopback for the tests: in a thread (fast) or in a process (to kill it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from greenroom.agents.context import AgentContext
from greenroom.core.settings import ModelSettings
from greenroom.interfaces.api import create_app
from greenroom.interfaces.settings import Settings
from greenroom.models.llm import build_model
from greenroom.store.keys import KeyStore
from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api_settings(data_dir: Path, out_dir: Path, fake_delay_s: float = 0.0) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, output_dir=out_dir, seed_catalog=False, max_edit_rounds=1,  # type: ignore[call-arg]
                    model=ModelSettings(provider="fake", fake_delay_s=fake_delay_s))  # fmt: skip


@dataclass
class Served:
    """A running server: its base URL and one key per tenant."""

    url: str
    keys: dict[str, str]

    def auth(self, tenant: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[tenant]}"}


def make_keys(data_dir: Path, *tenants: str) -> dict[str, str]:
    store = KeyStore(data_dir / "api_keys.sqlite")
    return {tenant: store.create(tenant)[1] for tenant in tenants}


@contextmanager
def thread_server(settings: Settings, catalog: Any, trained: Any, *tenants: str, workers: int = 2) -> Iterator[Served]:
    """create_app served by uvicorn in a thread, with an in-memory catalog and the small trained models."""

    def context(s: Settings) -> AgentContext:
        return AgentContext(model=build_model(s.model), max_edit_rounds=s.max_edit_rounds, catalog=catalog, trained=trained)

    settings.ensure_dirs()
    keys = make_keys(settings.data_dir, *tenants)
    port = free_port()
    config = uvicorn.Config(create_app(settings, context, workers=workers), host="127.0.0.1", port=port, ws="none",
                            log_level="warning", timeout_graceful_shutdown=2)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.05)
    try:
        yield Served(url=f"http://127.0.0.1:{port}", keys=keys)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def server_env(data_dir: Path, out_dir: Path, fake_delay_s: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENROOM_")}
    env.update({
        "GREENROOM_MODEL__PROVIDER": "fake", "GREENROOM_MODEL__FAKE_DELAY_S": str(fake_delay_s),
        "GREENROOM_DATA_DIR": str(data_dir), "GREENROOM_OUTPUT_DIR": str(out_dir),
        "GREENROOM_MAX_EDIT_ROUNDS": "1", "GREENROOM_SEED_CATALOG": "false", "PYTHONPATH": str(ROOT / "src"),
    })  # fmt: skip
    return env


@contextmanager
def process_server(env: dict[str, str], cwd: Path, port: int, workers: int = 2) -> Iterator[subprocess.Popen[str]]:
    """`greenroom serve` in its own process; killed (not stopped) on exit if still alive."""
    log = (cwd / f"server-{port}-{time.monotonic_ns()}.log").open("w")
    cmd = [sys.executable, "-m", "greenroom", "serve", "--port", str(port), "--workers-per-server", str(workers)]
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        log.close()


def wait_until_up(url: str, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server exited with {proc.returncode}"
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no server at {url} after {timeout} s")


@dataclass
class Event:
    id: int
    type: str
    data: dict[str, Any]


def follow(client: httpx.Client, run_url: str, headers: dict[str, str], last_id: int | None = None,
           stop: Any = None, timeout: float = 120) -> list[Event]:  # fmt: skip
    """Read a run's SSE feed until the server ends it (or `stop(event)` is true)."""
    extra = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    events: list[Event] = []
    fields: dict[str, str] = {}
    with client.stream("GET", f"{run_url}/events", headers={**headers, **extra}, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if "data" in fields:
                events.append(Event(int(fields["id"]), fields.get("event", "message"), json.loads(fields["data"])))
                if stop is not None and stop(events[-1]):
                    break
            fields = {}
    return events
