"""The database as the rest of the daemon sees it: one object that exists from start-up on.

Before the pool is connected, or while PostgreSQL is unreachable, calls raise `Unavailable`; nothing
ever sees a `None` pool. Tenant queries run as the non-superuser `auralink_app` with transaction-local
settings, so row-level security applies to them (superusers and table owners would bypass it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from auralinkd.db import migrate
from auralinkd.db.connect import TRANSIENT_ERRORS, with_retry
from auralinkd.errors import Unavailable

log = logging.getLogger(__name__)

APP_ROLE = "auralink_app"

_ENTER_TENANT = """
SELECT set_config('role', $1, true),
       set_config('app.current_user_id', $2, true),
       set_config('app.current_org_id', $3, true),
       set_config('app.org_admin', $4, true),
       set_config('statement_timeout', $5, true)
"""


@dataclass(frozen=True)
class Tenant:
    """Whose rows a transaction may see: the RLS policies read these settings."""

    user_id: UUID
    org_id: UUID
    org_admin: bool = False


@dataclass(frozen=True)
class DatabaseInfo:
    embedded: bool
    server_version: str
    has_pgvector: bool
    migration_level: int
    migrations_pending: int


class Database:
    def __init__(self, *, embedded: bool, min_size: int, max_size: int, statement_timeout_s: float):
        self._dsn = ""
        self._embedded = embedded
        self._min_size = min_size
        self._max_size = max_size
        self._statement_timeout_ms = int(statement_timeout_s * 1000)
        self._pool: asyncpg.Pool | None = None
        self._info: DatabaseInfo | None = None
        self.reachable = False
        self.last_error = ""

    # -- lifecycle ------------------------------------------------------------------------------

    async def connect(self, dsn: str, *, attempts: int, migrations: list[migrate.Migration]) -> DatabaseInfo:
        """Wait for the server, apply pending migrations on one connection, then open the pool."""
        self._dsn = dsn

        def note(attempt: int, exc: BaseException) -> None:
            self.last_error = f"connecting (attempt {attempt}/{attempts}): {exc}"

        conn: asyncpg.Connection = await with_retry(
            lambda: asyncpg.connect(self._dsn, timeout=5), attempts=attempts, on_retry=note
        )
        try:
            applied = await migrate.apply(conn, migrations)
            for migration in applied:
                log.info("applied migration %s", migration.file_name)
            state = await migrate.status(conn, migrations)
            version = await conn.fetchval("SHOW server_version")
            has_vector = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')")
        finally:
            await conn.close()
        self._pool = await with_retry(self._create_pool, attempts=attempts)
        self._info = DatabaseInfo(self._embedded, version.split()[0], has_vector, state.level, len(state.pending))
        self.reachable, self.last_error = True, ""
        return self._info

    async def _create_pool(self) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            self._dsn,
            min_size=self._min_size,
            max_size=self._max_size,
            timeout=5,
            command_timeout=self._statement_timeout_ms / 1000 + 5,
            server_settings={
                "application_name": "auralinkd",
                "statement_timeout": str(self._statement_timeout_ms),
            },
            init=_register_codecs,
        )

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), timeout=5)
            except (TimeoutError, *TRANSIENT_ERRORS):
                pool.terminate()

    # -- health ---------------------------------------------------------------------------------

    async def probe(self, timeout_s: float = 2.0) -> bool:
        """One cheap round trip; updates `reachable` and drops broken connections after an outage."""
        try:
            pool = self.pool
            async with asyncio.timeout(timeout_s):
                await pool.fetchval("SELECT 1")
        except (Unavailable, TimeoutError, asyncpg.PostgresError, *TRANSIENT_ERRORS) as exc:
            if self.reachable:
                log.error("database unreachable: %s", exc)
            self.reachable, self.last_error = False, str(exc) or type(exc).__name__
            if self._pool is not None:
                self._pool.expire_connections()
            return False
        if not self.reachable:
            log.info("database reachable again")
        self.reachable, self.last_error = True, ""
        return True

    @property
    def info(self) -> DatabaseInfo | None:
        return self._info

    @property
    def embedded(self) -> bool:
        return self._embedded

    def pool_usage(self) -> tuple[int, int]:
        """(connections in use, pool size)."""
        if self._pool is None:
            return 0, 0
        size = self._pool.get_size()
        return size - self._pool.get_idle_size(), size

    # -- queries --------------------------------------------------------------------------------

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise Unavailable("the database is not connected yet")
        return self._pool

    @asynccontextmanager
    async def tenant(self, tenant: Tenant, *, timeout_s: float | None = None) -> AsyncIterator[asyncpg.Connection]:
        """A transaction as `auralink_app` scoped to one user and org; RLS decides what it sees."""
        timeout_ms = self._statement_timeout_ms
        if timeout_s is not None:  # the caller's gRPC deadline bounds the statement too
            timeout_ms = max(1, min(timeout_ms, int(timeout_s * 1000)))
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    _ENTER_TENANT,
                    APP_ROLE,
                    str(tenant.user_id),
                    str(tenant.org_id),
                    "on" if tenant.org_admin else "off",
                    str(timeout_ms),
                )
                yield conn
        except TRANSIENT_ERRORS as exc:
            raise Unavailable(f"database unavailable: {exc}") from exc

    @asynccontextmanager
    async def anonymous(self) -> AsyncIterator[asyncpg.Connection]:
        """A transaction as `auralink_app` with no tenant: RLS shows nothing; only the pre-login look-up
        functions (SECURITY DEFINER, such as auth_find_api_key) return data."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT set_config('role', $1, true)", APP_ROLE)
                yield conn
        except TRANSIENT_ERRORS as exc:
            raise Unavailable(f"database unavailable: {exc}") from exc

    @asynccontextmanager
    async def system(self) -> AsyncIterator[asyncpg.Connection]:
        """A transaction as the daemon's own role, for bootstrap work that precedes any tenant."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                yield conn
        except TRANSIENT_ERRORS as exc:
            raise Unavailable(f"database unavailable: {exc}") from exc


async def _register_codecs(conn: asyncpg.Connection) -> None:
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'vector')"):
        from pgvector.asyncpg import register_vector

        await register_vector(conn)
