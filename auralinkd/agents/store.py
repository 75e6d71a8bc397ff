"""SQL of the agents domain: agents, conversations and room assignments."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

_AGENT = """id, organization_id, created_by, name, description, model, provider, system_prompt, temperature,
    max_tokens, memory_enabled, voice_enabled, tts_provider, tts_voice_id, settings, version, created_at, updated_at"""


def _agent(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    value = dict(row)
    value["settings"] = json.loads(value["settings"]) if isinstance(value["settings"], str) else value["settings"]
    value["temperature"] = float(value["temperature"])
    return value


async def insert_agent(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, a: dict[str, Any]
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""INSERT INTO ai_agents (organization_id, created_by, name, description, model, provider, system_prompt,
                                  temperature, max_tokens, memory_enabled, voice_enabled, tts_provider, tts_voice_id,
                                  settings)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb)
            ON CONFLICT (organization_id, name) DO NOTHING
            RETURNING {_AGENT}""",
        org_id,
        user_id,
        a["name"],
        a["description"],
        a["model"],
        a["provider"],
        a["system_prompt"],
        a["temperature"],
        a["max_tokens"],
        a["memory_enabled"],
        a["voice_enabled"],
        a["tts_provider"],
        a["tts_voice_id"],
        json.dumps(a["settings"]),
    )
    return _agent(row)


async def get_agent(conn: asyncpg.Connection, ref: str) -> dict[str, Any] | None:
    try:
        ident: UUID | None = UUID(ref)
    except ValueError:
        ident = None
    if ident is not None:
        return _agent(await conn.fetchrow(f"SELECT {_AGENT} FROM ai_agents WHERE id = $1 AND is_active", ident))
    return _agent(await conn.fetchrow(f"SELECT {_AGENT} FROM ai_agents WHERE name = $1 AND is_active", ref))


async def list_agents(conn: asyncpg.Connection, after: str | None, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_AGENT} FROM ai_agents WHERE is_active AND ($1::text IS NULL OR name > $1)
            ORDER BY name LIMIT $2""",
        after,
        limit,
    )
    return [_agent(r) for r in rows]  # type: ignore[misc]


async def update_agent(conn: asyncpg.Connection, ident: UUID, version: int, a: dict[str, Any]) -> dict[str, Any] | None:
    """None when the version moved on (a concurrent update)."""
    row = await conn.fetchrow(
        f"""UPDATE ai_agents SET name = $3, description = $4, model = $5, provider = $6, system_prompt = $7,
                   temperature = $8, max_tokens = $9, memory_enabled = $10, voice_enabled = $11, tts_provider = $12,
                   tts_voice_id = $13, settings = $14::jsonb, version = version + 1
            WHERE id = $1 AND version = $2 RETURNING {_AGENT}""",
        ident,
        version,
        a["name"],
        a["description"],
        a["model"],
        a["provider"],
        a["system_prompt"],
        a["temperature"],
        a["max_tokens"],
        a["memory_enabled"],
        a["voice_enabled"],
        a["tts_provider"],
        a["tts_voice_id"],
        json.dumps(a["settings"]),
    )
    return _agent(row)


async def name_taken(conn: asyncpg.Connection, name: str, other_than: UUID) -> bool:
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM ai_agents WHERE name = $1 AND id <> $2)", name, other_than)
    )


async def delete_agent(conn: asyncpg.Connection, ident: UUID) -> bool:
    return await conn.fetchval("DELETE FROM ai_agents WHERE id = $1 RETURNING true", ident) is not None


# -- conversations ------------------------------------------------------------------------------

_CONVERSATION = """id, agent_id, user_id, title, message_count, prompt_tokens, completion_tokens, created_at,
    last_message_at"""


async def get_conversation(conn: asyncpg.Connection, ident: UUID, with_messages: bool) -> dict[str, Any] | None:
    extra = ", messages" if with_messages else ""
    row = await conn.fetchrow(f"SELECT {_CONVERSATION}{extra} FROM agent_conversations WHERE id = $1", ident)
    if row is None:
        return None
    value = dict(row)
    if with_messages:
        value["messages"] = json.loads(value["messages"])
    return value


async def append_turns(
    conn: asyncpg.Connection,
    ident: UUID,
    org_id: UUID,
    user_id: UUID,
    agent_id: UUID,
    title: str,
    turns: list[dict[str, Any]],
    prompt_tokens: int,
    completion_tokens: int,
) -> None:
    await conn.execute(
        """INSERT INTO agent_conversations (id, organization_id, user_id, agent_id, title, messages, message_count,
                                            prompt_tokens, completion_tokens, last_message_at)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, now())
           ON CONFLICT (id) DO UPDATE
              SET messages = agent_conversations.messages || EXCLUDED.messages,
                  message_count = agent_conversations.message_count + EXCLUDED.message_count,
                  prompt_tokens = agent_conversations.prompt_tokens + EXCLUDED.prompt_tokens,
                  completion_tokens = agent_conversations.completion_tokens + EXCLUDED.completion_tokens,
                  last_message_at = now()""",
        ident,
        org_id,
        user_id,
        agent_id,
        title,
        json.dumps(turns),
        len(turns),
        prompt_tokens,
        completion_tokens,
    )


async def list_conversations(
    conn: asyncpg.Connection, agent_id: UUID | None, after: tuple[str, str] | None, limit: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_CONVERSATION} FROM agent_conversations
            WHERE ($1::uuid IS NULL OR agent_id = $1)
              AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
            ORDER BY created_at DESC, id DESC LIMIT $4""",
        agent_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [dict(r) for r in rows]


