"""Migrations on both servers: they apply, re-running is a no-op, and a changed file is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import pytest

from auralinkd.db import migrate


async def test_migrations_apply_once_and_rerunning_changes_nothing(empty_dsn: str) -> None:
    migrations = migrate.discover()
    conn = await asyncpg.connect(empty_dsn)
    try:
        first = await migrate.apply(conn, migrations)
        assert [m.version for m in first] == [m.version for m in migrations]
        tables_after_first = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")

        second = await migrate.apply(conn, migrations)
        assert second == []
        state = await migrate.status(conn, migrations)
        assert state.level == len(migrations) and state.pending == []
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == tables_after_first
        recorded = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        assert [(r["version"], r["checksum"]) for r in recorded] == [(m.version, m.checksum) for m in migrations]
    finally:
        await conn.close()


async def test_schema_has_the_spec_tables(empty_dsn: str) -> None:
    conn = await asyncpg.connect(empty_dsn)
    try:
        await migrate.apply(conn, migrate.discover())
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    finally:
        await conn.close()
    expected = {
        "users", "organizations", "sessions", "api_keys", "rooms", "calls", "call_participants", "contacts",
        "files", "aic_configs", "aic_compression_sessions", "aic_compression_metrics", "aic_bandwidth_savings",
        "aic_fallback_logs", "ai_agents", "agent_conversations", "memories", "memory_vectors", "ai_providers",
        "provider_api_keys", "audio_files", "mcp_connections", "mcp_tools", "langgraph_workflows",
        "workflow_executions", "crews", "autogen_conversations", "prefect_flows", "aura_id_registry",
        "cross_app_connections", "mesh_nodes", "mesh_routes", "route_performance", "node_reputation",
        "federation_links", "sso_configs", "sso_connections", "rbac_roles", "rbac_permissions",
        "rbac_role_assignments", "audit_logs", "subscriptions", "invoices", "usage_records",
        "compliance_requests", "retention_policies",
    }  # fmt: skip
    assert expected <= tables, f"missing: {sorted(expected - tables)}"


async def test_vector_column_uses_pgvector_when_present_and_real_array_otherwise(empty_dsn: str) -> None:
    conn = await asyncpg.connect(empty_dsn)
    try:
        await migrate.apply(conn, migrate.discover())
        available = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name='vector')")
        column_type = await conn.fetchval(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'memory_vectors'::regclass AND attname = 'embedding'"
        )
    finally:
        await conn.close()
    assert column_type == ("vector" if available else "real[]")


async def test_a_changed_migration_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    conn = await asyncpg.connect(empty_dsn)
    try:
        await migrate.apply(conn, migrate.discover(directory))
        first = directory / "001_initial_schema.sql"
        first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
        with pytest.raises(migrate.MigrationError, match="001_initial_schema.sql changed after it was applied"):
            await migrate.apply(conn, migrate.discover(directory))
    finally:
        await conn.close()


async def test_an_applied_migration_missing_on_disk_is_refused(empty_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    conn = await asyncpg.connect(empty_dsn)
    try:
        await migrate.apply(conn, migrate.discover(directory))
        last = sorted(directory.glob("*.sql"))[-1]
        last.unlink()
        with pytest.raises(migrate.MigrationError, match="does not know"):
            await migrate.status(conn, migrate.discover(directory))
    finally:
        await conn.close()


async def test_a_failing_migration_rolls_back_and_names_the_file(empty_dsn: str, tmp_path: Path) -> None:
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    broken = directory / f"{len(list(directory.glob('*.sql'))) + 1:03d}_broken.sql"
    broken.write_text("CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n")
    conn = await asyncpg.connect(empty_dsn)
    try:
        with pytest.raises(migrate.MigrationError, match="_broken.sql failed and was rolled back"):
            await migrate.apply(conn, migrate.discover(directory))
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
        state = await migrate.status(conn, migrate.discover(directory))
        assert [m.file_name for m in state.pending] == [broken.name]
    finally:
        await conn.close()


def test_migration_files_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "001_a.sql").write_text("SELECT 1;")
    (tmp_path / "003_c.sql").write_text("SELECT 1;")
    with pytest.raises(migrate.MigrationError, match="without gaps"):
        migrate.discover(tmp_path)
