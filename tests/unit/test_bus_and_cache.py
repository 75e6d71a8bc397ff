"""The in-process bus and cache that take over when Redis is absent or down."""

from __future__ import annotations

import asyncio

import pytest

from auralinkd.bus import Event, EventBus
from auralinkd.cache import Cache, LocalCache


async def test_subscribers_get_events_matching_their_topic_prefixes() -> None:
    bus = EventBus("r1", redis=None)
    mesh = bus.subscribe(["mesh."])
    everything = bus.subscribe()
    await bus.publish("mesh.node.suspect", {"node": "n1"})
    await bus.publish("system.started", {})
    first = await mesh.next(1)
    assert first is not None and first.topic == "mesh.node.suspect" and first.data == {"node": "n1"}
    assert await mesh.next(0.05) is None
    assert [(await everything.next(1)).topic for _ in range(2)] == ["mesh.node.suspect", "system.started"]


async def test_replay_sends_recent_events_first() -> None:
    bus = EventBus("r1", redis=None)
    for n in range(5):
        await bus.publish("t", {"n": n})
    subscription = bus.subscribe(replay=2)
    assert [(await subscription.next(1)).data["n"] for _ in range(2)] == [3, 4]


async def test_a_slow_subscriber_loses_the_oldest_events_and_never_blocks_publishers() -> None:
    bus = EventBus("r1", redis=None)
    subscription = bus.subscribe()
    subscription._queue = asyncio.Queue(3)  # a small queue makes the overflow visible
    for n in range(10):
        await asyncio.wait_for(bus.publish("t", {"n": n}), 1)
    assert subscription.dropped == 7
    assert [(await subscription.next(1)).data["n"] for _ in range(3)] == [7, 8, 9]


async def test_closing_the_bus_ends_every_subscription() -> None:
    bus = EventBus("r1", redis=None)
    subscription = bus.subscribe()
    bus.close()
    with pytest.raises(EOFError):
        await subscription.next(1)
    with pytest.raises(EOFError):
        await bus.subscribe().next(1)


async def test_a_zero_timeout_returns_a_queued_event_and_none_only_when_empty() -> None:
    # Polling loops (the mesh's remote-change drain) call next(0) and must get what is queued.
    bus = EventBus("r1", None)
    subscription = bus.subscribe(["mesh."])
    assert await subscription.next(0) is None
    await bus.publish("mesh.node.registered", {"n": 1})
    await bus.publish("mesh.links", {"n": 2})
    assert [(await subscription.next(0)).data["n"], (await subscription.next(0)).data["n"]] == [1, 2]  # type: ignore[union-attr]
    assert await subscription.next(0) is None


def test_events_round_trip_through_json() -> None:
    event = Event("mesh.node.offline", {"node": "n1", "rtt": 1.5}, "r9")
    assert Event.from_json(event.to_json()) == event


def test_local_cache_expires_entries_and_evicts_least_recently_used() -> None:
    now = [0.0]
    cache = LocalCache(max_entries=2, clock=lambda: now[0])
    cache.set("a", b"1", ttl_s=10)
    cache.set("b", b"2", ttl_s=1)
    assert cache.get("a") == b"1"
    now[0] = 2.0
    assert cache.get("b") is None
    cache.set("c", b"3", ttl_s=10)
    cache.set("d", b"4", ttl_s=10)  # evicts the least recently used ("a")
    assert cache.get("a") is None and cache.get("c") == b"3" and cache.get("d") == b"4"


async def test_cache_without_redis_works_in_process() -> None:
    cache = Cache(redis=None)
    await cache.set("k", b"v", ttl_s=5)
    assert await cache.get("k") == b"v"
    await cache.delete("k")
    assert await cache.get("k") is None
