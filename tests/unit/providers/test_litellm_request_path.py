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
from auralinkd.providers.llm import (
    build_requests_inline,
    callbacks_registered,
    inline_request_building,
    litellm_module,
)
from auralinkd.providers.local import LocalModel
from tests.fakes.openai_server import FakeOpenAI
from tests.unit.providers.litellm_callbacks import registered_callback

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


@pytest.fixture
def acompletion_calls() -> Iterator[list[str]]:
    """Counts calls into litellm.acompletion (a pass-through spy: litellm still does the work)."""
    litellm = litellm_module()
    original = litellm.acompletion
    calls: list[str] = []

    async def counting(**kwargs: Any) -> Any:
        calls.append(kwargs["model"])
        return await original(**kwargs)

    litellm.acompletion = counting
    yield calls
    litellm.acompletion = original


async def test_openai_wire_calls_unary_and_streamed_skip_the_dispatcher(
    fake: FakeOpenAI, acompletion_calls: list[str]
) -> None:
    gateway = Gateway(LocalModel(None), "smollm2-135m", 2, 60)
    completion = await gateway.complete([target(fake)], HI, 8, 0.5, None)
    assert (completion.text, completion.prompt_tokens, completion.completion_tokens) == ("inline reply", 12, 7)
    assert acompletion_calls == []
    assert fake.received[-1].body["temperature"] == 0.5 and fake.received[-1].body["max_tokens"] == 8
    assert fake.received[-1].authorization == "Bearer sk-test-inline-0000"
    streamed = [item async for item in gateway.stream([target(fake)], HI, 8, 0.5, None)]
    assert acompletion_calls == []
    assert [getattr(i, "text", None) for i in streamed[:-1]] == ["inline", " reply"]
    final = streamed[-1]
    assert (final.text, final.finish_reason, final.prompt_tokens, final.completion_tokens) == (
        "inline reply",
        "stop",
        12,
        7,
    )
    sent = fake.received[-1]
    assert sent.body["stream"] is True and sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["temperature"] == 0.5 and sent.body["max_tokens"] == 8
    assert sent.authorization == "Bearer sk-test-inline-0000"
    # A provider without an OpenAI wire keeps litellm's dispatcher for its streams.
    with pytest.raises(AuralinkError):  # the fake speaks no Azure deployment paths: only the route matters
        [item async for item in gateway.stream([target(fake, "azure")], HI, 8, None, None)]
    assert acompletion_calls == ["azure/gpt-4o-mini"]


async def test_a_registered_litellm_callback_sends_unary_calls_through_the_dispatcher(
    fake: FakeOpenAI, acompletion_calls: list[str]
) -> None:
    litellm = litellm_module()
    from litellm.integrations.custom_logger import CustomLogger

    with registered_callback(litellm, CustomLogger()):
        await Gateway(LocalModel(None), "smollm2-135m", 2, 60).complete([target(fake)], HI, 8, None, None)
    assert acompletion_calls == ["openai/gpt-4o-mini"]
    assert not callbacks_registered(litellm)


@pytest.mark.parametrize(
    ("model", "behaviour"),
    [
        ("ok-model", {"reply": "same either way", "prompt_tokens": 30, "completion_tokens": 4}),
        ("limited", {"status": 429}),
        ("broken", {"status": 500}),
        ("unavailable", {"status": 503}),
        ("locked", {"status": 401}),
        ("slow", {"delay_s": 1.0}),
    ],
)
async def test_the_direct_path_answers_and_fails_exactly_as_acompletion_does(
    fake: FakeOpenAI, model: str, behaviour: dict[str, Any]
) -> None:
    from auralinkd.providers.openai_wire import OpenAIWire

    litellm = litellm_module()
    fake.behave(model, **behaviour)
    wire = OpenAIWire.create(litellm)
    assert wire is not None

    async def direct() -> Any:
        return await wire.complete(model=model, messages=HI, max_tokens=4, temperature=None, timeout_s=0.3,
                                   api_base=fake.base_url, api_key="sk-test-inline-0000")  # fmt: skip

    async def dispatched() -> Any:
        return await litellm.acompletion(model=f"openai/{model}", messages=HI, max_tokens=4, timeout=0.3,
                                         api_base=fake.base_url, api_key="sk-test-inline-0000", num_retries=0,
                                         max_retries=0)  # fmt: skip

    outcomes = []
    for call in (direct, dispatched):
        try:
            response = await call()
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            outcomes.append((type(exc), getattr(exc, "status_code", None)))
            assert "sk-test-inline-0000" not in str(exc)
        else:
            outcomes.append((response.choices[0].message.content, response.choices[0].finish_reason,
                             response.usage.prompt_tokens, response.usage.completion_tokens))  # fmt: skip
    assert outcomes[0] == outcomes[1]
    if behaviour.get("status") is None and not behaviour.get("delay_s"):
        assert outcomes[0] == ("same either way", "stop", 30, 4)
    else:
        assert isinstance(outcomes[0][0], type) and issubclass(outcomes[0][0], Exception)


@pytest.mark.parametrize(
    ("model", "behaviour"),
    [
        ("ok-stream", {"reply": "the same words either way", "prompt_tokens": 30, "completion_tokens": 5}),
        ("limited-stream", {"status": 429}),
        ("broken-stream", {"status": 500}),
        ("locked-stream", {"status": 401}),
        ("missing-stream", {"status": 404}),
    ],
)
async def test_the_direct_stream_answers_and_fails_exactly_as_acompletion_does(
    fake: FakeOpenAI, model: str, behaviour: dict[str, Any]
) -> None:
    from auralinkd.providers.openai_wire import OpenAIWire

    litellm = litellm_module()
    fake.behave(model, **behaviour)
    wire = OpenAIWire.create(litellm)
    assert wire is not None

    async def direct() -> tuple[str, str | None, int | None, int | None]:
        text, finish, prompt, completion = "", None, None, None
        async for chunk in wire.stream(model=model, messages=HI, max_tokens=8, temperature=None, timeout_s=5,
                                       api_base=fake.base_url, api_key="sk-test-inline-0000"):  # fmt: skip
            text += chunk.text
            finish = chunk.finish_reason or finish
            prompt = chunk.prompt_tokens or prompt
            completion = chunk.completion_tokens or completion
        return text, finish, prompt, completion

    async def dispatched() -> tuple[str, str | None, int | None, int | None]:
        response = await litellm.acompletion(model=f"openai/{model}", messages=HI, max_tokens=8, timeout=5,
                                             api_base=fake.base_url, api_key="sk-test-inline-0000", num_retries=0,
                                             max_retries=0, stream=True,
                                             stream_options={"include_usage": True})  # fmt: skip
        text, finish, prompt, completion = "", None, None, None
        async for chunk in response:
            if getattr(chunk, "usage", None) is not None:
                prompt, completion = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
                finish = chunk.choices[0].finish_reason or finish
        return text, finish, prompt, completion

    outcomes: list[Any] = []
    for call in (direct, dispatched):
        try:
            outcomes.append(await call())
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            outcomes.append((type(exc), getattr(exc, "status_code", None)))
            assert "sk-test-inline-0000" not in str(exc)
    assert outcomes[0] == outcomes[1]
    if behaviour.get("status") is None:
        assert outcomes[0] == ("the same words either way", "stop", 30, 5)
    else:
        assert isinstance(outcomes[0][0], type) and outcomes[0][1] == behaviour["status"]
