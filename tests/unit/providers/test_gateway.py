"""The litellm gateway against a local OpenAI-wire server: failover order, breaker, deadlines, cost, no key leaks."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from auralinkd.errors import DeadlineExceeded, ProviderFailed, Unavailable
from auralinkd.providers.gateway import Completion, Delta, Gateway, Target
from auralinkd.providers.llm import litellm_module
from auralinkd.providers.local import LocalModel
from tests.fakes.openai_server import FakeOpenAI

KEY = "sk-test-supersecret-9f8e7d6c5b4a"
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeOpenAI) -> FakeOpenAI:
    server.behaviours.clear()
    server.required_key = None
    server.clear()
    return server


def gateway() -> Gateway:
    return Gateway(LocalModel(None), "smollm2-135m", breaker_failures=2, breaker_reset_s=60)


def target(fake: FakeOpenAI, model: str, provider: str | None = None, timeout_s: float = 5.0) -> Target:
    prices = litellm_module().model_cost.get(model, {})
    return Target(
        ref=f"{provider or model}/{model}",
        provider_name=provider or model,
        provider_type="openai_compatible",
        model=model,
        breaker_key=provider or model,
        api_base=fake.base_url,
        api_key=KEY,
        timeout_s=timeout_s,
        input_cost_per_token=prices.get("input_cost_per_token", 0.0),
        output_cost_per_token=prices.get("output_cost_per_token", 0.0),
    )


async def test_timeouts_429_and_500_fail_over_in_chain_order(fake: FakeOpenAI) -> None:
    fake.behave("down", status=500)
    fake.behave("limited", status=429)
    fake.behave("slow", delay_s=2.0)
    fake.behave("gpt-4o-mini", reply="fine")
    chain = [
        target(fake, "down"),
        target(fake, "limited"),
        target(fake, "slow", timeout_s=0.5),
        target(fake, "gpt-4o-mini"),
    ]
    result = await gateway().complete(chain, HI, 8, None, None)
    assert result.text == "fine" and result.ref == "gpt-4o-mini/gpt-4o-mini"
    assert [a.ref.split("/")[1] for a in result.attempts] == ["down", "limited", "slow", "gpt-4o-mini"]
    assert [a.error.split(" ")[0] for a in result.attempts[:3]] == ["server", "rate", "timed"]
    assert result.failovers == 3
    assert fake.models_called()[:2] == ["down", "limited"]  # one call each: no hidden retries


async def test_a_breaker_skips_a_provider_that_keeps_failing(fake: FakeOpenAI) -> None:
    fake.behave("down", status=500)
    fake.behave("gpt-4o-mini")
    gw = gateway()
    chain = [target(fake, "down"), target(fake, "gpt-4o-mini")]
    for _ in range(2):
        await gw.complete(chain, HI, 8, None, None)
    fake.clear()
    result = await gw.complete(chain, HI, 8, None, None)
    assert "circuit open" in result.attempts[0].error
    assert fake.models_called() == ["gpt-4o-mini"]


async def test_the_callers_deadline_bounds_the_provider_call(fake: FakeOpenAI) -> None:
    fake.behave("slow", delay_s=3.0)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        await gateway().complete([target(fake, "slow", timeout_s=30)], HI, 8, None, time.monotonic() + 0.5)
    assert time.monotonic() - started < 2.5  # stopped at the deadline, not the provider's 30 s timeout


async def test_every_provider_down_is_unavailable_listing_what_was_tried(fake: FakeOpenAI) -> None:
    fake.behave("a", status=500)
    fake.behave("b", status=503)
    with pytest.raises(Unavailable) as raised:
        await gateway().complete([target(fake, "a"), target(fake, "b")], HI, 8, None, None)
    assert "a/a (server error (500))" in raised.value.message and "b/b (server error (503))" in raised.value.message


async def test_a_refused_connection_is_reported_as_such_not_as_a_server_error(fake: FakeOpenAI) -> None:
    from dataclasses import replace

    from tests.support import free_port

    refused = replace(target(fake, "gpt-4o-mini", provider="gone"), api_base=f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(ProviderFailed) as raised:
        await gateway().complete([refused], HI, 8, None, None)
    assert "gone/gpt-4o-mini (connection refused)" in raised.value.message
    assert "500" not in raised.value.message and raised.value.reason == "PROVIDER_FAILED"


async def test_cost_comes_from_the_local_price_map(fake: FakeOpenAI) -> None:
    fake.behave("gpt-4o-mini", prompt_tokens=1000, completion_tokens=500)
    result = await gateway().complete([target(fake, "gpt-4o-mini")], HI, 8, None, None)
    prices = litellm_module().model_cost["gpt-4o-mini"]
    expected = 1000 * prices["input_cost_per_token"] + 500 * prices["output_cost_per_token"]
    assert result.prompt_tokens == 1000 and result.completion_tokens == 500
    assert result.cost_usd == pytest.approx(expected) and result.cost_usd > 0


async def test_streams_deliver_deltas_and_fail_over_before_the_first_token(fake: FakeOpenAI) -> None:
    fake.behave("down", status=500)
    fake.behave("gpt-4o-mini", reply="one two three")
    items = [i async for i in gateway().stream([target(fake, "down"), target(fake, "gpt-4o-mini")], HI, 8, None, None)]
    assert [i.text for i in items if isinstance(i, Delta)] == ["one", " two", " three"]
    final = items[-1]
    assert isinstance(final, Completion) and final.text == "one two three" and final.failovers == 1


async def test_a_rejected_key_never_appears_in_errors_or_logs(
    fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    fake.required_key = "sk-the-right-one"  # the fake echoes the wrong key in its 401 message
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Unavailable) as raised:
        await gateway().complete([target(fake, "gpt-4o-mini")], HI, 8, None, None)
    assert "authentication failed" in raised.value.message
    assert KEY not in str(raised.value) and KEY not in caplog.text
    assert fake.received[-1].authorization == f"Bearer {KEY}"  # it did travel, to the provider only
