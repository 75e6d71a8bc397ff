"""OpenAI-wire completions through litellm's provider layer, without its top-level dispatcher.

`litellm.acompletion` routes among a hundred providers and sets up per-call logging and callback plumbing
before its provider layer does the work; on an OpenAI-wire call that routing cost more than the HTTP call
itself (bench/llm_gateway.py). For those calls, while no litellm callback is registered, the gateway calls
the provider layer directly: litellm's OpenAI config maps the parameters and transforms request and
response, litellm's HTTP handler (with its pooled client) sends the request, and litellm's exception
mapping names any failure. The gateway therefore gets what `acompletion` would have returned or raised.
Streams and every other provider go through `acompletion`.

It uses litellm internals, so litellm is pinned and tests/unit/providers/test_litellm_request_path.py
checks replies, usage and error types against `acompletion` on the same server. A litellm without these
internals gets `None` from `OpenAIWire.create`, and the gateway uses `acompletion` for everything.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

log = logging.getLogger(__name__)

OPENAI_WIRE = frozenset({"openai", "openai_compatible"})
DEFAULT_API_BASE = "https://api.openai.com/v1"


class OpenAIWire:
    def __init__(self, parts: dict[str, Any]) -> None:
        self._parts = parts
        self._configs: dict[str, Any] = {}

    @classmethod
    def create(cls, litellm: Any) -> OpenAIWire | None:
        try:
            from litellm.litellm_core_utils.exception_mapping_utils import exception_type
            from litellm.litellm_core_utils.litellm_logging import Logging
            from litellm.main import base_llm_http_handler
            from litellm.types.utils import LlmProviders, ModelResponse
            from litellm.utils import ProviderConfigManager
        except ImportError as exc:
            log.warning("litellm lacks its provider-layer internals (%s): OpenAI-wire calls use acompletion", exc)
            return None
        return cls(
            {
                "exception_type": exception_type,
                "Logging": Logging,
                "handler": base_llm_http_handler,
                "provider": LlmProviders.OPENAI,
                "ModelResponse": ModelResponse,
                "configs": ProviderConfigManager,
            }
        )

    def _config(self, model: str) -> Any:
        """litellm's chat config for the model (the GPT, o-series and GPT-5 configs differ), looked up once."""
        found = self._configs.get(model)
        if found is None:
            found = self._parts["configs"].get_provider_chat_config(model=model, provider=self._parts["provider"])
            if len(self._configs) < 1024:
                self._configs[model] = found
        return found

    async def complete(
        self,
        *,
        model: str,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        timeout_s: float,
        api_base: str | None,
        api_key: str,
    ) -> Any:
        """A litellm ModelResponse; failures raise litellm's mapped exception types, as `acompletion` does."""
        parts = self._parts
        wanted: dict[str, Any] = {"max_tokens": max_tokens}
        if temperature is not None:
            wanted["temperature"] = temperature
        logging_obj = parts["Logging"](
            model=model,
            messages=messages,
            stream=False,
            call_type="acompletion",
            start_time=datetime.datetime.now(),
            litellm_call_id=str(uuid.uuid4()),
            function_id="auralink",
        )
        try:
            config = self._config(model)
            optional_params = config.map_openai_params(wanted, {}, model, drop_params=True)
            return await parts["handler"].completion(
                model=model,
                messages=messages,
                api_base=api_base or DEFAULT_API_BASE,
                custom_llm_provider="openai",
                model_response=parts["ModelResponse"](),
                encoding=None,
                logging_obj=logging_obj,
                optional_params=optional_params,
                timeout=timeout_s,  # litellm's HTTP client timeout; the gateway's own deadline wraps it
                litellm_params={},
                acompletion=True,
                stream=False,
                api_key=api_key,
                headers={},
                provider_config=config,
            )
        except Exception as exc:  # noqa: BLE001 - mapped to litellm's types, exactly as acompletion maps them
            raise parts["exception_type"](model=model, custom_llm_provider="openai", original_exception=exc) from exc
