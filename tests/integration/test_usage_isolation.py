"""Issue 25.3: a completion names only an agent of the caller's org, and one bad usage record blocks nothing.

Before: `Complete(agent_id=<random or another org's agent>)` returned OK, its usage record broke the foreign
key, stayed queued, and every later flush failed, so usage, budgets and completions were INTERNAL for every
org until a restart.
"""

from __future__ import annotations

import uuid

import pytest

from auralinkd.errors import NotFound
from auralinkd.providers.completions import CompletionRequest
from tests.integration import test_providers as suite
from tests.integration.test_providers import HI, KEY, World, add_fake, usage_count

# The providers suite's fixtures: a database with orgs A and B, and the local OpenAI-wire server.
world = suite.world
fake_server = suite.fake_server


async def _foreign_agent(world: World) -> uuid.UUID:
    """An agent of org B (a row written directly: the agents service is not the subject here)."""
    who = world.other_org_admin
    async with world.db.system() as conn:
        return await conn.fetchval(  # type: ignore[no-any-return]
            "INSERT INTO ai_agents (organization_id, created_by, name, model, provider) "
            "VALUES ($1, $2, 'b-bot', 'gpt-4o-mini', 'fake') RETURNING id",
            who.principal.org_id,
            who.principal.user_id,
        )


async def test_a_completion_for_an_unknown_or_foreign_agent_is_not_found_and_records_nothing(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    foreign = await _foreign_agent(world)
    for agent_id in (uuid.uuid4(), foreign):
        with pytest.raises(NotFound):
            await world.completions.complete(
                world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"], agent_id=agent_id), 30
            )
    assert await usage_count(world) == 0
    assert world.fake.received == []  # refused before any provider call


async def test_a_record_the_database_refuses_is_set_aside_and_the_rest_is_written(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 300)
    writer = world.providers.usage_writer
    good = writer._pending[0]  # the queued record of that call, as the completion path made it
    # A record that breaks a constraint (negative tokens). (An agent deleted between the call and the write
    # no longer does: the record is written without it, see test_providers.)
    await writer.add(good.tenant, good.org_id, good.user_id, {**good.usage, "prompt_tokens": -1}, None)
    await writer.add(good.tenant, good.org_id, good.user_id, dict(good.usage), None)
    assert writer.pending == 3

    await world.completions.flush_usage()  # raised (and kept everything queued) before
    assert writer.pending == 0 and writer.rejected == 1
    assert await usage_count(world) == 2
    # And the path keeps working for everyone: later calls are recorded, the queue is empty again.
    await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 300)
    assert await usage_count(world) == 3 and writer.rejected == 1
