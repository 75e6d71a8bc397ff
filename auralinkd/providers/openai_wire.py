"""OpenAI-wire completions through litellm's provider layer, without its top-level dispatcher.

`litellm.acompletion` routes among a hundred providers and sets up per-call logging and callback plumbing
before its provider layer does the work; on an OpenAI-wire call that routing cost more than the HTTP call
itself (bench/llm_gateway.py). For those calls, while no litellm callback is registered, the gateway calls
the provider layer directly: litellm's OpenAI config maps the parameters and transforms request and
response, litellm's HTTP handler (with its pooled client) sends the request, and litellm's exception
mapping names any failure. The gateway therefore gets what `acompletion` would have returned or raised.

Streams take the same request path (litellm maps, sends and names failures) but read the server-sent
events here: litellm's stream wrapper builds pydantic objects per chunk and, at the end, reassembles and
prices the whole reply in a worker thread for its loggers; the gateway only needs each chunk's text, the
finish reason and the usage, and prices the call itself. Every other provider goes through `acompletion`.

It uses litellm internals, so litellm is pinned and tests/unit/providers/test_litellm_request_path.py
checks replies, usage and error types against `acompletion` on the same server. A litellm without these
internals gets `None` from `OpenAIWire.create`, and the gateway uses `acompletion` for everything.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

OPENAI_WIRE = frozenset({"openai", "openai_compatible"})
DEFAULT_API_BASE = "https://api.openai.com/v1"


@dataclass(frozen=True)
class Chunk:
    """What the gateway reads from one streamed chunk."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None  # set on the usage chunk (stream_options.include_usage)
    completion_tokens: int | None = None


class OpenAIWire:
    def __init__(self, parts: dict[str, Any]) -> None:
        self._parts = parts
        self._configs: dict[str, Any] = {}

    @classmethod
    def create(cls, litellm: Any) -> OpenAIWire | None:
        try:
            from litellm.litellm_core_utils.exception_mapping_utils import exception_type
            from litellm.litellm_core_utils.litellm_logging import Logging
            from litellm.llms.custom_httpx.http_handler import get_async_httpx_client
            from litellm.llms.custom_httpx.sse_lines import aiter_sse_lines
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
                "client": get_async_httpx_client,
                "sse_lines": aiter_sse_lines,
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

    async def stream(
        self,
        *,
        model: str,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        timeout_s: float,
        api_base: str | None,
        api_key: str,
    ) -> AsyncIterator[Chunk]:
        """The reply's chunks as they come (usage included); failures raise litellm's mapped exception types,
        as `acompletion(stream=True)` does."""
        parts = self._parts
        wanted: dict[str, Any] = {"max_tokens": max_tokens, "stream": True, "stream_options": {"include_usage": True}}
        if temperature is not None:
            wanted["temperature"] = temperature
        config = None
        response = None
        try:
            config = self._config(model)
            optional_params = config.map_openai_params(wanted, {}, model, drop_params=True)
            headers = config.validate_environment(
                headers={}, model=model, messages=messages, optional_params=optional_params, litellm_params={},
                api_key=api_key, api_base=api_base or DEFAULT_API_BASE,
            )  # fmt: skip
            url = config.get_complete_url(
                api_base=api_base or DEFAULT_API_BASE, api_key=api_key, model=model,
                optional_params=optional_params, litellm_params={}, stream=True,
            )  # fmt: skip
            data = config.transform_request(model, messages, optional_params, {}, headers)
            data["stream"] = True
            # litellm's send: its pooled client, its retry on a stale connection, its error for a bad status.
            response = await parts["handler"]._make_common_async_call(
                async_httpx_client=parts["client"](llm_provider=parts["provider"], params={"ssl_verify": None}),
                provider_config=config, api_base=url, headers=headers, data=data, timeout=timeout_s,
                litellm_params={}, logging_obj=None, stream=True,
            )  # fmt: skip
            async for line in parts["sse_lines"](response.aiter_text()):
                chunk = _chunk(config, line)
                if chunk is _DONE:
                    break
                if chunk is not None:
                    yield chunk
        except Exception as exc:  # noqa: BLE001 - mapped to litellm's types, exactly as acompletion maps them
            raise parts["exception_type"](model=model, custom_llm_provider="openai", original_exception=exc) from exc
        finally:
            if response is not None:
                await response.aclose()


_DONE = Chunk()


def _chunk(config: Any, line: str) -> Chunk | None:
    """One server-sent event line as a Chunk; None for comments, blank lines and chunks with nothing in them;
    _DONE at the end. An error event raises litellm's provider error with its status."""
    line = line.strip()
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    if payload == "[DONE]":
        return _DONE
    value = json.loads(payload)
    if not isinstance(value, dict):
        return None
    if "error" in value:
        error = value["error"] if isinstance(value["error"], dict) else {"message": str(value["error"])}
        code = error.get("code")
        raise config.get_error_class(
            error_message=str(error.get("message", "")), status_code=code if isinstance(code, int) else 500, headers={}
        )
    usage = value.get("usage") or {}
    choices = value.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta") or {}
    text = delta.get("content") or ""
    finish = choice.get("finish_reason")
    if not (text or finish or usage):
        return None
    return Chunk(
        text=text if isinstance(text, str) else "",
        finish_reason=str(finish) if finish else None,
        prompt_tokens=usage.get("prompt_tokens") if usage else None,
        completion_tokens=usage.get("completion_tokens") if usage else None,
    )
