"""Usage records written off the completion's hot path, in batches, and never lost.

`add()` queues a record and returns at once; a writer task (started on first use) writes whatever has
queued, one transaction per tenant, every `interval_s` or as soon as `batch` records wait. The interval is
long on purpose: a transaction per call competed with the calls themselves on the event loop. Readers whose
answer depends on the records (budget checks, usage reports, tests) call `flush()` first, so they see every
call that has returned. `close()` writes the rest at shutdown. A failed write keeps the records queued and
is retried; past `max_pending` queued records a caller waits for the writer (back-pressure, not loss).

A record the database refuses on its own (a constraint or a bad value: an agent deleted since the call)
is set aside: the rest of its batch is written, the refused one is logged and counted (`rejected`), and
nothing stays queued behind it. Only a failure of the database itself keeps records queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from auralinkd.db.database import Database, Tenant
from auralinkd.providers import store

log = logging.getLogger(__name__)

# What the database says about one record rather than about itself: retrying would fail the same way.
_BAD_RECORD = (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)


@dataclass
class _Pending:
    tenant: Tenant
    org_id: UUID
    user_id: UUID
    usage: dict[str, Any]
    key_id: UUID | None = field(default=None)  # a key to mark used (last_used_at)


class UsageWriter:
    def __init__(
        self, database: Database, *, interval_s: float = 1.0, batch: int = 200, max_pending: int = 10_000
    ) -> None:
        self._database = database
        self._interval_s = interval_s
        self._batch = batch
        self._max_pending = max_pending
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one writer at a time: the task, a flush() or close()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.rejected = 0  # records the database refused, logged and dropped

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def add(
        self, tenant: Tenant, org_id: UUID, user_id: UUID, usage: dict[str, Any], key_id: UUID | None
    ) -> None:
        self._pending.append(_Pending(tenant, org_id, user_id, usage, key_id))
        if self._closed:  # after shutdown began: write it now rather than leave it to a task that is gone
            await self.flush()
            return
        self._ensure_task()
        if len(self._pending) >= self._batch:
            self._wake.set()
        if len(self._pending) > self._max_pending:
            await self.flush()

    async def flush(self) -> None:
        """Writes everything queued so far (raises if the database refuses; the records stay queued)."""
        async with self._lock:
            while self._pending:
                await self._write(self._pending[: self._batch * 5])

    async def close(self) -> None:
        """Shutdown: stop the writer task and write what is left (call before the database closes)."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        try:
            await self.flush()
        except Exception:  # noqa: BLE001 - shutdown goes on; say how many records are lost
            log.exception("could not write %d usage records at shutdown", len(self._pending))

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="usage-writer")

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval_s * (1 + min(failures, 40)))
            except TimeoutError:
                pass
            self._wake.clear()
            if not self._pending:
                continue
            try:
                await self.flush()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - kept queued and retried with a growing pause
                failures += 1
                log.exception("could not write %d usage records (attempt %d); retrying", len(self._pending), failures)

    async def _write(self, items: list[_Pending]) -> None:
        by_tenant: dict[Tenant, list[_Pending]] = defaultdict(list)
        for item in items:
            by_tenant[item.tenant].append(item)
        for tenant, group in by_tenant.items():
            async with self._database.tenant(tenant) as conn:
                refused = await self._insert(conn, group)
                keys = sorted({p.key_id for p in group if p.key_id is not None})
                if keys:
                    await store.touch_keys(conn, keys)
            self.rejected += len(refused)
            done = {id(p) for p in group}
            self._pending = [p for p in self._pending if id(p) not in done]

    async def _insert(self, conn: asyncpg.Connection, group: list[_Pending]) -> list[_Pending]:
        """Insert the group in one round trip; if the database refuses it, each record on its own.

        Returns the records refused for what they hold (logged); other errors propagate (kept queued).
        """
        try:
            async with conn.transaction():  # a savepoint: a refusal leaves the tenant transaction usable
                await store.insert_usages(conn, [(p.org_id, p.user_id, p.usage) for p in group])
            return []
        except _BAD_RECORD:
            pass
        refused = []
        for p in group:
            try:
                async with conn.transaction():
                    await store.insert_usages(conn, [(p.org_id, p.user_id, p.usage)])
            except _BAD_RECORD as exc:
                refused.append(p)
                log.error(
                    "dropped a usage record the database refused (org %s, user %s, agent %s, request %s): %s",
                    p.org_id, p.user_id, p.usage.get("agent_id"), p.usage.get("request_id"), exc,
                )  # fmt: skip
        return refused
