"""RLS sweep: for EVERY table with row-level security, a principal of org A can neither read nor modify org B's row.

Issue 3, item 4. On both test servers (embedded PG16 with pgvector, system PG15 without), a fresh database
gets all migrations and, as the superuser, one row per RLS table for org A and for org B (tests/integration/
rls_seed.py). Then, for each table, inside one transaction that is rolled back, acting exactly like the
daemon's tenant scope (`SET LOCAL ROLE auralink_app` plus the transaction-local app.* settings) as org A's
admin and as a plain member of org A:

* org A's admin sees org A's own row (the policy does not just hide everything);
* org B's row is invisible: by key, by organization, and no row of any other org is visible at all;
* UPDATE and DELETE of org B's row affect nothing (or are refused outright: audit_logs grants neither),
  both aimed at its key and over the whole table without reading a column (PostgreSQL then applies the
  UPDATE / DELETE policies alone, without the SELECT ones, so only this shows a too-broad write policy);
* inserting a copy of org B's row (organization_id = org B) is refused with insufficient_privilege;
* read back as the superuser, org B's row is byte-for-byte what it was.

The parametrization comes from the migration files (every `CREATE TABLE`), and separate tests check that
this list equals the live set of RLS tables and that every table without RLS is a documented exception,
so a new table cannot slip past the sweep: without RLS, without a policy, or without a seed row, it fails.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from auralinkd.db import migrate
from tests.integration import rls_seed
from tests.support import PG15_ADMIN_DSN, unique_name, with_database

ROOT = Path(__file__).resolve().parents[2]
APP_ROLE = "auralink_app"

# Tables in schema public WITHOUT row-level security, by design (documented in 007_enterprise.sql and
# 017_aic_calibration.sql).
NO_RLS = {
    "rbac_permissions": "global permission catalogue; auralink_app may only SELECT it",
    "aic_calibration": "the deployment's compression calibration tables; auralink_app may only SELECT it",
    "schema_migrations": "the migration runner's bookkeeping; auralink_app has no grant",
}


def _migration_tables() -> list[str]:
    """Every table a migration file creates (comments stripped, so prose never counts)."""
    names: set[str] = set()
    for path in sorted((ROOT / "migrations").glob("*.sql")):
        sql = re.sub(r"--[^\n]*", "", path.read_text())
        names.update(
            m.lower()
            for m in re.findall(r'\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:public\.)?"?(\w+)"?', sql, re.I)
        )
    return sorted(names)


MIGRATION_TABLES = _migration_tables()
SWEPT_TABLES = [t for t in MIGRATION_TABLES if t not in NO_RLS]

# What the daemon does at the start of every tenant transaction (auralinkd/db/database.py: _ENTER_TENANT).
_ENTER_TENANT = """
SELECT set_config('role', $1, true),
       set_config('app.current_user_id', $2, true),
       set_config('app.current_org_id', $3, true),
       set_config('app.org_admin', $4, true)
"""


@dataclass(frozen=True)
class Principal:
    label: str
    user_id: str
    org_id: str
    org_admin: bool


PRINCIPALS = [
    Principal("org A admin", rls_seed.USER_A_ADMIN, rls_seed.ORG_A, True),
    Principal("org A member", rls_seed.USER_A_MEMBER, rls_seed.ORG_A, False),
]


@dataclass(frozen=True)
class Seeded:
    server: str
    dsn: str
    # table -> {primary-key column: value} of the probed row, per org tag ("a", "b")
    keys: dict[str, dict[str, dict[str, Any]]]


def run(coro):
    return asyncio.run(coro)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ------------------------------------------------------------------------------------------------
# catalog look-ups
# ------------------------------------------------------------------------------------------------
_LIVE_TABLES = """
SELECT c.relname, c.relrowsecurity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
"""


async def _primary_key(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        """
        SELECT a.attname
        FROM pg_index i
        JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = to_regclass($1) AND i.indisprimary
        ORDER BY k.ord
        """,
        f"public.{table}",
    )
    return [r["attname"] for r in rows]


async def _columns(conn: asyncpg.Connection, table: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT attname, attgenerated <> '' AS generated, attidentity = 'a' AS identity_always
        FROM pg_attribute
        WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
        ORDER BY attnum
        """,
        f"public.{table}",
    )


