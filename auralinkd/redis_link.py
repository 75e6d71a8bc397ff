"""The optional Redis connection, guarded by a circuit breaker so an outage costs no latency per call."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from auralinkd.breaker import BreakerState, CircuitBreaker

log = logging.getLogger(__name__)

T = TypeVar("T")


class RedisUnavailable(Exception):
    """Redis is down or the breaker is open; callers fall back to in-process state."""


class RedisLink:
    def __init__(self, url: str, breaker: CircuitBreaker) -> None:
        import redis.asyncio as redis  # only the daemon needs the client

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError, TimeoutError)
        self.client = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=5, retry_on_timeout=False
        )
        self.url = url
        self.breaker = breaker

    @property
    def up(self) -> bool:
        return self.breaker.state is BreakerState.CLOSED

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        return self._errors

    async def call(self, operation: Callable[[Any], Awaitable[T]]) -> T:
        if not self.breaker.allow():
            raise RedisUnavailable(self.breaker.last_error or "circuit open")
        try:
            result = await operation(self.client)
        except self._errors as exc:
            self.note_failure(exc)
            raise RedisUnavailable(str(exc)) from exc
        self.note_success()
        return result

    def note_failure(self, exc: BaseException) -> None:
        was_up = self.up
        self.breaker.record_failure(str(exc) or type(exc).__name__)
        if was_up and not self.up:
            log.warning("Redis unavailable, using the in-process cache and bus: %s", exc)

    def note_success(self) -> None:
        if not self.up:
            log.info("Redis reachable again")
        self.breaker.record_success()

    async def probe(self) -> bool:
        try:
            await self.call(lambda client: client.ping())
        except RedisUnavailable:
            return False
        return True

    async def close(self) -> None:
        await self.client.aclose()
