"""Fixtures for a real PostgreSQL 16 (embedded, pgvector) and 15 (system, no pgvector), Redis, and a daemon."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from tests.support import (
    PG15_ADMIN_DSN,
    Daemon,
    EmbeddedServer,
    daemon_env,
    short_tempdir,
    unique_name,
    with_database,
)


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


async def _create_database(admin_dsn: str) -> tuple[str, str]:
    name = unique_name("auralink_test")
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, with_database(admin_dsn, name)


async def _drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def fresh_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A new, empty database on each test server, dropped afterwards."""
    name, dsn = await _create_database(server_dsn)
    yield dsn
    await _drop_database(server_dsn, name)


@pytest.fixture
async def pg16_fresh_dsn(pg16_server: EmbeddedServer) -> AsyncIterator[str]:
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
