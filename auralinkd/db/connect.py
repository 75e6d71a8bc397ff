"""Connecting to PostgreSQL with bounded exponential backoff and jitter (a database that starts late is normal)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from auralinkd.errors import Unavailable

log = logging.getLogger(__name__)

# Errors that mean "not reachable yet"; anything else (bad password, unknown database) fails at once.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.TooManyConnectionsError,
)


def backoff_delays(attempts: int, base_s: float = 0.2, cap_s: float = 5.0) -> list[float]:
    """Full-jitter exponential backoff: attempt n waits uniform(0, min(cap, base * 2**n))."""
    return [random.uniform(0, min(cap_s, base_s * 2**n)) for n in range(attempts - 1)]


async def with_retry(
    connect: Callable[[], Awaitable[Any]],
    *,
    attempts: int,
    what: str = "PostgreSQL",
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> Any:
    delays = backoff_delays(attempts)
    for attempt in range(1, attempts + 1):
        try:
            return await connect()
        except TRANSIENT_ERRORS as exc:
            if attempt == attempts:
                raise Unavailable(f"{what} unreachable after {attempts} attempts: {exc}") from exc
            if on_retry is not None:
                on_retry(attempt, exc)
            log.warning("%s not reachable (attempt %d/%d): %s", what, attempt, attempts, exc)
            await asyncio.sleep(delays[attempt - 1])
    raise AssertionError("unreachable")
