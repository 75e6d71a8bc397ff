"""Rooms on PostgreSQL 16 and 15: the participant limit under concurrent joins, the call's life, RLS."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from auralinkd.access.principal import Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.errors import NotFound, ResourceExhausted
from auralinkd.rooms.service import Joiner, NewRoom, RoomService


@dataclass
class World:
    db: Database
    rooms: RoomService
    admin: Caller
    outsider: Caller


@pytest.fixture
async def world(fresh_dsn: str) -> AsyncIterator[World]:
    db = Database(embedded=False, min_size=1, max_size=8, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    callers = []
    async with db.system() as conn:
        for slug in ("org-a", "org-b"):
            org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id", slug)
            user = await conn.fetchval(
                "INSERT INTO users (organization_id, email, username) VALUES ($1, $2, $3) RETURNING id",
                org,
                f"admin@{slug}.test",
                f"admin-{slug}",
            )
            callers.append(Caller(Principal(user, org, frozenset({"*"}), "test"), "req", "test"))
    yield World(db, RoomService(db, AuditLog(db)), callers[0], callers[1])
    await db.close()


async def test_concurrent_joins_never_exceed_the_limit_and_the_last_one_out_ends_the_call(world: World) -> None:
    room = await world.rooms.create(world.admin, NewRoom("standup", "meeting", max_participants=3))
    joins = [world.rooms.join(world.admin, str(room.id), Joiner("guest", display_name=f"g{i}")) for i in range(8)]
    results = await asyncio.gather(*joins, return_exceptions=True)
    joined = [r for r in results if not isinstance(r, BaseException)]
    assert len(joined) == 3 and all(isinstance(r, ResourceExhausted) for r in results if r not in joined)
    assert len({p.call_id for p in joined}) == 1  # one call, started by the first one in

    for p in joined:
        await world.rooms.leave(world.admin, str(room.id), str(p.id))
    after = await world.rooms.get(world.admin, str(room.id))
    assert after.call_id is None and after.participant_count == 0
    again = await world.rooms.join(world.admin, str(room.id), Joiner("user"))
    assert again.call_id != joined[0].call_id  # a new call


async def test_another_orgs_room_and_participants_do_not_exist_for_the_caller(world: World) -> None:
    room = await world.rooms.create(world.admin, NewRoom("board", "webinar"))
    await world.rooms.join(world.admin, str(room.id), Joiner("user"))
    for attempt in (
        world.rooms.get(world.outsider, str(room.id)),
        world.rooms.participants(world.outsider, str(room.id), True),
        world.rooms.join(world.outsider, str(room.id), Joiner("user")),
        world.rooms.close(world.outsider, str(room.id)),
        world.rooms.get(world.outsider, str(uuid.uuid4())),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert (await world.rooms.list(world.outsider, 0, "", True))[0] == []
    closed = await world.rooms.close(world.admin, str(room.id))
    assert closed.status == "closed" and closed.closed_at is not None and closed.participant_count == 0
