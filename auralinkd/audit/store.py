"""SQL of the audit domain."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

_COLUMNS = (
    "id, organization_id, actor_user_id, actor_type, action, resource_type, resource_id, outcome, request_id, "
    "ip_address, user_agent, metadata, prev_hash, hash, created_at"
)


async def reserve_next(conn: asyncpg.Connection) -> tuple[int, bytes | None]:
    """(the new row's id, the org's last hash), one round trip, holding the per-org append lock until commit.

    The lock is taken before nextval, so ids grow in chain order within an org.
    """
    row = await conn.fetchrow(
        "SELECT h.hash, nextval(pg_get_serial_sequence('audit_logs', 'id')) AS next_id "
        "FROM (SELECT * FROM audit_chain_head()) h RIGHT JOIN (SELECT 1) one ON true"
    )
    return int(row["next_id"]), row["hash"]


_INSERT = """
INSERT INTO audit_logs (id, organization_id, actor_user_id, actor_type, action, resource_type,
                        resource_id, outcome, request_id, metadata, prev_hash, hash, created_at)
OVERRIDING SYSTEM VALUE
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13)
"""

# The row and the org's anchored head in one round trip (no RETURNING: only admins may read audit_logs).
_INSERT_AND_MOVE_HEAD = f"""
WITH appended AS ({_INSERT})
INSERT INTO audit_heads (organization_id, last_id, hash, mac) VALUES ($2, $1, $12, $14)
ON CONFLICT (organization_id) DO UPDATE
    SET last_id = EXCLUDED.last_id, hash = EXCLUDED.hash, mac = EXCLUDED.mac, updated_at = now()
"""


async def insert(
    conn: asyncpg.Connection, row: dict[str, Any], prev_hash: bytes | None, hash_: bytes, head_mac: bytes | None = None
) -> None:
    """Append the row; with `head_mac`, also move the org's anchored head to it."""
    args = [
        row["id"],
        UUID(row["organization_id"]),
        UUID(row["actor_user_id"]) if row["actor_user_id"] else None,
        row["actor_type"],
        row["action"],
        row["resource_type"],
        row["resource_id"],
        row["outcome"],
        row["request_id"],
        json.dumps(row["metadata"]),
        prev_hash,
        hash_,
        row["created_at"],
    ]
    if head_mac is None:
        await conn.execute(_INSERT, *args)
    else:
        await conn.execute(_INSERT_AND_MOVE_HEAD, *args, head_mac)


def as_dict(record: asyncpg.Record) -> dict[str, Any]:
    row = dict(record)
    row["organization_id"] = str(row["organization_id"])
    row["actor_user_id"] = str(row["actor_user_id"]) if row["actor_user_id"] else None
    row["ip_address"] = str(row["ip_address"]) if row["ip_address"] is not None else None
    row["metadata"] = json.loads(row["metadata"]) if isinstance(row["metadata"], str) else row["metadata"]
    return row


async def chain_rows(conn: asyncpg.Connection, after_id: int, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM audit_logs WHERE organization_id = app_current_org_id() AND id > $1 "
        "ORDER BY id LIMIT $2",
        after_id,
        limit,
    )
    return [as_dict(r) for r in rows]


async def list_rows(
    conn: asyncpg.Connection,
    *,
    before_id: int | None,
    limit: int,
    actor_user_id: UUID | None,
    action: str,
    resource_type: str,
    resource_id: str,
    outcome: str,
    start: datetime | None,
    end: datetime | None,
) -> list[dict[str, Any]]:
    action_exact, action_prefix = (None, action[:-1]) if action.endswith("*") else (action or None, None)
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM audit_logs
        WHERE organization_id = app_current_org_id()
          AND ($1::bigint IS NULL OR id < $1)
          AND ($2::uuid IS NULL OR actor_user_id = $2)
          AND ($3::text IS NULL OR action = $3)
          AND ($4::text IS NULL OR starts_with(action, $4))
          AND ($5::text = '' OR resource_type = $5)
          AND ($6::text = '' OR resource_id = $6)
          AND ($7::text = '' OR outcome = $7)
          AND ($8::timestamptz IS NULL OR created_at >= $8)
          AND ($9::timestamptz IS NULL OR created_at < $9)
        ORDER BY id DESC
        LIMIT $10
        """,
        before_id,
        actor_user_id,
        action_exact,
        action_prefix,
        resource_type,
        resource_id,
        outcome,
        start,
        end,
        limit,
    )
    return [as_dict(r) for r in rows]


async def head(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """The current org's anchored head (last_id, hash, mac), if one was ever written."""
    return await conn.fetchrow(
        "SELECT last_id, hash, mac FROM audit_heads WHERE organization_id = app_current_org_id()"
    )


async def unanchored_heads(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """(organization_id, id, hash) of the newest row of each org whose chain has no anchored head yet."""
    return await conn.fetch(
        """
        SELECT o.id AS organization_id, last.id, last.hash
        FROM organizations o
        CROSS JOIN LATERAL (
            SELECT a.id, a.hash FROM audit_logs a WHERE a.organization_id = o.id ORDER BY a.id DESC LIMIT 1
        ) last
        WHERE NOT EXISTS (SELECT 1 FROM audit_heads h WHERE h.organization_id = o.id) AND last.hash IS NOT NULL
        """
    )


async def anchor_head(conn: asyncpg.Connection, org_id: UUID, last_id: int, hash_: bytes, mac: bytes) -> None:
    await conn.execute(
        "INSERT INTO audit_heads (organization_id, last_id, hash, mac) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (organization_id) DO NOTHING",
        org_id,
        last_id,
        hash_,
        mac,
    )


async def all_heads(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every org's anchored head (as the daemon's own role)."""
    return await conn.fetch("SELECT organization_id, last_id, hash, mac FROM audit_heads")
