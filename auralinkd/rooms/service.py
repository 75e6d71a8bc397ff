"""Rooms: create, read, list and close them, and who is in each room's call (join, leave, list).

A room has at most one active call: the first participant in starts it, the last one out (or closing
the room) ends it. Joins, leaves and closing lock the room row, so the participant limit holds under
concurrent joins. Members act for themselves; org admins (the WebRTC server's identity) register
and remove anyone, and close any room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.db.database import Database
from auralinkd.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from auralinkd.paging import decode_time_id, page_of, page_size
from auralinkd.rooms import store

ROOM_TYPES = ("meeting", "webinar", "broadcast", "direct", "agent")
PARTICIPANT_KINDS = ("user", "agent", "guest")
PARTICIPANT_ROLES = ("host", "participant", "viewer")
DEFAULT_MAX_PARTICIPANTS = 50
MAX_PARTICIPANTS = 10_000


@dataclass(frozen=True)
class NewRoom:
    name: str
    room_type: str
    description: str = ""
    is_private: bool = False
    max_participants: int = 0  # 0: DEFAULT_MAX_PARTICIPANTS
    aic_enabled: bool = True
    recording_enabled: bool = False


@dataclass(frozen=True)
class Room:
    id: UUID
    name: str
    description: str
    room_type: str
    status: str
    is_private: bool
    max_participants: int
    aic_enabled: bool
    recording_enabled: bool
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    call_id: UUID | None
    participant_count: int


@dataclass(frozen=True)
class Participant:
    id: UUID
    room_id: UUID
    call_id: UUID
    kind: str
    user_id: UUID | None
    agent_id: UUID | None
    display_name: str
    role: str
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True)
class Joiner:
    """Who enters: a user (None: the caller), an agent (id or name), or a guest (by display name)."""

    kind: str
    user_id: str = ""
    agent: str = ""
    display_name: str = ""
    role: str = ""


def _room(row: dict[str, Any]) -> Room:
    return Room(
        id=row["id"], name=row["name"], description=row["description"] or "", room_type=row["room_type"],
        status=row["status"], is_private=row["is_private"], max_participants=row["max_participants"],
        aic_enabled=row["aic_enabled"], recording_enabled=row["recording_enabled"], created_by=row["created_by"],
        created_at=row["created_at"], updated_at=row["updated_at"], closed_at=row["closed_at"],
        call_id=row["call_id"], participant_count=row["participant_count"] if row["call_id"] else 0,
    )  # fmt: skip


def _participant(row: dict[str, Any]) -> Participant:
    return Participant(
        id=row["id"], room_id=row["room_id"], call_id=row["call_id"], kind=row["participant_kind"],
        user_id=row["user_id"], agent_id=row["agent_id"], display_name=row["display_name"] or "", role=row["role"],
        joined_at=row["joined_at"], left_at=row["left_at"],
    )  # fmt: skip


def _uuid(field_name: str, value: str) -> UUID:
    if not value.strip():
        raise InvalidArgument.for_field(field_name, "is required")
    try:
        return UUID(value.strip())
    except ValueError:
        raise InvalidArgument.for_field(field_name, f"must be a UUID, got {value!r}") from None


def validate_room(room: NewRoom) -> dict[str, Any]:
    """The row values of a new room, or INVALID_ARGUMENT naming the field."""
    name = room.name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidArgument.for_field("name", "must be 1 to 200 characters")
    if room.room_type not in ROOM_TYPES:
        raise InvalidArgument.for_field("type", f"must be one of {', '.join(ROOM_TYPES)}")
    if len(room.description) > 2000:
        raise InvalidArgument.for_field("description", "must be at most 2000 characters")
    limit = room.max_participants or DEFAULT_MAX_PARTICIPANTS
    if not 1 <= limit <= MAX_PARTICIPANTS:
        raise InvalidArgument.for_field(
            "max_participants", f"must be between 1 and {MAX_PARTICIPANTS}, got {room.max_participants}"
        )
    return {
        "name": name, "description": room.description or None, "room_type": room.room_type,
        "is_private": room.is_private, "max_participants": limit, "aic_enabled": room.aic_enabled,
        "recording_enabled": room.recording_enabled,
    }  # fmt: skip


class RoomService:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self._database = database
        self._audit = audit

    # -- rooms ------------------------------------------------------------------------------------

    async def create(self, caller: Caller, room: NewRoom, timeout_s: float | None = None) -> Room:
        values = validate_room(room)
        p = caller.principal
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            ident = await store.insert_room(conn, p.org_id, p.user_id, values)
            await self._audit.record(
                conn, caller, "RoomService/CreateRoom", "room", str(ident),
                metadata={"name": values["name"], "type": values["room_type"]},
            )  # fmt: skip
            return _room(await self._find(conn, str(ident)))

    async def get(self, caller: Caller, room_id: str, timeout_s: float | None = None) -> Room:
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            return _room(await self._find(conn, room_id))

    async def list(
        self, caller: Caller, requested: int, token: str, include_closed: bool, timeout_s: float | None = None
    ) -> tuple[list[Room], str]:
        size = page_size(requested)
        after = decode_time_id(token)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            rows = await store.list_rooms(conn, after, size + 1, include_closed)  # type: ignore[arg-type]
        rows, next_token = page_of(rows, size)
        return [_room(r) for r in rows], next_token

    async def close(self, caller: Caller, room_id: str, timeout_s: float | None = None) -> Room:
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            row = await self._find(conn, room_id, lock=True)
            if row["status"] != "active":
                return _room(row)  # closing twice changes nothing
            if row["created_by"] != caller.principal.user_id and not caller.principal.is_org_admin:
                raise PermissionDenied("only the room's creator or an org admin may close it")
            if row["call_id"] is not None:
                await store.end_call(conn, row["call_id"])
            await store.close_room(conn, row["id"])
            await self._audit.record(
                conn, caller, "RoomService/CloseRoom", "room", str(row["id"]),
                metadata={"call_id": str(row["call_id"] or ""), "participants": row["participant_count"]},
            )  # fmt: skip
            return _room(await self._find(conn, room_id))

    async def _find(self, conn: asyncpg.Connection, room_id: str, *, lock: bool = False) -> dict[str, Any]:
        row = await store.get_room(conn, _uuid("room_id", room_id), lock=lock)
        if row is None:
            raise NotFound(f"no room {room_id.strip()}")
        return row

    # -- participants -----------------------------------------------------------------------------

    async def join(self, caller: Caller, room_id: str, joiner: Joiner, timeout_s: float | None = None) -> Participant:
        role = joiner.role or "participant"
        if role not in PARTICIPANT_ROLES:
            raise InvalidArgument.for_field("role", f"must be one of {', '.join(PARTICIPANT_ROLES)}, got {role!r}")
        if len(joiner.display_name) > 100:
            raise InvalidArgument.for_field("display_name", "must be at most 100 characters")
        p = caller.principal
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            room = await self._find(conn, room_id, lock=True)
            values = await self._joiner_values(conn, caller, joiner, role)
            if room["status"] != "active":
                raise FailedPrecondition(f"room {room['id']} is {room['status']}; open a new room")
            call_id = room["call_id"]
            if call_id is None:
                call_id = await store.start_call(conn, p.org_id, room["id"], p.user_id)
            elif await store.present(conn, call_id, values["user_id"], values["agent_id"]):
                raise AlreadyExists(f"{values['display_name'] or joiner.kind} is in room {room['id']} already")
            elif room["participant_count"] >= room["max_participants"]:
                raise ResourceExhausted(f"room {room['id']} is full ({room['max_participants']} participants)")
            ident = await store.insert_participant(conn, p.org_id, call_id, values)
            await self._audit.record(
                conn, caller, "RoomService/JoinRoom", "call_participant", str(ident),
                metadata={"room_id": str(room["id"]), "call_id": str(call_id), "kind": joiner.kind},
            )  # fmt: skip
            row = await store.get_participant(conn, ident)
        assert row is not None
        return _participant(row)

    async def _joiner_values(
        self, conn: asyncpg.Connection, caller: Caller, joiner: Joiner, role: str
    ) -> dict[str, Any]:
        p = caller.principal
        values: dict[str, Any] = {"kind": joiner.kind, "user_id": None, "agent_id": None, "role": role}
        name = joiner.display_name.strip()
        if joiner.kind == "user":
            user_id = _uuid("user_id", joiner.user_id) if joiner.user_id.strip() else p.user_id
            if user_id != p.user_id and not p.is_org_admin:
                raise PermissionDenied("members join rooms as themselves; registering others needs an org admin")
            user = await store.find_user(conn, user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            values.update(user_id=user_id, display_name=name or user["display_name"])
        elif joiner.kind == "agent":
            if not joiner.agent.strip():
                raise InvalidArgument.for_field("agent", "an agent id or name is needed")
            if not p.is_org_admin:
                raise PermissionDenied("registering an agent in a room needs an org admin")
            agent = await store.find_agent(conn, joiner.agent.strip())
            if agent is None:
                raise NotFound(f"no agent {joiner.agent.strip()!r}")
            values.update(agent_id=agent["id"], display_name=name or agent["name"])
        elif joiner.kind == "guest":
            if not name:
                raise InvalidArgument.for_field("display_name", "a guest needs a display name")
            if not p.is_org_admin:
                raise PermissionDenied("registering a guest in a room needs an org admin")
            values["display_name"] = name
        else:
            raise InvalidArgument.for_field("kind", f"must be one of {', '.join(PARTICIPANT_KINDS)}")
        return values

    async def leave(self, caller: Caller, room_id: str, participant_id: str, timeout_s: float | None = None) -> None:
        ident = _uuid("participant_id", participant_id)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            room = await self._find(conn, room_id, lock=True)
            row = await store.get_participant(conn, ident)
            if row is None or row["room_id"] != room["id"] or row["left_at"] is not None:
                raise NotFound(f"participant {ident} is not in room {room['id']}")
            if row["user_id"] != caller.principal.user_id and not caller.principal.is_org_admin:
                raise PermissionDenied("members leave rooms as themselves; removing others needs an org admin")
            await store.leave(conn, ident)
            if room["call_id"] == row["call_id"] and room["participant_count"] <= 1:
                await store.end_call(conn, row["call_id"])  # the last one out ends the call
            await self._audit.record(
                conn, caller, "RoomService/LeaveRoom", "call_participant", str(ident),
                metadata={"room_id": str(room["id"]), "call_id": str(row["call_id"])},
            )  # fmt: skip

    async def participants(
        self, caller: Caller, room_id: str, include_left: bool, timeout_s: float | None = None
    ) -> list[Participant]:
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            room = await self._find(conn, room_id)
            return [_participant(r) for r in await store.list_participants(conn, room["id"], include_left)]
