"""MemoryService: store (with dedupe, in ingest.py), recall (hybrid), get/list/delete, relationships, evolve, stats.

The domain API other services use (Chat calls `store` and `recall`): dataclasses in and out, domain errors
out, nothing of gRPC. Every request runs in the caller's tenant transaction, so RLS decides visibility:
a recall in another org's or user's scope finds nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import numpy as np

from auralinkd.access.principal import Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from auralinkd.memory import evolve as evolving
from auralinkd.memory import recall as recalling
from auralinkd.memory import store, validation
from auralinkd.memory.access_counts import AccessRecorder
from auralinkd.memory.embeddings import Embedder, Embedders
from auralinkd.memory.ingest import DEFAULT_DEDUPE_THRESHOLD, MemoryIngest
from auralinkd.memory.models import (
    MODALITIES,
    RELATION_KINDS,
    EvolveOptions,
    EvolveReport,
    EvolveRun,
    Memory,
    MemoryPage,
    MemoryStats,
    Recalled,
    RecallFilters,
    RecallResult,
    Related,
    Relationship,
    Scope,
    ScoreComponents,
    State,
)
from auralinkd.memory.ranking import Candidate, Weights, fuse, squash_keyword
from auralinkd.memory.stats import LatencyWindow, memory_stats
from auralinkd.paging import decode_cursor, encode_cursor, page_size

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryService(MemoryIngest):
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        embedders: Embedders,
        access: AccessRecorder,
        *,
        dedupe_threshold: float = DEFAULT_DEDUPE_THRESHOLD,
        latency: LatencyWindow | None = None,
        bus: EventBus | None = None,
    ) -> None:
        super().__init__(database, audit, embedders, dedupe_threshold=dedupe_threshold, bus=bus)
        self.access = access
        self.latency = latency or LatencyWindow()
        self._query_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    async def warm(self) -> None:
        """Load the default embedding model in a thread (the daemon may call this in the background)."""
        warm = getattr(self.embedders.default, "warm", None)
        if warm is not None:
            await warm()

    # -- recall ---------------------------------------------------------------------------------

    async def recall(
        self,
        caller: Caller,
        query: str,
        *,
        scope: Scope | None = None,
        limit: int = 10,
        weights: Weights | None = None,
        filters: RecallFilters | None = None,
        embedding_model: str = "",
        timeout_s: float | None = None,
    ) -> RecallResult:
        started = time.perf_counter()
        text, weights, filters = validation.recall_arguments(query, limit, weights, filters)
        embedder = self.embedders.get(embedding_model)
        scope = scope or Scope()
        user_id = self._user_of(caller, scope)
        # The query embedding (a thread, most of a recall's time) runs while the keyword search runs in
        # PostgreSQL: neither needs the other, so the recall costs max(embed, keyword), not their sum.
        embedding = asyncio.ensure_future(self._query_vector(embedder, text)) if weights.semantic > 0 else None
        candidates = recalling.candidates_for(limit)
        hnsw = embedding is not None and self.pgvector and embedder.name in store.HNSW_MODELS
        ef = recalling.ef_search_for(candidates) if hnsw else None
        try:
            async with self._database.tenant(caller.tenant, timeout_s=timeout_s, ef_search=ef) as conn:
                where = store.scope_where(
                    scope, user_id, tags=filters.tags, metadata=filters.metadata, start=filters.start, end=filters.end
                )
                keyword = recalling.KeywordHits([])
                if weights.keyword > 0:
                    keyword = await recalling.keyword(conn, text, where, candidates)
                semantic = recalling.SemanticHits([], "none")
                if embedding is not None:
                    semantic = await recalling.semantic(
                        conn, model=embedder.name, dims=embedder.dims, query=await embedding, where=where,
                        limit=candidates, pgvector=self.pgvector, ef_preset=ef, fetch=[i for i, _ in keyword.hits],
                    )  # fmt: skip
                ids = list(dict.fromkeys([i for i, _ in semantic.hits] + [i for i, _ in keyword.hits]))
                memories = {i: semantic.memories[i] for i in ids if i in semantic.memories}
                if len(memories) < len(ids):  # no semantic search, or one that fell back to another strategy
                    memories |= await store.get_memories(conn, [i for i in ids if i not in memories])
        finally:
            if embedding is not None and not embedding.done():
                embedding.cancel()
            elif embedding is not None and not embedding.cancelled():
                embedding.exception()  # retrieved, so a failure that lost the race is not logged as unhandled
        results = self._rank(memories, semantic.hits, keyword, weights, filters.min_score, limit)
        if results:
            self.access.note(caller.tenant, [r.memory.id for r in results])
        took = time.perf_counter() - started
        self.latency.add(took)
        return RecallResult(results, semantic.strategy, took)

    async def _query_vector(self, embedder: Embedder, text: str) -> np.ndarray:
        key = (embedder.name, text)
        cached = self._query_cache.get(key)
        if cached is not None:
            self._query_cache.move_to_end(key)
            return cached
        vector = (await embedder.embed([text]))[0]
        self._query_cache[key] = vector
        if len(self._query_cache) > 256:
            self._query_cache.popitem(last=False)
        return vector

    @staticmethod
    def _rank(
        memories: dict[UUID, Memory],
        semantic: list[tuple[UUID, float]],
        keyword: recalling.KeywordHits,
        weights: Weights,
        min_score: float,
        limit: int,
    ) -> list[Recalled]:
        sem = {mid: (rank, sim) for rank, (mid, sim) in enumerate(semantic, 1)}
        kw = {mid: (rank, value) for rank, (mid, value) in enumerate(keyword.hits, 1)}
        evidence = recalling.identifier_evidence({m: x.content for m, x in memories.items()}, keyword.identifiers)
        candidates = []
        for mid, memory in memories.items():
            s_rank, s_val = sem.get(mid, (0, 0.0))
            k_rank, k_val = kw.get(mid, (0, 0.0))
            candidates.append(
                Candidate(
                    mid, memory.created_at, memory.last_accessed_at, memory.importance,
                    max(0.0, min(1.0, s_val)), squash_keyword(k_val), s_rank, k_rank,
                    evidence.get(mid, 0.0),
                )
            )  # fmt: skip
        out = []
        for scored in fuse(candidates, weights, _now()):
            if scored.score < min_score:
                continue
            c = scored.candidate
            components = ScoreComponents(
                round(scored.score, 6), round(c.semantic, 6), round(c.keyword, 6), round(scored.recency, 6),
                c.importance, c.semantic_rank, c.keyword_rank, round(c.identifier, 6), round(scored.relevance, 6),
            )  # fmt: skip
            out.append(Recalled(memories[c.id], components))
            if len(out) >= limit:
                break
        return out

    # -- get, list, delete ----------------------------------------------------------------------

    async def get(self, caller: Caller, memory_id: UUID, *, timeout_s: float | None = None) -> Memory:
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            found = await store.get_memory(conn, memory_id)
        if found is None or found.state is State.DELETED:
            raise NotFound(f"memory {memory_id} not found")
        return found

    async def list(
        self,
        caller: Caller,
        *,
        size: int = 0,
        token: str = "",
        scope: Scope | None = None,
        tags: Sequence[str] = (),
        modality: str = "",
        states: Sequence[State] = (),
        start: datetime | None = None,
        end: datetime | None = None,
        timeout_s: float | None = None,
    ) -> MemoryPage:
        limit = page_size(size)
        if modality and modality not in MODALITIES:
            raise InvalidArgument.for_field("modality", f"must be one of {', '.join(MODALITIES)}")
        cursor = decode_cursor(token)
        after = None
        if cursor is not None:
            try:
                after = (datetime.fromisoformat(cursor["t"]), UUID(cursor["id"]))
            except (KeyError, ValueError, TypeError):
                raise InvalidArgument.for_field("page_token", "is not a token this server issued") from None
        user_id = self._user_of(caller, scope)
        where = store.scope_where(
            scope or Scope(), user_id, states=states or (State.ACTIVE,), tags=tags, start=start, end=end,
            modality=modality,
        )  # fmt: skip
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            rows = await store.list_memories(conn, where, after, limit + 1)
        page, more = rows[:limit], len(rows) > limit
        next_token = encode_cursor({"t": page[-1].created_at.isoformat(), "id": str(page[-1].id)}) if more else ""
        return MemoryPage(page, next_token)

    async def delete(
        self, caller: Caller, memory_id: UUID, *, hard: bool = False, timeout_s: float | None = None
    ) -> None:
        """Soft by default (gone from recall and lists, kept for audit); hard removes the row, its vectors and edges."""
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            found = await store.get_memory(conn, memory_id)
            if found is None or (found.state is State.DELETED and not hard):
                raise NotFound(f"memory {memory_id} not found")
            if hard:
                await store.hard_delete(conn, [memory_id])
            else:
                await store.soft_delete(conn, memory_id)
            await self._audit.record(
                conn, caller, "MemoryService/DeleteMemory", "memory", str(memory_id), metadata={"hard": hard}
            )

    async def restore(self, caller: Caller, memory_id: UUID, *, timeout_s: float | None = None) -> Memory:
        """Undo a soft delete. A hard-deleted row is gone for good (NotFound, like an unknown id)."""
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            found = await store.get_memory(conn, memory_id)
            if found is None:
                raise NotFound(f"memory {memory_id} not found")
            if found.state is not State.DELETED:
                raise FailedPrecondition(f"memory {memory_id} is not deleted")
            await store.restore(conn, memory_id)
            await self._audit.record(conn, caller, "MemoryService/RestoreMemory", "memory", str(memory_id))
            restored = await store.get_memory(conn, memory_id)
        assert restored is not None
        return restored

    # -- relationships --------------------------------------------------------------------------

    async def link(
        self,
        caller: Caller,
        source_id: UUID,
        target_id: UUID,
        kind: str,
        *,
        weight: float = 1.0,
        metadata: dict[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> Relationship:
        validation.link_arguments(source_id, target_id, kind, weight, metadata)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            found = await store.get_memories(conn, [source_id, target_id])
            for mid, name in ((source_id, "source_id"), (target_id, "target_id")):
                if mid not in found or found[mid].state is State.DELETED:
                    raise NotFound(f"memory {mid} not found ({name})")
            if found[source_id].user_id != found[target_id].user_id:
                raise InvalidArgument.for_field("target_id", "both memories must belong to the same user")
            edge = await store.link(conn, found[source_id], target_id, kind, weight, metadata or {})
            if edge is None:
                raise AlreadyExists(f"{source_id} already {kind} {target_id}")
            await self._audit.record(
                conn, caller, "MemoryService/LinkMemories", "memory_relationship", str(edge.id),
                metadata={"source": str(source_id), "target": str(target_id), "kind": kind},
            )  # fmt: skip
        return edge

    async def unlink(
        self, caller: Caller, source_id: UUID, target_id: UUID, kind: str, *, timeout_s: float | None = None
    ) -> None:
        validation.relation_kind(kind)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            if not await store.unlink(conn, source_id, target_id, kind):
                raise NotFound(f"no {kind} link from {source_id} to {target_id}")
            await self._audit.record(
                conn, caller, "MemoryService/UnlinkMemories", "memory", str(source_id),
                metadata={"target": str(target_id), "kind": kind},
            )  # fmt: skip

    async def related(
        self, caller: Caller, memory_id: UUID, kind: str = "", *, timeout_s: float | None = None
    ) -> list[Related]:
        if kind:
            validation.relation_kind(kind)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            if await store.get_memory(conn, memory_id) is None:
                raise NotFound(f"memory {memory_id} not found")
            edges = await store.related(conn, memory_id, [kind] if kind else list(RELATION_KINDS))
            others = [e.target_id if d == "outgoing" else e.source_id for e, d in edges]
            memories = await store.get_memories(conn, others)
        return [Related(e, d, memories[o]) for (e, d), o in zip(edges, others, strict=True) if o in memories]

    # -- evolve ---------------------------------------------------------------------------------

    async def evolve(
        self,
        caller: Caller,
        options: EvolveOptions | None = None,
        *,
        scope: Scope | None = None,
        trigger: str = "manual",
        timeout_s: float | None = None,
    ) -> EvolveReport:
        opts = evolving.checked(options or EvolveOptions())
        scope = scope or Scope()
        user_id = self._user_of(caller, scope)
        started = _now()
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            if user_id != caller.principal.user_id and not await store.user_visible(conn, user_id):
                raise NotFound(f"scope.user_id: no user {user_id} in your organization")
            counts, actions = await evolving.apply(
                conn, opts, scope, user_id, self.embedders.default.name, started, trigger
            )
            run_id = await store.insert_evolve_run(conn, caller.principal.org_id, user_id, counts)
            if not opts.dry_run:
                await self._audit.record(
                    conn, caller, "MemoryService/EvolveMemories", "evolve_run", str(run_id),
                    metadata={k: counts[k] for k in evolving.RUN_COUNTS},
                )  # fmt: skip
        run = EvolveRun(
            run_id, opts.dry_run, trigger, counts["examined"], counts["clusters"], counts["consolidated"],
            counts["forgotten"], counts["purged"], started, _now(),
        )  # fmt: skip
        return EvolveReport(run, actions)

    async def run_schedule(self, interval_s: float) -> None:
        """Evolve every user with live memories every `interval_s` seconds (0: never). A background task."""
        if interval_s <= 0:
            return
        while True:
            await asyncio.sleep(interval_s)
            try:
                # Daemon bookkeeping: who has memories spans tenants; each run then uses its own tenant scope.
                async with self._database.system() as conn:
                    tenants = await store.evolve_tenants(conn)
                for org_id, user_id in tenants:
                    principal = Principal(user_id, org_id, frozenset({"memories:evolve"}), "evolve-schedule")
                    await self.evolve(Caller(principal, "evolve-schedule"), trigger="schedule")
            except Exception:  # noqa: BLE001 - the schedule must survive one bad run; it is logged
                log.exception("scheduled memory evolve failed")

    # -- statistics -----------------------------------------------------------------------------

    async def stats(self, caller: Caller, scope: Scope | None = None, *, timeout_s: float | None = None) -> MemoryStats:
        user_id = self._user_of(caller, scope)
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            raw = await store.stats(conn, user_id)
            last = await store.last_evolve_run(conn, user_id)
        return memory_stats(raw, last, self.latency, self.pgvector)