# ------------------------------------------------------------------------------------------------
# the seeded database, one per server
# ------------------------------------------------------------------------------------------------
async def _insert(conn: asyncpg.Connection, row: rls_seed.Row) -> dict[str, Any]:
    pk = await _primary_key(conn, row.table)
    if not pk:
        raise AssertionError(f"{row.table} has no primary key; the RLS sweep identifies rows by it")
    cols = ", ".join(_ident(c) for c in row.values)
    record = await conn.fetchrow(
        f"INSERT INTO {_ident(row.table)} ({cols}) SELECT {cols} FROM json_populate_record(NULL::{_ident(row.table)},"
        f" $1::json) RETURNING {', '.join(_ident(c) for c in pk)}",
        json.dumps(row.values),
    )
    return dict(record)


async def _seed(dsn: str) -> dict[str, dict[str, dict[str, Any]]]:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate.apply(conn, migrate.discover())
        keys: dict[str, dict[str, dict[str, Any]]] = {"a": {}, "b": {}}
        async with conn.transaction():
            for tag in ("a", "b"):
                rows = rls_seed.org_rows(tag)
                if tag == "a":
                    rows = rows[:2] + rls_seed.extra_rows_of_org_a() + rows[2:]
                for row in rows:
                    if await conn.fetchval("SELECT to_regclass($1)", f"public.{row.table}") is None:
                        continue  # seeded ahead of its migration; the coverage tests judge what is live
                    try:
                        key = await _insert(conn, row)
                    except asyncpg.PostgresError as exc:
                        raise AssertionError(
                            f"seeding {row.table} for org {tag} failed: {exc!r}; fix its row in"
                            " tests/integration/rls_seed.py"
                        ) from exc
                    if not row.extra:
                        assert row.table not in keys[tag], f"rls_seed.py has two probed rows for {row.table}"
                        keys[tag][row.table] = key
        return keys
    finally:
        await conn.close()


@pytest.fixture(scope="module", params=["pg16", pytest.param("pg15", marks=pytest.mark.pg15)])
def seeded(request: pytest.FixtureRequest) -> Iterator[Seeded]:
    admin_dsn = request.getfixturevalue("pg16_server").dsn if request.param == "pg16" else PG15_ADMIN_DSN
    name = unique_name("auralink_rls")

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run(admin(f'CREATE DATABASE "{name}"'))
    try:
        dsn = with_database(admin_dsn, name)
        yield Seeded(request.param, dsn, run(_seed(dsn)))
    finally:
        run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# ------------------------------------------------------------------------------------------------
# the sweep of one table
# ------------------------------------------------------------------------------------------------
def _where(key: dict[str, Any], first: int = 1) -> tuple[str, list[Any]]:
    parts = [f"{_ident(col)} = ${n}" for n, col in enumerate(key, start=first)]
    return " AND ".join(parts), list(key.values())


async def _attempt(conn: asyncpg.Connection, sql: str, *args: Any) -> tuple[str, Any]:
    """Run one statement in a savepoint: ("ok", result), ("denied", error) or ("error", error)."""
    try:
        async with conn.transaction():
            if sql.lstrip().upper().startswith("SELECT"):
                return "ok", await conn.fetchval(sql, *args)
            return "ok", await conn.execute(sql, *args)
    except asyncpg.InsufficientPrivilegeError as exc:
        return "denied", exc
    except asyncpg.PostgresError as exc:
        return "error", exc


