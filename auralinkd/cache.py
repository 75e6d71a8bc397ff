"""A small key-value cache: Redis when it is up (shared by replicas), an in-process TTL map otherwise."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from auralinkd.redis_link import RedisLink, RedisUnavailable

_PREFIX = "auralink:cache:"


class LocalCache:
    """Bounded LRU with per-entry expiry."""

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self._entries[key] = (self._clock() + ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def delete(self, key: str) -> None:
        self._entries.pop(key, None)


class Cache:
    def __init__(self, redis: RedisLink | None, local: LocalCache | None = None) -> None:
        self._redis = redis
        self._local = local or LocalCache()

    async def get(self, key: str) -> bytes | None:
        if self._redis is not None:
            try:
                return await self._redis.call(lambda client: client.get(_PREFIX + key))  # type: ignore[no-any-return]
            except RedisUnavailable:
                pass
        return self._local.get(key)

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        # Written to both so a Redis outage does not empty the cache at once.
        self._local.set(key, value, ttl_s)
        if self._redis is not None:
            try:
                await self._redis.call(lambda client: client.set(_PREFIX + key, value, px=int(ttl_s * 1000)))
            except RedisUnavailable:
                pass

    async def delete(self, key: str) -> None:
        self._local.delete(key)
        if self._redis is not None:
            try:
                await self._redis.call(lambda client: client.delete(_PREFIX + key))
            except RedisUnavailable:
                pass
