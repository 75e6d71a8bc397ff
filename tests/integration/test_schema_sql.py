"""Schema migrations (migrations/001..007) against real PostgreSQL servers.

Self-contained: does not import auralinkd. Each migration file is applied the way the runner does
it (whole file, one transaction, simple query protocol) on two servers:

* ``pg16``: a fresh embedded PostgreSQL 16.2 with pgvector (the ``pgserver`` wheel),
* ``pg15``: the system PostgreSQL 15 at 127.0.0.1:5432 (no pgvector), in a fresh database that is
  dropped afterwards.

Then it checks the security model: RLS on every table, cross-org isolation, owner-only memories,
append-only audit_logs.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.support import PG15_ADMIN_DSN

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "migrations").glob("[0-9][0-9][0-9]_*.sql"))
EXPECTED_FILES = [
    "001_initial_schema.sql",
    "002_rooms_calls.sql",
    "003_aic.sql",
    "004_ai_core.sql",
    "005_mcp_workflows.sql",
    "006_auraid_mesh.sql",
    "007_enterprise.sql",
]
SYSTEM_PG = PG15_ADMIN_DSN  # the system PostgreSQL 15, or the bare machine's stand-in (tests/bare_services.py)

# Tables deliberately without RLS: deployment-wide reference data (the permission catalogue, 017's
# calibration tables), read-only for the app role.
RLS_EXCEPTIONS = {"rbac_permissions", "aic_calibration"}
# Owned by the migration runner, not by these files.
RUNNER_TABLES = {"schema_migrations"}

EXPECTED_TABLES = {
    # 001
    "organizations",
    "users",
    "sessions",
    "revoked_tokens",
    "api_keys",
    # 002
    "rooms",
    "calls",
    "call_participants",
    "contacts",
    "files",
    # 003
    "aic_configs",
    "aic_compression_sessions",
    "aic_compression_metrics",
    "aic_bandwidth_savings",
    "aic_fallback_logs",
    # 017
    "aic_calibration",
    # 004
    "ai_agents",
    "agent_conversations",
    "agent_room_assignments",
    "memories",
    "memory_vectors",
    "memory_relationships",
    "ai_providers",
    "provider_api_keys",
    "audio_files",
    # 005
    "mcp_connections",
    "mcp_tools",
    "mcp_contexts",
    "langgraph_workflows",
    "workflow_executions",
    "workflow_states",
    "crews",
    "crew_members",
    "crew_tasks",
    "autogen_agents",
    "autogen_conversations",
    "prefect_flows",
    "flow_runs",
    "flow_schedules",
    # 006
    "aura_id_registry",
    "cross_app_connections",
    "mesh_nodes",
    "mesh_routes",
    "route_performance",
    "node_reputation",
    "reputation_events",
    "federation_links",
    # 007
    "sso_configs",
    "sso_connections",
    "rbac_roles",
    "rbac_permissions",
    "rbac_role_assignments",
    "audit_logs",
    "subscriptions",
    "invoices",
    "usage_records",
    "compliance_requests",
    "retention_policies",
    # 016
    "workflow_definitions",
    "workflow_runs",
    "workflow_run_events",
    # 019
    "workflow_run_checkpoints",
    # 020
    "workflow_schedules",
}


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
def run(coro):
    return asyncio.run(coro)


def _with_db(uri: str, dbname: str) -> str:
    """Replace the database name in a postgresql:// URI (keeps host/query such as ?host=/tmp/x)."""
    return re.sub(r"^(postgresql://[^/]*/)([^?]*)", lambda m: m.group(1) + dbname, uri)


async def _apply_all(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        # what the runner will do: its own bookkeeping table, then each file in its own transaction
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for path in MIGRATIONS:
            sql = path.read_text()
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                    path.stem,
                    str(hash(sql)),
                )
    finally:
        await conn.close()


