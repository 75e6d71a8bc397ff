"""The composition root: builds everything in order, starts it, and stops it in reverse.

Nothing else constructs services. The server starts first so health answers NOT_SERVING while the
database, migrations and services come up; SERVING follows only when all of them are ready.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import uuid
from contextlib import suppress
from typing import IO

from grpc_health.v1._async import HealthServicer

from auralink.v1 import system_pb2, system_pb2_grpc
from auralinkd.access.bootstrap import ensure_admin_token, jwt_secret
from auralinkd.access.tokens import TokenService
from auralinkd.api import permissions
from auralinkd.api.guard import GuardInterceptor
from auralinkd.api.server import Registration, build_server
from auralinkd.api.system import SystemServicer
from auralinkd.breaker import BreakerState, CircuitBreaker
from auralinkd.bus import EventBus
from auralinkd.cache import Cache
from auralinkd.config import Settings
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.db.embedded import EmbeddedPostgres
from auralinkd.readiness import Phase, Readiness
from auralinkd.redis_link import RedisLink
from auralinkd.system.service import SystemService
from auralinkd.system.stats import CallStats

log = logging.getLogger(__name__)

SYSTEM_SERVICE = system_pb2.DESCRIPTOR.services_by_name["SystemService"]
# Status, ping and events answer while starting, so operators can see why the daemon is not ready.
AVAILABLE_WHILE_STARTING = frozenset(f"/{SYSTEM_SERVICE.full_name}/{m.name}" for m in SYSTEM_SERVICE.methods)


class DataDirInUse(Exception):
    """Another auralinkd already runs on this data directory."""


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.replica_id = uuid.uuid4().hex[:12]
        self._lock_file: IO[str] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_requested = asyncio.Event()
        self._embedded = EmbeddedPostgres(settings.data_dir / "pg") if settings.embedded_database else None

        self.redis = (
            RedisLink(
                settings.redis_url, CircuitBreaker(settings.redis_breaker_failures, settings.redis_breaker_reset_s)
            )
            if settings.redis_url
            else None
        )
        self.bus = EventBus(self.replica_id, self.redis)
        self.cache = Cache(self.redis)  # shared by the domain services (permissions, sessions)
        self.call_stats = CallStats()
        self.database = Database(
            embedded=self._embedded is not None,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            statement_timeout_s=settings.db_statement_timeout_s,
        )
        self.health = HealthServicer()
        self.readiness = Readiness(self.health, [SYSTEM_SERVICE.full_name])
        self.system = SystemService(
            database=self.database,
            redis=self.redis,
            readiness=self.readiness,
            bus=self.bus,
            call_stats=self.call_stats,
            service_names=[SYSTEM_SERVICE.full_name],
        )
        self.registrations = [
            Registration(
                SystemServicer(self.system, self.bus),
                SYSTEM_SERVICE,
                system_pb2_grpc.add_SystemServiceServicer_to_server,
            ),
        ]
        self.server = None

    async def start(self) -> None:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_data_dir()
        tokens = TokenService(jwt_secret(settings))
        guard = GuardInterceptor(
            permissions.collect((r.servicer, r.descriptor) for r in self.registrations),
            tokens,
            is_ready=lambda: self.readiness.ready,
            not_ready_reason=lambda: self.readiness.reason,
            available_while_starting=AVAILABLE_WHILE_STARTING,
            stats=self.call_stats,
        )
        self.server = build_server(settings, self.registrations, [guard], self.health)
        await self.readiness.set(Phase.STARTING, "waiting for the database")
        await self.server.start()
        settings.socket_path.chmod(0o600)  # the socket is the local trust boundary: owner only

        migrations = migrate.discover(settings.migrations_dir or migrate.MIGRATIONS_DIR)
        if self._embedded is not None:
            dsn = await asyncio.to_thread(self._embedded.start)
        else:
            assert settings.database_url is not None
            dsn = settings.database_url.get_secret_value()
        await self.database.connect(dsn, attempts=settings.db_connect_attempts, migrations=migrations)
        token_path = await ensure_admin_token(settings, self.database, tokens)
        log.info("admin token in %s", token_path)

        if self.redis is not None:
            await self.redis.probe()
            self._tasks.append(asyncio.create_task(self.bus.relay_from_redis(), name="bus-relay"))
        self._tasks.append(asyncio.create_task(self._watch_dependencies(), name="dependency-probe"))
        await self.readiness.set(Phase.SERVING)
        await self.bus.publish("system.started", {"replica_id": self.replica_id})
        log.info("serving (replica %s)", self.replica_id)

    async def _watch_dependencies(self) -> None:
        """Readiness follows the database; Redis state follows its breaker (status shows DEGRADED)."""
        while True:
            await asyncio.sleep(self.settings.health_probe_interval_s)
            reachable = await self.database.probe()
            if reachable and self.readiness.phase is Phase.NOT_SERVING:
                await self.readiness.set(Phase.SERVING)
                await self.bus.publish("system.database", {"reachable": True})
            elif not reachable and self.readiness.phase is Phase.SERVING:
                await self.readiness.set(Phase.NOT_SERVING, f"database unreachable: {self.database.last_error}")
                await self.bus.publish("system.database", {"reachable": False, "error": self.database.last_error})
            if self.redis is not None:
                was_up = self.redis.up
                if self.redis.breaker.state is not BreakerState.HALF_OPEN:
                    await self.redis.probe()
                if was_up != self.redis.up:
                    await self.bus.publish(
                        "system.redis", {"up": self.redis.up, "reason": self.redis.breaker.last_error}
                    )

    def request_stop(self) -> None:
        self._stop_requested.set()

    async def wait_for_stop_request(self) -> None:
        await self._stop_requested.wait()

    async def stop(self) -> None:
        """NOT_SERVING, end streams, drain calls within the grace period, then close the pool and PostgreSQL."""
        log.info("shutting down")
        await self.readiness.stopping()
        self.bus.close()
        if self.server is not None:
            await self.server.stop(self.settings.shutdown_grace_s)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        await self.database.close()
        if self.redis is not None:
            with suppress(Exception):
                await self.redis.close()
        if self._embedded is not None:
            await asyncio.to_thread(self._embedded.stop)
        if self.server is not None:
            with suppress(OSError):
                self.settings.socket_path.unlink()
        if self._lock_file is not None:
            self._lock_file.close()
        log.info("stopped")

    def _lock_data_dir(self) -> None:
        path = self.settings.data_dir / "auralinkd.lock"
        handle = open(path, "a+")  # noqa: SIM115 - held open for the daemon's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DataDirInUse(f"another auralinkd is running on {self.settings.data_dir}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_file = handle
