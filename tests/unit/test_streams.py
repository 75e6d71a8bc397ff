"""Streams.keep_alive (every Watch* RPC's pacing) and EventBus.follow, on a real in-process bus."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from auralinkd.bus import Event, EventBus
from auralinkd.errors import Unavailable
from auralinkd.streams import Streams, events


async def test_a_quiet_source_gets_heartbeats_at_the_interval_and_messages_pass_through() -> None:
    bus = EventBus("r1", None)
    subscription = bus.subscribe(["t."])

    async def source() -> AsyncIterator[str]:
        yield "snapshot"
        async for event in events(subscription):
            yield event.topic

    stream = Streams(lambda: False, heartbeat_s=0.2).keep_alive(source(), lambda: "heartbeat")
    assert await anext(stream) == "snapshot"
    started = time.monotonic()
    assert [await anext(stream), await anext(stream)] == ["heartbeat", "heartbeat"]
    assert time.monotonic() - started >= 0.35  # two intervals, not sooner
    await bus.publish("t.one")
    assert await asyncio.wait_for(anext(stream), 5) == "t.one"
    await stream.aclose()


async def test_a_shorter_interval_asked_for_by_the_call_wins_but_never_a_longer_one() -> None:
    async def silent() -> AsyncIterator[str]:
        await asyncio.sleep(3600)
        yield "never"

    streams = Streams(lambda: False, heartbeat_s=0.3)
    started = time.monotonic()
    stream = streams.keep_alive(silent(), lambda: "heartbeat", heartbeat_s=0.05)
    assert await anext(stream) == "heartbeat" and time.monotonic() - started < 0.3
    await stream.aclose()
    started = time.monotonic()
    stream = streams.keep_alive(silent(), lambda: "heartbeat", heartbeat_s=60)
    assert await asyncio.wait_for(anext(stream), 5) == "heartbeat" and time.monotonic() - started < 5
    await stream.aclose()


async def test_shutdown_ends_the_stream_with_unavailable_and_closes_the_source() -> None:
    stopping = False
    closed = asyncio.Event()

    async def source() -> AsyncIterator[str]:
        try:
            yield "first"
            await asyncio.sleep(3600)
            yield "never"
        finally:
            closed.set()

    stream = Streams(lambda: stopping, heartbeat_s=10).keep_alive(source(), lambda: "heartbeat")
    assert await anext(stream) == "first"
    stopping = True
    with pytest.raises(Unavailable, match="shutting down"):
        await asyncio.wait_for(anext(stream), 5)
    assert closed.is_set()


async def test_the_bus_closing_ends_the_stream_with_unavailable_and_a_finished_source_ends_it() -> None:
    bus = EventBus("r1", None)
    subscription = bus.subscribe(["t."])
    stream = Streams(lambda: False, heartbeat_s=10).keep_alive(events(subscription), lambda: "heartbeat")
    bus.close()
    with pytest.raises(Unavailable):
        await asyncio.wait_for(anext(stream), 5)

    async def two() -> AsyncIterator[int]:
        yield 1
        yield 2

    assert [m async for m in Streams(lambda: False).keep_alive(two(), lambda: 0)] == [1, 2]


async def test_follow_applies_events_skips_its_own_when_asked_and_runs_periodic_work() -> None:
    bus = EventBus("here", None)
    seen: list[str] = []
    ticks = 0
    both = asyncio.Event()  # an event applied and two periodic turns taken

    def apply(event: Event) -> None:
        seen.append(event.topic)

    async def tick() -> None:
        nonlocal ticks
        ticks += 1
        if seen and ticks >= 2:
            both.set()

    follower = asyncio.create_task(bus.follow("t.", apply, others_only=True, every_s=0.05, periodic=tick))
    await asyncio.sleep(0)  # subscribed
    await bus.publish("t.mine")  # this replica's own: skipped
    bus._deliver(Event("t.theirs", {}, "there"))  # as the Redis relay delivers another replica's
    await asyncio.wait_for(both.wait(), 5)
    assert seen == ["t.theirs"]
    bus.close()
    await asyncio.wait_for(follower, 5)  # ends when the bus closes
