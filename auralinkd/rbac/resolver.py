"""Effective permissions per user, cached; every replica drops its copy within a second of a change.

A change publishes `access.permissions.changed` on the bus. Redis carries it to the other replicas;
while Redis is configured but down, entries live only one second, so a stale grant cannot outlast
the promise either way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from auralinkd.bus import EventBus
from auralinkd.db.database import Database, Tenant
from auralinkd.rbac import store
from auralinkd.redis_link import RedisLink

log = logging.getLogger(__name__)

CHANGED_TOPIC = "access.permissions.changed"
DEFAULT_TTL_S = 60.0
DEGRADED_TTL_S = 1.0


@dataclass(frozen=True)
class Effective:
    active: bool
    roles: tuple[str, ...]
    permissions: frozenset[str]


class PermissionResolver:
    def __init__(
        self,
        database: Database,
        bus: EventBus,
        redis: RedisLink | None,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._bus = bus
        self._redis = redis
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[UUID, tuple[float, Effective]] = {}
        self._generation = 0  # bumps on every invalidation so a slow fill never resurrects stale data
        self._loading: dict[UUID, asyncio.Future[Effective | None]] = {}  # one query per user, however many callers

    def _ttl(self) -> float:
        if self._redis is not None and not self._redis.up:
            return DEGRADED_TTL_S
        return self._ttl_s

    async def effective(self, user_id: UUID, org_id: UUID) -> Effective | None:
        cached = self._entries.get(user_id)
        if cached is not None and self._clock() < cached[0]:
            return cached[1]
        pending = self._loading.get(user_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Effective | None] = asyncio.get_running_loop().create_future()
        self._loading[user_id] = future
        try:
            effective = await self._load(user_id, org_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # consumed here: waiters re-raise it, nobody logs it as unretrieved
            raise
        else:
            future.set_result(effective)
            return effective
        finally:
            del self._loading[user_id]

    async def _load(self, user_id: UUID, org_id: UUID) -> Effective | None:
        generation = self._generation
        async with self._database.tenant(Tenant(user_id, org_id)) as conn:
            loaded = await store.load_effective(conn, user_id)
        if loaded is None:
            return None
        active, roles, permissions = loaded
        effective = Effective(active, tuple(roles), frozenset(permissions))
        if generation == self._generation:
            self._entries[user_id] = (self._clock() + self._ttl(), effective)
        return effective

    async def invalidate(self, *, org_id: UUID | None = None, user_id: UUID | None = None) -> None:
        """Forget cached permissions here, and tell every other replica to do the same."""
        self._forget(user_id)
        await self._bus.publish(CHANGED_TOPIC, {"org_id": str(org_id or ""), "user_id": str(user_id or "")})

    def _forget(self, user_id: UUID | None) -> None:
        self._generation += 1
        if user_id is None:
            self._entries.clear()
        else:
            self._entries.pop(user_id, None)

    async def follow_changes(self) -> None:
        """Background task: apply other replicas' invalidations."""
        subscription = self._bus.subscribe([CHANGED_TOPIC])
        try:
            while True:
                try:
                    event = await subscription.next(3600)
                except EOFError:
                    return
                if event is not None and event.replica_id != self._bus.replica_id:
                    user = event.data.get("user_id") or None
                    self._forget(UUID(user) if user else None)
        except asyncio.CancelledError:
            raise
        finally:
            self._bus.unsubscribe(subscription)