async def _sweep(conn: asyncpg.Connection, table: str, key_a: dict[str, Any], key_b: dict[str, Any]) -> list[str]:
    """Everything org A's principals must not be able to do to org B's row of `table`; returns the violations."""
    problems: list[str] = []
    tx = conn.transaction()
    await tx.start()
    try:
        t = _ident(table)
        columns = await _columns(conn, table)
        names = {c["attname"] for c in columns}
        org_col = "organization_id" if "organization_id" in names else ("id" if table == "organizations" else None)
        insertable = ", ".join(_ident(c["attname"]) for c in columns if not c["generated"] and not c["identity_always"])
        where_b, args_b = _where(key_b)
        where_a, args_a = _where(key_a)

        # as the superuser: org B's row exists, and what it looks like
        before = await conn.fetch(
            f"SELECT x::text AS row, row_to_json(x)::text AS json FROM {t} AS x WHERE {where_b}", *args_b
        )
        assert len(before) == 1, f"{table}: the seeded org-B row {key_b} is missing"
        seeded_b = sum(1 for r in rls_seed.org_rows("b") if r.table == table)

        for who in PRINCIPALS:
            await conn.execute(_ENTER_TENANT, APP_ROLE, who.user_id, who.org_id, "on" if who.org_admin else "off")
            assert await conn.fetchval("SELECT current_user") == APP_ROLE

            def note(what: str, who: Principal = who) -> None:
                problems.append(f"{who.label}: {what}")

            # positive control: the admin sees its own org's row, so the policy is live, not "deny all"
            if who.org_admin:
                outcome, value = await _attempt(conn, f"SELECT count(*) FROM {t} WHERE {where_a}", *args_a)
                if (outcome, value) != ("ok", 1):
                    note(
                        f"cannot read its OWN org's row {key_a} ({outcome}: {value!r}); is the policy or grant missing?"
                    )

            # read
            outcome, value = await _attempt(conn, f"SELECT count(*) FROM {t} WHERE {where_b}", *args_b)
            if outcome == "error" or (outcome == "ok" and value != 0):
                note(f"SELECT by key sees org B's row {key_b} ({outcome}: {value!r})")
            if org_col is not None:
                sql = f"SELECT count(*) FROM {t} WHERE {_ident(org_col)} IS DISTINCT FROM $1::uuid"
                if table == "rbac_roles":  # system roles (organization_id NULL) are shared by design
                    sql += f" AND {_ident(org_col)} IS NOT NULL"
                outcome, value = await _attempt(conn, sql, who.org_id)
                if outcome == "error" or (outcome == "ok" and value != 0):
                    note(f"sees {value!r} row(s) of other organizations ({outcome})")

            # update (a no-op assignment: if it reaches the row, the status and updated_at give it away)
            set_col = org_col or next(iter(key_b))
            sql = f"UPDATE {t} SET {_ident(set_col)} = {_ident(set_col)} WHERE {where_b}"
            outcome, value = await _attempt(conn, sql, *args_b)
            if outcome == "error" or (outcome == "ok" and value != "UPDATE 0"):
                note(f"UPDATE of org B's row: {outcome}: {value!r}")
            if org_col is not None and org_col != "id":
                # moving org B's row into org A would be a theft, not a no-op
                sql = f"UPDATE {t} SET {_ident(org_col)} = ${len(args_b) + 1}::uuid WHERE {where_b}"
                outcome, value = await _attempt(conn, sql, *args_b, who.org_id)
                if outcome == "error" or (outcome == "ok" and value != "UPDATE 0"):
                    note(f"UPDATE moving org B's row into org A: {outcome}: {value!r}")

            # delete
            outcome, value = await _attempt(conn, f"DELETE FROM {t} WHERE {where_b}", *args_b)
            if outcome == "error" or (outcome == "ok" and value != "DELETE 0"):
                note(f"DELETE of org B's row: {outcome}: {value!r}")

            # insert a copy of org B's row (organization_id = org B): the WITH CHECK must refuse it
            # (PostgreSQL checks RLS before constraints and unique indexes, so a duplicate key means no RLS)
            sql = f"INSERT INTO {t} ({insertable}) SELECT {insertable} FROM json_populate_record(NULL::{t}, $1::json)"
            outcome, value = await _attempt(conn, sql, before[0]["json"])
            if outcome != "denied":
                note(f"INSERT of a row into org B was not refused by RLS ({outcome}: {value!r})")
            elif "row-level security" not in str(value) and "permission denied" not in str(value):
                note(f"INSERT into org B refused for an unexpected reason: {value!r}")

            # Statements that read no column of the table (no WHERE, a constant SET) are filtered by the
            # UPDATE / DELETE policies alone: PostgreSQL adds the SELECT policies only when a command reads
            # existing columns. So a too-broad UPDATE or DELETE policy shows only here.
            blanket_set = None
            if org_col is not None and org_col != "id":
                blanket_set = (f"{_ident(org_col)} = $1::uuid", [who.org_id])  # would move org B's row into A
            elif "updated_at" in names:
                blanket_set = ("updated_at = now()", [])
            if blanket_set is not None:
                sql = f"UPDATE {t} SET {blanket_set[0]}"
                outcome, value = await _attempt(conn, sql, *blanket_set[1])
                if outcome == "error":
                    note(f"UPDATE of the whole table failed, so it proves nothing: {value!r}")
            outcome, value = await _attempt(conn, f"DELETE FROM {t}")
            if outcome == "error":
                note(f"DELETE of the whole table failed, so it proves nothing: {value!r}")

            # as the superuser again, in the same transaction: org B's row is exactly as seeded
            await conn.execute("RESET ROLE")
            after = await conn.fetch(f"SELECT x::text AS row FROM {t} AS x WHERE {where_b}", *args_b)
            if [r["row"] for r in after] != [before[0]["row"]]:
                note(f"changed org B's row: {before[0]['row']} -> {[r['row'] for r in after]}")
                break
            if org_col is not None:
                sql = f"SELECT count(*) FROM {t} WHERE {_ident(org_col)} = $1::uuid"
                count = await conn.fetchval(sql, rls_seed.ORG_B)
                if count != seeded_b:
                    note(f"org B now has {count} row(s) in {table}, {seeded_b} were seeded")
                    break
    finally:
        await tx.rollback()
    return problems


