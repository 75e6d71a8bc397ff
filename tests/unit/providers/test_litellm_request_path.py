"""litellm's request path as the daemon configures it: OpenAI-wire calls through litellm's own HTTP handler,
and request building on the event loop for providers that need no I/O to build a request.

Both depend on litellm internals (an env switch, `litellm.main`'s use of run_in_executor), so these tests pin
them: a litellm upgrade that changes either fails here, not silently in production.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from auralinkd.errors import AuralinkError
from auralinkd.providers.gateway import Gateway, Target
from auralinkd.providers.llm import build_requests_inline, inline_request_building, litellm_module
from auralinkd.providers.local import LocalModel
from tests.fakes.openai_server import FakeOpenAI

HI = [{"role": "user", "content": "hi"}]


class CountingExecutor(ThreadPoolExecutor):
    """The loop's default executor, counting what litellm hands it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.behave("gpt-4o-mini", reply="inline reply", prompt_tokens=12, completion_tokens=7)
        yield server


@pytest.fixture
async def executor() -> AsyncIterator[CountingExecutor]:
    counting = CountingExecutor()
    asyncio.get_running_loop().set_default_executor(counting)
    yield counting
    counting.shutdown(wait=False)


def target(fake: FakeOpenAI, provider_type: str = "openai_compatible") -> Target:
    return Target(
        ref="fake/gpt-4o-mini",
        provider_name="fake",
        provider_type=provider_type,
        model="gpt-4o-mini",
        breaker_key="fake",
        api_base=fake.base_url,
        api_key="sk-test-inline-0000",
    )


def test_openai_wire_calls_use_litellms_own_http_handler() -> None:
    litellm = litellm_module()
    assert os.environ["EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER"] == "True"
    assert build_requests_inline(litellm)
    assert type(litellm.main.asyncio).__name__ == "_AsyncioForLitellm"


async def test_inline_building_uses_no_worker_thread_and_the_reply_is_whole(
    fake: FakeOpenAI, executor: CountingExecutor
) -> None:
    gateway = Gateway(LocalModel(None), "smollm2-135m", 2, 60)
    await gateway.ready()  # the one-time litellm import runs in a thread; the calls are what count
    executor.submitted = 0
    completion = await gateway.complete([target(fake)], HI, 8, None, None)
    assert (completion.text, completion.prompt_tokens, completion.completion_tokens) == ("inline reply", 12, 7)
    assert executor.submitted == 0
    streamed = [item async for item in gateway.stream([target(fake)], HI, 8, None, None)]
    assert "".join(getattr(i, "text", "") for i in streamed[:-1]) == "inline reply"
    assert executor.submitted == 0


async def test_outside_the_opt_in_litellm_still_builds_in_a_thread(
    fake: FakeOpenAI, executor: CountingExecutor
) -> None:
    litellm = litellm_module()
    kwargs = {"model": "openai/gpt-4o-mini", "messages": HI, "max_tokens": 8, "api_base": fake.base_url,
              "api_key": "sk-test-inline-0000", "num_retries": 0, "max_retries": 0}  # fmt: skip
    response = await litellm.acompletion(**kwargs)
    assert response.choices[0].message.content == "inline reply" and executor.submitted >= 1
    # A provider whose request building may do I/O (bedrock fetches credentials) keeps the thread.
    gateway = Gateway(LocalModel(None), "smollm2-135m", 2, 60)
    await gateway.ready()
    before = executor.submitted
    with pytest.raises(AuralinkError):  # the fake speaks no Azure deployment paths: only the thread matters
        await gateway.complete([target(fake, "azure")], HI, 8, None, None)
    assert executor.submitted > before
    before = executor.submitted
    with inline_request_building():
        await litellm.acompletion(**kwargs)
    assert executor.submitted == before


async def test_errors_raised_while_building_inline_reach_the_caller(fake: FakeOpenAI) -> None:
    litellm = litellm_module()
    with inline_request_building(), pytest.raises(litellm.BadRequestError):
        await litellm.acompletion(model="no-such-provider/x", messages=HI, api_key="sk-test-inline-0000")
