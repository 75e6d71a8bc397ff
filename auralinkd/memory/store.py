"""The memory domain's SQL, and nothing else. Every function runs on a tenant connection (RLS applies).

Vectors: with pgvector the column is `vector` and the pool's codec takes numpy arrays; without it the
column is `real[]` and the caller does exact search in numpy. HNSW queries inline the model name as a
literal (from the service's fixed table of models, never from user input unchecked) so that the planner
can match the per-model partial index `WHERE model = '…'` on `embedding::vector(N)`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np

from auralinkd.memory.models import Memory, Relationship, Scope, State

# Models with an HNSW partial index (migrations/010_memory.sql) and the dimension it casts to.
HNSW_MODELS: dict[str, int] = {"all-MiniLM-L6-v2": 384, "text-embedding-3-small": 1536}
# BM25 constants for keyword ranking (tf is taken as 1: memories are short).
BM25_K1 = 1.2
BM25_B = 0.75
AVG_LEXEMES = 12.0
# Keyword terms found in at least this share of memories (and at least KEYWORD_COMMON_MIN) are not ranked by.
KEYWORD_COMMON_SHARE = 0.01
KEYWORD_COMMON_MIN = 200

_MEMORY_COLUMNS = """
    m.id, m.user_id, m.agent_id, m.room_id, m.session_id, m.content, m.metadata, m.tags,
    m.importance_score, m.modality, m.source, m.access_count, m.last_accessed_at, m.created_at,
    m.updated_at, m.deleted_at, m.archived_at, m.archive_reason, m.dedupe_count,
    ARRAY(SELECT mv.model FROM memory_vectors mv WHERE mv.memory_id = m.id ORDER BY mv.model) AS models