async def _create_db(admin_uri: str, name: str) -> None:
    conn = await asyncpg.connect(admin_uri)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_db(admin_uri: str, name: str) -> None:
    conn = await asyncpg.connect(admin_uri)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _system_pg_reachable() -> bool:
    try:
        conn = await asyncpg.connect(SYSTEM_PG, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


class Server:
    def __init__(self, name: str, admin_uri: str, dsn: str, dbname: str):
        self.name = name
        self.admin_uri = admin_uri
        self.dsn = dsn
        self.dbname = dbname


@pytest.fixture(
    scope="module",
    params=["pg16", pytest.param("pg15", marks=pytest.mark.pg15)],
)
def server(request, tmp_path_factory) -> Iterator[Server]:
    """A database on which 001..007 have been applied."""
    dbname = f"auralink_schema_{uuid.uuid4().hex[:12]}"
    if request.param == "pg16":
        admin_uri = request.getfixturevalue("pg16_server").dsn
    else:
        if not run(_system_pg_reachable()):
            pytest.fail(f"PostgreSQL without pgvector not reachable at {SYSTEM_PG} (tests/bare_services.py)")
        admin_uri = SYSTEM_PG
    run(_create_db(admin_uri, dbname))
    srv = Server(request.param, admin_uri, _with_db(admin_uri, dbname), dbname)
    try:
        run(_apply_all(srv.dsn))
        yield srv
    finally:
        run(_drop_db(admin_uri, dbname))


async def _fetch(dsn: str, sql: str, *args):
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def _scope(conn, org, user, admin: bool = False) -> None:
    """What the daemon's tenant scope does at the start of every tenant transaction."""
    await conn.execute("SET LOCAL ROLE auralink_app")
    await conn.execute(
        "SELECT set_config('app.current_org_id', $1, true), set_config('app.current_user_id', $2, true),"
        " set_config('app.org_admin', $3, true)",
        str(org),
        str(user),
        "on" if admin else "off",
    )


async def _seed_two_orgs(conn) -> dict:
    """As the superuser connection (bypasses RLS): orgs A and B, users a1, a2 (in A), b1 (in B)."""
    ids = {k: uuid.uuid4() for k in ("org_a", "org_b", "a1", "a2", "b1")}
    tag = uuid.uuid4().hex[:8]
    await conn.execute(
        "INSERT INTO organizations (id, name, slug) VALUES ($1, 'Org A', $3), ($2, 'Org B', $4)",
        ids["org_a"],
        ids["org_b"],
        f"org-a-{tag}",
        f"org-b-{tag}",
    )
    await conn.executemany(
        "INSERT INTO users (id, organization_id, email, username, role) VALUES ($1, $2, $3, $4, $5)",
        [
            (ids["a1"], ids["org_a"], f"a1-{tag}@example.com", f"a1_{tag}", "user"),
            (ids["a2"], ids["org_a"], f"a2-{tag}@example.com", f"a2_{tag}", "user"),
            (ids["b1"], ids["org_b"], f"b1-{tag}@example.com", f"b1_{tag}", "admin"),
        ],
    )
    return ids


# ------------------------------------------------------------------------------------------------
# static checks on the files
# ------------------------------------------------------------------------------------------------
def test_migration_files_present_and_runner_safe():
    assert [p.name for p in MIGRATIONS][: len(EXPECTED_FILES)] == EXPECTED_FILES  # later files only add
    for path in MIGRATIONS:
        sql = path.read_text()
        code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
        assert not re.search(r"^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION)\s*;", code, re.I | re.M), path.name
        assert "CONCURRENTLY" not in code.upper(), path.name


# ------------------------------------------------------------------------------------------------
# schema shape
# ------------------------------------------------------------------------------------------------
def test_all_tables_created(server):
    rows = run(_fetch(server.dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    names = {r["tablename"] for r in rows}
    missing = EXPECTED_TABLES - names
    assert not missing, f"missing tables: {sorted(missing)}"


def test_embedding_column_type_matches_pgvector_availability(server):
    rows = run(
        _fetch(
            server.dsn,
            """
        SELECT format_type(a.atttypid, a.atttypmod) AS type,
               EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS has_vector
        FROM pg_attribute a
        WHERE a.attrelid = 'public.memory_vectors'::regclass AND a.attname = 'embedding'
    """,
        )
    )
    assert len(rows) == 1
    if server.name == "pg16":
        assert rows[0]["has_vector"], "pgvector must be installed on the embedded PG16"
        assert rows[0]["type"] == "vector"
    else:
        assert not rows[0]["has_vector"]
        assert rows[0]["type"] == "real[]"
    # no other embedding columns with a fixed dimension
    rows = run(
        _fetch(
            server.dsn,
            """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
          AND format_type(a.atttypid, a.atttypmod) LIKE 'vector(%'
    """,
        )
    )
    assert rows == []


def test_embedding_dims_must_match(server):
    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            ids = await _seed_two_orgs(conn)
            mid = await conn.fetchval(
                "INSERT INTO memories (organization_id, user_id, content) VALUES ($1, $2, 'x') RETURNING id",
                ids["org_a"],
                ids["a1"],
            )
            vec = "[1,2,3]" if server.name == "pg16" else "{1,2,3}"
            cast = "vector" if server.name == "pg16" else "real[]"
            await conn.execute(
                f"INSERT INTO memory_vectors (memory_id, organization_id, user_id, model, dims, embedding)"
                f" VALUES ($1, $2, $3, 'm3', 3, $4::text::{cast})",
                mid,
                ids["org_a"],
                ids["a1"],
                vec,
            )
            with pytest.raises(asyncpg.CheckViolationError) as refused:
                await conn.execute(
                    f"INSERT INTO memory_vectors (memory_id, organization_id, user_id, model, dims, embedding)"
                    f" VALUES ($1, $2, $3, 'm4', 4, $4::text::{cast})",
                    mid,
                    ids["org_a"],
                    ids["a1"],
                    vec,
                )
            assert refused.value.constraint_name == "memory_vectors_dims_match"
            # denormalised owner must match the memory's owner
            with pytest.raises(asyncpg.ForeignKeyViolationError) as refused_fk:
                await conn.execute(
                    f"INSERT INTO memory_vectors (memory_id, organization_id, user_id, model, dims, embedding)"
                    f" VALUES ($1, $2, $3, 'm5', 3, $4::text::{cast})",
                    mid,
                    ids["org_a"],
                    ids["a2"],
                    vec,
                )
            assert refused_fk.value.constraint_name == "memory_vectors_memory_id_organization_id_user_id_fkey"
        finally:
            await conn.close()

    run(go())


def test_memories_search_indexes(server):
    rows = run(_fetch(server.dsn, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'memories'"))
    defs = {r["indexname"]: r["indexdef"] for r in rows}
    assert any("content_tsv" in d and "gin" in d for d in defs.values())
    assert any("(tags)" in d and "gin" in d for d in defs.values())
    assert any("jsonb_path_ops" in d for d in defs.values())
    has_trgm = run(_fetch(server.dsn, "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    if has_trgm:
        assert any("gin_trgm_ops" in d for d in defs.values())
    # vector indexes are added by a later migration, per model
    assert not any("hnsw" in d or "ivfflat" in d for d in defs.values())


def test_foreign_keys_are_indexed(server):
    rows = run(
        _fetch(
            server.dsn,
            """
        SELECT c.conrelid::regclass::text AS tbl, c.conname
        FROM pg_constraint c
        JOIN pg_namespace n ON n.oid = (SELECT relnamespace FROM pg_class WHERE oid = c.conrelid)
        WHERE c.contype = 'f' AND n.nspname = 'public'
          AND NOT EXISTS (
              SELECT 1 FROM pg_index i
              WHERE i.indrelid = c.conrelid
                AND (i.indkey::int2[])[0] = c.conkey[1])
    """,
        )
    )
    assert rows == [], f"unindexed foreign keys: {[(r['tbl'], r['conname']) for r in rows]}"


# ------------------------------------------------------------------------------------------------
# security model
# ------------------------------------------------------------------------------------------------
RLS_AUDIT_SQL = """
    SELECT c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND c.relname <> ALL ($1::text[])
      AND NOT (c.relrowsecurity
               AND EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = c.relname))
"""


def test_every_table_has_rls_and_a_policy(server):
    exempt = sorted(RLS_EXCEPTIONS | RUNNER_TABLES)
    offenders = [r["relname"] for r in run(_fetch(server.dsn, RLS_AUDIT_SQL, exempt))]
    assert not offenders, f"tables without RLS or without a policy: {sorted(offenders)}"
    # the documented exceptions are read-only for the app role
    for t in RLS_EXCEPTIONS:
        priv = run(
            _fetch(
                server.dsn,
                """
            SELECT has_table_privilege('auralink_app', $1, 'SELECT') AS s,
                   has_table_privilege('auralink_app', $1, 'INSERT') OR
                   has_table_privilege('auralink_app', $1, 'UPDATE') OR
                   has_table_privilege('auralink_app', $1, 'DELETE') AS w
        """,
                f"public.{t}",
            )
        )[0]
        assert priv["s"] and not priv["w"], t


def test_rls_audit_catches_a_table_without_rls(server):
    """The check above must fail for a future table created without RLS or without a policy."""

    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            tr = conn.transaction()
            await tr.start()
            try:
                await conn.execute("CREATE TABLE zz_forgot_rls (id int)")
                await conn.execute("CREATE TABLE zz_rls_no_policy (id int)")
                await conn.execute("ALTER TABLE zz_rls_no_policy ENABLE ROW LEVEL SECURITY")
                rows = await conn.fetch(RLS_AUDIT_SQL, sorted(RLS_EXCEPTIONS | RUNNER_TABLES))
                assert {r["relname"] for r in rows} == {"zz_forgot_rls", "zz_rls_no_policy"}
            finally:
                await tr.rollback()
        finally:
            await conn.close()

    run(go())


def test_app_role_privileges(server):
    role = run(
        _fetch(server.dsn, "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'auralink_app'")
    )
    assert role and not role[0]["rolsuper"] and not role[0]["rolbypassrls"] and not role[0]["rolcanlogin"]
    rows = run(
        _fetch(
            server.dsn,
            """
        SELECT c.relname,
               has_table_privilege('auralink_app', c.oid, 'SELECT') AS s,
               has_table_privilege('auralink_app', c.oid, 'INSERT') AS i,
               has_table_privilege('auralink_app', c.oid, 'UPDATE') AS u,
               has_table_privilege('auralink_app', c.oid, 'DELETE') AS d
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    """,
        )
    )
    by = {r["relname"]: r for r in rows}
    assert not any(by["schema_migrations"][k] for k in "siud"), "schema_migrations must not be granted"
    assert by["audit_logs"]["s"] and by["audit_logs"]["i"]
    assert not by["audit_logs"]["u"] and not by["audit_logs"]["d"]
    if "audit_heads" in by:  # 014: the anchored chain heads are moved, never deleted, by the daemon
        assert all(by["audit_heads"][k] for k in "siu") and not by["audit_heads"]["d"]
    if "storage_usage" in by:  # 015: the daemon adds an org's row and moves its counters; never a quota, never a delete
        assert by["storage_usage"]["s"] and not by["storage_usage"]["d"]
        assert not by["storage_usage"]["i"] and not by["storage_usage"]["u"]  # column grants only (no quota_bytes)
    for name, r in by.items():
        if name in RLS_EXCEPTIONS | RUNNER_TABLES | {"audit_logs", "audit_heads", "storage_usage"}:
            continue
        assert all(r[k] for k in "siud"), f"auralink_app lacks DML on {name}"


def test_users_cross_org_isolation(server):
    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            ids = await _seed_two_orgs(conn)
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"])
                assert await conn.fetchval("SELECT current_user") == "auralink_app"
                rows = await conn.fetch("SELECT id, organization_id FROM users")
                assert {r["organization_id"] for r in rows} == {ids["org_a"]}
                assert {r["id"] for r in rows} == {ids["a1"], ids["a2"]}
                rows = await conn.fetch("SELECT id FROM users WHERE organization_id = $1", ids["org_b"])
                assert rows == []
                rows = await conn.fetch("SELECT id FROM organizations")
                assert [r["id"] for r in rows] == [ids["org_a"]]
                # UPDATE of another org's user touches nothing
                status = await conn.execute("UPDATE users SET display_name = 'pwned' WHERE id = $1", ids["b1"])
                assert status == "UPDATE 0"
                status = await conn.execute("DELETE FROM users WHERE id = $1", ids["b1"])
                assert status == "DELETE 0"
                # a non-admin may update their own row, not a colleague's
                assert await conn.execute("UPDATE users SET display_name = 'me' WHERE id = $1", ids["a1"]) == "UPDATE 1"
                assert (
                    await conn.execute("UPDATE users SET display_name = 'you' WHERE id = $1", ids["a2"]) == "UPDATE 0"
                )
            # ... but not their role
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"])
                    await conn.execute("UPDATE users SET role = 'admin' WHERE id = $1", ids["a1"])
            # moving one's own row to another org is rejected
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"])
                    await conn.execute("UPDATE users SET organization_id = $2 WHERE id = $1", ids["a1"], ids["org_b"])
            # INSERT into another org raises, even for an org admin
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                    await conn.execute(
                        "INSERT INTO users (organization_id, email, username) VALUES ($1, $2, 'intruder')",
                        ids["org_b"],
                        f"x-{uuid.uuid4().hex[:6]}@example.com",
                    )
            # ... and INSERT into the own org needs admin
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"])
                    await conn.execute(
                        "INSERT INTO users (organization_id, email, username) VALUES ($1, $2, 'newbie')",
                        ids["org_a"],
                        f"y-{uuid.uuid4().hex[:6]}@example.com",
                    )
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                await conn.execute(
                    "INSERT INTO users (organization_id, email, username) VALUES ($1, $2, 'newbie')",
                    ids["org_a"],
                    f"y-{uuid.uuid4().hex[:6]}@example.com",
                )
            # without any scope the app role sees nothing at all
            async with conn.transaction():
                await conn.execute("SET LOCAL ROLE auralink_app")
                assert await conn.fetchval("SELECT count(*) FROM users") == 0
            # the superuser connection still sees the other org untouched
            assert await conn.fetchval("SELECT display_name FROM users WHERE id = $1", ids["b1"]) is None
        finally:
            await conn.close()

    run(go())


def test_org_scoped_table_cross_org(server):
    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            ids = await _seed_two_orgs(conn)
            room_b = await conn.fetchval(
                "INSERT INTO rooms (organization_id, name) VALUES ($1, 'b-room') RETURNING id", ids["org_b"]
            )
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"])
                await conn.execute("INSERT INTO rooms (organization_id, name) VALUES ($1, 'a-room')", ids["org_a"])
                assert [r["name"] for r in await conn.fetch("SELECT name FROM rooms")] == ["a-room"]
                assert await conn.execute("UPDATE rooms SET name = 'x' WHERE id = $1", room_b) == "UPDATE 0"
                assert await conn.execute("DELETE FROM rooms WHERE id = $1", room_b) == "DELETE 0"
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"])
                    await conn.execute("INSERT INTO rooms (organization_id, name) VALUES ($1, 'evil')", ids["org_b"])
        finally:
            await conn.close()

    run(go())


def test_memories_owner_only_unless_org_admin(server):
    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            ids = await _seed_two_orgs(conn)
            m_a2 = await conn.fetchval(
                "INSERT INTO memories (organization_id, user_id, content, tags) VALUES ($1, $2, 'a2 secret', '{x}')"
                " RETURNING id",
                ids["org_a"],
                ids["a2"],
            )
            m_b1 = await conn.fetchval(
                "INSERT INTO memories (organization_id, user_id, content) VALUES ($1, $2, 'b1 secret') RETURNING id",
                ids["org_b"],
                ids["b1"],
            )
            # a1: sees only own memories
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"])
                await conn.execute(
                    "INSERT INTO memories (organization_id, user_id, content) VALUES ($1, $2, 'a1 note')",
                    ids["org_a"],
                    ids["a1"],
                )
                rows = await conn.fetch("SELECT user_id, content FROM memories")
                assert [r["content"] for r in rows] == ["a1 note"]
                assert await conn.fetch("SELECT 1 FROM memories WHERE id = $1", m_a2) == []
                assert (
                    await conn.fetch("SELECT 1 FROM memories WHERE content_tsv @@ to_tsquery('simple', 'secret')") == []
                )
                assert await conn.execute("UPDATE memories SET content = 'x' WHERE id = $1", m_a2) == "UPDATE 0"
                assert await conn.execute("DELETE FROM memories WHERE id = $1", m_a2) == "DELETE 0"
            # a1 cannot write a memory owned by a2
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"])
                    await conn.execute(
                        "INSERT INTO memories (organization_id, user_id, content) VALUES ($1, $2, 'forged')",
                        ids["org_a"],
                        ids["a2"],
                    )
            # org admin of A sees both users' memories of A, never B's
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                rows = await conn.fetch("SELECT id, content FROM memories ORDER BY content")
                assert [r["content"] for r in rows] == ["a1 note", "a2 secret"]
                assert await conn.fetch("SELECT 1 FROM memories WHERE id = $1", m_b1) == []
                assert (
                    await conn.execute("UPDATE memories SET importance_score = 0.9 WHERE id = $1", m_a2) == "UPDATE 1"
                )
                assert (
                    await conn.execute("UPDATE memories SET importance_score = 0.9 WHERE id = $1", m_b1) == "UPDATE 0"
                )
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                    await conn.execute(
                        "INSERT INTO memories (organization_id, user_id, content) VALUES ($1, $2, 'cross')",
                        ids["org_b"],
                        ids["b1"],
                    )
        finally:
            await conn.close()

    run(go())


def test_provider_api_keys_org_level_rows(server):
    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            ids = await _seed_two_orgs(conn)
            ins = (
                "INSERT INTO provider_api_keys (organization_id, user_id, provider, label, encrypted_key,"
                " wrapped_data_key, nonce, key_fingerprint, kek_id)"
                " VALUES ($1, $2, 'openai', $3, '\\x01', '\\x02', '\\x000102030405060708090a0b', 'fp', 'kek1')"
            )
            await conn.execute(ins, ids["org_a"], None, "org")
            await conn.execute(ins, ids["org_a"], ids["a2"], "a2")
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"])
                labels = [r["label"] for r in await conn.fetch("SELECT label FROM provider_api_keys")]
                assert labels == ["org"]  # the org key, not a2's personal key
                assert await conn.execute("UPDATE provider_api_keys SET kek_id = 'x' WHERE label = 'org'") == "UPDATE 0"
                await conn.execute(ins, ids["org_a"], ids["a1"], "mine")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"])
                    await conn.execute(ins, ids["org_a"], None, "org2")
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                await conn.execute(ins, ids["org_a"], None, "org2")
                assert (
                    await conn.execute("UPDATE provider_api_keys SET kek_id = 'k2' WHERE label = 'org'") == "UPDATE 1"
                )
        finally:
            await conn.close()

    run(go())


def test_rbac_system_roles_visible_but_read_only(server):
    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            ids = await _seed_two_orgs(conn)
            sys_name = f"sys-{uuid.uuid4().hex[:6]}"
            sys_role = await conn.fetchval(
                "INSERT INTO rbac_roles (organization_id, name, is_system_role) VALUES (NULL, $1, true) RETURNING id",
                sys_name,
            )
            b_role = await conn.fetchval(
                "INSERT INTO rbac_roles (organization_id, name) VALUES ($1, 'b-custom') RETURNING id", ids["org_b"]
            )
            with pytest.raises(asyncpg.UniqueViolationError) as duplicate:
                await conn.execute(
                    "INSERT INTO rbac_roles (organization_id, name, is_system_role) VALUES (NULL, $1, true)", sys_name
                )
            assert duplicate.value.constraint_name == "rbac_roles_organization_id_name_key"
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                names = {r["name"] for r in await conn.fetch("SELECT name FROM rbac_roles")}
                assert sys_name in names and "b-custom" not in names
                assert (
                    await conn.execute("UPDATE rbac_roles SET description = 'x' WHERE id = $1", sys_role) == "UPDATE 0"
                )
                assert await conn.execute("DELETE FROM rbac_roles WHERE id = $1", sys_role) == "DELETE 0"
                await conn.execute(
                    "INSERT INTO rbac_roles (organization_id, name) VALUES ($1, 'a-custom')", ids["org_a"]
                )
                await conn.execute(
                    "INSERT INTO rbac_role_assignments (organization_id, user_id, role_id) VALUES ($1, $2, $3)",
                    ids["org_a"],
                    ids["a2"],
                    sys_role,
                )
                await conn.fetch("SELECT name FROM rbac_permissions")  # readable reference data
            # a role of org B cannot be assigned in org A (even though the FK would allow it: the trigger refuses)
            with pytest.raises(asyncpg.ForeignKeyViolationError, match="does not belong to organization"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                    await conn.execute(
                        "INSERT INTO rbac_role_assignments (organization_id, user_id, role_id) VALUES ($1, $2, $3)",
                        ids["org_a"],
                        ids["a1"],
                        b_role,
                    )
            # nor can a user of org B be given a role in org A
            with pytest.raises(asyncpg.ForeignKeyViolationError) as foreign_user:
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                    await conn.execute(
                        "INSERT INTO rbac_role_assignments (organization_id, user_id, role_id) VALUES ($1, $2, $3)",
                        ids["org_a"],
                        ids["b1"],
                        sys_role,
                    )
            assert foreign_user.value.constraint_name == "rbac_role_assignments_user_id_organization_id_fkey"
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                    await conn.execute("INSERT INTO rbac_permissions (name, resource, action) VALUES ('x:y', 'x', 'y')")
        finally:
            await conn.close()

    run(go())


def test_audit_logs_append_only(server):
    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            ids = await _seed_two_orgs(conn)
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"])
                head = await conn.fetch("SELECT * FROM audit_chain_head()")
                assert head == []
                await conn.execute(
                    "INSERT INTO audit_logs (organization_id, actor_user_id, action, resource_type, resource_id,"
                    " request_id, prev_hash, hash) VALUES ($1, $2, 'memories:write', 'memory', 'm1', 'r1', NULL,"
                    " '\\xaa')",
                    ids["org_a"],
                    ids["a1"],
                )
                # a non-admin cannot read the trail ...
                assert await conn.fetchval("SELECT count(*) FROM audit_logs") == 0
                # ... but can get the chain head to link the next row
                head = await conn.fetch("SELECT * FROM audit_chain_head()")
                assert len(head) == 1 and head[0]["hash"] == b"\xaa"
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await _scope(conn, ids["org_a"], ids["a1"])
                    await conn.execute(
                        "INSERT INTO audit_logs (organization_id, action) VALUES ($1, 'x')", ids["org_b"]
                    )
            async with conn.transaction():
                await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                assert await conn.fetchval("SELECT count(*) FROM audit_logs") == 1
            async with conn.transaction():
                await _scope(conn, ids["org_b"], ids["b1"], admin=True)
                assert await conn.fetchval("SELECT count(*) FROM audit_logs") == 0
            # UPDATE / DELETE / TRUNCATE are rejected for the app role, admin or not
            for stmt in ("UPDATE audit_logs SET action = 'tampered'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    async with conn.transaction():
                        await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                        await conn.execute(stmt)
            # even if someone granted UPDATE/DELETE by mistake, no policy lets the app role touch a row
            async with conn.transaction():
                await conn.execute("GRANT UPDATE, DELETE ON audit_logs TO auralink_app")
                await _scope(conn, ids["org_a"], ids["a1"], admin=True)
                assert await conn.execute("UPDATE audit_logs SET action = 'tampered'") == "UPDATE 0"
                assert await conn.execute("DELETE FROM audit_logs") == "DELETE 0"
            await conn.execute("REVOKE UPDATE, DELETE ON audit_logs FROM auralink_app")
            # and the trigger rejects any non-owner, non-superuser role, even one that bypasses RLS
            # (the role is created inside the transaction, so it disappears with the rollback)
            for stmt in ("UPDATE audit_logs SET action = 'tampered'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                    async with conn.transaction():
                        rname = f"auditor_{uuid.uuid4().hex[:8]}"
                        await conn.execute(f"CREATE ROLE {rname} NOLOGIN BYPASSRLS")
                        await conn.execute(f"GRANT SELECT, UPDATE, DELETE, TRUNCATE ON audit_logs TO {rname}")
                        await conn.execute(f"SET LOCAL ROLE {rname}")
                        await conn.execute(stmt)
            assert (
                await conn.fetchval("SELECT action FROM audit_logs WHERE organization_id = $1", ids["org_a"])
                == "memories:write"
            )
            # deleting an organization still cascades (the RI action runs as the table owner)
            await conn.execute("DELETE FROM organizations WHERE id = $1", ids["org_a"])
            assert await conn.fetchval("SELECT count(*) FROM audit_logs WHERE organization_id = $1", ids["org_a"]) == 0
        finally:
            await conn.close()

    run(go())


def test_preauth_lookups(server):
    async def go():
        conn = await asyncpg.connect(server.dsn)
        try:
            ids = await _seed_two_orgs(conn)
            prefix = f"ak_{uuid.uuid4().hex[:8]}"
            await conn.execute(
                "INSERT INTO api_keys (organization_id, user_id, name, prefix, key_hash) VALUES ($1, $2, 'k', $3, 'h')",
                ids["org_a"],
                ids["a1"],
                prefix,
            )
            async with conn.transaction():
                await conn.execute("SET LOCAL ROLE auralink_app")  # no tenant scope yet
                assert await conn.fetchval("SELECT count(*) FROM api_keys") == 0
                row = await conn.fetchrow("SELECT * FROM auth_find_api_key($1)", prefix)
                assert row["user_id"] == ids["a1"] and row["organization_id"] == ids["org_a"]
                email = await conn.fetchval("SELECT email FROM users LIMIT 1")
                assert email is None
        finally:
            await conn.close()

    run(go())


def test_migrations_apply_again_in_another_database(server):
    """Roles are cluster-wide: a second database on the same cluster must migrate cleanly too."""
    name = f"auralink_schema_{uuid.uuid4().hex[:12]}"
    run(_create_db(server.admin_uri, name))
    try:
        run(_apply_all(_with_db(server.admin_uri, name)))
    finally:
        run(_drop_db(server.admin_uri, name))
