"""Effective permissions per (user, org), cached; every replica drops its copy within a second of a change.

Entries are keyed by the user AND the organization a credential claims: a credential claiming an
org the user is not a member of finds no entry of the user's own, and loads as "no such user".

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

from auralinkd.bus import Event, EventBus
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
        self._entries: dict[tuple[UUID, UUID], tuple[float, Effective]] = {}
        self._generation = 0  # bumps on every invalidation so a slow fill never resurrects stale data
        # one query per (user, org), however many callers
        self._loading: dict[tuple[UUID, UUID], asyncio.Future[Effective | None]] = {}

    def _ttl(self) -> float:
        if self._redis is not None and not self._redis.up:
            return DEGRADED_TTL_S
        return self._ttl_s

    async def effective(self, user_id: UUID, org_id: UUID) -> Effective | None:
        """The user's permissions as a member of `org_id`; None when they are not a member (or do not exist)."""
        key = (user_id, org_id)
        cached = self._entries.get(key)
        if cached is not None and self._clock() < cached[0]:
            return cached[1]
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Effective | None] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
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
            del self._loading[key]

    async def _load(self, user_id: UUID, org_id: UUID) -> Effective | None:
        generation = self._generation
        async with self._database.tenant(Tenant(user_id, org_id)) as conn:
            loaded = await store.load_effective(conn, user_id, org_id)
        if loaded is None:
            return None
        active, roles, permissions = loaded
        effective = Effective(active, tuple(roles), frozenset(permissions))
        if generation == self._generation:
            self._entries[(user_id, org_id)] = (self._clock() + self._ttl(), effective)
        return effective

    async def invalidate(self, *, org_id: UUID | None = None, user_id: UUID | None = None) -> None:
        """Forget cached permissions here, and tell every other replica to do the same."""
        self._forget(org_id, user_id)
        await self._bus.publish(CHANGED_TOPIC, {"org_id": str(org_id or ""), "user_id": str(user_id or "")}, org=org_id)

    def _forget(self, org_id: UUID | None, user_id: UUID | None) -> None:
        """Drop the user's entries (under any org), else the org's, else everything."""
        self._generation += 1
        if user_id is None and org_id is None:
            self._entries.clear()
            return
        for key in list(self._entries):
            if (key[0] == user_id) if user_id is not None else (key[1] == org_id):
                del self._entries[key]

    async def follow_changes(self) -> None:
        """Background task: apply other replicas' invalidations."""
        await self._bus.follow(CHANGED_TOPIC, self._forget_event, others_only=True)

    def _forget_event(self, event: Event) -> None:
        user = event.data.get("user_id") or None
        org = event.data.get("org_id") or None
        self._forget(UUID(org) if org else None, UUID(user) if user else None)