"""


def _literal(value: str) -> str:
    """A SQL string literal for a model name from the fixed model table (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def to_memory(row: asyncpg.Record) -> Memory:
    if row["deleted_at"] is not None:
        state = State.DELETED
    elif row["archived_at"] is not None:
        state = State.ARCHIVED
    else:
        state = State.ACTIVE
    metadata = row["metadata"]
    return Memory(
        id=row["id"],
        user_id=row["user_id"],
        agent_id=row["agent_id"],
        room_id=row["room_id"],
        session_id=row["session_id"],
        content=row["content"],
        metadata=json.loads(metadata) if isinstance(metadata, str) else dict(metadata or {}),
        tags=tuple(row["tags"] or ()),
        importance=float(row["importance_score"]),
        modality=row["modality"],
        source=row["source"] or "",
        state=state,
        archive_reason=row["archive_reason"] or "",
        access_count=row["access_count"],
        last_accessed_at=row["last_accessed_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        dedupe_count=row["dedupe_count"],
        embedding_models=tuple(row["models"] or ()),
    )


# -- filters ------------------------------------------------------------------------------------


@dataclass
class Where:
    """A WHERE clause over `memories m` built from fixed fragments; values only ever go in as parameters."""

    clauses: list[str]
    params: list[Any]

    def add(self, fragment: str, *values: Any) -> None:
        """`fragment` uses {} for each value's placeholder, numbered after the existing parameters."""
        placeholders = []
        for value in values:
            self.params.append(value)
            placeholders.append(f"${len(self.params)}")
        self.clauses.append(fragment.format(*placeholders))

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "true"


def scope_where(
    scope: Scope,
    user_id: UUID,
    *,
    states: Sequence[State] = (State.ACTIVE,),
    tags: Sequence[str] = (),
    metadata: dict[str, Any] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    modality: str = "",
    exact_scope: bool = False,
) -> Where:
    where = Where([], [])
    where.add("m.user_id = {}", user_id)
    for column in ("agent_id", "room_id", "session_id"):
        value = getattr(scope, column)
        if value is not None:
            where.add(f"m.{column} = {{}}", value)
        elif exact_scope:  # dedupe: "the same scope" means the same agent/room/session, absent included
            where.clauses.append(f"m.{column} IS NULL")
    state_sql = {
        State.ACTIVE: "(m.deleted_at IS NULL AND m.archived_at IS NULL)",
        State.ARCHIVED: "(m.deleted_at IS NULL AND m.archived_at IS NOT NULL)",
        State.DELETED: "(m.deleted_at IS NOT NULL)",
    }
    chosen = sorted({state_sql[s] for s in states})
    if len(chosen) < 3:
        where.clauses.append("(" + " OR ".join(chosen) + ")")
    if tags:
        where.add("m.tags @> {}::text[]", list(tags))
    if metadata:
        where.add("m.metadata @> {}::jsonb", json.dumps(metadata))
    if start is not None:
        where.add("m.created_at >= {}", start)
    if end is not None:
        where.add("m.created_at < {}", end)
    if modality:
        where.add("m.modality = {}", modality)
    return where


# -- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMemory:
    id: UUID
    org_id: UUID
    user_id: UUID
    agent_id: UUID | None
    room_id: UUID | None
    session_id: UUID | None
    content: str
    metadata: dict[str, Any]
    tags: list[str]
    importance: float
    modality: str
    source: str
    created_at: datetime | None


async def insert_memories(conn: asyncpg.Connection, rows: Sequence[NewMemory]) -> None:
    await conn.executemany(
        """
        INSERT INTO memories (id, organization_id, user_id, agent_id, room_id, session_id, content, metadata,
                              tags, importance_score, modality, source, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, coalesce($13, now()))
        """,
        [
            (
                r.id, r.org_id, r.user_id, r.agent_id, r.room_id, r.session_id, r.content, json.dumps(r.metadata),
                r.tags, r.importance, r.modality, r.source or None, r.created_at,
            )
            for r in rows
        ],
    )  # fmt: skip


async def insert_vectors(
    conn: asyncpg.Connection,
    rows: Sequence[tuple[UUID, UUID, UUID]],
    model: str,
    vectors: np.ndarray,
    pgvector: bool,
) -> None:
    """rows: (memory_id, org_id, user_id), one per vector row."""
    dims = int(vectors.shape[1])
    values = [v.astype(np.float32) if pgvector else v.astype(np.float32).tolist() for v in vectors]
    await conn.executemany(
        "INSERT INTO memory_vectors (memory_id, organization_id, user_id, model, dims, embedding)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [(mid, org, user, model, dims, value) for (mid, org, user), value in zip(rows, values, strict=True)],
    )


async def visible_scope_targets(
    conn: asyncpg.Connection, agent_ids: set[UUID], room_ids: set[UUID]
) -> tuple[set[UUID], set[UUID]]:
    """The agents and rooms among these that the caller's org has (RLS decides; run in a tenant transaction)."""
    rows = await conn.fetch(
        """
        SELECT 'agent' AS kind, id FROM ai_agents WHERE id = ANY($1::uuid[])
        UNION ALL
        SELECT 'room', id FROM rooms WHERE id = ANY($2::uuid[])
        """,
        list(agent_ids),
        list(room_ids),
    )
    return {r["id"] for r in rows if r["kind"] == "agent"}, {r["id"] for r in rows if r["kind"] == "room"}


async def refresh_duplicates(conn: asyncpg.Connection, counts: dict[UUID, int]) -> None:
    """A DEDUPED store counts as an access of the existing memory, and feeds the duplicate ratio."""
    if not counts:
        return
    await conn.execute(
        """
        UPDATE memories m SET access_count = m.access_count + c.n, dedupe_count = m.dedupe_count + c.n,
                              last_accessed_at = now()
        FROM unnest($1::uuid[], $2::int[]) AS c(id, n) WHERE m.id = c.id
        """,
        list(counts),
        list(counts.values()),
    )


async def record_access(conn: asyncpg.Connection, counts: dict[UUID, int]) -> int:
    if not counts:
        return 0
    status = await conn.execute(
        """
        UPDATE memories m SET access_count = m.access_count + c.n, last_accessed_at = now()
        FROM unnest($1::uuid[], $2::int[]) AS c(id, n) WHERE m.id = c.id
        """,
        list(counts),
        list(counts.values()),
    )
    return int(status.split()[-1])


async def lock_scope(conn: asyncpg.Connection, user_id: UUID, scope_key: str) -> None:
    """Serialise stores into one scope for this transaction, so two concurrent duplicates cannot both land."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", f"memory:{user_id}:{scope_key}")


# -- semantic search ----------------------------------------------------------------------------


async def set_ef_search(conn: asyncpg.Connection, ef: int) -> None:
    await conn.execute("SELECT set_config('hnsw.ef_search', $1, true)", str(ef))


def _semantic_hnsw_sql(model: str, dims: int, where: Where) -> str:
    n = len(where.params)
    return f"""
        SELECT c.memory_id, 1 - c.distance AS similarity
        FROM (SELECT v.memory_id, v.embedding::vector({int(dims)}) <=> ${n + 1} AS distance
              FROM memory_vectors v
              WHERE v.model = {_literal(model)} AND v.user_id = ${n + 2}
              ORDER BY v.embedding::vector({int(dims)}) <=> ${n + 1}
              LIMIT ${n + 3}) AS c
        JOIN memories m ON m.id = c.memory_id
        WHERE {where.sql}
        ORDER BY c.distance
        LIMIT ${n + 4}
    """


async def semantic_hnsw(
    conn: asyncpg.Connection,
    model: str,
    dims: int,
    query: np.ndarray,
    user_id: UUID,
    where: Where,
    candidates: int,
    limit: int,
) -> list[tuple[UUID, float]]:
    """Nearest by the model's HNSW index: the index yields `candidates` rows of the user, then the memory
    filters apply (pgvector 0.6 filters after the index scan, so the caller over-fetches and retries)."""
    sql = _semantic_hnsw_sql(model, dims, where)
    rows = await conn.fetch(sql, *where.params, query.astype(np.float32), user_id, candidates, limit)
    return [(r["memory_id"], float(r["similarity"])) for r in rows]


def _semantic_hnsw_memories_sql(model: str, dims: int, where: Where) -> str:
    n = len(where.params)
    return f"""
        WITH hits AS MATERIALIZED ({_semantic_hnsw_sql(model, dims, where)})
        SELECT {_MEMORY_COLUMNS}, hits.similarity
        FROM memories m LEFT JOIN hits ON hits.memory_id = m.id
        WHERE m.id = ANY(ARRAY(SELECT memory_id FROM hits) || ${n + 5}::uuid[])
        ORDER BY hits.similarity DESC NULLS LAST
    """


async def semantic_hnsw_memories(
    conn: asyncpg.Connection,
    model: str,
    dims: int,
    query: np.ndarray,
    user_id: UUID,
    where: Where,
    candidates: int,
    limit: int,
    also: Sequence[UUID],
) -> tuple[list[tuple[UUID, float]], dict[UUID, Memory]]:
    """semantic_hnsw, and the memories it found plus those of `also` (a recall's keyword hits), in one
    round trip: the recall's last statement before it ranks."""
    sql = _semantic_hnsw_memories_sql(model, dims, where)
    rows = await conn.fetch(sql, *where.params, query.astype(np.float32), user_id, candidates, limit, list(also))
    hits = [(r["id"], float(r["similarity"])) for r in rows if r["similarity"] is not None]
    return hits, {r["id"]: to_memory(r) for r in rows}


def _nearest_hnsw_sql(model: str, dims: int, where: Where) -> str:
    n = len(where.params)
    return f"""
        SELECT DISTINCT ON (q.i) q.i, c.memory_id, 1 - c.distance AS similarity
        FROM unnest(${n + 1}::vector[]) WITH ORDINALITY AS q(vec, i)
        CROSS JOIN LATERAL (
            SELECT v.memory_id, v.embedding::vector({int(dims)}) <=> q.vec AS distance
            FROM memory_vectors v
            WHERE v.model = {_literal(model)} AND v.user_id = ${n + 2}
            ORDER BY v.embedding::vector({int(dims)}) <=> q.vec
            LIMIT ${n + 3}) AS c
        JOIN memories m ON m.id = c.memory_id
        WHERE {where.sql}
        ORDER BY q.i, c.distance
    """


async def nearest_hnsw_batch(
    conn: asyncpg.Connection,
    model: str,
    dims: int,
    queries: np.ndarray,
    user_id: UUID,
    where: Where,
    candidates: int,
) -> list[tuple[UUID, float] | None]:
    """The nearest memory to each query row, by the model's HNSW index, in one statement (a LATERAL index
    scan per row). None where none of the row's `candidates` passed the filters: the caller looks again."""
    from pgvector import Vector  # only with pgvector, so only where the extension is

    # asyncpg prepares the statement, and after five runs PostgreSQL may keep a generic plan, which for this
    # LATERAL search scans the user's rows exactly (36 ms for 32 rows at 1.5k memories, against 6 ms).
    await conn.execute("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")

    rows = await conn.fetch(
        _nearest_hnsw_sql(model, dims, where),
        *where.params,
        [Vector(q.astype(np.float32)) for q in queries],  # ndarrays would read as one 2-D array
        user_id,
        candidates,
    )
    found: list[tuple[UUID, float] | None] = [None] * len(queries)
    for r in rows:
        found[r["i"] - 1] = (r["memory_id"], float(r["similarity"]))
    await conn.execute("SELECT set_config('plan_cache_mode', 'auto', true)")
    return found


async def planner_row_count(conn: asyncpg.Connection) -> float:
    """The rows of memory_vectors as of its last analysis; -1 when it was never analysed."""
    return float(await conn.fetchval("SELECT reltuples FROM pg_class WHERE oid = 'public.memory_vectors'::regclass"))


async def analyze_memory_tables(conn: asyncpg.Connection) -> None:
    await conn.execute("ANALYZE public.memories, public.memory_vectors")


async def explain_semantic_hnsw(
    conn: asyncpg.Connection,
    model: str,
    dims: int,
    query: np.ndarray,
    user_id: UUID,
    where: Where,
    candidates: int,
    limit: int,
) -> list[str]:
    """EXPLAIN ANALYZE of a recall's semantic query, semantic_hnsw_memories (benchmarks check that the HNSW
    index serves it)."""
    sql = "EXPLAIN (ANALYZE, COSTS OFF) " + _semantic_hnsw_memories_sql(model, dims, where)
    rows = await conn.fetch(sql, *where.params, query.astype(np.float32), user_id, candidates, limit, [])
    return [r[0] for r in rows]


async def semantic_exact(
    conn: asyncpg.Connection, model: str, query: np.ndarray, where: Where, limit: int
) -> list[tuple[UUID, float]]:
    """Exact nearest in SQL: the uncast expression matches no HNSW index, so every match is compared."""
    n = len(where.params)
    sql = f"""
        SELECT v.memory_id, 1 - (v.embedding <=> ${n + 1}) AS similarity
        FROM memory_vectors v
        WHERE v.model = ${n + 2} AND v.memory_id IN (SELECT m.id FROM memories m WHERE {where.sql})
        ORDER BY v.embedding <=> ${n + 1}
        LIMIT ${n + 3}
    """
    rows = await conn.fetch(sql, *where.params, query.astype(np.float32), model, limit)
    return [(r["memory_id"], float(r["similarity"])) for r in rows]


async def scope_vectors(conn: asyncpg.Connection, model: str, where: Where) -> tuple[list[UUID], np.ndarray]:
    """Every vector of the model among the matching memories (the no-pgvector path searches these in numpy)."""
    n = len(where.params)
    sql = f"""
        SELECT v.memory_id, v.embedding
        FROM memory_vectors v
        WHERE v.model = ${n + 1} AND v.memory_id IN (SELECT m.id FROM memories m WHERE {where.sql})
    """
    rows = await conn.fetch(sql, *where.params, model)
    if not rows:
        return [], np.zeros((0, 1), dtype=np.float32)
    return [r["memory_id"] for r in rows], np.array([r["embedding"] for r in rows], dtype=np.float32)


async def count_matching(conn: asyncpg.Connection, model: str, where: Where, cap: int) -> int:
    """How many memories with a vector of `model` match, counting no further than `cap`."""
    n = len(where.params)
    sql = f"""
        SELECT count(*) FROM (
            SELECT 1 FROM memories m
            WHERE {where.sql}
              AND EXISTS (SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.id AND v.model = ${n + 1})
            LIMIT ${n + 2}) AS s
    """
    return int(await conn.fetchval(sql, *where.params, model, cap))


# -- keyword search -----------------------------------------------------------------------------


# The planner's own estimate of the table's rows now: the row density of its last analysis times the pages
# the table has grown to since (the IDFs' N; -1 when never analysed, which planner_stats.py soon fixes).
_MEMORY_ROWS_ESTIMATE = """
    SELECT CASE WHEN reltuples > 0 AND relpages > 0
                THEN reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::float8)
                ELSE reltuples END
    FROM pg_class WHERE oid = 'public.memories'::regclass
"""


def _keyword_sql(where: Where) -> str:
    """One statement: each term's matching ids looked up once (memory_keyword_ids, counted up to the cap,
    greatest($3, floor($4 * the estimated rows)): a term in `cap` or more memories is too common to rank by),
    the IDFs of the others, and the best memories by BM25 under the filters. Always one row at least: the
    first column holds the terms ranked by; a row's id is null when nothing matched."""
    n = len(where.params)
    return f"""
        WITH lim AS (
            SELECT e.total, greatest(${n + 3}::integer, floor(${n + 4}::float8 * e.total)::integer) AS cap
            FROM (SELECT greatest(({_MEMORY_ROWS_ESTIMATE}), 1.0)::float8 AS total) AS e
        ),
        found AS MATERIALIZED (
            SELECT t.term, lim.total, lim.cap,
                   ARRAY(SELECT k.id FROM memory_keyword_ids(${n + 2}, to_tsquery('simple', t.term), lim.cap) AS k)
                   AS ids
            FROM unnest(${n + 1}::text[]) AS t(term) CROSS JOIN lim
        ),
        present AS (
            SELECT f.term, f.ids, cardinality(f.ids) AS df, f.total FROM found f
            WHERE cardinality(f.ids) > 0 AND cardinality(f.ids) < f.cap
        ),
        scored AS MATERIALIZED (
            SELECT p.term, p.ids, ln(1 + (greatest(p.total, max(p.df) OVER ()) - p.df + 0.5) / (p.df + 0.5)) AS idf
            FROM present p
        )
        SELECT (SELECT coalesce(array_agg(s.term), '{{}}') FROM scored s) AS present, r.id, r.score
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (
            SELECT m.id, m.created_at,
                   sum(s.idf) * {BM25_K1 + 1}
                   / (1 + {BM25_K1} * (1 - {BM25_B} + {BM25_B} * length(m.content_tsv) / {AVG_LEXEMES})) AS score
            FROM scored s CROSS JOIN LATERAL unnest(s.ids) AS k(id)
            JOIN memories m ON m.id = k.id
            WHERE {where.sql}
            GROUP BY m.id
            ORDER BY score DESC, m.created_at DESC
            LIMIT ${n + 5}
        ) AS r ON true
        ORDER BY r.score DESC, r.created_at DESC
    """


async def keyword_search(
    conn: asyncpg.Connection, terms: Sequence[str], user_id: UUID, where: Where, limit: int
) -> tuple[list[tuple[UUID, float]], set[str]]:
    """Full-text matches of any term, ranked BM25-style: each matching term adds its IDF (rare words weigh
    more than common ones, which ts_rank cannot do), damped by document length (tf taken as 1).
    Also the terms ranked by (those that some memory contains and that are not too common).

    Matching goes through memory_keyword_ids (migration 012), the GIN index under the RLS predicate, once per
    term; document frequencies count the user's memories, capped: a term in `cap` or more of them is too
    common to rank by (low IDF) and costly to score at 100k memories. One round trip (_keyword_sql)."""
    rows = await conn.fetch(
        _keyword_sql(where), *where.params, list(terms), user_id, KEYWORD_COMMON_MIN, KEYWORD_COMMON_SHARE, limit
    )
    hits = [(r["id"], float(r["score"])) for r in rows if r["id"] is not None]
    return hits, set(rows[0]["present"]) if rows else set()


# -- reading ------------------------------------------------------------------------------------


async def get_memories(conn: asyncpg.Connection, ids: Sequence[UUID]) -> dict[UUID, Memory]:
    rows = await conn.fetch(f"SELECT {_MEMORY_COLUMNS} FROM memories m WHERE m.id = ANY($1::uuid[])", list(ids))
    return {r["id"]: to_memory(r) for r in rows}


async def get_memory(conn: asyncpg.Connection, memory_id: UUID) -> Memory | None:
    found = await get_memories(conn, [memory_id])
    return found.get(memory_id)


async def list_memories(
    conn: asyncpg.Connection, where: Where, after: tuple[datetime, UUID] | None, limit: int
) -> list[Memory]:
    if after is not None:
        where.add("(m.created_at, m.id) < ({}, {})", after[0], after[1])
    n = len(where.params)
    rows = await conn.fetch(
        f"SELECT {_MEMORY_COLUMNS} FROM memories m WHERE {where.sql} ORDER BY m.created_at DESC, m.id DESC"
        f" LIMIT ${n + 1}",
        *where.params,
        limit,
    )
    return [to_memory(r) for r in rows]


async def vectors_of(conn: asyncpg.Connection, ids: Sequence[UUID], model: str) -> dict[UUID, np.ndarray]:
    rows = await conn.fetch(
        "SELECT memory_id, embedding FROM memory_vectors WHERE memory_id = ANY($1::uuid[]) AND model = $2",
        list(ids),
        model,
    )
    return {r["memory_id"]: as_array(r["embedding"]) for r in rows}


def as_array(value: Any) -> np.ndarray:
    """A vector column value (pgvector's Vector, a numpy array or a real[] list) as float32 numpy."""
    to_numpy = getattr(value, "to_numpy", None)
    return np.asarray(to_numpy() if to_numpy else value, dtype=np.float32)


# -- deleting and archiving ---------------------------------------------------------------------


async def soft_delete(conn: asyncpg.Connection, memory_id: UUID) -> bool:
    status = await conn.execute(
        "UPDATE memories SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL", memory_id
    )
    return status.endswith(" 1")


async def restore(conn: asyncpg.Connection, memory_id: UUID) -> bool:
    status = await conn.execute(
        "UPDATE memories SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL", memory_id
    )
    return status.endswith(" 1")


async def hard_delete(conn: asyncpg.Connection, ids: Sequence[UUID]) -> int:
    status = await conn.execute("DELETE FROM memories WHERE id = ANY($1::uuid[])", list(ids))
    return int(status.split()[-1])


async def archive(conn: asyncpg.Connection, ids: Sequence[UUID], reason: str) -> int:
    status = await conn.execute(
        "UPDATE memories SET archived_at = now(), archive_reason = $2"
        " WHERE id = ANY($1::uuid[]) AND archived_at IS NULL AND deleted_at IS NULL",
        list(ids),
        reason,
    )
    return int(status.split()[-1])


# -- relationships ------------------------------------------------------------------------------


def _relationship(row: asyncpg.Record) -> Relationship:
    metadata = row["metadata"]
    return Relationship(
        id=row["id"],
        source_id=row["source_memory_id"],
        target_id=row["target_memory_id"],
        kind=row["relation_type"],
        weight=float(row["weight"]),
        metadata=json.loads(metadata) if isinstance(metadata, str) else dict(metadata or {}),
        created_at=row["created_at"],
    )


async def link(
    conn: asyncpg.Connection, source: Memory, target_id: UUID, kind: str, weight: float, metadata: dict[str, Any]
) -> Relationship | None:
    """None when the same edge already exists."""
    row = await conn.fetchrow(
        """
        INSERT INTO memory_relationships (organization_id, user_id, source_memory_id, target_memory_id,
                                          relation_type, weight, metadata)
        SELECT m.organization_id, m.user_id, $1, $2, $3, $4, $5::jsonb FROM memories m WHERE m.id = $1
        ON CONFLICT (source_memory_id, target_memory_id, relation_type) DO NOTHING
        RETURNING *
        """,
        source.id,
        target_id,
        kind,
        weight,
        json.dumps(metadata),
    )
    return _relationship(row) if row else None


async def link_many(conn: asyncpg.Connection, source_id: UUID, target_ids: Sequence[UUID], kind: str) -> None:
    await conn.execute(
        """
        INSERT INTO memory_relationships (organization_id, user_id, source_memory_id, target_memory_id, relation_type)
        SELECT m.organization_id, m.user_id, m.id, t.id, $3
        FROM memories m, unnest($2::uuid[]) AS t(id) WHERE m.id = $1
        ON CONFLICT DO NOTHING
        """,
        source_id,
        list(target_ids),
        kind,
    )


async def unlink(conn: asyncpg.Connection, source_id: UUID, target_id: UUID, kind: str) -> bool:
    status = await conn.execute(
        "DELETE FROM memory_relationships WHERE source_memory_id = $1 AND target_memory_id = $2 AND relation_type = $3",
        source_id,
        target_id,
        kind,
    )
    return status.endswith(" 1")


async def related(conn: asyncpg.Connection, memory_id: UUID, kinds: Sequence[str]) -> list[tuple[Relationship, str]]:
    rows = await conn.fetch(
        """
        SELECT r.*, CASE WHEN r.source_memory_id = $1 THEN 'outgoing' ELSE 'incoming' END AS direction
        FROM memory_relationships r
        WHERE (r.source_memory_id = $1 OR r.target_memory_id = $1) AND r.relation_type = ANY($2::text[])
        ORDER BY r.created_at, r.id
        """,
        memory_id,
        list(kinds),
    )
    return [(_relationship(r), r["direction"]) for r in rows]


# -- evolve ---------------------------------------------------------------------------------------


async def evolve_candidates(conn: asyncpg.Connection, where: Where, cap: int) -> list[asyncpg.Record]:
    n = len(where.params)
    return await conn.fetch(
        f"""
        SELECT m.id, m.agent_id, m.room_id, m.session_id, m.importance_score, m.access_count,
               m.last_accessed_at, m.created_at, m.tags, m.metadata
        FROM memories m WHERE {where.sql} ORDER BY m.created_at DESC, m.id DESC LIMIT ${n + 1}
        """,
        *where.params,
        cap,
    )


async def retention_policy(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT retention_days, action, legal_hold FROM retention_policies"
        " WHERE resource_type = 'memories' AND is_active AND organization_id = app_current_org_id()"
    )


async def expired(conn: asyncpg.Connection, user_id: UUID, days: int) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM memories WHERE user_id = $1 AND created_at < now() - make_interval(days => $2)"
        " ORDER BY created_at LIMIT 10000",
        user_id,
        days,
    )
    return [r["id"] for r in rows]


async def user_visible(conn: asyncpg.Connection, user_id: UUID) -> bool:
    """Whether the caller's org has this user (RLS decides; run in a tenant transaction)."""
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)", user_id))


async def insert_evolve_run(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, values: dict[str, Any]) -> UUID:
    return await conn.fetchval(
        """
        INSERT INTO evolve_runs (organization_id, user_id, trigger, dry_run, examined, clusters, consolidated,
                                 forgotten, purged, parameters, started_at, finished_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, now()) RETURNING id
        """,
        org_id, user_id, values["trigger"], values["dry_run"], values["examined"], values["clusters"],
        values["consolidated"], values["forgotten"], values["purged"], json.dumps(values["parameters"]),
        values["started_at"],
    )  # fmt: skip


async def last_evolve_run(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM evolve_runs WHERE user_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1", user_id
    )


async def evolve_tenants(conn: asyncpg.Connection) -> list[tuple[UUID, UUID]]:
    """(org, user) pairs with live memories: the schedule evolves each in its own tenant transaction."""
    rows = await conn.fetch(
        "SELECT DISTINCT organization_id, user_id FROM memories WHERE deleted_at IS NULL AND archived_at IS NULL"
    )
    return [(r["organization_id"], r["user_id"]) for r in rows]


# -- statistics -----------------------------------------------------------------------------------


async def stats(conn: asyncpg.Connection, user_id: UUID) -> dict[str, Any]:
    row = await conn.fetchrow(
        """
        SELECT count(*) AS total,
               count(*) FILTER (WHERE deleted_at IS NULL AND archived_at IS NULL) AS active,
               count(*) FILTER (WHERE deleted_at IS NULL AND archived_at IS NOT NULL) AS archived,
               count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted,
               count(*) FILTER (WHERE agent_id IS NULL AND room_id IS NULL AND session_id IS NULL) AS s_user,
               count(*) FILTER (WHERE agent_id IS NOT NULL) AS s_agent,
               count(*) FILTER (WHERE room_id IS NOT NULL) AS s_room,
               count(*) FILTER (WHERE session_id IS NOT NULL) AS s_session,
               count(*) FILTER (WHERE modality = 'text') AS m_text,
               count(*) FILTER (WHERE modality = 'audio_transcript') AS m_audio,
               count(*) FILTER (WHERE modality = 'image_caption') AS m_image,
               coalesce(sum(dedupe_count), 0) AS deduped,
               coalesce(sum(pg_column_size(m.*)), 0) AS bytes
        FROM memories m WHERE user_id = $1
        """,
        user_id,
    )
    stale = await conn.fetch(
        """
        SELECT CASE WHEN age < interval '1 day' THEN '<1d' WHEN age < interval '7 days' THEN '1-7d'
                    WHEN age < interval '30 days' THEN '7-30d' WHEN age < interval '90 days' THEN '30-90d'
                    ELSE '>90d' END AS bucket, count(*) AS n
        FROM (SELECT now() - greatest(created_at, coalesce(last_accessed_at, created_at)) AS age
              FROM memories WHERE user_id = $1 AND deleted_at IS NULL AND archived_at IS NULL) s
        GROUP BY 1
        """,
        user_id,
    )
    models = await conn.fetch(
        """
        SELECT model, min(dims) AS dims, count(*) AS n, coalesce(sum(pg_column_size(v.*)), 0) AS bytes
        FROM memory_vectors v WHERE user_id = $1 GROUP BY model ORDER BY model
        """,
        user_id,
    )
    return {"row": row, "staleness": {r["bucket"]: r["n"] for r in stale}, "models": models}


async def copy_vectors(conn: asyncpg.Connection, from_id: UUID, to_id: UUID) -> None:
    await conn.execute(
        """
        INSERT INTO memory_vectors (memory_id, organization_id, user_id, model, dims, embedding)
        SELECT $2, organization_id, user_id, model, dims, embedding FROM memory_vectors WHERE memory_id = $1
        """,
        from_id,
        to_id,
    )


async def set_access_count(conn: asyncpg.Connection, memory_id: UUID, count: int) -> None:
    await conn.execute("UPDATE memories SET access_count = $2 WHERE id = $1", memory_id, count)


async def organization_of(conn: asyncpg.Connection, memory_id: UUID) -> UUID | None:
    return await conn.fetchval("SELECT organization_id FROM memories WHERE id = $1", memory_id)  # type: ignore[no-any-return]
