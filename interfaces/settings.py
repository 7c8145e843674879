"""Settings, built once at the edge and handed inward.

Every value can be set by an environment variable with the `GREENROOM_`
prefix (nested fields use `__`, e.g. `GREENROOM_MODEL__PROVIDER=openai`) or a
`.env` file in the working folder. Nothing below `interfaces/` reads the
environment: agents and tools receive these objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Provider = Literal["embedded", "openai", "anthropic", "ollama", "fake"]


class ModelSettings(BaseModel):
    """Which generation model to use and how to call it."""

    provider: Provider = Field(
        "embedded",
        description="embedded (local SmolLM2 via llama.cpp), openai (any OpenAI-compatible URL), anthropic, ollama, or fake (tests).",
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
    seed: int = Field(7, description="Sampling seed where the provider supports one.")
    fake_delay_s: float = Field(0.0, ge=0, description="Seconds the fake model waits per call (tests and benchmarks).")


class ApiSettings(BaseModel):
    """The REST API server (`greenroom serve`)."""

    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the server listens on.")
    workers: int = Field(2, ge=1, le=64, description="Launch runs executed at once by one server process.")
    max_body_bytes: int = Field(256 * 1024, gt=0, description="Largest JSON request body; bigger ones get 413.")
    max_upload_bytes: int = Field(16 * 1024 * 1024, gt=0, description="Largest catalog import file; bigger ones get 413.")


class SlackSettings(BaseModel):
    """The Slack bot (`greenroom slack --socket`, or `/slack/events` on the REST API server)."""

    bot_token: SecretStr = Field(SecretStr(""), description="Bot token (xoxb-...): posts messages and reads attached briefs.")
    signing_secret: SecretStr = Field(
        SecretStr(""), description="Signing secret: every HTTP request's signature is checked with it."
    )
    app_token: SecretStr = Field(SecretStr(""), description="App-level token (xapp-...) for Socket Mode.")
    api_base_url: str = Field("", description="Slack Web API base URL; empty means Slack's own (tests point it at a fake).")

    @property
    def http_enabled(self) -> bool:
        """Whether the REST API server mounts the Slack events endpoint."""
        return bool(self.bot_token.get_secret_value() and self.signing_secret.get_secret_value())


class Settings(BaseSettings):
    """Everything greenroom needs to know about where it runs."""

    model_config = SettingsConfigDict(env_prefix="GREENROOM_", env_nested_delimiter="__", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".greenroom"), description="Where checkpoints, the catalog, trained models and outputs live.")
    output_dir: Path = Field(Path("out"), description="Where drafts and reports are written.")
    model: ModelSettings = Field(default_factory=ModelSettings, description="Generation model.")
    max_edit_rounds: int = Field(2, ge=1, le=10, description="Writer/editor rounds before the draft is returned as it stands.")
    chroma_url: str = Field("", description="A Chroma server (http://host:port); empty uses the embedded catalog in data_dir.")
    seed_catalog: bool = Field(True, description="Load the bundled films into an empty catalog on first use.")
    api: ApiSettings = Field(default_factory=ApiSettings, description="REST API server.")
    slack: SlackSettings = Field(default_factory=SlackSettings, description="Slack bot.")

    def ensure_dirs(self) -> None:
        """Create the data folder if it is missing."""
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def checkpoint_path(self) -> Path:
        """SQLite file holding every run's checkpoints."""
        return self.data_dir / "checkpoints.sqlite"
