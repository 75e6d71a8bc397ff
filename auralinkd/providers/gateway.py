"""Every completion, local or remote, goes through litellm here: failover chains, breakers, deadlines, cost.

A chain is an ordered list of targets. Timeouts, 429 and 5xx (and connection errors) move on to the next
target; a circuit breaker per provider skips one that keeps failing. Streams fail over only until their
first token. Errors carry what was tried and why, never a key or a provider's raw message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from auralinkd.breaker import CircuitBreaker
from auralinkd.errors import AuralinkError, DeadlineExceeded, InvalidArgument, ProviderFailed
from auralinkd.providers.catalog import LITELLM_PREFIX
from auralinkd.providers.llm import callbacks_registered, inline_request_building, litellm_module
from auralinkd.providers.local import LocalModel, make_handler
from auralinkd.providers.openai_wire import OPENAI_WIRE, Chunk, OpenAIWire

log = logging.getLogger(__name__)

EWMA_ALPHA = 0.2
# Provider types whose request building (litellm's synchronous step) reads only its arguments: no
# credential fetch (bedrock's boto3, azure's AD tokens), so it may run on the event loop.
_INLINE_BUILD = frozenset({"openai", "openai_compatible", "anthropic", "gemini", "ollama", "local"})
_BREAKER_COUNTED = (
    "Timeout",
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "APIConnectionError",
    "BadGatewayError",
    "APIError",
)


@dataclass(frozen=True)
class Target:
    """One model of a chain, resolved: where it is and the key to use (never logged or returned)."""

    ref: str  # "<provider name>/<model>"
    provider_name: str
    provider_type: str
    model: str
    breaker_key: str
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    input_cost_per_token: float = 0.0
    output_cost_per_token: float = 0.0

    @property
    def litellm_model(self) -> str:
        return f"{LITELLM_PREFIX.get(self.provider_type, self.provider_type)}/{self.model}"


@dataclass(frozen=True)
class Attempt:
    ref: str
    error: str  # "" when it answered
    latency_s: float


@dataclass
class Completion:
    text: str
    ref: str
    provider_name: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    attempts: list[Attempt]
    # Calls the model asked for (tool calling): {"id", "name", "arguments" (JSON text)}.
    tool_calls: list[dict[str, str]] = field(default_factory=list)

    @property
    def failovers(self) -> int:
        return sum(1 for a in self.attempts if a.error)


@dataclass
class Delta:
    text: str


class _Failover(Exception):
    def __init__(self, reason: str, counts: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.counts = counts  # whether it counts against the provider's breaker


class Gateway:
    def __init__(self, local: LocalModel, local_name: str, breaker_failures: int, breaker_reset_s: float) -> None:
        self.local = local
        self.local_name = local_name
        self._breaker_failures = breaker_failures
        self._breaker_reset_s = breaker_reset_s
        self._breakers: dict[str, CircuitBreaker] = {}
        self.latency_ewma: dict[str, float] = {}
        self._ready = False
        self._ready_lock = asyncio.Lock()
        self._prefetch: asyncio.Task[Any] | None = None
        self._openai_wire: OpenAIWire | None = None

    # -- set-up ---------------------------------------------------------------------------------

    async def ready(self) -> Any:
        """litellm, imported off the event loop on first use, with the local model registered."""
        if not self._ready:
            async with self._ready_lock:
                if not self._ready:
                    litellm = await asyncio.to_thread(litellm_module)
                    handler = make_handler(litellm, self.local)
                    litellm.custom_provider_map = [
                        *[p for p in litellm.custom_provider_map if p.get("provider") != "local"],
                        {"provider": "local", "custom_handler": handler},
                    ]
                    litellm.utils.custom_llm_setup()
                    self._openai_wire = OpenAIWire.create(litellm)
                    self._ready = True
        return litellm_module()

    def prefetch(self) -> None:
        """Starts importing litellm in the background (seconds; more on a busy machine), so the first
        completion after a provider is configured does not spend its deadline on the import."""
        if not self._ready and self._prefetch is None:
            self._prefetch = asyncio.get_running_loop().create_task(self._prefetched(), name="litellm-import")

    async def _prefetched(self) -> None:
        try:
            await self.ready()
        except Exception:  # noqa: BLE001 - the first completion imports it again and reports the error
            log.warning("could not import litellm ahead of the first completion", exc_info=True)
            self._prefetch = None

    def breaker(self, key: str) -> CircuitBreaker:
        found = self._breakers.get(key)
        if found is None:
            found = self._breakers[key] = CircuitBreaker(self._breaker_failures, self._breaker_reset_s)
        return found

    def observed_latency(self, ref: str) -> float | None:
        return self.latency_ewma.get(ref)

    def _observe(self, ref: str, seconds: float) -> None:
        previous = self.latency_ewma.get(ref)
        self.latency_ewma[ref] = seconds if previous is None else EWMA_ALPHA * seconds + (1 - EWMA_ALPHA) * previous

    # -- calls ----------------------------------------------------------------------------------

    async def complete(
        self,
        chain: list[Target],
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        deadline: float | None,
        tools: list[dict[str, Any]] | None = None,
    ) -> Completion:
        """The first target that answers; `deadline` is a time.monotonic() value (None: none)."""
        result: Completion | None = None
        async for item in self.stream(chain, messages, max_tokens, temperature, deadline, streaming=False, tools=tools):
            if isinstance(item, Completion):
                result = item
        assert result is not None
        return result

    async def stream(
        self,
        chain: list[Target],
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        deadline: float | None,
        *,
        streaming: bool = True,
        tools: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[Delta | Completion]:
        """Deltas, then one Completion. Fails over until the first delta has been yielded.

        With `tools` (OpenAI function specs), the call is unary and the Completion may carry tool_calls.
        """
        litellm = await self.ready()
        attempts: list[Attempt] = []
        for target in chain:
            breaker = self.breaker(target.breaker_key)
            if not breaker.allow():
                attempts.append(Attempt(target.ref, "skipped: circuit open after repeated failures", 0.0))
                continue
            if target.provider_type == "local":
                try:
                    await self.local.ensure_loaded()  # once per daemon: loading is not the call's latency
                except Exception:  # noqa: BLE001 - a failed attempt like any other; the log has the details
                    log.warning("the local model could not be loaded", exc_info=True)
                    attempts.append(Attempt(target.ref, "the local model could not be loaded", 0.0))
                    continue
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise DeadlineExceeded(f"the deadline passed before trying {target.ref}; tried: {_tried(attempts)}")
            timeout = target.timeout_s if remaining is None else min(target.timeout_s, remaining)
            started = time.monotonic()
            first_sent = False
            try:
                if streaming:
                    async for item in self._stream_one(litellm, target, messages, max_tokens, temperature, timeout):
                        if isinstance(item, Delta):
                            first_sent = True
                            yield item
                        else:
                            item.attempts = [*attempts, Attempt(target.ref, "", item.latency_s)]
                            breaker.record_success()
                            self._observe(target.ref, item.latency_s)
                            yield item
                            return
                else:
                    completion = await self._complete_one(
                        litellm, target, messages, max_tokens, temperature, timeout, tools
                    )
                    completion.attempts = [*attempts, Attempt(target.ref, "", completion.latency_s)]
                    breaker.record_success()
                    self._observe(target.ref, completion.latency_s)
                    yield completion
                    return
            except _Failover as failure:
                elapsed = time.monotonic() - started
                if failure.counts:
                    breaker.record_failure(failure.reason)
                attempts.append(Attempt(target.ref, failure.reason, elapsed))
                log.warning("provider call failed: %s: %s", target.ref, failure.reason)
                if first_sent:
                    raise ProviderFailed(f"{target.ref} failed mid-reply ({failure.reason})") from None
                hit_deadline = deadline is not None and time.monotonic() >= deadline - 0.001
                if hit_deadline:
                    raise DeadlineExceeded(f"the deadline passed; tried: {_tried(attempts)}") from None
        raise ProviderFailed(f"every provider failed; tried: {_tried(attempts)}")

    async def call(
        self, chain: list[Target], attempt: Callable[[Any, Target], Awaitable[Any]]
    ) -> tuple[Any, Target, list[Attempt]]:
        """The first target whose `attempt(litellm, target)` succeeds, for calls other than chat (speech,
        transcription): the same breakers, timeouts and error classification as completions."""
        litellm = await self.ready()
        attempts: list[Attempt] = []
        for target in chain:
            breaker = self.breaker(target.breaker_key)
            if not breaker.allow():
                attempts.append(Attempt(target.ref, "skipped: circuit open after repeated failures", 0.0))
                continue
            started = time.monotonic()
            try:
                async with asyncio.timeout(target.timeout_s + 0.5):
                    result = await attempt(litellm, target)
            except Exception as exc:  # noqa: BLE001 - classified below
                failure = _classify(litellm, exc, target.timeout_s, target)
                if not isinstance(failure, _Failover):
                    raise failure from None
                if failure.counts:
                    breaker.record_failure(failure.reason)
                attempts.append(Attempt(target.ref, failure.reason, time.monotonic() - started))
                log.warning("provider call failed: %s: %s", target.ref, failure.reason)
                continue
            latency = time.monotonic() - started
            breaker.record_success()
            self._observe(target.ref, latency)
            return result, target, [*attempts, Attempt(target.ref, "", latency)]
        raise ProviderFailed(f"every provider failed; tried: {_tried(attempts)}")

    def _kwargs(
        self, target: Target, messages: list[dict[str, str]], max_tokens: int, temperature: float | None, timeout: float
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": target.litellm_model,
            "messages": messages,
            "max_tokens": max_tokens,
            "timeout": timeout,
            "num_retries": 0,  # failover is ours: no hidden retries that eat the deadline
            "max_retries": 0,
        }
        if temperature is not None:
            kwargs["temperature"] = temperature
        if target.api_base:
            kwargs["api_base"] = target.api_base
        if target.api_key:
            kwargs["api_key"] = target.api_key
        return kwargs

    def _direct(self, litellm: Any, target: Target) -> bool:
        """Whether a call (unary or streamed) may skip litellm's dispatcher (openai_wire.py): OpenAI wire, a key
        to send, and no litellm callback that would expect the dispatcher's events."""
        return (
            self._openai_wire is not None
            and target.provider_type in OPENAI_WIRE
            and bool(target.api_key)
            and not callbacks_registered(litellm)
        )

    @staticmethod
    async def _acompletion(litellm: Any, target: Target, kwargs: dict[str, Any]) -> Any:
        if target.provider_type in _INLINE_BUILD:
            with inline_request_building():
                return await litellm.acompletion(**kwargs)
        return await litellm.acompletion(**kwargs)

    async def _complete_one(
        self,
        litellm: Any,
        target: Target,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        attempt_s: float,
        tools: list[dict[str, Any]] | None = None,
    ) -> Completion:
        started = time.monotonic()
        try:
            async with asyncio.timeout(attempt_s + 0.5):
                if tools:  # litellm's own tool-calling path (the direct OpenAI-wire path sends no tools)
                    kwargs = self._kwargs(target, messages, max_tokens, temperature, attempt_s)
                    response = await self._acompletion(litellm, target, {**kwargs, "tools": tools})
                elif self._direct(litellm, target):
                    assert self._openai_wire is not None and target.api_key
                    response = await self._openai_wire.complete(
                        model=target.model, messages=messages, max_tokens=max_tokens, temperature=temperature,
                        timeout_s=attempt_s, api_base=target.api_base, api_key=target.api_key,
                    )  # fmt: skip
                else:
                    response = await self._acompletion(
                        litellm, target, self._kwargs(target, messages, max_tokens, temperature, attempt_s)
                    )
        except Exception as exc:  # noqa: BLE001 - classified below
            raise _classify(litellm, exc, attempt_s, target) from None
        latency = time.monotonic() - started
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        return Completion(
            text=choice.message.content or "",
            ref=target.ref,
            provider_name=target.provider_name,
            finish_reason=str(choice.finish_reason or "stop"),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost(target, prompt_tokens, completion_tokens),
            latency_s=latency,
            attempts=[],
            tool_calls=[
                {"id": str(c.id), "name": str(c.function.name), "arguments": str(c.function.arguments or "{}")}
                for c in (getattr(choice.message, "tool_calls", None) or [])
            ],
        )

    async def _stream_one(
        self,
        litellm: Any,
        target: Target,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        attempt_s: float,
    ) -> AsyncIterator[Delta | Completion]:
        started = time.monotonic()
        kwargs = self._kwargs(target, messages, max_tokens, temperature, attempt_s)
        kwargs.update(stream=True, stream_options={"include_usage": True})
        parts: list[str] = []
        finish = "stop"
        prompt_tokens = completion_tokens = 0
        try:
            async with asyncio.timeout(attempt_s + 0.5) as scope:
                async for chunk in self._chunks(litellm, target, kwargs):
                    if chunk.prompt_tokens:
                        prompt_tokens = int(chunk.prompt_tokens)
                    if chunk.completion_tokens:
                        completion_tokens = int(chunk.completion_tokens)
                    if chunk.finish_reason:
                        finish = chunk.finish_reason
                    if chunk.text:
                        parts.append(chunk.text)
                        scope.reschedule(None)  # the reply has started: from here the caller's deadline rules
                        yield Delta(chunk.text)
        except Exception as exc:  # noqa: BLE001 - classified below
            raise _classify(litellm, exc, attempt_s, target) from None
        text = "".join(parts)
        if not completion_tokens and text:
            completion_tokens = _count(litellm, target, text)
        if not prompt_tokens:
            prompt_tokens = _count_messages(litellm, target, messages)
        latency = time.monotonic() - started
        yield Completion(
            text=text,
            ref=target.ref,
            provider_name=target.provider_name,
            finish_reason=finish,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost(target, prompt_tokens, completion_tokens),
            latency_s=latency,
            attempts=[],
        )

    async def _chunks(self, litellm: Any, target: Target, kwargs: dict[str, Any]) -> AsyncIterator[Chunk]:
        """A streamed reply's chunks: read straight off the OpenAI wire where `_direct` allows, else from
        litellm's stream."""
        if self._direct(litellm, target):
            assert self._openai_wire is not None and target.api_key
            async for chunk in self._openai_wire.stream(
                model=target.model, messages=kwargs["messages"], max_tokens=kwargs["max_tokens"],
                temperature=kwargs.get("temperature"), timeout_s=kwargs["timeout"], api_base=target.api_base,
                api_key=target.api_key,
            ):  # fmt: skip
                yield chunk
            return
        response = await self._acompletion(litellm, target, kwargs)
        async for item in response:
            usage = getattr(item, "usage", None)
            choice = item.choices[0] if item.choices else None
            yield Chunk(
                text=(getattr(choice.delta, "content", None) or "") if choice else "",
                finish_reason=str(choice.finish_reason) if choice and choice.finish_reason else None,
                prompt_tokens=getattr(usage, "prompt_tokens", None) if usage is not None else None,
                completion_tokens=getattr(usage, "completion_tokens", None) if usage is not None else None,
            )


