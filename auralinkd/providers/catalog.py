"""Provider types, model references ("<provider>/<model>"), and what litellm's local price map knows of models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auralinkd.errors import InvalidArgument

PROVIDER_TYPES = ("openai", "anthropic", "gemini", "azure", "bedrock", "ollama", "openai_compatible", "local")
# The litellm route of each type; openai-compatible servers use litellm's openai client with api_base.
LITELLM_PREFIX = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "azure": "azure",
    "bedrock": "bedrock",
    "ollama": "ollama",
    "openai_compatible": "openai",
    "local": "local",
}
KEYLESS_TYPES = frozenset({"ollama", "local"})
# Types whose models must be in litellm's price map unless the provider lists its models explicitly.
PRICED_TYPES = frozenset({"openai", "anthropic", "gemini", "azure", "bedrock"})
# Prices (USD per 1M input tokens) at which a model moves up a tier.
TIER_THRESHOLDS = (1.0, 5.0)


@dataclass(frozen=True)
class ModelInfo:
    context_tokens: int
    input_cost_per_token: float
    output_cost_per_token: float
    priced: bool

    @property
    def tier(self) -> int:
        per_million = self.input_cost_per_token * 1_000_000
        if per_million < TIER_THRESHOLDS[0]:
            return 1
        return 2 if per_million < TIER_THRESHOLDS[1] else 3

    @property
    def cost_per_1k(self) -> float:
        return (self.input_cost_per_token + self.output_cost_per_token) * 1000


def split_ref(ref: str, field: str = "model") -> tuple[str, str]:
    """("openai", "gpt-4o-mini") from "openai/gpt-4o-mini"; the model part may itself hold slashes."""
    provider, sep, model = ref.strip().partition("/")
    if not sep or not provider or not model:
        raise InvalidArgument.for_field(field, f"expected <provider>/<model> (e.g. local/smollm2-135m), got {ref!r}")
    return provider, model


def model_info(litellm: Any, provider_type: str, model: str, settings: dict[str, Any] | None = None) -> ModelInfo:
    """Context window and prices from litellm's local map; the provider's settings may override them."""
    entry: dict[str, Any] = {}
    prefix = LITELLM_PREFIX.get(provider_type, provider_type)
    for name in (model, f"{prefix}/{model}"):
        found = litellm.model_cost.get(name)
        if isinstance(found, dict):
            entry = found
            break
    override = ((settings or {}).get("models") or {}).get(model) or {}
    context = override.get("context_tokens") or entry.get("max_input_tokens") or entry.get("max_tokens") or 8192
    return ModelInfo(
        context_tokens=int(context),
        input_cost_per_token=float(override.get("input_cost_per_token", entry.get("input_cost_per_token") or 0.0)),
        output_cost_per_token=float(override.get("output_cost_per_token", entry.get("output_cost_per_token") or 0.0)),
        priced=bool(entry) or "input_cost_per_token" in override,
    )
