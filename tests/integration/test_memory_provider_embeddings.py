"""Provider embeddings through litellm, against the local OpenAI-wire fake: 1536-dimension vectors of
text-embedding-3-small live next to the 384-dimension local ones, each model searched on its own (its own
HNSW partial index on PostgreSQL 16, numpy over real[] on PostgreSQL 15).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from auralinkd.access.principal import Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.errors import Unavailable
from auralinkd.memory.access_counts import AccessRecorder
from auralinkd.memory.embeddings import Embedders, LiteLLMEmbedder, ProviderConfig
from auralinkd.memory.models import MemoryInput, Outcome
from auralinkd.memory.ranking import Weights
from auralinkd.memory.service import MemoryService
from tests.fakes.openai_server import FakeOpenAI
from tests.unit.memory.fakes import TableEmbedder

PERMS = frozenset({"memories:read", "memories:write", "memories:delete", "memories:evolve"})
PROVIDER_MODEL = "text-embedding-3-small"
FACTS = [
    "The backup server hostname is nas-07 in rack B",
    "Ticket OPS-4821 tracks the disk alerts on db-prod-03",
    "My dentist appointment is on Tuesday at 10am",
    "Project ORCA ships its beta to Acme Corp in March",
]


@pytest.fixture
def provider() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(required_key="sk-embed") as server:
        yield server


@pytest.fixture
async def database(fresh_dsn: str) -> AsyncIterator[Database]:
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    yield db
    await db.close()


async def _caller(db: Database) -> Caller:
    async with db.system() as conn:
        org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ('prov', 'prov') RETURNING id")
        user = await conn.fetchval(
            "INSERT INTO users (organization_id, email, username)"
            " VALUES ($1, 'alice@prov.example', 'alice') RETURNING id",
            org,
        )
    return Caller(Principal(user, org, PERMS, "test"), "req-1")


def _service(db: Database, base_url: str, key: str = "sk-embed") -> MemoryService:
    embedder = LiteLLMEmbedder(ProviderConfig(PROVIDER_MODEL, base_url, key, timeout_s=10))
    return MemoryService(db, AuditLog(db), Embedders(TableEmbedder(), [embedder]), AccessRecorder(db))


async def test_provider_vectors_coexist_with_local_ones_and_each_model_recalls_its_own(
    database: Database, provider: FakeOpenAI
) -> None:
    svc = _service(database, provider.base_url)
    me = await _caller(database)
    local = await svc.store_batch(me, [MemoryInput(f) for f in FACTS])
    remote = await svc.store_batch(me, [MemoryInput(f) for f in FACTS], embedding_model=PROVIDER_MODEL)
    assert all(r.outcome is Outcome.STORED for r in local + remote)
    # Same texts, other model: not duplicates of the local ones (dedupe compares within one model).
    assert {r.memory_id for r in local}.isdisjoint({r.memory_id for r in remote})
    again = await svc.store(me, MemoryInput(FACTS[0]), embedding_model=PROVIDER_MODEL)
    assert again.outcome is Outcome.DEDUPED and again.memory_id == remote[0].memory_id

    sent = [r for r in provider.received if r.path.endswith("/embeddings")]
    assert sent and {r.model for r in sent} == {PROVIDER_MODEL}
    assert sent[0].authorization == "Bearer sk-embed" and sent[0].body["input"] == FACTS

    vector_only = Weights(keyword=0.0)
    found = await svc.recall(me, "what is the backup server hostname", embedding_model=PROVIDER_MODEL,
                             weights=vector_only, limit=2)  # fmt: skip
    assert found.results[0].memory.id == remote[0].memory_id
    assert found.results[0].memory.embedding_models == (PROVIDER_MODEL,)
    assert all(r.memory.id in {x.memory_id for x in remote} for r in found.results)
    assert found.strategy == ("hnsw" if svc.pgvector else "numpy")
    found = await svc.recall(me, "OPS-4821 disk alerts", embedding_model=PROVIDER_MODEL, limit=1)
    assert found.results[0].memory.id == remote[1].memory_id
    # The local model's recall sees only memories with local vectors.
    found = await svc.recall(me, "backup server hostname", weights=vector_only, limit=10)
    assert {r.memory.id for r in found.results} == {r.memory_id for r in local}

    async with database.system() as conn:
        dims = await conn.fetch("SELECT model, min(dims) AS d, count(*) AS n FROM memory_vectors GROUP BY model")
    assert {(r["model"], r["d"], r["n"]) for r in dims} == {("all-MiniLM-L6-v2", 384, 4), (PROVIDER_MODEL, 1536, 4)}
    stats = await svc.stats(me)
    assert {(m.model, m.dims, m.vectors) for m in stats.models} == {
        ("all-MiniLM-L6-v2", 384, 4),
        (PROVIDER_MODEL, 1536, 4),
    }
    assert all(m.hnsw_index == svc.pgvector for m in stats.models)


async def test_provider_index_serves_the_provider_model_on_postgres_16(
    database: Database, provider: FakeOpenAI
) -> None:
    svc = _service(database, provider.base_url)
    me = await _caller(database)
    await svc.store_batch(me, [MemoryInput(f"note {i} about server {i % 7}") for i in range(40)],
                          embedding_model=PROVIDER_MODEL)  # fmt: skip
    if not svc.pgvector:
        async with database.system() as conn:  # PG15: real[] columns, no vector index at all
            kind = await conn.fetchval(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'memory_vectors' AND column_name = 'embedding'"
            )
        assert kind == "ARRAY"
        return
    async with database.system() as conn:
        # A tiny table: sorting is cheaper, so rule it out to see that the planner matches the partial index.
        await conn.execute("SET enable_seqscan = off; SET enable_sort = off")
        vector = "[" + ",".join(["0.01"] * 1536) + "]"
        plan = await conn.fetch(
            f"EXPLAIN (FORMAT TEXT) SELECT memory_id FROM memory_vectors WHERE model = '{PROVIDER_MODEL}'"
            f" ORDER BY embedding::vector(1536) <=> '{vector}'::vector LIMIT 5"
        )
    assert "idx_memory_vectors_hnsw_te3_small" in "\n".join(r[0] for r in plan)


async def test_a_failing_or_refusing_provider_is_unavailable_and_stores_nothing(
    database: Database, provider: FakeOpenAI
) -> None:
    me = await _caller(database)
    with pytest.raises(Unavailable):
        await _service(database, provider.base_url, key="wrong").store(
            me, MemoryInput("anything"), embedding_model=PROVIDER_MODEL
        )
    provider.behave(PROVIDER_MODEL, status=500)
    with pytest.raises(Unavailable) as err:
        await _service(database, provider.base_url).store(me, MemoryInput("anything"), embedding_model=PROVIDER_MODEL)
    assert "sk-embed" not in str(err.value)
    async with database.system() as conn:
        assert await conn.fetchval("SELECT count(*) FROM memories") == 0
