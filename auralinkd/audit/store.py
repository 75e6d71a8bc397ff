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


async def insert(conn: asyncpg.Connection, row: dict[str, Any], prev_hash: bytes | None, hash_: bytes) -> None:
    await conn.execute(
        """
        INSERT INTO audit_logs (id, organization_id, actor_user_id, actor_type, action, resource_type,
                                resource_id, outcome, request_id, metadata, prev_hash, hash, created_at)
        OVERRIDING SYSTEM VALUE
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13)
        """,
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
    )


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
