"""The mesh domain's SQL, and nothing else (mesh_nodes, mesh_links, route_performance, mesh_routes,
node_reputation, reputation_events). Parameters only; batches go through unnest()."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

NODE_COLUMNS = """
    id, organization_id, owner_user_id, name, address, region, public_key, node_type, state, quarantined,
    quarantine_reason, quarantine_until, capabilities, capacity, current_load, anchor, heartbeat_interval_ms,
    coordinates, last_heartbeat_at, state_changed_at, created_at
"""


def _node(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    node = dict(row)
    node["capabilities"] = json.loads(node["capabilities"]) if isinstance(node["capabilities"], str) else {}
    return node


# -- nodes --------------------------------------------------------------------------------------


async def insert_node(conn: asyncpg.Connection, *, org_id: UUID, owner: UUID, values: dict[str, Any]) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO mesh_nodes (organization_id, owner_user_id, name, address, region, public_key, node_type,
                                    capabilities, capacity, anchor, heartbeat_interval_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)
            RETURNING {NODE_COLUMNS}""",
        org_id,
        owner,
        values["name"],
        values["address"],
        values["region"] or None,
        values["public_key"] or None,
        values["node_type"],
        json.dumps(values["capabilities"]),
        values["capacity"],
        values["anchor"],
        values["heartbeat_interval_ms"],
    )
    return _node(row)  # type: ignore[return-value]


async def find_conflict(conn: asyncpg.Connection, name: str, address: str, public_key: str) -> str | None:
    row = await conn.fetchrow(
        """SELECT CASE WHEN name = $1 THEN 'name' WHEN address = $2 THEN 'address' ELSE 'public_key' END AS field
           FROM mesh_nodes WHERE name = $1 OR address = $2 OR (public_key = $3 AND $3 <> '') LIMIT 1""",
        name,
        address,
        public_key,
    )
    return row["field"] if row else None


async def get_node(conn: asyncpg.Connection, ref: str) -> dict[str, Any] | None:
    try:
        node_id: UUID | None = UUID(ref)
    except ValueError:
        node_id = None
    if node_id is not None:
        row = await conn.fetchrow(f"SELECT {NODE_COLUMNS} FROM mesh_nodes WHERE id = $1", node_id)
    else:
        row = await conn.fetchrow(f"SELECT {NODE_COLUMNS} FROM mesh_nodes WHERE name = $1", ref)
    return _node(row)


async def delete_node(conn: asyncpg.Connection, node_id: UUID) -> bool:
    return bool(await conn.execute("DELETE FROM mesh_nodes WHERE id = $1", node_id) == "DELETE 1")


