"""Agents on PostgreSQL 16 and 15: versions, chat persistence through the provider stack, rooms and their feed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from auralinkd.access.principal import Caller, Principal
from auralinkd.agents.service import Agent, AgentService, ChatEvent, Message
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.errors import Aborted, InvalidArgument, NotFound
from auralinkd.providers.completions import CompletionService
from auralinkd.providers.gateway import Gateway
from auralinkd.providers.local import LocalModel
from auralinkd.providers.service import ProviderConfig, ProviderService
from auralinkd.providers.vault import KeyVault
from auralinkd.rooms.service import NewRoom, RoomService
from auralinkd.streams import Streams
from tests.fakes.openai_server import FakeOpenAI


@dataclass
class World:
    db: Database
    agents: AgentService
    alice: Caller
    room: uuid.UUID


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.behave("gpt-4o-mini", reply="Nice to meet you")
        yield server


@pytest.fixture
async def world(fresh_dsn: str, fake: FakeOpenAI, tmp_path: Path) -> AsyncIterator[World]:
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    async with db.system() as conn:
        org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ('org a', 'org-a') RETURNING id")
        user = await conn.fetchval(
            "INSERT INTO users (organization_id, email, username, role) "
            "VALUES ($1, 'alice@x.test', 'alice', 'admin') RETURNING id",
            org,
        )
    alice = Caller(Principal(user, org, frozenset({"*"}), "test"), "req-1", "test")
    audit = AuditLog(db)
    room = (await RoomService(db, audit).create(alice, NewRoom("r", "meeting"))).id
    providers = ProviderService(db, audit, KeyVault.from_config(None, (), tmp_path, False), "smollm2-135m")
    await providers.create_provider(
        alice, ProviderConfig(name="fake", type="openai_compatible", base_url=fake.base_url, models=("gpt-4o-mini",))
    )
    await providers.set_key(alice, "fake", "sk-agents-test-0000", "user", "")
    completions = CompletionService(db, providers, Gateway(LocalModel(None), "smollm2-135m", 3, 60), 32)
    yield World(db, AgentService(db, audit, EventBus("t", None), completions, None), alice, room)
    await db.close()


def scribe(**changes: object) -> Agent:
    return Agent(**{"name": "scribe", "model": "fake/gpt-4o-mini", "memory_enabled": False, **changes})  # type: ignore[arg-type]


async def collect(events: AsyncIterator[ChatEvent]) -> list[ChatEvent]:
    return [e async for e in events]


async def test_updates_bump_the_version_and_a_stale_one_is_aborted(world: World) -> None:
    agent = await world.agents.create(world.alice, scribe())
    updated = await world.agents.update(world.alice, "scribe", scribe(temperature=1.2), ["temperature"], "", 1)
    assert (updated.version, updated.temperature) == (2, 1.2)
    with pytest.raises(Aborted):
        await world.agents.update(world.alice, str(agent.id), scribe(temperature=0.1), ["temperature"], "", 1)
    assert (await world.agents.get(world.alice, "scribe")).temperature == 1.2


@pytest.mark.parametrize(
    "bad",
    [
        scribe(temperature=2.5),
        scribe(temperature=-0.1),
        scribe(model="nope/gpt-4o-mini"),
        scribe(model="fake/gpt-99"),
        scribe(name=" "),
    ],
)
async def test_bad_agents_are_invalid_and_nothing_is_created(world: World, bad: Agent) -> None:
    with pytest.raises(InvalidArgument):
        await world.agents.create(world.alice, bad)
    assert (await world.agents.list(world.alice, 0, ""))[0] == []


async def test_chat_streams_and_persists_both_turns(world: World) -> None:
    await world.agents.create(world.alice, scribe())
    events = await collect(world.agents.chat(world.alice, "scribe", "Hello there", "", 16, 30))
    assert "".join(e.delta for e in events) == "Nice to meet you"
    assert events[-1].done and events[-1].completion is not None and events[-1].outcomes == []
    conversation = events[0].conversation_id
    again = await collect(world.agents.chat(world.alice, "scribe", "And again", str(conversation), 16, 30))
    assert again[0].prompt[1:3] == [Message("user", "Hello there"), Message("assistant", "Nice to meet you")]
    stored = await world.agents.get_conversation(world.alice, str(conversation))
    assert stored.message_count == 4 and [m.role for m in stored.messages] == ["user", "assistant"] * 2
    listed, _ = await world.agents.list_conversations(world.alice, "scribe", 10, "")
    assert [c.id for c in listed] == [conversation]
    await world.agents.delete_conversation(world.alice, str(conversation))
    with pytest.raises(NotFound):
        await world.agents.get_conversation(world.alice, str(conversation))


async def test_an_empty_message_is_invalid_and_nothing_is_stored(world: World) -> None:
    await world.agents.create(world.alice, scribe())
    with pytest.raises(InvalidArgument, match="message"):
        await collect(world.agents.chat(world.alice, "scribe", "   ", "", 16, 30))
    assert (await world.agents.list_conversations(world.alice, "", 10, ""))[0] == []


async def test_the_room_feed_sends_a_snapshot_then_assignments(world: World) -> None:
    await world.agents.create(world.alice, scribe())
    await world.agents.assign_room(world.alice, "scribe", str(world.room), "", True)
    feed = Streams(lambda: False, heartbeat_s=0.2).keep_alive(
        world.agents.watch_assignments(world.alice, ""), lambda: ("heartbeat", None)
    )
    kind, existing = await anext(feed)
    assert kind == "existing" and existing is not None and existing.room_id == world.room
    assert (await anext(feed))[0] == "snapshot_done"
    assert (await anext(feed))[0] == "heartbeat"
    await world.agents.unassign_room(world.alice, "scribe", str(world.room))
    kind, gone = await asyncio.wait_for(anext(feed), 5)
    assert kind == "unassigned" and gone is not None and gone.agent_name == "scribe"
    await feed.aclose()
    with pytest.raises(NotFound):
        await world.agents.assign_room(world.alice, "scribe", str(uuid.uuid4()), "", True)
    with pytest.raises(InvalidArgument, match="role"):
        await world.agents.assign_room(world.alice, "scribe", str(world.room), "janitor", True)