async def delete_conversation(conn: asyncpg.Connection, ident: UUID) -> bool:
    return await conn.fetchval("DELETE FROM agent_conversations WHERE id = $1 RETURNING true", ident) is not None


# -- room assignments ---------------------------------------------------------------------------

_ASSIGNMENT = """r.id, r.organization_id, r.agent_id, a.name AS agent_name, r.room_id, r.role, r.auto_join,
    r.assigned_by,
    r.created_at, r.updated_at"""


async def upsert_assignment(
    conn: asyncpg.Connection, org_id: UUID, agent_id: UUID, room_id: UUID, role: str, auto_join: bool, by: UUID
) -> dict[str, Any]:
    ident = await conn.fetchval(
        """INSERT INTO agent_room_assignments (organization_id, agent_id, room_id, role, auto_join, assigned_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (agent_id, room_id) DO UPDATE
              SET role = EXCLUDED.role, auto_join = EXCLUDED.auto_join, assigned_by = EXCLUDED.assigned_by,
                  is_active = true
           RETURNING id""",
        org_id,
        agent_id,
        room_id,
        role,
        auto_join,
        by,
    )
    row = await conn.fetchrow(
        f"SELECT {_ASSIGNMENT} FROM agent_room_assignments r JOIN ai_agents a ON a.id = r.agent_id WHERE r.id = $1",
        ident,
    )
    return dict(row)


async def delete_assignment(conn: asyncpg.Connection, agent_id: UUID, room_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""SELECT {_ASSIGNMENT} FROM agent_room_assignments r JOIN ai_agents a ON a.id = r.agent_id
            WHERE r.agent_id = $1 AND r.room_id = $2 AND r.is_active""",
        agent_id,
        room_id,
    )
    if row is None:
        return None
    await conn.execute("DELETE FROM agent_room_assignments WHERE id = $1", row["id"])
    return dict(row)


async def list_assignments(
    conn: asyncpg.Connection, agent_id: UUID | None, room_id: UUID | None
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_ASSIGNMENT} FROM agent_room_assignments r JOIN ai_agents a ON a.id = r.agent_id
            WHERE r.is_active AND ($1::uuid IS NULL OR r.agent_id = $1) AND ($2::uuid IS NULL OR r.room_id = $2)
            ORDER BY r.created_at, r.id""",
        agent_id,
        room_id,
    )
    return [dict(r) for r in rows]


async def room_status(conn: asyncpg.Connection, room_id: UUID) -> str | None:
    """'active', 'closed' or 'archived'; None when invisible to the caller (RLS: another org's room)."""
    return await conn.fetchval("SELECT status FROM rooms WHERE id = $1", room_id)  # type: ignore[no-any-return]
