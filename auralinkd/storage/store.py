"""SQL of the storage domain: object metadata and the per-org usage counters (RLS scopes both)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

_OBJECT = "key, backend, storage_path, size_bytes, content_type, sha256, created_by, created_at, updated_at"


async def lock_usage(conn: asyncpg.Connection, org_id: UUID) -> dict[str, Any]:
    """The org's counters, locked until the transaction ends (serialises quota checks and key writes)."""
    await conn.execute(
        "INSERT INTO storage_usage (organization_id) VALUES ($1) ON CONFLICT (organization_id) DO NOTHING", org_id
    )
    row = await conn.fetchrow(
        "SELECT used_bytes, object_count, quota_bytes FROM storage_usage WHERE organization_id = $1 FOR UPDATE",
        org_id,
    )
    return dict(row)  # type: ignore[arg-type]


async def usage(conn: asyncpg.Connection, org_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT used_bytes, object_count, quota_bytes FROM storage_usage WHERE organization_id = $1", org_id
    )
    return dict(row) if row else None


async def add_usage(conn: asyncpg.Connection, org_id: UUID, bytes_delta: int, count_delta: int) -> None:
    await conn.execute(
        """UPDATE storage_usage SET used_bytes = used_bytes + $2, object_count = object_count + $3
           WHERE organization_id = $1""",
        org_id,
        bytes_delta,
        count_delta,
    )


async def get_object(conn: asyncpg.Connection, org_id: UUID, key: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"SELECT {_OBJECT} FROM storage_objects WHERE organization_id = $1 AND key = $2", org_id, key
    )
    return dict(row) if row else None


async def upsert_object(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, o: dict[str, Any]) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO storage_objects (organization_id, key, backend, storage_path, size_bytes, content_type, sha256,
                                        created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (organization_id, key) DO UPDATE SET
                backend = EXCLUDED.backend, storage_path = EXCLUDED.storage_path, size_bytes = EXCLUDED.size_bytes,
                content_type = EXCLUDED.content_type, sha256 = EXCLUDED.sha256, created_by = EXCLUDED.created_by
            RETURNING {_OBJECT}""",
        org_id,
        o["key"],
        o["backend"],
        o["storage_path"],
        o["size_bytes"],
        o["content_type"],
        o["sha256"],
        user_id,
    )
    return dict(row)  # type: ignore[arg-type]


async def delete_object(conn: asyncpg.Connection, org_id: UUID, key: str) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM storage_objects WHERE organization_id = $1 AND key = $2 RETURNING true", org_id, key
    )
    return deleted is not None


async def list_objects(
    conn: asyncpg.Connection, org_id: UUID, prefix: str, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Keys that start with `prefix`, after the cursor key, in byte order (the key column sorts as "C")."""
    rows = await conn.fetch(
        f"""SELECT {_OBJECT} FROM storage_objects
            WHERE organization_id = $1 AND key >= $2 AND starts_with(key, $2) AND ($3::text IS NULL OR key > $3)
            ORDER BY key LIMIT $4""",
        org_id,
        prefix,
        after,
        limit,
    )
    return [dict(r) for r in rows]
