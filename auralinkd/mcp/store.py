"""SQL of the MCP domain: the mcp_connections table of migration 005 (RLS: one organization).

Columns as used here: `server_url` holds the endpoint of an HTTP connection, or the command of a stdio
one; `settings` holds what has no column (description, args, the names of env and header entries, the
call timeout); `encrypted_credentials` + `wrapped_data_key` + `nonce` + `kek_id` hold the sealed env and
header values (the provider key vault's envelope). Health is per replica and lives in memory
(mcp/sessions.py): the `status`, `last_error`, `last_connected_at` and `server_info` columns are not written.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

_COLUMNS = """id, organization_id, created_by, name, server_url, transport, encrypted_credentials,
    wrapped_data_key, nonce, kek_id, status, last_error, last_connected_at, server_info, settings, created_at,
    updated_at"""


def _row(record: asyncpg.Record | None) -> dict[str, Any] | None:
    if record is None:
        return None
    value = dict(record)
    for key in ("settings", "server_info"):
        if isinstance(value[key], str):
            value[key] = json.loads(value[key])
    return value


async def insert(conn: asyncpg.Connection, values: dict[str, Any]) -> dict[str, Any] | None:
    """None when the name is taken in the organization."""
    record = await conn.fetchrow(
        f"""INSERT INTO mcp_connections (id, organization_id, created_by, name, server_url, transport,
                                        encrypted_credentials, wrapped_data_key, nonce, kek_id, settings)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)
            ON CONFLICT (organization_id, name) DO NOTHING
            RETURNING {_COLUMNS}""",
        values["id"],
        values["organization_id"],
        values["created_by"],
        values["name"],
        values["server_url"],
        values["transport"],
        values["encrypted_credentials"],
        values["wrapped_data_key"],
        values["nonce"],
        values["kek_id"],
        json.dumps(values["settings"]),
    )
    return _row(record)


async def get(conn: asyncpg.Connection, ref: str) -> dict[str, Any] | None:
    try:
        ident: UUID | None = UUID(ref)
    except ValueError:
        ident = None
    if ident is not None:
        return _row(await conn.fetchrow(f"SELECT {_COLUMNS} FROM mcp_connections WHERE id = $1", ident))
    return _row(await conn.fetchrow(f"SELECT {_COLUMNS} FROM mcp_connections WHERE name = $1", ref))


async def list_page(conn: asyncpg.Connection, after: str | None, limit: int) -> list[dict[str, Any]]:
    records = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM mcp_connections WHERE ($1::text IS NULL OR name > $1)
            ORDER BY name LIMIT $2""",
        after,
        limit,
    )
    return [_row(r) for r in records]  # type: ignore[misc]


async def update(
    conn: asyncpg.Connection, ident: UUID, updated_at: Any, values: dict[str, Any]
) -> dict[str, Any] | None:
    """None when the row changed since `updated_at` was read (a concurrent update)."""
    record = await conn.fetchrow(
        f"""UPDATE mcp_connections SET name = $3, server_url = $4, encrypted_credentials = $5,
                   wrapped_data_key = $6, nonce = $7, kek_id = $8, settings = $9::jsonb
            WHERE id = $1 AND updated_at = $2 RETURNING {_COLUMNS}""",
        ident,
        updated_at,
        values["name"],
        values["server_url"],
        values["encrypted_credentials"],
        values["wrapped_data_key"],
        values["nonce"],
        values["kek_id"],
        json.dumps(values["settings"]),
    )
    return _row(record)


async def name_taken(conn: asyncpg.Connection, name: str, other_than: UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM mcp_connections WHERE name = $1 AND id <> $2)", name, other_than
        )
    )


async def delete(conn: asyncpg.Connection, ident: UUID) -> bool:
    return await conn.fetchval("DELETE FROM mcp_connections WHERE id = $1 RETURNING true", ident) is not None


async def lock_all_sealed(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every org's sealed connection secrets, locked for a KEK rotation (the daemon's own connection)."""
    records = await conn.fetch(
        """SELECT id, wrapped_data_key, kek_id FROM mcp_connections
           WHERE wrapped_data_key IS NOT NULL ORDER BY id FOR UPDATE"""
    )
    return [dict(r) for r in records]


async def rewrap(conn: asyncpg.Connection, ident: UUID, wrapped: bytes, kek_id: str) -> None:
    # updated_at moves with the trigger: sessions keyed by the old etag restart with the same secrets.
    await conn.execute(
        "UPDATE mcp_connections SET wrapped_data_key = $2, kek_id = $3 WHERE id = $1", ident, wrapped, kek_id
    )
