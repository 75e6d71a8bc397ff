"""Fixtures for a real PostgreSQL 16 (embedded, pgvector) and 15 (system, no pgvector), Redis, and a daemon."""

from __future__ import annotations

import asyncio
import shutil
import signal
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from auralinkd.db import migrate
from tests import bare_services
from tests.support import (
    PG15_ADMIN_DSN,
    Daemon,
    EmbeddedServer,
    daemon_env,
    short_tempdir,
    unique_name,
    with_database,
)


def pytest_configure(config: pytest.Config) -> None:
    """A job started with `&` by a non-interactive shell runs with SIGINT ignored, and an ignored signal stays
    ignored in every child: the CLIs the tests start would then never see the Ctrl-C they send. Python's own
    handler here is reset to the default in each child at exec."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", autouse=True)
def bare_machine_services(request: pytest.FixtureRequest) -> Iterator[None]:
    """The PostgreSQL stand-in where no system one answers (tests/bare_services.py); a no-op otherwise."""
    bare_services.start_for([str(item.path) for item in request.session.items])
    yield
    bare_services.stop()


@pytest.fixture(scope="session")
def pg16_server() -> Iterator[EmbeddedServer]:
    root = short_tempdir("alpg")
    server = EmbeddedServer(root / "pg")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["pg16", "pg15"])
def server_dsn(request: pytest.FixtureRequest) -> str:
    """The admin DSN of each test server: embedded PG16 with pgvector, system PG15 without."""
    if request.param == "pg16":
        return request.getfixturevalue("pg16_server").dsn
    return PG15_ADMIN_DSN


async def _create_database(admin_dsn: str, template: str | None = None) -> tuple[str, str]:
    name = unique_name("auralink_test")
    conn = await asyncpg.connect(admin_dsn)
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await conn.close()
    return name, with_database(admin_dsn, name)


async def _drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class MigratedTemplates:
    """One fully migrated database per server, cloned (CREATE DATABASE … TEMPLATE) for each test.

    Cloning is a file copy: much faster than applying every migration per test. Tests about the
    migrations themselves use `empty_dsn` instead.
    """

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    async def name_for(self, admin_dsn: str) -> str:
        if admin_dsn not in self._names:
            self._names[admin_dsn] = await self._build(admin_dsn)
        return self._names[admin_dsn]

    @staticmethod
    async def _build(admin_dsn: str) -> str:
        name, dsn = await _create_database(admin_dsn)
        conn = await asyncpg.connect(dsn)
        try:
            await migrate.apply(conn, migrate.discover())
        finally:
            await conn.close()
        return name

    def drop_all(self) -> None:
        for admin_dsn, name in self._names.items():
            try:
                asyncio.run(_drop_database(admin_dsn, name))
            except OSError:
                pass  # the embedded server stopped first: its whole cluster is gone with it


@pytest.fixture(scope="session")
def migrated_templates() -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates()
    yield templates
    templates.drop_all()


@pytest.fixture
async def empty_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A new, empty database on each test server (no migrations applied), dropped afterwards."""
    name, dsn = await _create_database(server_dsn)
    yield dsn
    await _drop_database(server_dsn, name)


@pytest.fixture
async def fresh_dsn(server_dsn: str, migrated_templates: MigratedTemplates) -> AsyncIterator[str]:
    """A new database with every migration applied, on each test server, dropped afterwards."""
    name, dsn = await _create_database(server_dsn, await migrated_templates.name_for(server_dsn))
    yield dsn
    await _drop_database(server_dsn, name)


@pytest.fixture
async def pg16_fresh_dsn(pg16_server: EmbeddedServer, migrated_templates: MigratedTemplates) -> AsyncIterator[str]:
    name, dsn = await _create_database(pg16_server.dsn, await migrated_templates.name_for(pg16_server.dsn))
    yield dsn
    await _drop_database(pg16_server.dsn, name)


@pytest.fixture
async def pg16_empty_dsn(pg16_server: EmbeddedServer) -> AsyncIterator[str]:
    name, dsn = await _create_database(pg16_server.dsn)
    yield dsn
    await _drop_database(pg16_server.dsn, name)


@pytest.fixture
def daemon(pg16_fresh_dsn: str) -> Iterator[Daemon]:
    """A running auralinkd on a fresh database of the shared PG16 server."""
    root = short_tempdir()
    data_dir = root / "d"
    handle = Daemon(data_dir, daemon_env(data_dir, database_url=pg16_fresh_dsn))
    handle.start()
    yield handle
    handle.stop()
    shutil.rmtree(root, ignore_errors=True)
