"""The event bus: every replica's events reach every subscriber, through Redis pub/sub when it is up.

Local subscribers always get local events directly, so losing Redis only loses other replicas' events
(and `status` says so), never this replica's.

Every event belongs to one organization (`org`) or to the deployment (`org=""`). A subscription made
for a caller (`scope=`) sees its own org's events and the deployment's public `system.` events, and
nothing else, live or replayed, whichever replica published them. This is the one place that
scopes events: a publisher that names no org is seen only by the daemon itself and platform
operators who ask for every org.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from auralinkd.redis_link import RedisLink, RedisUnavailable

log = logging.getLogger(__name__)

CHANNEL = "auralink:events"
# Deployment events every authenticated watcher may see (status, readiness): no tenant data in them.
PUBLIC_PREFIX = "system."
_CLOSED = object()


@dataclass(frozen=True)
class Event:
    topic: str
    data: dict[str, Any]
    replica_id: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    org: str = ""  # the organization the event belongs to; "" for the deployment

    def visible_in(self, org: str) -> bool:
        """May a watcher of organization `org` see this event?"""
        return self.org == org if self.org else self.topic.startswith(PUBLIC_PREFIX)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "time": self.time.isoformat()})

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        value = json.loads(raw)
        return cls(
            value["topic"],
            value["data"],
            value["replica_id"],
            value["id"],
            datetime.fromisoformat(value["time"]),
            str(value.get("org") or ""),
        )


class Subscription:
    """A bounded queue of events; a slow reader loses the oldest events, never blocks publishers.

    `scope` is the watcher's organization: None only for the daemon's own consumers and for platform
    operators who asked for every organization.
    """

    def __init__(self, prefixes: Iterable[str], maxsize: int = 1000, scope: str | None = None) -> None:
        self.prefixes = tuple(prefixes)
        self.scope = scope
        self.dropped = 0
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)

    def wants(self, event: Event) -> bool:
        if self.scope is not None and not event.visible_in(self.scope):
            return False
        return not self.prefixes or any(event.topic.startswith(p) for p in self.prefixes)

    def offer(self, item: Any) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(item)

    async def next(self, timeout_s: float) -> Event | None:
        """The next event, None on timeout; raises EOFError once the bus has closed."""
        if timeout_s <= 0:
            # Not wait_for(get(), 0): on Python 3.11 that cancels the get before it runs, so a queued event
            # was never returned and replicas never applied each other's mesh changes.
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                return None
        else:
            try:
                item = await asyncio.wait_for(self._queue.get(), timeout_s)
            except TimeoutError:
                return None
        if item is _CLOSED:
            raise EOFError("event bus closed")
        return item  # type: ignore[no-any-return]


class EventBus:
    def __init__(self, replica_id: str, redis: RedisLink | None, history: int = 1000) -> None:
        self.replica_id = replica_id
        self._redis = redis
        self._subscriptions: set[Subscription] = set()
        self._recent: deque[Event] = deque(maxlen=history)
        self._closed = False

    async def publish(self, topic: str, data: dict[str, Any] | None = None, *, org: object = None) -> Event:
        """Publish to every replica; `org` (a UUID or its text) names the organization the event belongs to."""
        event = Event(topic, data or {}, self.replica_id, org=str(org) if org else "")
        self._deliver(event)
        if self._redis is not None:
            try:
                await self._redis.call(lambda client: client.publish(CHANNEL, event.to_json()))
            except RedisUnavailable:
                pass  # local subscribers already have it; status reports the outage
        return event

    def subscribe(self, prefixes: Iterable[str] = (), replay: int = 0, scope: object = None) -> Subscription:
        """Events whose topic starts with one of `prefixes`; `scope` (an org id) limits them to that org's."""
        subscription = Subscription(prefixes, scope=str(scope) if scope is not None else None)
        if self._closed:
            subscription.offer(_CLOSED)
            return subscription
        replayed: list[Event] = []
        for event in reversed(self._recent) if replay > 0 else ():
            if subscription.wants(event):  # the last `replay` events this subscriber may see
                replayed.append(event)
                if len(replayed) == replay:
                    break
        for event in reversed(replayed):
            subscription.offer(event)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    async def follow(
        self,
        topic: str,
        apply: Callable[[Event], Awaitable[None] | None],
        *,
        others_only: bool = False,
        every_s: float = 3600.0,
        periodic: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Background task: `apply` each event of `topic` (with `others_only`, other replicas' alone), and await
        `periodic` every `every_s` when given, until the bus closes. For caches that other replicas' changes
        invalidate."""
        subscription = self.subscribe([topic])
        loop = asyncio.get_running_loop()
        due = loop.time() + every_s
        try:
            while True:
                try:
                    event = await subscription.next(max(0.0, due - loop.time()))
                except EOFError:
                    return
                if event is not None and not (others_only and event.replica_id == self.replica_id):
                    done = apply(event)
                    if done is not None:
                        await done
                if loop.time() >= due:
                    due = loop.time() + every_s
                    if periodic is not None:
                        await periodic()
        finally:
            self.unsubscribe(subscription)

    def recent(self) -> list[Event]:
        return list(self._recent)

    def close(self) -> None:
        """End every subscription (streams then finish with UNAVAILABLE)."""
        self._closed = True
        for subscription in self._subscriptions:
            subscription.offer(_CLOSED)
        self._subscriptions.clear()

    def _deliver(self, event: Event) -> None:
        self._recent.append(event)
        for subscription in list(self._subscriptions):
            if subscription.wants(event):
                subscription.offer(event)

    async def relay_from_redis(self) -> None:
        """Background task: deliver other replicas' events; reconnects as the breaker allows."""
        if self._redis is None:
            return
        redis = self._redis
        while not self._closed:
            if not redis.breaker.allow():
                await asyncio.sleep(0.2)
                continue
            try:
                async for raw in self._listen(redis):
                    event = Event.from_json(raw)
                    if event.replica_id != self.replica_id:
                        self._deliver(event)
            except redis.errors as exc:
                redis.note_failure(exc)
            except (ValueError, KeyError) as exc:
                log.warning("ignoring a malformed event from Redis: %s", exc)

    async def _listen(self, redis: RedisLink) -> AsyncIterator[bytes]:
        pubsub = redis.client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL)
            redis.note_success()
            while not self._closed:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None and message["type"] == "message":
                    yield message["data"]
        finally:
            try:
                await pubsub.aclose()
            except redis.errors:
                pass