async def _inspect_and_sweep(seeded: Seeded, table: str) -> tuple[bool | None, list[str], list[str]]:
    """(relrowsecurity or None if the table is missing, its policies, the sweep's violations), on one connection."""
    conn = await asyncpg.connect(seeded.dsn)
    try:
        rls = await conn.fetchval(
            "SELECT c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relname = $1 AND c.relkind IN ('r', 'p')",
            table,
        )
        policies = [
            r["policyname"]
            for r in await conn.fetch(
                "SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename = $1", table
            )
        ]
        if not rls or not policies:
            return rls, policies, []
        return rls, policies, await _sweep(conn, table, seeded.keys["a"][table], seeded.keys["b"][table])
    finally:
        await conn.close()


# ------------------------------------------------------------------------------------------------
# tests
# ------------------------------------------------------------------------------------------------
def test_the_migrations_create_tables_to_sweep() -> None:
    assert len(SWEPT_TABLES) >= 50, SWEPT_TABLES
    assert "organizations" in SWEPT_TABLES and "audit_logs" in SWEPT_TABLES


def test_every_rls_table_in_the_database_is_swept(seeded: Seeded) -> None:
    """The parametrization (from the migration files) is exactly the live set of RLS tables."""
    rows = run(_fetch(seeded.dsn, _LIVE_TABLES))
    live_rls = {r["relname"] for r in rows if r["relrowsecurity"]}
    assert not live_rls - set(SWEPT_TABLES), (
        f"tables with RLS that the sweep does not parametrize (no CREATE TABLE found in migrations/*.sql): "
        f"{sorted(live_rls - set(SWEPT_TABLES))}"
    )
    assert not set(SWEPT_TABLES) - live_rls, (
        f"tables created by the migrations WITHOUT row-level security: {sorted(set(SWEPT_TABLES) - live_rls)};"
        " enable RLS and add policies, or document the exception in NO_RLS (and in the migration)"
    )


def test_tables_without_rls_are_the_documented_exceptions(seeded: Seeded) -> None:
    rows = run(_fetch(seeded.dsn, _LIVE_TABLES))
    without = {r["relname"] for r in rows if not r["relrowsecurity"]}
    assert without == set(NO_RLS), f"tables without row-level security: {sorted(without)}; expected {sorted(NO_RLS)}"


def test_the_seed_has_a_row_for_every_rls_table(seeded: Seeded) -> None:
    rows = run(_fetch(seeded.dsn, _LIVE_TABLES))
    live_rls = {r["relname"] for r in rows if r["relrowsecurity"]}
    for tag in ("a", "b"):
        missing = sorted(live_rls - set(seeded.keys[tag]))
        assert not missing, f"add a seed row for {', '.join(missing)} in tests/integration/rls_seed.py"


def test_the_tenant_scope_is_live(seeded: Seeded) -> None:
    """Sanity for the sweep: org A's admin sees exactly its org, as auralink_app without BYPASSRLS."""

    async def check() -> None:
        conn = await asyncpg.connect(seeded.dsn)
        try:
            async with conn.transaction():
                admin = PRINCIPALS[0]
                await conn.execute(_ENTER_TENANT, APP_ROLE, admin.user_id, admin.org_id, "on")
                role = await conn.fetchrow("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                assert (role["rolsuper"], role["rolbypassrls"]) == (False, False)
                orgs = [str(r["id"]) for r in await conn.fetch("SELECT id FROM organizations")]
                users = {str(r["id"]) for r in await conn.fetch("SELECT id FROM users")}
                assert orgs == [rls_seed.ORG_A]
                assert users == {rls_seed.USER_A_ADMIN, rls_seed.USER_A_MEMBER}
        finally:
            await conn.close()

    run(check())


@pytest.mark.parametrize("table", SWEPT_TABLES)
def test_org_a_can_neither_read_nor_modify_org_b(seeded: Seeded, table: str) -> None:
    for tag in ("b", "a"):
        if table not in seeded.keys[tag]:
            pytest.fail(
                f"no org-{tag.upper()} row for {table}: add a seed row for {table} in tests/integration/rls_seed.py"
            )
    rls, policies, problems = run(_inspect_and_sweep(seeded, table))
    assert rls is not None, f"{table} is created by a migration but does not exist in the database"
    assert rls, f"{table} has no row-level security (ALTER TABLE {table} ENABLE ROW LEVEL SECURITY)"
    assert policies, f"{table} has row-level security but no policy"
    assert not problems, f"[{seeded.server}] {table}: cross-org access:\n  " + "\n  ".join(problems)


async def _fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()
