"""SQL of the providers domain: provider configs, sealed keys, usage records and budgets."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

_PROVIDER_COLUMNS = """id, organization_id, name, provider_type, base_url, default_model, models, priority,
    is_enabled, timeout_ms, settings, created_by, created_at, updated_at"""


def _provider(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    value = dict(row)
    value["settings"] = json.loads(value["settings"]) if isinstance(value["settings"], str) else value["settings"]
    return value


# -- providers ----------------------------------------------------------------------------------


async def insert_provider(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, p: dict[str, Any]) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO ai_providers (organization_id, name, provider_type, base_url, default_model, models,
                                     priority, is_enabled, timeout_ms, settings, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)
            ON CONFLICT (organization_id, name) DO NOTHING
            RETURNING {_PROVIDER_COLUMNS}""",
        org_id,
        p["name"],
        p["provider_type"],
        p["base_url"],
        p["default_model"],
        p["models"],
        p["priority"],
        p["is_enabled"],
        p["timeout_ms"],
        json.dumps(p["settings"]),
        user_id,
    )
    return _provider(row)  # type: ignore[return-value]  # None means the name is taken


async def get_provider(conn: asyncpg.Connection, ref: str) -> dict[str, Any] | None:
    try:
        ident = UUID(ref)
    except ValueError:
        ident = None
    if ident is not None:
        row = await conn.fetchrow(f"SELECT {_PROVIDER_COLUMNS} FROM ai_providers WHERE id = $1", ident)
    else:
        row = await conn.fetchrow(f"SELECT {_PROVIDER_COLUMNS} FROM ai_providers WHERE name = $1", ref)
    return _provider(row)


async def list_providers(conn: asyncpg.Connection, after: tuple[int, str] | None, limit: int) -> list[dict[str, Any]]:
    if after is None:
        rows = await conn.fetch(f"SELECT {_PROVIDER_COLUMNS} FROM ai_providers ORDER BY priority, name LIMIT $1", limit)
    else:
        rows = await conn.fetch(
            f"""SELECT {_PROVIDER_COLUMNS} FROM ai_providers WHERE (priority, name) > ($1, $2)
                ORDER BY priority, name LIMIT $3""",
            after[0],
            after[1],
            limit,
        )
    return [_provider(r) for r in rows]  # type: ignore[misc]


async def update_provider(conn: asyncpg.Connection, ident: UUID, p: dict[str, Any]) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""UPDATE ai_providers SET name = $2, provider_type = $3, base_url = $4, default_model = $5, models = $6,
                   priority = $7, is_enabled = $8, timeout_ms = $9, settings = $10::jsonb
            WHERE id = $1 RETURNING {_PROVIDER_COLUMNS}""",
        ident,
        p["name"],
        p["provider_type"],
        p["base_url"],
        p["default_model"],
        p["models"],
        p["priority"],
        p["is_enabled"],
        p["timeout_ms"],
        json.dumps(p["settings"]),
    )
    return _provider(row)  # type: ignore[return-value]


async def delete_provider(conn: asyncpg.Connection, ident: UUID) -> bool:
    return await conn.fetchval("DELETE FROM ai_providers WHERE id = $1 RETURNING true", ident) is not None


async def name_taken(conn: asyncpg.Connection, name: str, other_than: UUID) -> bool:
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM ai_providers WHERE name = $1 AND id <> $2)", name, other_than)
    )


# -- keys ---------------------------------------------------------------------------------------

_KEY_INFO = """id, organization_id, user_id, provider_id, provider, label, key_fingerprint, kek_id, is_active,
    last_used_at, created_at"""
_KEY_SEALED = "encrypted_key, wrapped_data_key, nonce"


async def upsert_key(
    conn: asyncpg.Connection,
    org_id: UUID,
    user_id: UUID | None,
    provider_id: UUID | None,
    provider: str,
    label: str,
    sealed: Any,
) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO provider_api_keys (organization_id, user_id, provider_id, provider, label, encrypted_key,
                                           wrapped_data_key, nonce, key_fingerprint, kek_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (organization_id, user_id, provider, label) DO UPDATE
               SET provider_id = EXCLUDED.provider_id, encrypted_key = EXCLUDED.encrypted_key,
                   wrapped_data_key = EXCLUDED.wrapped_data_key, nonce = EXCLUDED.nonce,
                   key_fingerprint = EXCLUDED.key_fingerprint, kek_id = EXCLUDED.kek_id, is_active = true,
                   rotated_at = now()
            RETURNING {_KEY_INFO}""",
        org_id,
        user_id,
        provider_id,
        provider,
        label,
        sealed.encrypted_key,
        sealed.wrapped_data_key,
        sealed.nonce,
        sealed.fingerprint,
        sealed.kek_id,
    )
    return dict(row)