async def list_nodes(
    conn: asyncpg.Connection, *, after: tuple[str, str] | None, limit: int, state: str, region: str, quarantined: bool
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {NODE_COLUMNS} FROM mesh_nodes
            WHERE ($1::text IS NULL OR (coalesce(name, ''), id::text) > ($1, $2))
              AND ($3 = '' OR state = $3) AND ($4 = '' OR region = $4) AND (NOT $5 OR quarantined)
            ORDER BY coalesce(name, ''), id::text LIMIT $6""",
        after[0] if after else None,
        after[1] if after else None,
        state,
        region,
        quarantined,
        limit,
    )
    return [_node(r) for r in rows]  # type: ignore[misc]


async def all_nodes(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every org's nodes (start-up rebuild; runs as the daemon's role, not a tenant)."""
    return [_node(r) for r in await conn.fetch(f"SELECT {NODE_COLUMNS} FROM mesh_nodes")]  # type: ignore[misc]


async def set_states(conn: asyncpg.Connection, changes: list[tuple[UUID, str, datetime]]) -> list[UUID]:
    """Apply state transitions; returns the ids whose state actually changed (replicas race harmlessly)."""
    rows = await conn.fetch(
        """UPDATE mesh_nodes n SET state = c.state, state_changed_at = c.at
           FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS c(id, state, at)
           WHERE n.id = c.id AND n.state <> c.state RETURNING n.id""",
        [c[0] for c in changes],
        [c[1] for c in changes],
        [c[2] for c in changes],
    )
    return [r["id"] for r in rows]


async def flush_nodes(conn: asyncpg.Connection, rows: list[tuple[UUID, int, datetime, list[float]]]) -> None:
    await conn.execute(
        """UPDATE mesh_nodes n SET current_load = c.load, last_heartbeat_at = c.at,
                  coordinates = ARRAY[c.x, c.y, c.h, c.e]
           FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[],
                       $7::float8[]) AS c(id, load, at, x, y, h, e)
           WHERE n.id = c.id""",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        *([r[3][i] for r in rows] for i in range(4)),
    )


async def set_quarantine(
    conn: asyncpg.Connection, node_id: UUID, quarantined: bool, reason: str | None, until: datetime | None
) -> None:
    await conn.execute(
        "UPDATE mesh_nodes SET quarantined = $2, quarantine_reason = $3, quarantine_until = $4 WHERE id = $1",
        node_id,
        quarantined,
        reason,
        until,
    )


# -- links --------------------------------------------------------------------------------------

LinkRow = tuple[UUID, UUID, UUID, float, float, float, float, float, float, int, datetime]


async def upsert_links(conn: asyncpg.Connection, rows: list[LinkRow]) -> dict[tuple[UUID, UUID], UUID]:
    """(org, source, target, srtt, rttvar, bandwidth, loss, etx, cost, samples, at) -> link ids."""
    columns = list(zip(*rows, strict=True)) if rows else [[]] * 11
    result = await conn.fetch(
        """INSERT INTO mesh_links (organization_id, source_node_id, target_node_id, srtt_ms, rttvar_ms,
                                   bandwidth_kbps, loss_pct, etx, cost, samples, measured_at)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::float8[], $5::float8[], $6::float8[],
                                $7::float8[], $8::float8[], $9::float8[], $10::bigint[], $11::timestamptz[])
           ON CONFLICT (source_node_id, target_node_id) DO UPDATE SET
               srtt_ms = excluded.srtt_ms, rttvar_ms = excluded.rttvar_ms, bandwidth_kbps = excluded.bandwidth_kbps,
               loss_pct = excluded.loss_pct, etx = excluded.etx, cost = excluded.cost, samples = excluded.samples,
               measured_at = excluded.measured_at
           RETURNING id, source_node_id, target_node_id""",
        *[list(c) for c in columns],
    )
    return {(r["source_node_id"], r["target_node_id"]): r["id"] for r in result}


async def all_links(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM mesh_links")


async def insert_link_performance(
    conn: asyncpg.Connection, rows: list[tuple[UUID, UUID, float, float, float, float, int, datetime, int]]
) -> None:
    """One aggregated row per link per window.

    Rows: (org, link, latency, jitter, loss 0..1, bandwidth, samples, at, window).
    """
    if not rows:
        return
    columns = [list(c) for c in zip(*rows, strict=True)]
    await conn.execute(
        """INSERT INTO route_performance (organization_id, link_id, latency_ms, jitter_ms, packet_loss, bandwidth_kbps,
                                          sample_count, measured_at, window_s)
           SELECT o, l, lat::numeric(10,3), jit::numeric(10,3), loss::numeric(5,4), bw::int, n, at, w
           FROM unnest($1::uuid[], $2::uuid[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::int[],
                       $8::timestamptz[], $9::int[]) AS r(o, l, lat, jit, loss, bw, n, at, w)""",
        *columns,
    )


async def link_history(conn: asyncpg.Connection, link_id: UUID, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM route_performance WHERE link_id = $1 ORDER BY measured_at DESC LIMIT $2", link_id, limit
    )


# -- stored routes ------------------------------------------------------------------------------


async def insert_route(
    conn: asyncpg.Connection,
    *,
    org_id: UUID,
    user_id: UUID,
    path: list[UUID],
    cost: float,
    latency_ms: float,
    bandwidth_kbps: float,
    params: dict[str, Any],
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO mesh_routes (organization_id, source_node_id, destination_node_id, path, algorithm, cost,
                                    latency_estimate_ms, bandwidth_estimate_kbps, params, created_by)
           VALUES ($1, $2, $3, $4, 'dijkstra+yen', $5, $6, $7, $8::jsonb, $9) RETURNING *""",
        org_id,
        path[0],
        path[-1],
        path,
        min(cost, 99_999_999.0),
        latency_ms,
        int(min(bandwidth_kbps, 2**31 - 1)),
        json.dumps(params),
        user_id,
    )


async def update_route_path(
    conn: asyncpg.Connection,
    route_id: UUID,
    path: list[UUID] | None,
    cost: float,
    latency_ms: float,
    bandwidth_kbps: float,
) -> None:
    if path is None:
        await conn.execute("UPDATE mesh_routes SET is_active = false WHERE id = $1", route_id)
        return
    await conn.execute(
        """UPDATE mesh_routes SET path = $2, cost = $3, latency_estimate_ms = $4, bandwidth_estimate_kbps = $5,
                  is_active = true WHERE id = $1""",
        route_id,
        path,
        min(cost, 99_999_999.0),
        latency_ms,
        int(min(bandwidth_kbps, 2**31 - 1)),
    )


async def list_routes(conn: asyncpg.Connection, *, after: str | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM mesh_routes WHERE ($1::text IS NULL OR id::text > $1) ORDER BY id::text LIMIT $2", after, limit
    )


async def all_routes(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM mesh_routes")


# -- reputation ---------------------------------------------------------------------------------


async def insert_event(
    conn: asyncpg.Connection,
    *,
    org_id: UUID,
    node_id: UUID,
    reporter: UUID | None,
    user_id: UUID,
    kind: str,
    delta: float,
    details: dict[str, Any],
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO reputation_events (organization_id, node_id, reported_by_node_id, created_by, event_type,
                                          delta, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id, created_at""",
        org_id,
        node_id,
        reporter,
        user_id,
        kind,
        max(-1.0, min(1.0, delta)),
        json.dumps(details),
    )


async def recent_events(conn: asyncpg.Connection, since: datetime) -> list[asyncpg.Record]:
    """Evidence of every org still heavy enough to count (start-up rebuild)."""
    return await conn.fetch(
        """SELECT id, organization_id, node_id, reported_by_node_id, event_type, details, created_at
           FROM reputation_events WHERE created_at >= $1 ORDER BY created_at""",
        since,
    )


async def events_about(conn: asyncpg.Connection, node_id: UUID, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT e.id, e.reported_by_node_id, e.created_by, e.event_type, e.details, e.created_at, r.name AS reporter
           FROM reputation_events e LEFT JOIN mesh_nodes r ON r.id = e.reported_by_node_id
           WHERE e.node_id = $1 ORDER BY e.created_at DESC LIMIT $2""",
        node_id,
        limit,
    )


async def upsert_reputation(
    conn: asyncpg.Connection, rows: list[tuple[UUID, UUID, float, str, int, int, datetime | None]]
) -> None:
    """(org, node, score, level, successes delta, failures delta, last event)."""
    if not rows:
        return
    columns = [list(c) for c in zip(*rows, strict=True)]
    await conn.execute(
        """INSERT INTO node_reputation (organization_id, node_id, score, trust_level, successful_relays,
                                        failed_relays, last_event_at)
           SELECT o, n, s::numeric(5,4), l, ok, bad, at
           FROM unnest($1::uuid[], $2::uuid[], $3::float8[], $4::text[], $5::bigint[], $6::bigint[],
                       $7::timestamptz[]) AS r(o, n, s, l, ok, bad, at)
           WHERE EXISTS (SELECT 1 FROM mesh_nodes m WHERE m.id = r.n)
           ON CONFLICT (node_id) DO UPDATE SET score = excluded.score, trust_level = excluded.trust_level,
               successful_relays = node_reputation.successful_relays + excluded.successful_relays,
               failed_relays = node_reputation.failed_relays + excluded.failed_relays,
               last_event_at = coalesce(excluded.last_event_at, node_reputation.last_event_at)""",
        *columns,
    )


async def reputations(conn: asyncpg.Connection) -> dict[UUID, asyncpg.Record]:
    return {r["node_id"]: r for r in await conn.fetch("SELECT * FROM node_reputation")}
