"""Providers, keys, completions, budgets and KEK rotation on PostgreSQL 16 and 15, against a local OpenAI-wire server.

Each bad-input row of the issue's table has its test, and each checks that nothing changed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from auralinkd.access.principal import Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.errors import FailedPrecondition, InvalidArgument, PermissionDenied, ResourceExhausted, Unavailable
from auralinkd.providers.completions import CompletionRequest, CompletionService
from auralinkd.providers.gateway import Gateway
from auralinkd.providers.local import LocalModel
from auralinkd.providers.service import ProviderConfig, ProviderService
from auralinkd.providers.vault import KeyVault
from tests.fakes.openai_server import FakeOpenAI

KEY = "sk-integration-secret-5678wxyz"
HI = [{"role": "user", "content": "hello"}]


@dataclass
class World:
    db: Database
    providers: ProviderService
    completions: CompletionService
    fake: FakeOpenAI
    admin: Caller
    member: Caller
    other_org_admin: Caller
    data_dir: Path


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def caller(user: uuid.UUID, org: uuid.UUID, admin: bool) -> Caller:
    perms = {"org:admin", "*"} if admin else {"completions:create"}
    return Caller(Principal(user, org, frozenset(perms), "test"), uuid.uuid4().hex, "test")


@pytest.fixture
async def world(fresh_dsn: str, fake_server: FakeOpenAI, tmp_path: Path) -> AsyncIterator[World]:
    fake_server.behaviours.clear()
    fake_server.required_key = None
    fake_server.clear()
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    async with db.system() as conn:
        org_a = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ('org a', 'org-a') RETURNING id")
        org_b = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ('org b', 'org-b') RETURNING id")
        ids = [
            await conn.fetchval(
                "INSERT INTO users (organization_id, email, username, role) VALUES ($1, $2, $3, $4) RETURNING id",
                org,
                f"{name}@x.test",
                name,
                role,
            )
            for org, name, role in ((org_a, "alice", "admin"), (org_a, "bob", "user"), (org_b, "carol", "admin"))
        ]
    vault = KeyVault.from_config(None, (), tmp_path, production=False)
    providers = ProviderService(db, AuditLog(db), vault, "smollm2-135m")
    gateway = Gateway(LocalModel(None), "smollm2-135m", breaker_failures=3, breaker_reset_s=60)
    completions = CompletionService(db, providers, gateway, 64)
    yield World(
        db,
        providers,
        completions,
        fake_server,
        caller(ids[0], org_a, True),
        caller(ids[1], org_a, False),
        caller(ids[2], org_b, True),
        tmp_path,
    )
    await completions.close()
    await db.close()


async def add_fake(
    world: World, models: tuple[str, ...] = ("gpt-4o-mini",), settings: dict[str, object] | None = None
) -> ProviderConfig:
    config = ProviderConfig(
        name="fake",
        type="openai_compatible",
        base_url=world.fake.base_url,
        models=models,
        settings=settings or {},
        timeout_s=5,
    )
    return await world.providers.create_provider(world.admin, config)


async def usage_count(world: World) -> int:
    await world.completions.flush_usage()  # usage records are written in batches off the hot path
    async with world.db.system() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM usage_records"))


async def test_a_completion_uses_the_key_records_usage_and_cost(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    world.fake.behave("gpt-4o-mini", reply="hi!", prompt_tokens=100, completion_tokens=50)
    result = await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)
    assert result.text == "hi!" and result.cost_usd > 0
    assert world.fake.received[-1].authorization == f"Bearer {KEY}"
    await world.completions.flush_usage()
    async with world.db.system() as conn:
        row = await conn.fetchrow("SELECT * FROM usage_records")
        raw = await conn.fetch("SELECT encrypted_key, wrapped_data_key, key_fingerprint FROM provider_api_keys")
    assert (row["provider"], row["model"], row["prompt_tokens"], row["completion_tokens"]) == (
        "fake",
        "gpt-4o-mini",
        100,
        50,
    )
    assert float(row["cost_usd"]) == pytest.approx(result.cost_usd, abs=1e-6)
    assert row["user_id"] == world.member.principal.user_id
    assert all(KEY.encode() not in r["encrypted_key"] + r["wrapped_data_key"] for r in raw)
    assert raw[0]["key_fingerprint"].startswith("…wxyz")


async def test_failover_is_recorded_per_call(world: World) -> None:
    await add_fake(world, models=("down", "gpt-4o-mini"))
    await world.providers.set_key(world.admin, "fake", KEY, "org", "")
    world.fake.behave("down", status=500)
    result = await world.completions.complete(
        world.member, CompletionRequest(HI, ["fake/down", "fake/gpt-4o-mini"]), 30
    )
    assert result.failovers == 1
    await world.completions.flush_usage()
    async with world.db.system() as conn:
        assert await conn.fetchval("SELECT failovers FROM usage_records") == 1


# -- the bad-input table --------------------------------------------------------------------------


async def test_unknown_provider_is_invalid_argument(world: World) -> None:
    with pytest.raises(InvalidArgument, match="unknown provider 'nope'"):
        await world.completions.complete(world.member, CompletionRequest(HI, ["nope/gpt-4o-mini"]), 30)
    assert await usage_count(world) == 0 and world.fake.received == []


async def test_unknown_model_is_invalid_argument(world: World) -> None:
    await add_fake(world)
    with pytest.raises(InvalidArgument, match="unknown model 'gpt-9'"):
        await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-9"]), 30)
    assert await usage_count(world) == 0 and world.fake.received == []


async def test_temperature_outside_0_to_2_is_invalid_argument(world: World) -> None:
    with pytest.raises(InvalidArgument, match="temperature"):
        await world.completions.complete(
            world.member, CompletionRequest(HI, ["local/smollm2-135m"], temperature=2.5), 30
        )
    assert await usage_count(world) == 0


async def test_an_empty_message_is_invalid_argument(world: World) -> None:
    with pytest.raises(InvalidArgument, match="empty"):
        await world.completions.complete(world.member, CompletionRequest([{"role": "user", "content": "  "}]), 30)
    assert await usage_count(world) == 0


async def test_a_prompt_over_the_context_is_invalid_argument_with_the_count(world: World) -> None:
    await add_fake(world, models=("tiny",), settings={"models": {"tiny": {"context_tokens": 20}}})
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    long = [{"role": "user", "content": "word " * 200}]
    with pytest.raises(InvalidArgument, match=r"the prompt is \d+ tokens; fake/tiny takes at most 20"):
        await world.completions.complete(world.member, CompletionRequest(long, ["fake/tiny"]), 30)
    assert await usage_count(world) == 0 and world.fake.received == []


async def test_no_usable_key_is_failed_precondition_with_a_hint(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.admin, "fake", KEY, "user", "")  # alice's own key: not bob's to use
    with pytest.raises(FailedPrecondition, match="auralink providers set-key fake"):
        await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)
    assert await usage_count(world) == 0 and world.fake.received == []


async def test_every_provider_down_is_unavailable_listing_what_was_tried(world: World) -> None:
    await add_fake(world, models=("a", "b"))
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    world.fake.behave("a", status=500)
    world.fake.behave("b", status=429)
    with pytest.raises(Unavailable, match=r"fake/a \(server error \(500\)\); fake/b \(rate limited \(429\)\)"):
        await world.completions.complete(world.member, CompletionRequest(HI, ["fake/a", "fake/b"]), 30)
    await world.completions.flush_usage()
    async with world.db.system() as conn:
        assert await conn.fetchval("SELECT success FROM usage_records") is False  # the failed call is on record


async def test_usage_records_queued_off_the_hot_path_are_written_at_shutdown(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    for _ in range(3):
        await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)
    await world.completions.close()  # what the daemon does on stop, before the database closes
    assert world.providers.usage_writer.pending == 0
    async with world.db.system() as conn:
        assert await conn.fetchval("SELECT count(*) FROM usage_records") == 3
        assert await conn.fetchval("SELECT count(*) FROM provider_api_keys WHERE last_used_at IS NOT NULL") == 1


async def test_without_pinned_models_the_local_model_is_the_last_fallback(
    world: World, request: pytest.FixtureRequest
) -> None:
    if request.node.callspec.params.get("server_dsn") == "pg15":
        pytest.skip("loads the local model: one PostgreSQL version is enough for a gateway test")
    await add_fake(world, settings={"tiers": {"gpt-4o-mini": 3}})  # the selection prefers it for hard prompts
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    world.fake.behave("gpt-4o-mini", status=500)
    hard = "```python\ndef solve(x):\n    return x ** 2\n```\nProve step by step why solve is correct."
    request = CompletionRequest([{"role": "user", "content": hard}], max_tokens=2, task_type="code")
    result = await world.completions.complete(world.member, request, 120)
    assert [a.ref for a in result.attempts] == ["fake/gpt-4o-mini", "local/smollm2-135m"]
    assert result.attempts[0].error == "server error (500)" and result.ref == "local/smollm2-135m"
    pinned = CompletionRequest([{"role": "user", "content": hard}], ["fake/gpt-4o-mini"], max_tokens=2)
    with pytest.raises(Unavailable, match="every provider failed"):  # pinned: no fallback the caller did not ask for
        await world.completions.complete(world.member, pinned, 30)


async def test_usage_of_an_agent_deleted_before_the_flush_is_written_without_it(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    who = world.member.principal
    async with world.db.system() as conn:  # an agent row written directly: the agents service is not the subject
        agent = await conn.fetchval(
            "INSERT INTO ai_agents (organization_id, created_by, name, model, provider) "
            "VALUES ($1, $2, 'gone-bot', 'gpt-4o-mini', 'fake') RETURNING id",
            who.org_id,
            who.user_id,
        )
    request = CompletionRequest(HI, ["fake/gpt-4o-mini"], agent_id=agent)
    await world.completions.complete(world.member, request, 30)
    async with world.db.system() as conn:  # deleted between the call and the queued write
        await conn.execute("DELETE FROM ai_agents WHERE id = $1", agent)
    await world.completions.flush_usage()  # raised ForeignKeyViolationError, and so did every later flush
    assert world.providers.usage_writer.pending == 0
    async with world.db.system() as conn:
        assert await conn.fetchval("SELECT count(*) FROM usage_records WHERE agent_id IS NULL") == 1


async def test_a_changed_key_is_used_at_once_despite_the_resolution_cache(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)
    other = "sk-other-key-0000000000000000"
    await world.providers.set_key(world.member, "fake", other, "user", "")
    await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)
    assert world.fake.received[-1].authorization == f"Bearer {other}"


async def test_over_budget_is_resource_exhausted_before_any_provider_call(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    world.fake.behave("gpt-4o-mini", prompt_tokens=100_000, completion_tokens=100_000)
    await world.providers.set_budget(world.admin, "user", str(world.member.principal.user_id), "day", 0.01)
    await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)  # spends $0.075
    world.fake.clear()
    with pytest.raises(ResourceExhausted, match="user budget"):
        await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)
    assert world.fake.received == []
    assert await usage_count(world) == 1
    (budget,) = await world.providers.list_budgets(world.admin)
    assert budget.spent_usd > budget.limit_usd


async def test_an_org_budget_counts_every_members_spend(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.admin, "fake", KEY, "org", "")
    world.fake.behave("gpt-4o-mini", prompt_tokens=100_000, completion_tokens=100_000)
    await world.completions.complete(world.admin, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)
    await world.providers.set_budget(world.admin, "org", "", "month", 0.01)
    with pytest.raises(ResourceExhausted, match="org budget"):
        await world.completions.complete(world.member, CompletionRequest(HI, ["fake/gpt-4o-mini"]), 30)


# -- keys -------------------------------------------------------------------------------------------


async def test_members_cannot_set_org_keys_and_never_see_the_key(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await add_fake(world)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PermissionDenied):
        await world.providers.set_key(world.member, "fake", KEY, "org", "")
    info = await world.providers.set_key(world.member, "fake", KEY, "user", "")
    assert KEY not in repr(info) and KEY not in repr(await world.providers.list_keys(world.member, ""))
    assert KEY not in caplog.text
    async with world.db.system() as conn:
        metadata = await conn.fetch("SELECT metadata::text FROM audit_logs")
    assert all(KEY not in m[0] for m in metadata)


async def test_kek_rotation_rewraps_every_orgs_keys_in_one_transaction(world: World) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    await world.providers.set_key(world.admin, "fake", KEY + "-org", "org", "")
    other = ProviderConfig(name="fake", type="openai_compatible", base_url=world.fake.base_url, models=("gpt-4o-mini",))
    await world.providers.create_provider(world.other_org_admin, other)
    await world.providers.set_key(world.other_org_admin, "fake", KEY + "-b", "user", "")
    before = world.providers.vault.active_kek_id

    previous, current, count = await world.providers.rotate_kek(world.admin)
    assert (previous, count) == (before, 3) and current != before
    async with world.db.system() as conn:
        assert {r[0] for r in await conn.fetch("SELECT kek_id FROM provider_api_keys")} == {current}

    # A restarted daemon (a new vault from the same data dir) reads every key.
    restarted = ProviderService(
        world.db, AuditLog(world.db), KeyVault.from_config(None, (), world.data_dir, production=False), "smollm2-135m"
    )
    assert restarted.vault.active_kek_id == current
    async with world.db.system() as conn:
        rows = await conn.fetch("SELECT * FROM provider_api_keys ORDER BY created_at")
    opened = {restarted.open_key(r["organization_id"], dict(r)) for r in rows}
    assert opened == {KEY, KEY + "-org", KEY + "-b"}


async def test_a_failed_rotation_changes_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await add_fake(world)
    await world.providers.set_key(world.member, "fake", KEY, "user", "")
    await world.providers.set_key(world.admin, "fake", KEY + "-2", "user", "")
    before = world.providers.vault.active_kek_id
    async with world.db.system() as conn:
        rows_before = await conn.fetch("SELECT id, wrapped_data_key, kek_id FROM provider_api_keys ORDER BY id")
    calls = {"n": 0}
    real = world.providers.vault.rewrap

    def flaky(*args: object) -> bytes:
        calls["n"] += 1
        if calls["n"] == 2:
            raise asyncpg.PostgresError("simulated failure mid-rotation")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(world.providers.vault, "rewrap", flaky)
    with pytest.raises(asyncpg.PostgresError):
        await world.providers.rotate_kek(world.admin)
    async with world.db.system() as conn:
        assert await conn.fetch("SELECT id, wrapped_data_key, kek_id FROM provider_api_keys ORDER BY id") == rows_before
    assert world.providers.vault.active_kek_id == before
