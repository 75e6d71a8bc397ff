"""litellm's per-call success bookkeeping is skipped while no callback is registered, and runs when one is."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from auralinkd.providers.gateway import Gateway, Target
from auralinkd.providers.llm import callbacks_registered, litellm_module, skip_callback_bookkeeping
from auralinkd.providers.local import LocalModel
from tests.fakes.openai_server import FakeOpenAI
from tests.unit.providers.litellm_callbacks import registered_callback

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.behave("gpt-4o-mini", reply="fine", prompt_tokens=1000, completion_tokens=500)
        yield server


def target(fake: FakeOpenAI) -> Target:
    return Target(
        ref="fake/gpt-4o-mini",
        provider_name="fake",
        provider_type="openai_compatible",
        model="gpt-4o-mini",
        breaker_key="fake",
        api_base=fake.base_url,
        api_key="sk-test-bookkeeping-0000",
        input_cost_per_token=1e-6,
        output_cost_per_token=2e-6,
    )


def test_the_daemon_wraps_both_hooks_once() -> None:
    litellm = litellm_module()
    assert not callbacks_registered(litellm)
    assert skip_callback_bookkeeping(litellm) == ["dispatch_success_logging", "update_response_metadata"]
    hook = litellm.utils.dispatch_success_logging
    assert hook._auralink_skips and not getattr(hook.__wrapped__, "_auralink_skips", False)


async def test_without_callbacks_no_logging_runs_and_our_cost_stays(fake: FakeOpenAI) -> None:
    litellm = litellm_module()
    before = set(asyncio.all_tasks())
    completion = await Gateway(LocalModel(None), "smollm2-135m", 2, 60).complete([target(fake)], HI, 8, None, None)
    assert completion.text == "fine"
    assert completion.cost_usd == pytest.approx(1000 * 1e-6 + 500 * 2e-6)
    started = {t.get_coro().__qualname__ for t in set(asyncio.all_tasks()) - before}  # type: ignore[union-attr]
    assert not {name for name in started if "logging_helper" in name or "success_handler" in name}, started
    assert not callbacks_registered(litellm)


async def test_a_registered_callback_still_gets_its_success_events(fake: FakeOpenAI) -> None:
    litellm = litellm_module()
    from litellm.integrations.custom_logger import CustomLogger

    seen: list[Any] = []

    class Recorder(CustomLogger):  # type: ignore[misc]
        async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
            seen.append(response_obj)

    with registered_callback(litellm, Recorder()):
        await Gateway(LocalModel(None), "smollm2-135m", 2, 60).complete([target(fake)], HI, 8, None, None)
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.02)
    assert not callbacks_registered(litellm)
    # What the callback gets is redacted (turn_off_message_logging): replies and prompts stay in the daemon.
    assert len(seen) == 1 and seen[0].choices[0].message.content == "redacted-by-litellm"
