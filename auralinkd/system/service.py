"""Status of the daemon, as plain data: the servicer and the CLI's `status` both start from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from auralinkd import __version__
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.readiness import Phase, Readiness
from auralinkd.redis_link import RedisLink
from auralinkd.system.stats import CallStats


class State(StrEnum):
    STARTING = "starting"
    SERVING = "serving"
    DEGRADED = "degraded"
    NOT_SERVING = "not_serving"
    STOPPING = "stopping"


@dataclass(frozen=True)
class DatabaseReport:
    embedded: bool
    server_version: str
    has_pgvector: bool
    vector_search: str
    pool_in_use: int
    pool_size: int
    migration_level: int
    migrations_pending: int
    reachable: bool
    error: str


@dataclass(frozen=True)
class RedisReport:
    configured: bool
    up: bool
    breaker_state: str
    reason: str


@dataclass(frozen=True)
class ComponentReport:
    name: str
    state: State
    detail: str = ""


@dataclass(frozen=True)
class StatusReport:
    version: str
    started_at: datetime
    uptime_s: float
    state: State
    reasons: list[str]
    database: DatabaseReport
    redis: RedisReport
    services: list[ComponentReport]
    replica_id: str
    calls_total: int
    errors_total: int


@dataclass
class SystemService:
    database: Database
    redis: RedisLink | None
    readiness: Readiness
    bus: EventBus
    call_stats: CallStats
    service_names: list[str]
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def status(self) -> StatusReport:
        database = self._database_report()
        redis = self._redis_report()
        state, reasons = self._overall(database, redis)
        services = [
            ComponentReport(name, state if state is not State.DEGRADED else State.SERVING)
            for name in self.service_names
        ]
        services.append(
            ComponentReport("database", State.SERVING if database.reachable else State.NOT_SERVING, database.error)
        )
        bus_state = State.DEGRADED if redis.configured and not redis.up else State.SERVING
        bus_detail = "redis pub/sub" if redis.configured and redis.up else "in-process (single replica)"
        services.append(ComponentReport("event_bus", bus_state, bus_detail))
        return StatusReport(
            version=__version__,
            started_at=self.started_at,
            uptime_s=(datetime.now(UTC) - self.started_at).total_seconds(),
            state=state,
            reasons=reasons,
            database=database,
            redis=redis,
            services=services,
            replica_id=self.bus.replica_id,
            calls_total=self.call_stats.calls_total,
            errors_total=self.call_stats.errors_total,
        )

    def _overall(self, database: DatabaseReport, redis: RedisReport) -> tuple[State, list[str]]:
        phase = self.readiness.phase
        if phase is Phase.STARTING:
            return State.STARTING, [self.readiness.reason]
        if phase is Phase.STOPPING:
            return State.STOPPING, ["shutting down"]
        if phase is Phase.NOT_SERVING or not database.reachable:
            return State.NOT_SERVING, [f"database unreachable: {database.error or self.readiness.reason}"]
        reasons = []
        if redis.configured and not redis.up:
            reasons.append(f"redis unavailable ({redis.reason}): using the in-process cache and event bus")
        return (State.DEGRADED, reasons) if reasons else (State.SERVING, [])

    def _database_report(self) -> DatabaseReport:
        info = self.database.info
        in_use, size = self.database.pool_usage()
        has_vector = bool(info and info.has_pgvector)
        return DatabaseReport(
            embedded=self.database.embedded,
            server_version=info.server_version if info else "",
            has_pgvector=has_vector,
            vector_search="hnsw (pgvector)" if has_vector else "exact (real[] fallback)",
            pool_in_use=in_use,
            pool_size=size,
            migration_level=info.migration_level if info else 0,
            migrations_pending=info.migrations_pending if info else 0,
            reachable=self.database.reachable,
            error=self.database.last_error,
        )

    def _redis_report(self) -> RedisReport:
        if self.redis is None:
            return RedisReport(False, False, "", "not configured (AURALINK_REDIS_URL unset)")
        return RedisReport(True, self.redis.up, self.redis.breaker.state.value, self.redis.breaker.last_error)
