"""Recall updates access_count and last_accessed_at off the hot path.

Recalls note their hits here (no I/O); a background task flushes them every second, one short tenant
transaction per (org, user), so RLS applies to these updates as to any other. stop() flushes what is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from uuid import UUID

from auralinkd.db.database import Database, Tenant
from auralinkd.errors import AuralinkError
from auralinkd.memory import store

log = logging.getLogger(__name__)


class AccessRecorder:
    def __init__(self, database: Database, interval_s: float = 1.0, max_pending: int = 100_000) -> None:
        self._database = database
        self._interval_s = interval_s
        self._max_pending = max_pending
        self._pending: dict[Tenant, Counter[UUID]] = defaultdict(Counter)
        self._size = 0
        self.dropped = 0  # hits not recorded because the buffer was full (logged, never silent)

    def note(self, tenant: Tenant, ids: list[UUID]) -> None:
        if self._size + len(ids) > self._max_pending:
            self.dropped += len(ids)
            log.warning("access recorder full: %d access updates not recorded", len(ids))
            return
        self._pending[tenant].update(ids)
        self._size += len(ids)

    @property
    def pending(self) -> int:
        return self._size

    async def flush(self) -> int:
        batch, self._pending, self._size = self._pending, defaultdict(Counter), 0
        updated = 0
        for tenant, counts in batch.items():
            # The owner's own scope (not an admin's): the memories are theirs.
            owner = Tenant(tenant.user_id, tenant.org_id, tenant.org_admin)
            try:
                async with self._database.tenant(owner) as conn:
                    updated += await store.record_access(conn, dict(counts))
            except (TimeoutError, AuralinkError, OSError) as exc:
                log.warning("could not record %d memory accesses: %s", sum(counts.values()), exc)
        return updated

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            if self._size:
                try:
                    await self.flush()
                except Exception:  # noqa: BLE001 - keep the loop alive; the next flush retries new hits
                    log.exception("memory access flush failed")
