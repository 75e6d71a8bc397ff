"""MemoryService against real PostgreSQL: PG16 with pgvector (HNSW) and PG15 without (real[] + numpy).

Most tests use a deterministic embedder (tests/unit/memory/fakes.py) so that similarities are planned and
the suite stays fast; one test loads the real all-MiniLM-L6-v2 once for the whole session.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from auralinkd.access.principal import Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from auralinkd.memory.access_counts import AccessRecorder
from auralinkd.memory.embeddings import Embedders, LocalMiniLM
from auralinkd.memory.models import EvolveOptions, MemoryInput, Outcome, RecallFilters, Scope, State
from auralinkd.memory.ranking import Weights
from auralinkd.memory.service import MemoryService
from tests.unit.memory.fakes import TableEmbedder, hashed_vector, near

PERMS = frozenset({"memories:read", "memories:write", "memories:delete", "memories:evolve"})


@pytest.fixture(scope="session")
def minilm() -> LocalMiniLM:
    model = LocalMiniLM()
    model.load()
    return model


@pytest.fixture
async def database(fresh_dsn: str) -> AsyncIterator[Database]:
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    yield db
    await db.close()


async def _org(db: Database, slug: str, *names: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    async with db.system() as conn:
        org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id", slug)
        users = [
            await conn.fetchval(
                "INSERT INTO users (organization_id, email, username) VALUES ($1, $2, $3) RETURNING id",
                org,
                f"{n}@{slug}.example",
                n,
            )
            for n in names
        ]
    return org, users


def _caller(user: uuid.UUID, org: uuid.UUID, *extra: str) -> Caller:
    return Caller(Principal(user, org, PERMS | frozenset(extra), "test"), "req-1")


def _service(db: Database, embedder: object | None = None) -> MemoryService:
    return MemoryService(db, AuditLog(db), Embedders(embedder or TableEmbedder()), AccessRecorder(db))


async def _count(db: Database, sql: str, *args: object) -> int:
    async with db.system() as conn:
        return int(await conn.fetchval(sql, *args))


async def test_store_returns_explicit_outcomes_and_bad_input_stores_nothing(database: Database) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    svc = _service(database)
    me = _caller(alice, org)

    first = await svc.store(me, MemoryInput("I am allergic to peanuts", tags=("health",)))
    assert first.outcome is Outcome.STORED and first.memory_id is not None
    again = await svc.store(me, MemoryInput("I am allergic to peanuts"))
    assert again.outcome is Outcome.DEDUPED and again.memory_id == first.memory_id
    assert again.similarity >= 0.95
    # Another scope (an explicit session) is not a duplicate of the user-level memory.
    session = await svc.store(me, MemoryInput("I am allergic to peanuts", scope=Scope(session_id=uuid.uuid4())))
    assert session.outcome is Outcome.STORED

    bad = [
        (MemoryInput("   "), "content"),
        (MemoryInput("x" * (32 * 1024 + 1)), "content"),
        (MemoryInput("fine", metadata=["not", "an", "object"]), "metadata"),  # type: ignore[arg-type]
        (MemoryInput("fine", importance=1.5), "importance"),
        (MemoryInput("fine", modality="video"), "modality"),
    ]
    for item, field in bad:
        with pytest.raises(InvalidArgument) as err:
            await svc.store(me, item)
        assert err.value.violations[0].field == field
    with pytest.raises(InvalidArgument):
        await svc.store(me, MemoryInput("fine"), dedupe_threshold=1.5)
    with pytest.raises(InvalidArgument) as err:
        await svc.store(me, MemoryInput("fine"), embedding_model="no-such-model")
    assert err.value.violations[0].field == "embedding_model"
    with pytest.raises(FailedPrecondition):  # known provider model, no provider configured
        await svc.store(me, MemoryInput("fine"), embedding_model="text-embedding-3-small")
    assert await _count(database, "SELECT count(*) FROM memories") == 2
    # The duplicate refreshed the original: one access, one dedupe.
    memory = await svc.get(me, first.memory_id)
    assert (memory.access_count, memory.dedupe_count, memory.tags) == (1, 1, ("health",))
    assert memory.last_accessed_at is not None
    assert 0.0 <= memory.importance <= 1.0 and memory.embedding_models == ("all-MiniLM-L6-v2",)
    audit = await _count(database, "SELECT count(*) FROM audit_logs WHERE action = 'MemoryService/StoreMemory'")
    assert audit == 3


async def test_batch_store_reports_every_item_and_dedupes_within_the_batch(database: Database) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    svc = _service(database)
    me = _caller(alice, org)
    items = [MemoryInput(f"fact number {i}") for i in range(70)]
    items[3] = MemoryInput("")  # rejected, the rest still go in
    items[10] = MemoryInput("fact number 1")  # duplicate of item 1 in the same chunk
    items[69] = MemoryInput("fact number 5")  # duplicate of item 5, in the next chunk
    results = await svc.store_batch(me, items)
    assert [r.index for r in results] == list(range(70))
    outcomes = [r.outcome for r in results]
    assert outcomes.count(Outcome.REJECTED) == 1 and results[3].reason.startswith("content")
    assert results[10].outcome is Outcome.DEDUPED and results[10].memory_id == results[1].memory_id
    assert results[69].outcome is Outcome.DEDUPED and results[69].memory_id == results[5].memory_id
    assert outcomes.count(Outcome.STORED) == 67
    assert await _count(database, "SELECT count(*) FROM memories") == 67
    stats = await svc.stats(me)
    assert stats.total == 67 and stats.by_state["active"] == 67
    assert stats.duplicate_ratio == pytest.approx(2 / 69)
    assert stats.models[0].model == "all-MiniLM-L6-v2" and stats.models[0].vectors == 67
    assert stats.pgvector is (database.info.has_pgvector)  # type: ignore[union-attr]
    assert stats.storage_bytes > 0 and stats.staleness["<1d"] == 67


async def test_dedupe_finds_the_duplicate_when_other_scopes_crowd_the_index(database: Database) -> None:
    """The chunk's nearest-neighbour lookup takes a few index rows per item, then filters by scope: here
    twelve exact copies in other scopes fill those rows, and the near-duplicate in the item's own scope
    must still be found (the per-item search behind it widens or goes exact)."""
    org, (alice,) = await _org(database, "org-a", "alice")
    base = hashed_vector("my passport number ends in 4471")
    svc = _service(database, TableEmbedder({"copy": base, "mine": near(base, 0.97, seed=5), "again": base}))
    me = _caller(alice, org)
    for _ in range(12):
        crowd = await svc.store(me, MemoryInput("copy", scope=Scope(session_id=uuid.uuid4())))
        assert crowd.outcome is Outcome.STORED
    mine = await svc.store(me, MemoryInput("mine"))
    assert mine.outcome is Outcome.STORED
    batch = await svc.store_batch(me, [MemoryInput("again"), MemoryInput("unrelated note about lunch")])
    assert batch[0].outcome is Outcome.DEDUPED and batch[0].memory_id == mine.memory_id
    assert batch[0].similarity == pytest.approx(0.97, abs=0.005)
    assert batch[1].outcome is Outcome.STORED
    assert await _count(database, "SELECT count(*) FROM memories") == 14


async def test_a_batch_import_refreshes_the_planner_statistics_once_they_lag(database: Database) -> None:
    """A never-analysed memory table makes the planner search a user's rows exactly; after an import of
    200 rows or more the daemon analyses the tables in the background, and small stores do not."""
    from auralinkd.memory import store

    org, (alice,) = await _org(database, "org-a", "alice")
    svc = _service(database)
    me = _caller(alice, org)
    async with database.system() as conn:
        assert await store.planner_row_count(conn) < 0  # a new database: never analysed
    results = await svc.store_batch(me, [MemoryInput(f"imported note {i}") for i in range(250)])
    assert all(r.outcome is Outcome.STORED for r in results)
    await svc.planner_statistics.settled()
    async with database.system() as conn:
        assert await store.planner_row_count(conn) == 250
    assert svc.planner_statistics.analyses == 1 and svc.planner_statistics.stored_since == 0
    await svc.store_batch(me, [MemoryInput(f"one more note {i}") for i in range(20)])
    await svc.planner_statistics.settled()
    assert svc.planner_statistics.analyses == 1 and svc.planner_statistics.stored_since == 20


class FailingOnPiece(TableEmbedder):
    """Fails the n-th embedding call, as a provider embedding model that goes away mid-import would."""

    def __init__(self, failing_call: int) -> None:
        super().__init__()
        self.failing_call = failing_call

    async def embed(self, texts):  # type: ignore[no-untyped-def]
        if self.calls + 1 == self.failing_call:
            self.calls += 1
            raise FailedPrecondition("the embedding model went away")
        return await super().embed(texts)


async def test_an_embedding_failure_mid_import_keeps_committed_chunks_and_stores_nothing_partial(
    database: Database,
) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    embedder = FailingOnPiece(failing_call=4)  # pieces of 32: calls 1-2 are chunk one, 3-4 chunk two
    svc = _service(database, embedder)
    me = _caller(alice, org)
    with pytest.raises(FailedPrecondition):
        await svc.store_batch(me, [MemoryInput(f"bulk fact {i}") for i in range(200)])
    assert await _count(database, "SELECT count(*) FROM memories") == 64  # chunk one, whole; chunk two, none
    assert await _count(database, "SELECT count(*) FROM memory_vectors") == 64
    assert embedder.calls <= 5  # the piece after the failure may have started; nothing further


async def test_another_orgs_agent_or_room_in_a_scope_reads_as_missing_and_nothing_is_stored(
    database: Database,
) -> None:
    org_a, (alice,) = await _org(database, "org-a", "alice")
    org_b, (bob,) = await _org(database, "org-b", "bob")
    async with database.system() as conn:
        agent_a = await conn.fetchval(
            "INSERT INTO ai_agents (organization_id, name, model, provider) VALUES ($1, 'helper', 'm', 'local')"
            " RETURNING id",
            org_a,
        )
        room_a = await conn.fetchval(
            "INSERT INTO rooms (organization_id, name) VALUES ($1, 'standup') RETURNING id", org_a
        )
    svc = _service(database)
    bob_caller = _caller(bob, org_b)
    messages = []
    for scope in (Scope(agent_id=agent_a), Scope(agent_id=uuid.uuid4()), Scope(room_id=room_a)):
        with pytest.raises(InvalidArgument) as err:
            await svc.store(bob_caller, MemoryInput("the launch moved to Friday", scope=scope))
        assert err.value.violations[0].field == "scope"
        messages.append(err.value.message.replace(str(scope.agent_id or scope.room_id), "<id>"))
    # Another org's agent reads exactly like one that does not exist: nothing tells bob it is there.
    assert messages[0] == messages[1] and "room" in messages[2]
    batch = await svc.store_batch(
        bob_caller,
        [MemoryInput("kept note"), MemoryInput("foreign agent note", scope=Scope(agent_id=agent_a))],
    )
    assert [r.outcome for r in batch] == [Outcome.STORED, Outcome.REJECTED]
    assert batch[1].reason.startswith("scope.agent_id: no agent")
    assert await _count(database, "SELECT count(*) FROM memories") == 1
    assert await _count(database, "SELECT count(*) FROM memories WHERE agent_id IS NOT NULL") == 0
    # The refused single stores changed nothing, so they left no audit row; the batch that stored one did.
    audited = "SELECT count(*) FROM audit_logs WHERE organization_id = $1 AND action LIKE 'MemoryService/%'"
    assert await _count(database, audited, org_b) == 1
    # Alice, in the agent's org, may scope memories to it.
    mine = await svc.store(_caller(alice, org_a), MemoryInput("the agent's note", scope=Scope(agent_id=agent_a)))
    assert mine.outcome is Outcome.STORED


async def test_recall_ranks_by_meaning_and_keywords_and_reports_components(database: Database) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    target = hashed_vector("dog facts")
    table = {
        "My dog Max is a golden retriever": near(target, 0.8, 1),
        "Max likes chasing tennis balls": near(target, 0.6, 2),
        "The quarterly report is due on Friday": near(target, 0.1, 3),
        "which dog breed do I own": target,
    }
    svc = _service(database, TableEmbedder(table))
    me = _caller(alice, org)
    ids = {}
    for text in list(table)[:3]:
        ids[text] = (await svc.store(me, MemoryInput(text, importance=0.5))).memory_id
    result = await svc.recall(me, "which dog breed do I own", limit=3)
    assert [r.memory.content for r in result.results][:2] == list(table)[:2]
    top = result.results[0].score
    assert top.semantic_rank == 1 and top.keyword_rank == 1  # "dog" matches by keyword too
    assert 0 < top.score <= 1 and top.semantic == pytest.approx(0.8, abs=0.01)
    assert top.importance == 0.5 and 0.99 <= top.recency <= 1.0
    assert result.strategy in {"hnsw", "hnsw+exact", "exact", "numpy"}
    assert svc.latency.percentiles()[2] == 1

    # Keyword only, vector only, min_score and bad arguments.
    kw = await svc.recall(me, "quarterly report", weights=Weights(semantic=0.0, keyword=1.0))
    assert [r.memory.content for r in kw.results] == ["The quarterly report is due on Friday"]
    strict = await svc.recall(me, "which dog breed do I own", filters=RecallFilters(min_score=0.99))
    assert all(r.score.score >= 0.99 for r in strict.results)
    for kwargs, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"weights": Weights(semantic=1.5)}, "weights.semantic"),
        ({"weights": Weights(recency=0.7, importance=0.6)}, "weights"),
        ({"filters": RecallFilters(min_score=2.0)}, "min_score"),
        ({"embedding_model": "nope"}, "embedding_model"),
    ]:
        with pytest.raises(InvalidArgument) as err:
            await svc.recall(me, "dog", **kwargs)  # type: ignore[arg-type]
        assert err.value.violations[0].field == field
    with pytest.raises(InvalidArgument):
        await svc.recall(me, "  ")

    # Access counts are recorded off the hot path, by the recorder's flush.
    before = await svc.get(me, ids["My dog Max is a golden retriever"])
    assert before.access_count == 0 and svc.access.pending > 0
    await svc.access.flush()
    after = await svc.get(me, ids["My dog Max is a golden retriever"])
    assert after.access_count == 1 and after.last_accessed_at is not None


async def test_filtered_recall_returns_limit_results_under_a_selective_filter(database: Database) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    svc = _service(database)
    me = _caller(alice, org)
    bulk = [MemoryInput(f"ordinary note {i}", tags=("bulk",)) for i in range(600)]
    rare = [MemoryInput(f"rare note {i}", tags=("rare",), metadata={"kind": "rare"}) for i in range(12)]
    await svc.store_batch(me, bulk[:300] + rare[:6])
    await svc.store_batch(me, bulk[300:] + rare[6:])
    for filters in (RecallFilters(tags=("rare",)), RecallFilters(metadata={"kind": "rare"})):
        result = await svc.recall(me, "ordinary note 7", limit=10, filters=filters)
        assert len(result.results) == 10, result.strategy
        assert all("rare" in r.memory.tags for r in result.results)
    everything = await svc.recall(me, "rare", limit=20, filters=RecallFilters(tags=("rare",)))
    assert len(everything.results) == 12  # all that match, no more
    # A time range that excludes everything.
    future = datetime.now(UTC) + timedelta(days=1)
    assert (await svc.recall(me, "note", filters=RecallFilters(start=future))).results == []


async def test_recall_in_another_users_or_orgs_scope_returns_nothing(database: Database) -> None:
    org, (alice, bob) = await _org(database, "org-a", "alice", "bob")
    other_org, (carol,) = await _org(database, "org-b", "carol")
    svc = _service(database)
    await svc.store(_caller(alice, org), MemoryInput("alice's secret plan"))
    await svc.store(_caller(carol, other_org), MemoryInput("carol's secret plan"))

    bob_sees = await svc.recall(_caller(bob, org), "secret plan")
    assert bob_sees.results == []
    carol_sees = await svc.recall(_caller(carol, other_org), "secret plan")
    assert [r.memory.content for r in carol_sees.results] == ["carol's secret plan"]
    # Naming another user's scope: refused for members; for an org admin, RLS still stops at the org.
    with pytest.raises(PermissionDenied):
        await svc.recall(_caller(bob, org), "secret plan", scope=Scope(user_id=alice))
    admin = _caller(carol, other_org, "org:admin")
    assert (await svc.recall(admin, "secret plan", scope=Scope(user_id=alice))).results == []
    org_admin = _caller(bob, org, "org:admin")
    seen = await svc.recall(org_admin, "secret plan", scope=Scope(user_id=alice))
    assert [r.memory.content for r in seen.results] == ["alice's secret plan"]


async def test_list_get_delete_soft_and_hard(database: Database) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    svc = _service(database)
    me = _caller(alice, org)
    results = await svc.store_batch(me, [MemoryInput(f"item {i}", tags=("t",)) for i in range(7)])
    ids = [r.memory_id for r in results]
    page = await svc.list(me, size=3)
    seen = list(page.memories)
    while page.next_page_token:
        page = await svc.list(me, size=3, token=page.next_page_token)
        seen.extend(page.memories)
    assert sorted(m.id for m in seen) == sorted(ids) and len(seen) == 7

    await svc.delete(me, ids[0])
    with pytest.raises(NotFound):
        await svc.get(me, ids[0])
    with pytest.raises(NotFound):
        await svc.delete(me, ids[0])  # already gone for the caller
    deleted = await svc.list(me, states=(State.DELETED,))
    assert [m.id for m in deleted.memories] == [ids[0]]
    await svc.delete(me, ids[1], hard=True)
    assert await _count(database, "SELECT count(*) FROM memories WHERE id = $1", ids[1]) == 0
    assert await _count(database, "SELECT count(*) FROM memory_vectors WHERE memory_id = $1", ids[1]) == 0
    hard = await _count(
        database,
        "SELECT count(*) FROM audit_logs WHERE action = 'MemoryService/DeleteMemory' AND metadata->>'hard' = 'true'",
    )
    assert hard == 1
    recalled = await svc.recall(me, "item", limit=10)
    assert {r.memory.id for r in recalled.results} == set(ids[2:])
    with pytest.raises(NotFound):
        await svc.get(me, uuid.uuid4())


async def test_relationships_link_unlink_and_related(database: Database) -> None:
    org, (alice, bob) = await _org(database, "org-a", "alice", "bob")
    svc = _service(database)
    me = _caller(alice, org)
    a, b, c = [(await svc.store(me, MemoryInput(t))).memory_id for t in ("I live in Paris", "I moved to Lyon", "x")]
    edge = await svc.link(me, b, a, "updates")
    assert (edge.source_id, edge.target_id, edge.kind, edge.weight) == (b, a, "updates", 1.0)
    await svc.link(me, c, a, "extends", weight=0.5)
    with pytest.raises(AlreadyExists):
        await svc.link(me, b, a, "updates")
    with pytest.raises(InvalidArgument):
        await svc.link(me, a, a, "updates")
    with pytest.raises(InvalidArgument):
        await svc.link(me, a, b, "likes")
    with pytest.raises(NotFound):  # bob cannot see alice's memories
        await svc.link(_caller(bob, org), b, a, "contradicts")
    related = await svc.related(me, a)
    assert {(r.direction, r.relationship.kind, r.memory.id) for r in related} == {
        ("incoming", "updates", b),
        ("incoming", "extends", c),
    }
    assert [r.memory.id for r in await svc.related(me, a, "extends")] == [c]
    await svc.unlink(me, b, a, "updates")
    with pytest.raises(NotFound):
        await svc.unlink(me, b, a, "updates")
    assert [r.memory.id for r in await svc.related(me, a)] == [c]


async def test_evolve_consolidates_paraphrases_and_forgets_decayed_memories(database: Database) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    base = hashed_vector("coffee")
    table = {
        "I drink my coffee black": base,
        "I take coffee without milk or sugar": near(base, 0.93, 1),
        "Black coffee, no sugar, is how I like it": near(base, 0.92, 2),
    }
    svc = _service(database, TableEmbedder(table))
    me = _caller(alice, org)
    # The most important member speaks for the cluster.
    coffee = [
        (await svc.store(me, MemoryInput(t, importance=w))).memory_id
        for t, w in zip(table, (0.9, 0.8, 0.8), strict=True)
    ]
    old = datetime.now(UTC) - timedelta(days=400)
    stale = (await svc.store(me, MemoryInput("lol ok", importance=0.1, created_at=old))).memory_id
    kept = (await svc.store(me, MemoryInput("My passport number ends in 42", importance=0.9))).memory_id

    dry = await svc.evolve(me, EvolveOptions(dry_run=True))
    assert dry.run.dry_run and dry.run.clusters == 1 and dry.run.consolidated == 3 and dry.run.forgotten == 1
    kinds = {a.kind: a for a in dry.actions}
    assert set(kinds["consolidate"].memory_ids) == set(coffee) and kinds["consolidate"].result_id is None
    assert kinds["forget"].memory_ids == (stale,)
    assert await _count(database, "SELECT count(*) FROM memories WHERE archived_at IS NOT NULL") == 0

    done = await svc.evolve(me)
    assert (done.run.clusters, done.run.consolidated, done.run.forgotten) == (1, 3, 1)
    merged_id = next(a.result_id for a in done.actions if a.kind == "consolidate")
    merged = await svc.get(me, merged_id)
    assert merged.content == "I drink my coffee black" and merged.importance == 0.9
    assert sorted(merged.metadata["consolidated_from"]) == sorted(str(i) for i in coffee)
    history = await svc.related(me, merged_id, "derived_from")
    assert {r.memory.id for r in history} == set(coffee)
    assert all(r.memory.state is State.ARCHIVED and r.memory.archive_reason == "consolidated" for r in history)
    assert (await svc.get(me, stale)).state is State.ARCHIVED
    assert (await svc.get(me, kept)).state is State.ACTIVE
    recalled = await svc.recall(me, "coffee", limit=10)
    assert {r.memory.id for r in recalled.results} == {merged_id, kept}
    runs = await _count(database, "SELECT count(*) FROM evolve_runs")
    assert runs == 2
    stats = await svc.stats(me)
    assert stats.last_evolve_run is not None and stats.last_evolve_run.consolidated == 3
    assert stats.by_state == {"active": 2, "archived": 4, "deleted": 0}
    with pytest.raises(InvalidArgument):
        await svc.evolve(me, EvolveOptions(consolidate_threshold=0.2))


async def test_retention_policy_is_the_only_automatic_hard_delete(database: Database) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    svc = _service(database)
    me = _caller(alice, org)
    old = datetime.now(UTC) - timedelta(days=40)
    expired = (await svc.store(me, MemoryInput("an old important fact", importance=0.9, created_at=old))).memory_id
    fresh = (await svc.store(me, MemoryInput("a fresh fact", importance=0.9))).memory_id
    async with database.system() as conn:
        await conn.execute(
            "INSERT INTO retention_policies (organization_id, resource_type, retention_days, action)"
            " VALUES ($1, 'memories', 30, 'delete')",
            org,
        )
    dry = await svc.evolve(me, EvolveOptions(dry_run=True, consolidate=False, forget=False))
    assert [a.memory_ids for a in dry.actions if a.kind == "purge"] == [(expired,)]
    assert await _count(database, "SELECT count(*) FROM memories WHERE id = $1", expired) == 1
    done = await svc.evolve(me, EvolveOptions(consolidate=False, forget=False))
    assert done.run.purged == 1
    assert await _count(database, "SELECT count(*) FROM memories WHERE id = $1", expired) == 0
    assert (await svc.get(me, fresh)).state is State.ACTIVE


async def test_the_local_model_recalls_by_meaning_and_dedupes_exact_repeats(
    database: Database, minilm: LocalMiniLM
) -> None:
    org, (alice,) = await _org(database, "org-a", "alice")
    svc = _service(database, minilm)
    me = _caller(alice, org)
    facts = [
        "My daughter Emma starts school in September",
        "I am allergic to shellfish",
        "Our team standup is at 9:30 every weekday",
        "I drive a blue Honda Civic",
    ]
    results = await svc.store_batch(me, facts)  # type: ignore[arg-type]
    assert [r.outcome for r in results] == [Outcome.REJECTED] * 4  # plain strings are not MemoryInput
    results = await svc.store_batch(me, [MemoryInput(f) for f in facts])
    assert all(r.outcome is Outcome.STORED for r in results)
    again = await svc.store(me, MemoryInput("I am allergic to shellfish."))
    assert again.outcome is Outcome.DEDUPED and again.memory_id == results[1].memory_id
    answer = await svc.recall(me, "what food makes me sick?", limit=1, weights=Weights(keyword=0.0))
    assert answer.results[0].memory.content == "I am allergic to shellfish"
    answer = await svc.recall(me, "what car do I have", limit=1)
    assert answer.results[0].memory.content == "I drive a blue Honda Civic"
    vector = (await minilm.embed(["hello"]))[0]
    assert vector.shape == (384,) and np.isclose(np.linalg.norm(vector), 1.0)
