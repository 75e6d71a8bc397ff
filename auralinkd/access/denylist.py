"""Revoked tokens, refused by every replica.

PostgreSQL holds the list (durable); each replica keeps it in memory for the per-call check. A
revocation reaches other replicas through the bus at once, and a periodic reload from PostgreSQL
covers a Redis outage. Redis also gets a copy (`auralink:revoked:<jti>`) for other consumers.
"""

from __future__ import annotations

import logging

from auralinkd.access import store
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.errors import Unavailable
from auralinkd.redis_link import RedisLink, RedisUnavailable

log = logging.getLogger(__name__)

REVOKED_TOPIC = "access.token.revoked"
RELOAD_INTERVAL_S = 5.0


class Denylist:
    def __init__(self, database: Database, bus: EventBus, redis: RedisLink | None) -> None:
        self._database = database
        self._bus = bus
        self._redis = redis
        self._revoked: set[str] = set()

    def __contains__(self, token_id: str) -> bool:
        return token_id in self._revoked

    async def reload(self) -> None:
        async with self._database.system() as conn:
            self._revoked = set(await store.live_revocations(conn))

    async def announce(self, token_id: str, ttl_s: int, org: object = None) -> None:
        """After the revocation committed: refuse it here now, and everywhere else within a second."""
        self._revoked.add(token_id)
        await self._bus.publish(REVOKED_TOPIC, {"token_id": token_id}, org=org)
        if self._redis is not None:
            try:
                await self._redis.call(
                    lambda client: client.set(f"auralink:revoked:{token_id}", b"1", ex=max(1, ttl_s))
                )
            except RedisUnavailable:
                pass

    async def follow(self) -> None:
        """Background task: other replicas' revocations from the bus, plus a periodic full reload."""
        await self._bus.follow(
            REVOKED_TOPIC,
            lambda e: self._revoked.add(str(e.data.get("token_id", ""))),
            every_s=RELOAD_INTERVAL_S,
            periodic=self._try_reload,
        )

    async def _try_reload(self) -> None:
        try:
            await self.reload()
        except Unavailable as exc:
            log.debug("revocation reload skipped: %s", exc)
