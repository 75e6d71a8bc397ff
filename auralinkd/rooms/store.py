"""SQL of the rooms domain: rooms, their calls and the calls' participants. Parameters only.

Every query runs in a tenant transaction, so RLS (migration 002) decides what exists: another
organization's room, call or participant is simply not there.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

# The room, plus who is in its active call now (one active call per room: joins lock the room row).
_ROOM = """r.id, r.name, r.description, r.room_type, r.status, r.is_private, r.max_participants, r.aic_enabled,
    r.recording_enabled, r.created_by, r.created_at, r.updated_at, r.closed_at,
    c.id AS call_id,
    (SELECT count(*) FROM call_participants p WHERE p.call_id = c.id AND p.left_at IS NULL)::int
        AS participant_count"""
_ROOM_FROM = """rooms r LEFT JOIN LATERAL (
        SELECT id FROM calls WHERE room_id = r.id AND status = 'active' ORDER BY created_at DESC LIMIT 1
    ) c ON true"""
_PARTICIPANT = """p.id, c.room_id, p.call_id, p.participant_kind, p.user_id, p.agent_id, p.display_name, p.role,
    p.joined_at, p.left_at"""


def _dict(row: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


# -- rooms ----------------------------------------------------------------------------------------


async def insert_room(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, values: dict[str, Any]) -> UUID:
    return await conn.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO rooms (organization_id, created_by, name, description, room_type, is_private,
                              max_participants, aic_enabled, recording_enabled)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
        org_id,
        user_id,
        values["name"],
        values["description"],
        values["room_type"],
        values["is_private"],
        values["max_participants"],
        values["aic_enabled"],
        values["recording_enabled"],
    )


async def get_room(conn: asyncpg.Connection, room_id: UUID, *, lock: bool = False) -> dict[str, Any] | None:
    """The room visible to the caller; `lock` serialises joins, leaves and closing per room."""
    if lock:
        if await conn.fetchval("SELECT id FROM rooms WHERE id = $1 FOR UPDATE", room_id) is None:
            return None
    return _dict(await conn.fetchrow(f"SELECT {_ROOM} FROM {_ROOM_FROM} WHERE r.id = $1", room_id))


async def list_rooms(
    conn: asyncpg.Connection, after: tuple[str, UUID] | None, limit: int, include_closed: bool
) -> list[dict[str, Any]]:
    """Newest first; `after` is the (created_at, id) keyset cursor of the previous page."""
    rows = await conn.fetch(
        f"""SELECT {_ROOM} FROM {_ROOM_FROM}
            WHERE ($1 OR r.status = 'active')
              AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
            ORDER BY r.created_at DESC, r.id DESC
            LIMIT $4""",
        include_closed,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [dict(r) for r in rows]


async def close_room(conn: asyncpg.Connection, room_id: UUID) -> None:
    await conn.execute(
        "UPDATE rooms SET status = 'closed', closed_at = now() WHERE id = $1 AND status = 'active'", room_id
    )


# -- calls --------------------------------------------------------------------------------------


async def start_call(conn: asyncpg.Connection, org_id: UUID, room_id: UUID, initiator: UUID) -> UUID:
    return await conn.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO calls (organization_id, room_id, initiator_id, status, started_at)
           VALUES ($1, $2, $3, 'active', now()) RETURNING id""",
        org_id,
        room_id,
        initiator,
    )


async def end_call(conn: asyncpg.Connection, call_id: UUID) -> None:
    """Everyone still in it leaves now; the call ends with its duration."""
    await conn.execute("UPDATE call_participants SET left_at = now() WHERE call_id = $1 AND left_at IS NULL", call_id)
    await conn.execute(
        """UPDATE calls SET status = 'ended', ended_at = now(),
                  duration_seconds = greatest(0, extract(epoch FROM now() - coalesce(started_at, created_at)))::int
           WHERE id = $1 AND status = 'active'""",
        call_id,
    )


# -- participants -------------------------------------------------------------------------------


async def present(conn: asyncpg.Connection, call_id: UUID, user_id: UUID | None, agent_id: UUID | None) -> bool:
    """Whether this user or agent is in the call already."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM call_participants WHERE call_id = $1 AND left_at IS NULL
                              AND (user_id = $2 OR agent_id = $3))""",
            call_id,
            user_id,
            agent_id,
        )
    )


async def insert_participant(conn: asyncpg.Connection, org_id: UUID, call_id: UUID, values: dict[str, Any]) -> UUID:
    return await conn.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO call_participants (organization_id, call_id, user_id, agent_id, participant_kind,
                                          display_name, role)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
        org_id,
        call_id,
        values["user_id"],
        values["agent_id"],
        values["kind"],
        values["display_name"],
        values["role"],
    )


async def get_participant(conn: asyncpg.Connection, participant_id: UUID) -> dict[str, Any] | None:
    return _dict(
        await conn.fetchrow(
            f"SELECT {_PARTICIPANT} FROM call_participants p JOIN calls c ON c.id = p.call_id WHERE p.id = $1",
            participant_id,
        )
    )


async def leave(conn: asyncpg.Connection, participant_id: UUID) -> None:
    await conn.execute("UPDATE call_participants SET left_at = now() WHERE id = $1 AND left_at IS NULL", participant_id)


async def list_participants(conn: asyncpg.Connection, room_id: UUID, include_left: bool) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {_PARTICIPANT} FROM call_participants p JOIN calls c ON c.id = p.call_id
            WHERE c.room_id = $1 AND ($2 OR (p.left_at IS NULL AND c.status = 'active'))
            ORDER BY p.joined_at, p.id""",
        room_id,
        include_left,
    )
    return [dict(r) for r in rows]


async def find_agent(conn: asyncpg.Connection, ref: str) -> dict[str, Any] | None:
    """An active agent of the caller's org, by id or name."""
    try:
        ident: UUID | None = UUID(ref)
    except ValueError:
        ident = None
    if ident is not None:
        return _dict(await conn.fetchrow("SELECT id, name FROM ai_agents WHERE id = $1 AND is_active", ident))
    return _dict(await conn.fetchrow("SELECT id, name FROM ai_agents WHERE name = $1 AND is_active", ref))


async def find_user(conn: asyncpg.Connection, user_id: UUID) -> dict[str, Any] | None:
    """An active user of the caller's org."""
    return _dict(
        await conn.fetchrow(
            """SELECT id, coalesce(display_name, username) AS display_name FROM users
               WHERE id = $1 AND is_active AND deleted_at IS NULL""",
            user_id,
        )
    )
