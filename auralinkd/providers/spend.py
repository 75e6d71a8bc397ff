"""Spend against budgets, kept in memory so a budget check costs no query on the completion path.

One counter per (org, scope, subject, period start): the sum the database held when it was last read, plus
the cost of every call this daemon has recorded since. A counter older than `ttl_s` is read again, after the
usage writer has flushed, so other replicas' spend counts within `ttl_s`.

Bounds, both toward stopping early or by the calls in flight: a call that finishes while its counter is
being read may be counted twice until the next read; calls admitted together before any of them has
finished can overshoot a limit by their own cost (as with a query per call).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from auralinkd.db.database import Database, Tenant
from auralinkd.providers import store
from auralinkd.providers.usage import UsageWriter

_Key = tuple[str, UUID | None, str, datetime | None]  # scope, subject, period, period start


@dataclass
class _Counter:
    base: float = 0.0
    local: float = 0.0
    read_at: float = float("-inf")  # time.monotonic() of the last read
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SpendCounters:
    def __init__(self, database: Database, writer: UsageWriter, ttl_s: float) -> None:
        self._database = database
        self._writer = writer
        self._ttl_s = ttl_s
        self._by_org: dict[UUID, dict[_Key, _Counter]] = {}

    async def spent(self, reader: Tenant, budget: dict[str, Any], start: datetime | None) -> float:
        """USD spent in `budget`'s current period; `reader` must see the whole org's sums."""
        subject = budget["user_id"] or budget["agent_id"]
        key: _Key = (budget["scope"], subject, budget["period"], start)
        counters = self._by_org.setdefault(reader.org_id, {})
        counter = counters.get(key)
        if counter is None:
            self._prune(counters)
            counter = counters[key] = _Counter()
        if time.monotonic() - counter.read_at > self._ttl_s:
            async with counter.lock:
                if time.monotonic() - counter.read_at > self._ttl_s:  # not read by another caller meanwhile
                    counter.local = 0.0  # costs recorded from here on; the flush below may write some too
                    await self._writer.flush()
                    async with self._database.tenant(reader) as conn:
                        counter.base = await store.spent(conn, budget["scope"], subject, start)
                    counter.read_at = time.monotonic()
        return counter.base + counter.local

    def add(self, org_id: UUID, user_id: UUID, agent_id: UUID | None, cost_usd: float) -> None:
        """A recorded call's cost, added to every counter it falls under."""
        if not cost_usd:
            return
        for (scope, subject, _, _), counter in self._by_org.get(org_id, {}).items():
            if scope == "org" or (scope == "user" and subject == user_id) or (scope == "agent" and subject == agent_id):
                counter.local += cost_usd

    def _prune(self, counters: dict[_Key, _Counter]) -> None:
        """Drops counters nobody has read for a while (past periods, deleted budgets)."""
        stale = time.monotonic() - 30 * self._ttl_s
        for key in [k for k, c in counters.items() if c.read_at < stale and not c.lock.locked()]:
            del counters[key]
