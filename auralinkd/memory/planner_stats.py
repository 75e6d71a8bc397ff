"""Keeps the planner's statistics for the memory tables current after imports.

Which plan serves a semantic search depends on how many of a user's memories the planner believes there
are. With no statistics (a new database) or stale ones (after a bulk import) it takes a user's rows for a
handful and searches them exactly through the user index: a cost per query that grows with every row
imported (bench/memory.py saw dedupe lookups go from 6 to 36 ms per 32 items at 1.5k memories).
Autovacuum corrects that within a minute or two; an import should not have to wait for it.

So the daemon counts the rows it stores, and when they exceed half of what the planner last counted
(or the tables were never analysed), it analyses them in the background: at most every MIN_INTERVAL_S,
never on a caller's time. Each replica counts its own imports; that is enough for a trigger.
"""

from __future__ import annotations

import asyncio
import logging
import time

from auralinkd.db.database import Database
from auralinkd.memory import store

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 30.0
MIN_ROWS = 200  # fewer new rows than this never matter to a plan
SHARE = 0.5  # new rows, as a share of the rows the planner knows of, that call for a new analysis


class PlannerStatistics:
    def __init__(self, database: Database, min_interval_s: float = MIN_INTERVAL_S) -> None:
        self._database = database
        self._min_interval_s = min_interval_s
        self._last_analysis = -float("inf")
        self._running: asyncio.Task[bool] | None = None
        self.stored_since = 0  # rows stored by this daemon since its last analysis
        self.analyses = 0

    def note_stored(self, rows: int) -> asyncio.Task[bool] | None:
        """Called after a store with the rows it added; returns the check it started, if any (tests await it)."""
        self.stored_since += rows
        if self.stored_since < MIN_ROWS or (self._running is not None and not self._running.done()):
            return None
        if time.monotonic() - self._last_analysis < self._min_interval_s:
            return None
        self._running = asyncio.get_running_loop().create_task(self._check(), name="memory-planner-statistics")
        return self._running

    async def _check(self) -> bool:
        stored = self.stored_since
        try:
            async with self._database.system() as conn:  # ANALYZE needs the tables' owner: daemon bookkeeping
                known = await store.planner_row_count(conn)
                if known >= 0 and stored <= SHARE * known:
                    return False
                self._last_analysis = time.monotonic()
                await store.analyze_memory_tables(conn)
        except Exception:  # noqa: BLE001 - autovacuum still does it later; nothing waits on this
            log.warning("could not refresh the memory tables' statistics", exc_info=True)
            return False
        self.stored_since -= stored
        self.analyses += 1
        log.info("analysed the memory tables after %d new rows (the planner knew of %d)", stored, max(known, 0))
        return True

    async def settled(self) -> None:
        """Waits for a running check (tests; shutdown uses close())."""
        if self._running is not None:
            await asyncio.shield(self._running)

    async def close(self) -> None:
        if self._running is not None and not self._running.done():
            self._running.cancel()
            try:
                await self._running
            except asyncio.CancelledError:
                pass
