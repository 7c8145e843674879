"""A small deployment on loopback for the tests and the worker benchmark.

Redis and PostgreSQL come from Debian's packages (`.ci/run` installs them),
the Chroma server from the chromadb package; each runs in a private folder on
a free port and is stopped afterwards. Where a binary is missing the caller
is told why, so a test can skip (or, with GREENROOM_REQUIRE_SERVICES=1, as in
CI, fail).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class ServiceUnavailable(RuntimeError):
    """A server this deployment needs cannot be started here."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceUnavailable(f"{what} exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise ServiceUnavailable(f"{what} did not listen on port {port} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class _ProcessServer:
    """A server process of ours on a free loopback port, keeping its files in `folder`."""

    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def _launch(self, cmd: list[str], what: str) -> None:
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self.proc, what)

    def stop(self) -> None:
        _stop(self.proc)


@dataclass
class RedisServer(_ProcessServer):
    """redis-server on loopback; `restart()` stops it and starts it again on the same port."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceUnavailable("redis-server is not installed (Debian package redis-server)")
        # No persistence: a restart loses every queued message, the hardest case for "no run lost".
        cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
               "--save", "", "--appendonly", "no", "--protected-mode", "yes"]  # fmt: skip
        self._launch(cmd, "redis-server")

    def restart(self, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


@dataclass
class RabbitServer(_ProcessServer):
    """rabbitmq-server as a private node on loopback (guest/guest, which RabbitMQ allows from loopback only)."""

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> None:
        binary = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
        if not Path(binary).exists():
            raise ServiceUnavailable("rabbitmq-server is not installed (Debian package rabbitmq-server)")
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # the Debian script runs the node as the rabbitmq user, which must own the folder
            try:
                account = pwd.getpwnam("rabbitmq")
            except KeyError as exc:
                raise ServiceUnavailable("rabbitmq-server is installed without its rabbitmq user") from exc
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        f = self.folder
        env = {**os.environ, "RABBITMQ_NODENAME": f"greenroom{self.port}@localhost", "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
               "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(free_port()),
               "RABBITMQ_MNESIA_BASE": f"{f}/mnesia", "RABBITMQ_MNESIA_DIR": f"{f}/mnesia/node",
               "RABBITMQ_FEATURE_FLAGS_FILE": f"{f}/feature_flags", "RABBITMQ_PLUGINS_EXPAND_DIR": f"{f}/plugins-expand",
               "RABBITMQ_LOG_BASE": f"{f}/log", "RABBITMQ_ENABLED_PLUGINS_FILE": f"{f}/plugins",
               "RABBITMQ_CONFIG_FILE": f"{f}/rabbitmq", "RABBITMQ_ADVANCED_CONFIG_FILE": f"{f}/advanced.config",
               "RABBITMQ_PID_FILE": f"{f}/pid"}  # fmt: skip
        self.proc = subprocess.Popen([binary], env=env, cwd=f, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)  # fmt: skip
        _wait_for_port(self.port, self.proc, "rabbitmq-server", timeout=120)

    def stop(self) -> None:
        # The Erlang node runs in a session of its own (the script switches to the rabbitmq user):
        # its pid file names it.
        pid_file = self.folder / "pid"
        if pid_file.exists():
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    break
            time.sleep(0.2)
        _stop(self.proc)


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        initdb = shutil.which("initdb")
        if initdb is None:
            raise ServiceUnavailable("PostgreSQL is not installed (Debian package postgresql)")
        return Path(initdb).parent
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    """A private PostgreSQL cluster on loopback with trust authentication (root runs it as the postgres user)."""

    folder: Path
    port: int = field(default_factory=free_port)
    user: str = "greenroom"

    def _run(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*prefix, *cmd], capture_output=True, text=True)
        if result.returncode != 0:
            raise ServiceUnavailable(f"{Path(cmd[0]).name} failed: {result.stderr.strip()[-500:]}")

    def start(self) -> None:
        bindir = _postgres_bin()
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ServiceUnavailable("PostgreSQL refuses to run as root and there is no postgres user") from exc
            self.folder.mkdir(parents=True, exist_ok=True)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        data = self.folder / "data"
        self._run(str(bindir / "initdb"), "-D", str(data), "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        bindir = _postgres_bin()
        with suppress(ServiceUnavailable):
            self._run(str(bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@dataclass
class ChromaServer(_ProcessServer):
    """`chroma run` (the server inside the chromadb package) on loopback."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = Path(sys.executable).parent / "chroma"
        if not binary.exists():
            raise ServiceUnavailable("the chroma command of the chromadb package is missing")
        cmd = [str(binary), "run", "--path", str(self.folder), "--host", "127.0.0.1", "--port", str(self.port)]
        self._launch(cmd, "chroma run")


@contextmanager
def started(server: RedisServer | PostgresServer | ChromaServer) -> Iterator[None]:
    server.start()
    try:
        yield
    finally:
        server.stop()


def private_folder(prefix: str) -> Path:
    """A folder under the system temp dir (pytest's own are closed to the postgres user)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def worker_env(data_dir: Path, *, broker_url: str, database_url: str, chroma_url: str, fake_delay_s: float,
               call_log: Path, lease_s: float = 3.0, sweep_s: float = 0.5, requeue_after_s: float = 60.0) -> dict[str, str]:  # fmt: skip
    """Settings for a worker process of the test deployment (fake model, shared data folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENROOM_")}
    env.update({
        "GREENROOM_MODEL__PROVIDER": "fake", "GREENROOM_MODEL__FAKE_DELAY_S": str(fake_delay_s),
        "GREENROOM_MODEL__FAKE_CALL_LOG": str(call_log), "GREENROOM_DATA_DIR": str(data_dir),
        "GREENROOM_OUTPUT_DIR": str(data_dir / "out"), "GREENROOM_MAX_EDIT_ROUNDS": "1", "GREENROOM_SEED_CATALOG": "false",
        "GREENROOM_DATABASE_URL": database_url, "GREENROOM_CHROMA_URL": chroma_url,
        "GREENROOM_QUEUE__BROKER_URL": broker_url, "GREENROOM_QUEUE__LEASE_S": str(lease_s),
        "GREENROOM_QUEUE__SWEEP_S": str(sweep_s), "GREENROOM_QUEUE__REQUEUE_AFTER_S": str(requeue_after_s),
        "PYTHONPATH": str(ROOT / "src"),
    })  # fmt: skip
    return env


class Workers:
    """`greenroom worker` processes; each is named by its index, its process id is its registry owner suffix."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[Any] = []

    def start(self, count: int) -> None:
        for _ in range(count):
            index = len(self.procs)
            log = (self.log_dir / f"worker-{index}.log").open("wb")
            self._logs.append(log)
            cmd = [sys.executable, "-m", "greenroom", "worker", "--loglevel", "INFO", "--name", f"w{index}@%h"]
            self.procs.append(subprocess.Popen(cmd, env=self.env, cwd=self.log_dir, stdout=log, stderr=subprocess.STDOUT))

    def by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        return next(p for p in self.procs if p.pid == pid)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.log_dir.glob("worker-*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()
