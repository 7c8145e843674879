"""Settings, built once at the edge and handed inward.

Every value can be set by an environment variable with the `GREENROOM_`
prefix (nested fields use `__`, e.g. `GREENROOM_MODEL__PROVIDER=openai`) or a
`.env` file in the working folder. Nothing below `interfaces/` reads the
environment: agents and tools receive these objects.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from greenroom.core.settings import ModelSettings


class WriterSettings(BaseModel):
    """How the writer samples its answers."""

    candidates: int = Field(
        0, ge=0, le=8, description="Answers the writer may draw per part until one passes every check; "
        "0 picks by model: 2 on a llama.cpp model (the embedded default), 1 on a hosted one.",
    )  # fmt: skip


class ApiSettings(BaseModel):
    """The REST API server (`greenroom serve`)."""

    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the server listens on.")
    workers: int = Field(2, ge=1, le=64, description="Launch runs executed at once by one server process.")
    max_body_bytes: int = Field(256 * 1024, gt=0, description="Largest JSON request body; bigger ones get 413.")
    max_upload_bytes: int = Field(16 * 1024 * 1024, gt=0, description="Largest catalog import file; bigger ones get 413.")
    chat_hosts: list[str] = Field(
        ["localhost", "127.0.0.1", "::1"], description="Host names the chat page and its routes answer to ('*' for any), "
        "with or without a key; others get 403, so a page on another site cannot reach the chat through a rebound DNS name.",
    )  # fmt: skip
    chat_sessions: int = Field(
        1000, ge=1, description="Chat sessions kept at once; key-less ones make room first, and a session opened with a "
        "key is never dropped to make room for a key-less one.",
    )  # fmt: skip
    chat_sessions_per_tenant: int = Field(
        100, ge=1, description="Chat sessions kept per tenant (the key-less chat counts as one); its own oldest makes room."
    )


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


class QueueSettings(BaseModel):
    """The worker pool (`greenroom worker`): a Celery broker, and how runs are handed between workers."""

    broker_url: str = Field(
        "", description="Celery broker (redis://host:6379/0, or amqp://user:pass@host:5672// for RabbitMQ); "
        "empty runs launches inside the API or Slack process.",
    )  # fmt: skip
    result_backend: str = Field("", description="Celery result backend; empty uses the broker when it is Redis, none otherwise.")
    queue: str = Field("greenroom", description="Name of the queue runs are sent to.")
    lease_s: float = Field(
        60.0, gt=0, description="A worker renews its hold on a run every third of this; a run not renewed this long "
        "is taken over by another worker, which resumes it from its last checkpoint.",
    )  # fmt: skip
    requeue_after_s: float = Field(
        600.0, gt=0, description="A queued run no worker has begun after this long is sent again (a lost message)."
    )
    sweep_s: float = Field(10.0, gt=0, description="How often each worker looks for runs to take over or send again.")
    visibility_timeout_s: int = Field(
        3600, gt=0, description="Redis broker: seconds before an unacknowledged message is delivered again."
    )

    @property
    def enabled(self) -> bool:
        """Whether runs go to the worker pool."""
        return bool(self.broker_url)


class WebhookSettings(BaseModel):
    """How run events are posted to tenants' webhooks."""

    allow_private: bool = Field(
        False, description="Accept webhook addresses on loopback and private networks (tests, a receiver on this machine); "
        "off, such addresses are refused, so a tenant cannot make the server call inside its own network.",
    )  # fmt: skip
    timeout_s: float = Field(10.0, gt=0, le=120, description="Longest one delivery attempt waits for the receiver.")
    max_attempts: int = Field(8, ge=1, le=50, description="Tries per delivery (a redelivery starts a new round).")
    backoff_s: float = Field(0.5, gt=0, description="Wait before the second try; each later wait doubles, with jitter.")
    backoff_max_s: float = Field(300.0, gt=0, description="Longest wait between two tries.")
    senders: int = Field(4, ge=1, le=64, description="Deliveries posted at once by one process.")
    sweep_s: float = Field(5.0, gt=0, description="How often a process looks for deliveries left by another (or a restart).")


class OtelSettings(BaseModel):
    """OpenTelemetry traces: nothing is exported unless an endpoint is set here or in OTEL_EXPORTER_OTLP_ENDPOINT."""

    endpoint: str = Field(
        "", description="OTLP/HTTP collector base URL (http://host:4318; /v1/traces is added); empty falls back to the "
        "standard OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, and with none of them nothing is sent.",
    )  # fmt: skip
    service_name: str = Field("greenroom", description="The service.name resource attribute on every span.")


class Settings(BaseSettings):
    """Everything greenroom needs to know about where it runs."""

    model_config = SettingsConfigDict(env_prefix="GREENROOM_", env_nested_delimiter="__", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".greenroom"), description="Where checkpoints, the catalog, trained models and outputs live.")
    output_dir: Path = Field(Path("out"), description="Where drafts and reports are written.")
    model: ModelSettings = Field(default_factory=ModelSettings, description="Generation model.")
    max_edit_rounds: int = Field(2, ge=1, le=10, description="Writer/editor rounds before the draft is returned as it stands.")
    writer: WriterSettings = Field(default_factory=WriterSettings, description="How the writer samples its answers.")
    chroma_url: str = Field("", description="A Chroma server (http://host:port); empty uses the embedded catalog in data_dir.")
    seed_catalog: bool = Field(True, description="Load the bundled films into an empty catalog on first use.")
    database_url: str = Field(
        "", description="PostgreSQL (postgresql://user:pass@host:5432/db) for checkpoints and the run registry, "
        "shared by every worker; empty uses SQLite files in data_dir.",
    )  # fmt: skip
    checkpoint_retention_days: float = Field(
        7.0, ge=0, description="Finished runs keep every checkpoint this long; then only their final state is kept."
    )
    queue: QueueSettings = Field(default_factory=QueueSettings, description="Worker pool.")
    api: ApiSettings = Field(default_factory=ApiSettings, description="REST API server.")
    slack: SlackSettings = Field(default_factory=SlackSettings, description="Slack bot.")
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings, description="Tenants' webhooks.")
    otel: OtelSettings = Field(default_factory=OtelSettings, description="OpenTelemetry traces.")

    def ensure_dirs(self) -> None:
        """Create the data folder if it is missing."""
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def checkpoint_path(self) -> Path:
        """SQLite file holding every run's checkpoints (when no database_url is set)."""
        return self.data_dir / "checkpoints.sqlite"

    @property
    def registry_target(self) -> Path | str:
        """Where the run registry lives: the database URL, or a SQLite file in the data folder."""
        return self.database_url or self.data_dir / "runs.sqlite"

    @property
    def checkpoint_location(self) -> str:
        """Where checkpoints are kept, for messages (a database URL is shown without its password)."""
        if not self.database_url:
            return str(self.checkpoint_path)
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)
