"""Circuit breaker and connection backoff: the pieces that make outages cheap and visible."""

from __future__ import annotations

import asyncio

import pytest

from auralinkd.breaker import BreakerState, CircuitBreaker
from auralinkd.db.connect import backoff_delays, with_retry
from auralinkd.errors import Unavailable


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_after_the_threshold_and_probes_once_after_the_reset_time() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=2.0, clock=clock)
    for _ in range(2):
        breaker.record_failure("boom")
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    breaker.record_failure("boom")
    assert breaker.state is BreakerState.OPEN and not breaker.allow()

    clock.now = 2.5
    assert breaker.allow()  # the single probe
    assert breaker.state is BreakerState.HALF_OPEN
    assert not breaker.allow()  # nobody else while the probe is out

    breaker.record_failure("still down")
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    clock.now = 5.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.last_error == ""


def test_backoff_grows_exponentially_is_jittered_and_capped() -> None:
    delays = backoff_delays(10, base_s=0.1, cap_s=1.0)
    assert len(delays) == 9
    for attempt, delay in enumerate(delays):
        assert 0 <= delay <= min(1.0, 0.1 * 2**attempt)
    assert len({round(d, 6) for d in backoff_delays(10)}) > 1  # jitter: not all identical


async def test_with_retry_retries_transient_errors_then_gives_up_as_unavailable() -> None:
    calls = 0

    async def refuse() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionRefusedError("refused")

    with pytest.raises(Unavailable, match="after 3 attempts"):
        await with_retry(refuse, attempts=3)
    assert calls == 3


async def test_with_retry_returns_once_the_server_answers() -> None:
    attempts = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise OSError("not yet")
        return "connected"

    assert await asyncio.wait_for(with_retry(flaky, attempts=5), 30) == "connected"
    assert len(attempts) == 3


async def test_with_retry_does_not_retry_a_permanent_error() -> None:
    calls = 0

    async def bad_password() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("password authentication failed")

    with pytest.raises(ValueError):
        await with_retry(bad_password, attempts=5)
    assert calls == 1
