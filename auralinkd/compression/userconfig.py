"""Per-user session defaults (the spec's aic_configs): what StartSession fills unset fields from.

Cached for a short while (StartSession is on the WebRTC server's call set-up path) and persisted in
aic_configs through the store when a database is given; without one (unit tests, benchmarks) they
live in memory. An etag guards updates: a stale one is Aborted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from auralinkd.compression import store
from auralinkd.compression.config import CompressionConfig
from auralinkd.db.database import Database, Tenant
from auralinkd.errors import Aborted

CACHE_TTL_S = 30.0


@dataclass(frozen=True)
class VersionedConfig:
    config: CompressionConfig
    etag: str


def _etag(config: CompressionConfig, version: str) -> str:
    return hashlib.sha256(f"{version}|{config!r}".encode()).hexdigest()[:16]


class UserConfigs:
    def __init__(
        self,
        defaults: CompressionConfig,
        database: Database | None = None,
        *,
        cache_ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.defaults = defaults.validate()
        self._db = database
        self._ttl = cache_ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, VersionedConfig]] = {}
        self._memory: dict[str, tuple[int, CompressionConfig]] = {}  # without a database

    async def get(self, tenant: Tenant) -> VersionedConfig:
        key = str(tenant.user_id)
        hit = self._cache.get(key)
        if hit and self._clock() - hit[0] < self._ttl:
            return hit[1]
        if self._db is None:
            version, config = self._memory.get(key, (0, self.defaults))
            found = VersionedConfig(config, _etag(config, str(version)))
        else:
            async with self._db.tenant(tenant) as conn:
                row = await store.load_config(conn, tenant.user_id)
            found = (
                VersionedConfig(row.config, _etag(row.config, row.updated_at.isoformat()))
                if row
                else VersionedConfig(self.defaults, _etag(self.defaults, "default"))
            )
        self._cache[key] = (self._clock(), found)
        return found

    async def update(self, tenant: Tenant, config: CompressionConfig, etag: str = "") -> VersionedConfig:
        """Replace the user's defaults; with an etag, only if nobody changed them since it was read."""
        config = config.validate()
        key = str(tenant.user_id)
        stale = Aborted("the compression config changed since it was read; get it again and retry")
        if self._db is None:
            version, current = self._memory.get(key, (0, self.defaults))
            if etag and etag != _etag(current, str(version)):
                raise stale
            self._memory[key] = (version + 1, config)
            result = VersionedConfig(config, _etag(config, str(version + 1)))
        else:
            async with self._db.tenant(tenant) as conn:
                row = await store.load_config(conn, tenant.user_id, for_update=True)
                current = _etag(row.config, row.updated_at.isoformat()) if row else _etag(self.defaults, "default")
                if etag and etag != current:
                    raise stale
                updated_at = await store.save_config(conn, tenant.org_id, tenant.user_id, config)
            result = VersionedConfig(config, _etag(config, updated_at.isoformat()))
        self._cache[key] = (self._clock(), result)
        return result
