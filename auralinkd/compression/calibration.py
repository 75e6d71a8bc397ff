"""The deployment's calibration table, shared by every replica through the database.

RunBenchmark(calibrate=true) hands a new table to `save`, which stores it and applies it here; every
replica's `follow` loop checks for a newer one every FOLLOW_INTERVAL_S and applies it. Sessions
already open keep the settings they started with. With no stored table, the package's calibration.json
(read only) is in use.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from auralinkd.compression import store
from auralinkd.compression.modes import CalibrationTable
from auralinkd.compression.service import CompressionService
from auralinkd.db.database import Database
from auralinkd.errors import AuralinkError

log = logging.getLogger(__name__)

FOLLOW_INTERVAL_S = 10.0


class CalibrationStore:
    def __init__(self, service: CompressionService, database: Database) -> None:
        self._service = service
        self._db = database
        self.current_id: int | None = None  # the stored table in use; None: the package's

    async def load(self) -> bool:
        """Apply the newest stored table when it is not the one in use; True when it changed."""
        async with self._db.system() as conn:
            newest = await store.latest_calibration_id(conn)
            if newest is None or newest == self.current_id:
                return False
            table = await store.load_calibration(conn, newest)
        if table is None:
            return False
        self._apply(table)
        self.current_id = newest
        log.info("compression calibration table %d in use", newest)
        return True

    async def save(self, table: dict[str, Any]) -> None:
        """Check, store for every replica, and use the table here now."""
        CalibrationTable.check(table)
        async with self._db.system() as conn:
            calibration_id = await store.save_calibration(conn, table)
        self._apply(table)
        self.current_id = calibration_id
        log.info("compression calibration table %d stored; in use on this replica", calibration_id)

    def _apply(self, table: dict[str, Any]) -> None:
        self._service.use_calibration(CalibrationTable(table))

    async def follow(self, interval_s: float = FOLLOW_INTERVAL_S) -> None:
        """Pick up tables other replicas store, until cancelled."""
        while True:
            try:
                await self.load()
            except (AuralinkError, OSError) as exc:
                log.warning("compression calibration not checked (%s); retrying in %g s", exc, interval_s)
            await asyncio.sleep(interval_s)