async def list_keys(conn: asyncpg.Connection, provider: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_KEY_INFO} FROM provider_api_keys WHERE ($1 = '' OR provider = $1)
            ORDER BY provider, user_id NULLS LAST, label""",
        provider,
    )
    return [dict(r) for r in rows]


async def usable_keys(conn: asyncpg.Connection, user_id: UUID) -> list[dict[str, Any]]:
    """The caller's own keys first, then the org's; never another member's (even for org admins)."""
    rows = await conn.fetch(
        f"""SELECT {_KEY_INFO}, {_KEY_SEALED} FROM provider_api_keys
            WHERE is_active AND (user_id = $1 OR user_id IS NULL) AND (expires_at IS NULL OR expires_at > now())
            ORDER BY provider, user_id NULLS LAST, (label = 'default') DESC, created_at""",
        user_id,
    )
    return [dict(r) for r in rows]


async def get_key(conn: asyncpg.Connection, ident: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(f"SELECT {_KEY_INFO} FROM provider_api_keys WHERE id = $1", ident)
    return dict(row) if row else None


async def delete_key(conn: asyncpg.Connection, ident: UUID) -> bool:
    return await conn.fetchval("DELETE FROM provider_api_keys WHERE id = $1 RETURNING true", ident) is not None


async def touch_keys(conn: asyncpg.Connection, ids: list[UUID]) -> None:
    await conn.execute("UPDATE provider_api_keys SET last_used_at = now() WHERE id = ANY($1::uuid[])", ids)


async def lock_all_keys(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every org's keys, locked for the re-wrap (called on the daemon's own connection)."""
    rows = await conn.fetch("SELECT id, wrapped_data_key, kek_id FROM provider_api_keys ORDER BY id FOR UPDATE")
    return [dict(r) for r in rows]


async def rewrap_key(conn: asyncpg.Connection, ident: UUID, wrapped: bytes, kek_id: str) -> None:
    await conn.execute(
        "UPDATE provider_api_keys SET wrapped_data_key = $2, kek_id = $3, rotated_at = now() WHERE id = $1",
        ident,
        wrapped,
        kek_id,
    )


# -- usage --------------------------------------------------------------------------------------


async def insert_usages(conn: asyncpg.Connection, rows: list[tuple[UUID, UUID, dict[str, Any]]]) -> None:
    """Many usage records in one round trip: (org_id, user_id, usage) each.

    Records are written after the call, off its path: an agent deleted meanwhile is recorded as NULL, as the
    foreign key's ON DELETE SET NULL would have made it (a plain $3 failed the whole batch, and every later flush)."""
    await conn.executemany(
        """INSERT INTO usage_records (organization_id, user_id, agent_id, provider, model, operation, prompt_tokens,
                                      completion_tokens, cost_usd, latency_ms, failovers, success, request_id,
                                      metadata)
           VALUES ($1, $2, (SELECT id FROM ai_agents WHERE id = $3::uuid), $4, $5, $6, $7, $8, $9, $10, $11, $12,
                   $13, $14::jsonb)""",
        [
            (
                org_id,
                user_id,
                u["agent_id"],
                u["provider"],
                u["model"],
                u["operation"],
                u["prompt_tokens"],
                u["completion_tokens"],
                u["cost_usd"],
                u["latency_ms"],
                u["failovers"],
                u["success"],
                u["request_id"],
                json.dumps(u["metadata"]),
            )
            for org_id, user_id, u in rows
        ],
    )


async def spent(conn: asyncpg.Connection, scope: str, subject: UUID | None, since: datetime | None) -> float:
    column = {"org": None, "user": "user_id", "agent": "agent_id"}[scope]
    condition = f"{column} = $1" if column else "$1::uuid IS NULL"
    value = await conn.fetchval(
        f"""SELECT COALESCE(sum(cost_usd), 0) FROM usage_records
            WHERE {condition} AND ($2::timestamptz IS NULL OR created_at >= $2)""",
        subject,
        since,
    )
    return float(value)


async def usage_summary(
    conn: asyncpg.Connection, start: datetime | None, end: datetime | None, run_id: UUID | None = None
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT agent_id, user_id, provider, model, operation, count(*) AS calls,
                  sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
                  sum(cost_usd) AS cost_usd, sum(failovers) AS failovers,
                  coalesce(sum((metadata->>'audio_seconds')::float8), 0) AS audio_seconds,
                  coalesce(sum((metadata->>'characters')::bigint), 0) AS characters
           FROM usage_records
           WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
             AND ($3::text IS NULL OR metadata->>'workflow_run_id' = $3)
           GROUP BY agent_id, user_id, provider, model, operation
           ORDER BY sum(cost_usd) DESC, count(*) DESC""",
        start,
        end,
        str(run_id) if run_id is not None else None,
    )
    return [dict(r) for r in rows]


# -- budgets ------------------------------------------------------------------------------------

_BUDGET_COLUMNS = "id, organization_id, scope, user_id, agent_id, period, limit_usd, created_at, updated_at"


async def subject_visible(conn: asyncpg.Connection, table: str, subject_id: UUID) -> bool:
    """Whether the caller's org has this user or agent (RLS decides; run in a tenant transaction)."""
    assert table in ("users", "ai_agents")
    return bool(await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE id = $1)", subject_id))


async def upsert_budget(conn: asyncpg.Connection, org_id: UUID, created_by: UUID, b: dict[str, Any]) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO usage_budgets (organization_id, scope, user_id, agent_id, period, limit_usd, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (organization_id, scope, user_id, agent_id, period) DO UPDATE SET limit_usd = EXCLUDED.limit_usd
            RETURNING {_BUDGET_COLUMNS}""",
        org_id,
        b["scope"],
        b["user_id"],
        b["agent_id"],
        b["period"],
        b["limit_usd"],
        created_by,
    )
    return dict(row)


async def list_budgets(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(f"SELECT {_BUDGET_COLUMNS} FROM usage_budgets ORDER BY scope, period, id")
    return [dict(r) for r in rows]


async def agent_visible(conn: asyncpg.Connection, agent_id: UUID) -> bool:
    """Is the agent one of the caller's organization's (RLS decides), and active?"""
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM ai_agents WHERE id = $1 AND is_active)", agent_id))


async def budgets_for(conn: asyncpg.Connection, user_id: UUID, agent_id: UUID | None) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_BUDGET_COLUMNS} FROM usage_budgets
            WHERE scope = 'org' OR (scope = 'user' AND user_id = $1) OR (scope = 'agent' AND agent_id = $2)""",
        user_id,
        agent_id,
    )
    return [dict(r) for r in rows]


async def delete_budget(conn: asyncpg.Connection, ident: UUID) -> bool:
    return await conn.fetchval("DELETE FROM usage_budgets WHERE id = $1 RETURNING true", ident) is not None
