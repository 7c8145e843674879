"""Which generation model to use and how to call it: the one group of settings that reaches below `interfaces/`.

`interfaces/settings.py` reads it from the environment with the rest of the
settings; model plumbing in `tools/` receives it as an object.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

Provider = Literal["embedded", "openai", "anthropic", "ollama", "fake"]


class ModelSettings(BaseModel):
    """Which generation model to use and how to call it."""

    provider: Provider = Field(
        "embedded",
        description="embedded (local SmolLM2 via llama.cpp), openai (any OpenAI-compatible URL), anthropic, ollama, or fake (tests).",
    )
    tier: Literal["small", "capable", "auto"] = Field(
        "auto",
        description="The embedded model: small (SmolLM2-135M, fast, for tests, CI and small machines), capable "
        "(Qwen2.5-Coder-1.5B-Instruct, from the greenroom[quality] extra), or auto (capable when installed, else small).",
    )
    name: str = Field("", description="Model name at the provider; empty picks the provider's default.")
    base_url: str = Field("", description="Endpoint for openai-compatible or ollama providers.")
    api_key: SecretStr = Field(SecretStr(""), description="API key for hosted providers.")
    structured: Literal["auto", "llamacpp", "native"] = Field(
        "auto",
        description="How structured output is requested: llamacpp sends the JSON schema in response_format "
        "(llama.cpp server), native uses the provider's own structured output; auto picks by provider.",
    )
    temperature: float = Field(0.3, ge=0, le=2, description="Sampling temperature.")
    repeat_penalty: float = Field(1.1, ge=1, le=2, description="Repetition penalty (llama.cpp servers only).")
    max_tokens: int = Field(900, gt=0, description="Token limit for one model call.")
    timeout_s: float = Field(120.0, gt=0, description="Timeout for one model call, in seconds.")
    max_retries: int = Field(3, ge=0, description="Retries with backoff on timeouts, 429 and 5xx.")
    context_size: int = Field(4096, gt=0, description="Context window for the embedded model.")
    threads: int = Field(0, ge=0, description="CPU threads for the embedded model; 0 means all cores.")
    path: str = Field(
        "",
        description="A local GGUF file for the embedded provider to serve instead of the bundled model "
        "(its chat template is read from the file).",
    )
    parallel: int = Field(
        2, ge=1, le=16, description="Requests the embedded model's server answers at once (llama.cpp's parallel slots)."
    )
    deadline_s: float = Field(
        0.0,
        ge=0,
        description="Longest one model call may run before it is cut off and the next candidate or the fallback "
        "is used; 0 picks per model (30 s for the bundled small model, else timeout_s).",
    )
    seed: int = Field(7, description="Sampling seed where the provider supports one.")
    fake_delay_s: float = Field(0.0, ge=0, description="Seconds the fake model waits per call (tests and benchmarks).")
    fake_call_log: str = Field("", description="A file the fake model appends one line to per call (tests count calls with it).")