def cost(target: Target, prompt_tokens: int, completion_tokens: int) -> float:
    """USD from the per-token prices resolved from litellm's local price map (0 for local models)."""
    return prompt_tokens * target.input_cost_per_token + completion_tokens * target.output_cost_per_token


def _count(litellm: Any, target: Target, text: str) -> int:
    try:
        return int(litellm.token_counter(model=target.model, text=text))
    except Exception:  # noqa: BLE001 - an estimate is enough for accounting
        return max(1, len(text) // 4)


def _count_messages(litellm: Any, target: Target, messages: list[dict[str, str]]) -> int:
    try:
        return int(litellm.token_counter(model=target.model, messages=messages))
    except Exception:  # noqa: BLE001
        return max(1, sum(len(m.get("content", "")) for m in messages) // 4)


def _tried(attempts: list[Attempt]) -> str:
    return "; ".join(f"{a.ref} ({a.error})" for a in attempts) or "nothing"


_CONNECT_ERRORS = ("APIConnectionError", "ConnectError", "ClientConnectorError", "ConnectTimeout")


def _connection_failure(exc: BaseException) -> str | None:
    """Why the connection to the provider failed, as a fixed phrase ("connection refused", "host not found",
    "connection failed"), when the exception chain says it did; else None. litellm wraps these in errors with a
    status_code of 500, and their text may hold a URL with credentials, so only types are read."""
    import socket

    found: str | None = None
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "host not found"
        if type(seen).__name__ in _CONNECT_ERRORS or isinstance(seen, ConnectionError):
            found = "connection failed"
        seen = seen.__cause__ or seen.__context__
    return found


def _classify(litellm: Any, exc: BaseException, timeout: float, target: Target) -> BaseException:
    """A domain error to raise, or a _Failover. Provider messages are dropped: they may echo a key."""
    if isinstance(exc, AuralinkError):
        return exc
    if isinstance(exc, getattr(litellm, "ContextWindowExceededError", ())):
        return InvalidArgument.for_field("messages", f"the prompt is longer than {target.ref} accepts")
    if isinstance(exc, TimeoutError | asyncio.TimeoutError) or type(exc).__name__ == "Timeout":
        return _Failover(f"timed out after {timeout:.1f} s", True)
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    if name == "AuthenticationError" or status in (401, 403):
        return _Failover(
            f"authentication failed ({status or 401}): check the key with `auralink providers validate`", False
        )
    if name == "RateLimitError" or status == 429:
        return _Failover("rate limited (429)", True)
    connection = _connection_failure(exc)  # before the 5xx test: litellm gives these a status_code of 500
    if connection is not None:
        return _Failover(connection, True)
    if isinstance(status, int) and status >= 500:
        return _Failover(f"server error ({status})", True)
    if name == "NotFoundError" or status == 404:
        return _Failover(f"model {target.model!r} not found at the provider (404)", False)
    if isinstance(status, int):
        return _Failover(f"rejected ({status} {name})", False)
    log.warning("unexpected error from %s: %s", target.ref, name)
    return _Failover(f"failed ({name})", name in _BREAKER_COUNTED)
