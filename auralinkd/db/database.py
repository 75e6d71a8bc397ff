"""The database as the rest of the daemon sees it: one object that exists from start-up on.

Before the pool is connected, or while PostgreSQL is unreachable, calls raise `Unavailable`; nothing
ever sees a `None` pool. Tenant queries run as the non-superuser `auralink_app` with transaction-local
settings, so row-level security applies to them (superusers and table owners would bypass it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from auralinkd.db import migrate
from auralinkd.db.connect import TRANSIENT_ERRORS, with_retry
from auralinkd.errors import AuralinkError, Unavailable

log = logging.getLogger(__name__)

APP_ROLE = "auralink_app"

_ENTER_TENANT = """
SELECT set_config('role', $1, true),
       set_config('app.current_user_id', $2, true),
       set_config('app.current_org_id', $3, true),
       set_config('app.org_admin', $4, true),
       set_config('statement_timeout', $5, true)
"""
# No tenant: the scope settings are emptied too, so that whatever a connection once held cannot apply.
_ANONYMOUS = """
SELECT set_config('role', $1, true),
       set_config('app.current_user_id', '', true),
       set_config('app.current_org_id', '', true),
       set_config('app.org_admin', '', true)
"""
# Optional settings of the same round trip (see `tenant`).
_NO_FLUSH_WAIT = ",\n       set_config('synchronous_commit', 'off', true)"
_EF_SEARCH = ",\n       set_config('hnsw.ef_search', $6, true)"


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
        self._probe_conn: asyncpg.Connection | None = None
        self._probe_task: asyncio.Task[None] | None = None
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
            reset=_keep_session,
        )

    async def close(self) -> None:
        if self._probe_task is not None:
            self._probe_task.cancel()
        if self._probe_conn is not None:
            self._probe_conn.terminate()
            self._probe_conn = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), timeout=5)
            except (TimeoutError, *TRANSIENT_ERRORS):
                pool.terminate()

    # -- health ---------------------------------------------------------------------------------

    async def probe(self, timeout_s: float = 2.0) -> bool:
        """One round trip on a connection of its own, bounded by `timeout_s` even when the server hangs.

        Updates `reachable` and expires the pool's connections after a failure. The round trip runs as a
        task of its own: a query to a stopped (SIGSTOP) server cannot even be cancelled promptly, so the
        probe answers at its deadline and the next probe waits on the same round trip.
        """
        if self._probe_task is None or self._probe_task.done():
            self._probe_task = asyncio.create_task(self._round_trip(timeout_s), name="database-probe")
        done, _ = await asyncio.wait({self._probe_task}, timeout=timeout_s)
        error: BaseException | None
        if not done:
            error = TimeoutError(f"no answer within {timeout_s:g} s")
        elif self._probe_task.cancelled():
            error = TimeoutError("the probe was cancelled")
        else:
            error = self._probe_task.exception()
        if error is not None:
            if self.reachable:
                log.error("database unreachable: %s", error)
            self.reachable, self.last_error = False, str(error) or type(error).__name__
            if self._pool is not None:
                self._pool.expire_connections()
            return False
        if not self.reachable:
            log.info("database reachable again")
        self.reachable, self.last_error = True, ""
        return True

    async def _round_trip(self, timeout_s: float) -> None:
        if not self._dsn:
            raise Unavailable("the database is not connected yet")
        conn = self._probe_conn
        try:
            if conn is None or conn.is_closed():
                conn = self._probe_conn = await asyncpg.connect(
                    self._dsn, timeout=timeout_s, server_settings={"application_name": "auralinkd-probe"}
                )
            await conn.fetchval("SELECT 1", timeout=timeout_s)
        except BaseException:
            self._probe_conn = None
            if conn is not None:
                conn.terminate()
            raise

    @property
    def info(self) -> DatabaseInfo | None:
        return self._info

    @property
    def embedded(self) -> bool:
        return self._embedded

    @property
    def dsn(self) -> str:
        """The owner DSN (for a library that needs its own connection, such as LangGraph's checkpointer)."""
        return self._dsn

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

    def tenant(
        self,
        tenant: Tenant,
        *,
        timeout_s: float | None = None,
        flush_wait: bool = True,
        ef_search: int | None = None,
    ) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A transaction as `auralink_app` scoped to one user and org; RLS decides what it sees.

        Set in the same round trip as the scope: `flush_wait=False`, the commit does not wait for its WAL flush
        (synchronous_commit off: a PostgreSQL crash may lose the transaction's last moments, never corrupts or
        reorders them); `ef_search`, pgvector's `hnsw.ef_search` for this transaction."""
        timeout_ms = self._statement_timeout_ms
        if timeout_s is not None:  # the caller's gRPC deadline bounds the statement too
            timeout_ms = max(1, min(timeout_ms, int(timeout_s * 1000)))
        args = [APP_ROLE, str(tenant.user_id), str(tenant.org_id), "on" if tenant.org_admin else "off", str(timeout_ms)]
        setup = _ENTER_TENANT.rstrip()
        if ef_search is not None:
            setup += _EF_SEARCH
            args.append(str(int(ef_search)))
        if not flush_wait:
            setup += _NO_FLUSH_WAIT
        return self._transaction(setup, *args)

    def anonymous(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A transaction as `auralink_app` with no tenant: RLS shows nothing; only the pre-login look-up
        functions (SECURITY DEFINER, such as auth_find_api_key) return data."""
        return self._transaction(_ANONYMOUS, APP_ROLE)

    def system(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A transaction as the daemon's own role, for bootstrap work that precedes any tenant."""
        return self._transaction("")

    @asynccontextmanager
    async def _transaction(self, setup: str, *args: str) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection in a transaction. Failing to get a connection, or losing it (terminated
        backend, server gone), is `Unavailable`; a lost connection is closed, never handed back to the pool."""
        pool = self.pool
        try:
            conn = await pool.acquire()
        except Exception as exc:  # any failure to connect: refused, not accepting connections, timed out
            raise Unavailable(f"database unavailable: {_first_line(exc)}") from exc
        try:
            async with conn.transaction():
                if setup:
                    await conn.execute(setup, *args)
                yield conn
        except AuralinkError:
            raise
        except BaseException as exc:
            if not is_connection_loss(exc):
                raise
            conn.terminate()  # the pool replaces a closed connection; it never reuses it
            if isinstance(exc, Exception):
                raise Unavailable(f"database unavailable: {_first_line(exc)}") from exc
            raise
        finally:
            try:
                await pool.release(conn)
            except Exception as exc:  # noqa: BLE001 - the pool already dropped it; the work itself is done
                log.debug("a database connection failed its reset and was closed: %s", exc)


# Connection loss: the backend was terminated, the server shut down, crashed or is restarting, or the
# socket broke. Errors of asyncpg's own state machine after such a loss read as loss too.
_LOST_TYPES: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and asyncpg's ConnectionDoesNotExistError
    asyncpg.AdminShutdownError,  # 57P01: pg_terminate_backend, smart/fast shutdown
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.exceptions.DatabaseDroppedError,  # 57P04
    ConnectionError,  # reset, broken pipe, refused
)
_LOST_WORDS = ("connection is closed", "connection was closed", "another operation is in progress",
               "cannot switch to state", "connection has been released")  # fmt: skip


def is_connection_loss(exc: BaseException | None) -> bool:
    """Whether `exc` (or an error it was raised from or while handling) means the connection is gone."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, _LOST_TYPES):
            return True
        if isinstance(exc, asyncpg.InterfaceError | asyncpg.InternalClientError):
            text = str(exc)
            if any(words in text for words in _LOST_WORDS):
                return True
        if isinstance(exc, BaseExceptionGroup):
            return any(is_connection_loss(inner) for inner in exc.exceptions)
        exc = exc.__cause__ or exc.__context__
    return False


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing beyond what asyncpg always does (roll back an open transaction,
    drop listeners). Its default (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) costs a round trip per
    transaction and has nothing to undo: pool connections are only used through `_transaction`, whose
    settings are all transaction-local (set_config(..., true), SET LOCAL), advisory locks transaction-scoped
    (pg_advisory_xact_lock), cursors without HOLD; no LISTEN, no temporary tables. `tenant` and `anonymous`
    set every scope setting in their own first statement, so not even a session-level leftover could widen
    what RLS shows."""


async def _register_codecs(conn: asyncpg.Connection) -> None:
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'vector')"):
        from pgvector.asyncpg import register_vector

        await register_vector(conn)
