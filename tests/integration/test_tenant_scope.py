"""The daemon's tenant transactions run as a non-superuser, so row-level security really applies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from auralinkd.db import migrate
from auralinkd.db.database import Database, Tenant
from auralinkd.errors import Unavailable


@pytest.fixture
async def database(fresh_dsn: str) -> AsyncIterator[Database]:
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    yield db
    await db.close()


async def _org_with_users(conn: asyncpg.Connection, slug: str, *names: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id", slug)
    users = [
        await conn.fetchval(
            "INSERT INTO users (organization_id, email, username) VALUES ($1, $2, $3) RETURNING id",
            org,
            f"{name}@{slug}.example",
            name,
        )
        for name in names
    ]
    return org, users


async def _memory(conn: asyncpg.Connection, org: uuid.UUID, user: uuid.UUID, content: str) -> uuid.UUID:
    return await conn.fetchval(
        "INSERT INTO memories (organization_id, user_id, content) VALUES ($1, $2, $3) RETURNING id", org, user, content
    )


async def test_tenant_queries_run_as_the_app_role_not_a_superuser(database: Database) -> None:
    async with database.system() as conn:
        org, (alice,) = await _org_with_users(conn, "org-a", "alice")
    async with database.tenant(Tenant(alice, org)) as conn:
        row = await conn.fetchrow(
            "SELECT current_user AS who, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
    assert row["who"] == "auralink_app"
    assert row["rolsuper"] is False and row["rolbypassrls"] is False


async def test_user_a_cannot_read_user_b_rows_even_with_a_crafted_where(database: Database) -> None:
    async with database.system() as conn:
        org, (alice, bob) = await _org_with_users(conn, "org-a", "alice", "bob")
        other_org, (carol,) = await _org_with_users(conn, "org-b", "carol")
        await _memory(conn, org, alice, "alice's secret")
        bobs = await _memory(conn, org, bob, "bob's secret")
        await _memory(conn, other_org, carol, "carol's secret")

    async with database.tenant(Tenant(alice, org)) as conn:
        visible = [r["content"] for r in await conn.fetch("SELECT content FROM memories")]
        crafted = await conn.fetch("SELECT content FROM memories WHERE user_id = $1 OR true", bob)
        by_id = await conn.fetchval("SELECT count(*) FROM memories WHERE id = $1", bobs)
        updated = await conn.execute("UPDATE memories SET content = 'pwned' WHERE id = $1", bobs)
        deleted = await conn.execute("DELETE FROM memories WHERE user_id = $1", bob)
    assert visible == ["alice's secret"]
    assert [r["content"] for r in crafted] == ["alice's secret"]
    assert by_id == 0 and updated == "UPDATE 0" and deleted == "DELETE 0"

    async with database.system() as conn:
        assert await conn.fetchval("SELECT content FROM memories WHERE id = $1", bobs) == "bob's secret"

    # An org admin sees the whole org, and still nothing of another org.
    async with database.tenant(Tenant(alice, org, org_admin=True)) as conn:
        contents = sorted(r["content"] for r in await conn.fetch("SELECT content FROM memories"))
    assert contents == ["alice's secret", "bob's secret"]


async def test_a_tenant_cannot_write_rows_into_another_org(database: Database) -> None:
    async with database.system() as conn:
        org, (alice,) = await _org_with_users(conn, "org-a", "alice")
        other_org, (carol,) = await _org_with_users(conn, "org-b", "carol")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with database.tenant(Tenant(alice, org)) as conn:
            await _memory(conn, other_org, carol, "planted")
    async with database.system() as conn:
        assert await conn.fetchval("SELECT count(*) FROM memories") == 0


async def test_tenant_settings_do_not_leak_to_the_next_transaction(database: Database) -> None:
    async with database.system() as conn:
        org, (alice,) = await _org_with_users(conn, "org-a", "alice")
    async with database.tenant(Tenant(alice, org)) as conn:
        assert await conn.fetchval("SELECT current_setting('app.current_user_id')") == str(alice)
    # Pooled connections are shared: after the transaction nothing of the tenant remains.
    for _ in range(4):
        async with database.pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_setting('app.current_user_id', true)") in (None, "")
            assert await conn.fetchval("SELECT current_user") != "auralink_app"


async def test_a_session_level_scope_cannot_leak_to_the_next_caller_of_a_pooled_connection(fresh_dsn: str) -> None:
    # The pool does not reset connections on release (a round trip per transaction for nothing to undo);
    # even a scope set for the whole session by mistake must not show its rows to the next caller.
    db = Database(embedded=False, min_size=1, max_size=1, statement_timeout_s=10)  # one connection: reused
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    try:
        async with db.system() as conn:
            org, (alice, bob) = await _org_with_users(conn, "org-a", "alice", "bob")
            await _memory(conn, org, alice, "alice's secret")
        async with db.tenant(Tenant(alice, org, org_admin=True)) as conn:
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            await conn.execute(
                "SELECT set_config('app.current_user_id', $1, false), set_config('app.current_org_id', $2, false),"
                " set_config('app.org_admin', 'on', false)",
                str(alice),
                str(org),
            )
        async with db.anonymous() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") == pid
            assert await conn.fetchval("SELECT count(*) FROM memories") == 0
            assert await conn.fetchval("SELECT app_current_user_id()") is None
        async with db.tenant(Tenant(bob, org)) as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") == pid
            assert await conn.fetchval("SELECT count(*) FROM memories") == 0
            assert await conn.fetchval("SELECT app_is_org_admin()") is False
    finally:
        await db.close()


async def test_the_deadline_bounds_statements(database: Database) -> None:
    async with database.system() as conn:
        org, (alice,) = await _org_with_users(conn, "org-a", "alice")
    with pytest.raises(asyncpg.QueryCanceledError):
        async with database.tenant(Tenant(alice, org), timeout_s=0.2) as conn:
            await conn.execute("SELECT pg_sleep(2)")


async def test_a_database_that_is_not_connected_is_unavailable_not_none() -> None:
    db = Database(embedded=False, min_size=1, max_size=1, statement_timeout_s=1)
    with pytest.raises(Unavailable):
        async with db.tenant(Tenant(uuid.uuid4(), uuid.uuid4())):
            pass
    assert await db.probe() is False
