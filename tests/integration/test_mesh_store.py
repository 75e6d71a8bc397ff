"""The mesh store on both servers: nodes, links, history, reputation, under RLS as the app role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from auralinkd.db import migrate
from auralinkd.db.database import Database, Tenant
from auralinkd.mesh import store


@pytest.fixture
async def database(fresh_dsn: str) -> AsyncIterator[Database]:
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    yield db
    await db.close()


async def _org(conn: asyncpg.Connection, slug: str) -> tuple[uuid.UUID, uuid.UUID]:
    org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id", slug)
    user = await conn.fetchval(
        "INSERT INTO users (organization_id, email, username) VALUES ($1, $2, $3) RETURNING id",
        org,
        f"op@{slug}.x",
        f"op-{slug}",
    )
    return org, user


def _values(name: str) -> dict:
    return {
        "name": name,
        "address": f"{name}:7000",
        "region": "eu",
        "public_key": "",
        "node_type": "relay",
        "capabilities": {"relay": True},
        "capacity": 100,
        "anchor": False,
        "heartbeat_interval_ms": 2000,
    }


async def test_nodes_links_history_and_reputation_round_trip_scoped_to_the_org(database: Database) -> None:
    async with database.system() as conn:
        org, user = await _org(conn, "mesh-a")
        other, other_user = await _org(conn, "mesh-b")
    tenant = Tenant(user, org)
    async with database.tenant(tenant) as conn:
        a = await store.insert_node(conn, org_id=org, owner=user, values=_values("a"))
        b = await store.insert_node(conn, org_id=org, owner=user, values=_values("b"))
        assert a["public_key"] is None and a["capabilities"] == {"relay": True}
        assert await store.find_conflict(conn, "a", "zz", "") == "name"
    now = datetime.now(UTC)
    async with database.system() as conn:
        ids = await store.upsert_links(conn, [(org, a["id"], b["id"], 10.0, 2.0, 5000.0, 1.0, 1.02, 0.0, 3, now)])
        ids = await store.upsert_links(conn, [(org, a["id"], b["id"], 12.0, 2.0, 5000.0, 1.0, 1.02, 0.0, 4, now)])
        link = ids[(a["id"], b["id"])]
        await store.insert_link_performance(conn, [(org, link, 6.0, 1.0, 0.01, 5000.0, 30, now, 60)])
        changed = await store.set_states(conn, [(a["id"], "suspect", now), (b["id"], "alive", now)])
        assert changed == [a["id"]]
        await store.flush_nodes(conn, [(a["id"], 7, now, [1.0, 2.0, 3.0, 0.5])])
    async with database.tenant(tenant) as conn:
        row = await store.get_node(conn, "a")
        assert row["state"] == "suspect" and row["current_load"] == 7 and row["coordinates"] == [1.0, 2.0, 3.0, 0.5]
        history = await store.link_history(conn, link, 10)
        assert len(history) == 1 and history[0]["sample_count"] == 30
        event = await store.insert_event(conn, org_id=org, node_id=b["id"], reporter=a["id"], user_id=user,
                                         kind="uptime", delta=0.1, details={"value": 0.99})  # fmt: skip
        assert event["id"]
        await store.upsert_reputation(conn, [(org, b["id"], 0.5, "medium", 1, 0, now)])
        assert (await store.reputations(conn))[b["id"]]["successful_relays"] == 1
        page = await store.list_nodes(conn, after=None, limit=10, state="", region="", quarantined=False)
        assert [n["name"] for n in page] == ["a", "b"]
    async with database.tenant(Tenant(other_user, other)) as conn:  # another org sees nothing
        assert await store.get_node(conn, "a") is None
        assert await conn.fetchval("SELECT count(*) FROM mesh_links") == 0
        assert await conn.fetchval("SELECT count(*) FROM route_performance") == 0
    async with database.tenant(tenant) as conn:
        assert await store.delete_node(conn, a["id"])
        assert not await store.delete_node(conn, a["id"])
        assert await conn.fetchval("SELECT count(*) FROM mesh_links") == 0  # cascaded


GOOD_LINK = {"srtt_ms": 1.0, "rttvar_ms": 1.0, "bandwidth_kbps": 1.0, "loss_pct": 0.0, "etx": 1.0, "cost": 0.0}


# Each case breaks exactly one CHECK of mesh_links and names the constraint that must refuse it, so the test
# fails if that constraint is dropped (another constraint refusing it instead does not count).
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("srtt_ms", -1.0),
        ("rttvar_ms", -1.0),
        ("bandwidth_kbps", -1.0),
        ("loss_pct", -0.5),
        ("loss_pct", 100.5),
        ("etx", 0.5),
        ("cost", -1.0),
    ],
)
async def test_schema_refuses_bad_link_metrics(database: Database, column: str, value: float) -> None:
    async with database.system() as conn:
        org, user = await _org(conn, "mesh-c")
    async with database.tenant(Tenant(user, org)) as conn:
        a = await store.insert_node(conn, org_id=org, owner=user, values=_values("a"))
        b = await store.insert_node(conn, org_id=org, owner=user, values=_values("b"))
        sql = (
            "INSERT INTO mesh_links (organization_id, source_node_id, target_node_id, srtt_ms, rttvar_ms,"
            " bandwidth_kbps, loss_pct, etx, cost) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
        metrics = {**GOOD_LINK, column: value}
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            async with conn.transaction():
                await conn.execute(sql, org, a["id"], b["id"], *metrics.values())
        assert refused.value.constraint_name == f"mesh_links_{column}_check"
        await conn.execute(sql, org, a["id"], b["id"], *GOOD_LINK.values())  # the same row with good metrics is fine


async def test_schema_refuses_a_link_from_a_node_to_itself(database: Database) -> None:
    async with database.system() as conn:
        org, user = await _org(conn, "mesh-d")
    async with database.tenant(Tenant(user, org)) as conn:
        a = await store.insert_node(conn, org_id=org, owner=user, values=_values("a"))
        with pytest.raises(asyncpg.CheckViolationError) as refused:
            await conn.execute(
                "INSERT INTO mesh_links (organization_id, source_node_id, target_node_id, srtt_ms, rttvar_ms,"
                " bandwidth_kbps, loss_pct, etx) VALUES ($1, $2, $2, 1, 1, 1, 0, 1)",
                org,
                a["id"],
            )
        assert refused.value.constraint_name == "mesh_links_check"
