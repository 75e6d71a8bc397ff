"""MemoryService: store (with dedupe), recall (hybrid), get/list/delete, relationships, evolve and statistics.

The domain API other services use (Chat calls `store` and `recall`): dataclasses in and out, domain errors
out, nothing of gRPC. Every request runs in the caller's tenant transaction, so RLS decides visibility:
a recall in another org's or user's scope finds nothing.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np

from auralinkd.access.principal import Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from auralinkd.memory import evolve as evolving
from auralinkd.memory import recall as recalling
from auralinkd.memory import store
from auralinkd.memory.access import AccessRecorder
from auralinkd.memory.embeddings import Embedder, Embedders
from auralinkd.memory.importance import estimate_importance
from auralinkd.memory.models import (
    MAX_CONTENT_BYTES,
    MODALITIES,
    RELATION_KINDS,
    EvolveAction,
    EvolveOptions,
    EvolveReport,
    EvolveRun,
    Memory,
    MemoryInput,
    MemoryPage,
    MemoryStats,
    ModelUse,
    Outcome,
    Recalled,
    RecallFilters,
    RecallResult,
    Related,
    Relationship,
    Scope,
    ScoreComponents,
    State,
    StoreResult,
)
from auralinkd.memory.ranking import Candidate, Weights, fuse, squash_keyword
from auralinkd.memory.stats import LatencyWindow
from auralinkd.paging import decode_cursor, encode_cursor, page_size

log = logging.getLogger(__name__)

DEFAULT_DEDUPE_THRESHOLD = 0.95
CHUNK_SIZE = 64
MAX_BATCH = 500
MAX_TAGS = 50
MAX_TAG_LENGTH = 100
MAX_SOURCE_LENGTH = 200
EVOLVE_CAP = 20_000  # memories examined per run and user (bounded memory; the next run continues)
_CLOCK_SKEW = timedelta(minutes=5)
_RUN_COUNTS = ("trigger", "examined", "clusters", "consolidated", "forgotten", "purged")


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryService:
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
        self._database = database
        self._bus = bus
        self._audit = audit
        self.embedders = embedders
        self.access = access
        self._dedupe_threshold = _threshold(dedupe_threshold, "dedupe_threshold", low_open=True)
        self.latency = latency or LatencyWindow()
        self._query_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    @property
    def pgvector(self) -> bool:
        info = self._database.info
        return bool(info and info.has_pgvector)

    async def warm(self) -> None:
        """Load the default embedding model in a thread (the daemon may call this in the background)."""
        warm = getattr(self.embedders.default, "warm", None)
        if warm is not None:
            await warm()

    # -- store ----------------------------------------------------------------------------------

    async def store(
        self,
        caller: Caller,
        item: MemoryInput,
        *,
        embedding_model: str = "",
        dedupe_threshold: float | None = None,
    ) -> StoreResult:
        """One memory: STORED, DEDUPED (the existing id) or, for bad input, InvalidArgument (nothing stored)."""
        embedder = self.embedders.get(embedding_model)
        threshold = self._threshold_or_default(dedupe_threshold)
        clean = self._validate(caller, item)
        results = await self._store_chunk(caller, [(0, clean)], embedder, threshold, "MemoryService/StoreMemory")
        await self._announce(caller, results)
        return results[0]

    async def store_batch(
        self,
        caller: Caller,
        items: Sequence[MemoryInput],
        *,
        embedding_model: str = "",
        dedupe_threshold: float | None = None,
        timeout_s: float | None = None,
    ) -> list[StoreResult]:
        """One outcome per item, in order. Invalid items are REJECTED with the reason; each chunk of 64
        valid items is stored in one transaction (all of the chunk or none of it)."""
        if len(items) > MAX_BATCH:
            raise InvalidArgument.for_field("memories", f"at most {MAX_BATCH} per batch, got {len(items)}")
        embedder = self.embedders.get(embedding_model)
        threshold = self._threshold_or_default(dedupe_threshold)
        results: dict[int, StoreResult] = {}
        valid: list[tuple[int, MemoryInput]] = []
        for index, item in enumerate(items):
            try:
                valid.append((index, self._validate(caller, item)))
            except (InvalidArgument, PermissionDenied) as exc:
                results[index] = StoreResult(Outcome.REJECTED, reason=exc.message, index=index)
        for start in range(0, len(valid), CHUNK_SIZE):
            chunk = valid[start : start + CHUNK_SIZE]
            for result in await self._store_chunk(
                caller, chunk, embedder, threshold, "MemoryService/BatchStoreMemories", timeout_s
            ):
                results[result.index] = result
        ordered = [results[i] for i in range(len(items))]
        await self._announce(caller, ordered)
        return ordered

    async def _announce(self, caller: Caller, results: Sequence[StoreResult]) -> None:
        """Operators watching events (auralink events, the dashboard) see ingestion as it happens."""
        if self._bus is None or not results:
            return
        counts: dict[str, int] = {}
        for result in results:
            counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
        await self._bus.publish("memory.stored", {"user_id": str(caller.principal.user_id), "outcomes": counts})

    def _threshold_or_default(self, value: float | None) -> float:
        return self._dedupe_threshold if value is None else _threshold(value, "dedupe_threshold", low_open=True)

    def _validate(self, caller: Caller, item: MemoryInput) -> MemoryInput:
        if not isinstance(item, MemoryInput):
            raise InvalidArgument.for_field("memory", f"expected a MemoryInput, got {type(item).__name__}")
        content = item.content.strip() if isinstance(item.content, str) else ""
        if not content:
            raise InvalidArgument.for_field("content", "must not be empty or whitespace")
        size = len(item.content.encode())
        if size > MAX_CONTENT_BYTES:
            raise InvalidArgument.for_field("content", f"must be at most {MAX_CONTENT_BYTES} bytes, got {size}")
        if not isinstance(item.metadata, dict):
            raise InvalidArgument.for_field("metadata", "must be a JSON object")
        tags: list[str] = []
        for tag in item.tags:
            tag = tag.strip() if isinstance(tag, str) else ""
            if not tag or len(tag) > MAX_TAG_LENGTH:
                raise InvalidArgument.for_field("tags", f"each tag must have 1 to {MAX_TAG_LENGTH} characters")
            if tag not in tags:
                tags.append(tag)
        if len(tags) > MAX_TAGS:
            raise InvalidArgument.for_field("tags", f"at most {MAX_TAGS} tags, got {len(tags)}")
        importance = item.importance
        if importance is not None and (math.isnan(importance) or not 0.0 <= importance <= 1.0):
            raise InvalidArgument.for_field("importance", f"must be between 0 and 1, got {importance}")
        if item.modality not in MODALITIES:
            raise InvalidArgument.for_field("modality", f"must be one of {', '.join(MODALITIES)}")
        if len(item.source) > MAX_SOURCE_LENGTH:
            raise InvalidArgument.for_field("source", f"must be at most {MAX_SOURCE_LENGTH} characters")
        if item.created_at is not None and item.created_at > _now() + _CLOCK_SKEW:
            raise InvalidArgument.for_field("create_time", "must not be in the future")
        self._user_of(caller, item.scope)
        return replace(
            item,
            tags=tuple(tags),
            importance=round(importance, 2) if importance is not None else estimate_importance(content),
        )

    def _user_of(self, caller: Caller, scope: Scope | None) -> UUID:
        """The user whose memories a call touches: the caller's unless an org admin names another."""
        principal = caller.principal
        if scope is None or scope.user_id is None or scope.user_id == principal.user_id:
            return principal.user_id
        if not principal.is_org_admin:
            raise PermissionDenied("only org admins may act on another user's memories")
        return scope.user_id

    async def _store_chunk(
        self,
        caller: Caller,
        chunk: list[tuple[int, MemoryInput]],
        embedder: Embedder,
        threshold: float,
        action: str,
        timeout_s: float | None = None,
    ) -> list[StoreResult]:
        vectors = await embedder.embed([item.content for _, item in chunk])
        principal = caller.principal
        results: list[StoreResult] = []
        new_rows: list[store.NewMemory] = []
        new_vectors: list[np.ndarray] = []
        duplicates: dict[UUID, int] = {}
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            scopes = sorted({self._scope_key(caller, item.scope) for _, item in chunk})
            for key in scopes:
                await store.lock_scope(conn, key[0], ":".join(key[1:]))
            scope_cache: dict[tuple[str, ...], tuple[list[UUID], np.ndarray]] = {}
            for (index, item), vector in zip(chunk, vectors, strict=True):
                key = self._scope_key(caller, item.scope)
                match = await self._nearest(conn, caller, item.scope, embedder, vector, scope_cache, key)
                # Earlier items of this chunk count too: two copies in one import store once.
                for row, earlier in zip(new_rows, new_vectors, strict=True):
                    if self._scope_key(caller, _scope_of(row)) == key:
                        sim = float(earlier @ vector)
                        if sim > (match[1] if match else -1.0):
                            match = (row.id, sim)
                if match is not None and match[1] >= threshold:
                    duplicates[match[0]] = duplicates.get(match[0], 0) + 1
                    results.append(
                        StoreResult(
                            Outcome.DEDUPED, match[0], f"near-duplicate of {match[0]} (cosine {match[1]:.3f})",
                            round(match[1], 4), index,
                        )
                    )  # fmt: skip
                    continue
                row = store.NewMemory(
                    id=uuid.uuid4(), org_id=principal.org_id, user_id=self._user_of(caller, item.scope),
                    agent_id=item.scope.agent_id, room_id=item.scope.room_id, session_id=item.scope.session_id,
                    content=item.content, metadata=item.metadata, tags=list(item.tags),
                    importance=float(item.importance or 0.0), modality=item.modality, source=item.source,
                    created_at=item.created_at,
                )  # fmt: skip
                new_rows.append(row)
                new_vectors.append(vector)
                results.append(StoreResult(Outcome.STORED, row.id, index=index))
            if new_rows:
                try:
                    await store.insert_memories(conn, new_rows)
                except asyncpg.ForeignKeyViolationError as exc:
                    raise InvalidArgument.for_field(
                        "scope", "an agent, room or user in the scope does not exist"
                    ) from exc
                await store.insert_vectors(
                    conn, [(r.id, r.org_id, r.user_id) for r in new_rows], embedder.name, np.stack(new_vectors),
                    self.pgvector,
                )  # fmt: skip
            # Stored ids that other chunk items deduped onto are new rows: refresh only existing ones here.
            new_ids = {r.id for r in new_rows}
            await store.refresh_duplicates(conn, {k: v for k, v in duplicates.items() if k not in new_ids})
            await store.refresh_duplicates(conn, {k: v for k, v in duplicates.items() if k in new_ids})
            await self._audit.record(
                conn, caller, action, "memory", str(results[0].memory_id) if len(results) == 1 else "",
                metadata={
                    "stored": sum(r.outcome is Outcome.STORED for r in results),
                    "deduped": sum(r.outcome is Outcome.DEDUPED for r in results),
                    "model": embedder.name,
                },
            )  # fmt: skip
        return results

    def _scope_key(self, caller: Caller, scope: Scope) -> tuple[Any, ...]:
        return (
            self._user_of(caller, scope),
            str(scope.agent_id or ""),
            str(scope.room_id or ""),
            str(scope.session_id or ""),
        )

    async def _nearest(
        self,
        conn: asyncpg.Connection,
        caller: Caller,
        scope: Scope,
        embedder: Embedder,
        vector: np.ndarray,
        cache: dict[tuple[str, ...], tuple[list[UUID], np.ndarray]],
        key: tuple[Any, ...],
    ) -> tuple[UUID, float] | None:
        where = store.scope_where(scope, self._user_of(caller, scope), exact_scope=True)
        if not self.pgvector:  # one fetch of the scope's vectors per chunk, then numpy
            if key not in cache:
                cache[key] = await store.scope_vectors(conn, embedder.name, where)
            ids, matrix = cache[key]
            if not ids:
                return None
            sims = matrix @ vector
            best = int(np.argmax(sims))
            return ids[best], float(sims[best])
        hits = await recalling.semantic(
            conn, model=embedder.name, dims=embedder.dims, query=vector, where=where, limit=1, pgvector=True
        )
        return hits.hits[0] if hits.hits else None

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
        text = query.strip() if isinstance(query, str) else ""
        if not text:
            raise InvalidArgument.for_field("query", "must not be empty or whitespace")
        if len(query.encode()) > MAX_CONTENT_BYTES:
            raise InvalidArgument.for_field("query", f"must be at most {MAX_CONTENT_BYTES} bytes")
        if not 1 <= limit <= 100:
            raise InvalidArgument.for_field("limit", f"must be between 1 and 100, got {limit}")
        weights = (weights or Weights()).validate()
        filters = filters or RecallFilters()
        if math.isnan(filters.min_score) or not 0.0 <= filters.min_score <= 1.0:
            raise InvalidArgument.for_field("min_score", f"must be between 0 and 1, got {filters.min_score}")
        if filters.metadata is not None and not isinstance(filters.metadata, dict):
            raise InvalidArgument.for_field("metadata", "must be a JSON object")
        embedder = self.embedders.get(embedding_model)
        scope = scope or Scope()
        user_id = self._user_of(caller, scope)
        vector = await self._query_vector(embedder, text) if weights.semantic > 0 else None
        candidates = min(300, max(3 * limit, 30))
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            where = store.scope_where(
                scope, user_id, tags=filters.tags, metadata=filters.metadata, start=filters.start, end=filters.end
            )
            semantic = recalling.SemanticHits([], "none")
            if vector is not None:
                semantic = await recalling.semantic(
                    conn, model=embedder.name, dims=embedder.dims, query=vector, where=where, limit=candidates,
                    pgvector=self.pgvector,
                )  # fmt: skip
            keyword = await recalling.keyword(conn, text, where, candidates) if weights.keyword > 0 else []
            ids = list(dict.fromkeys([i for i, _ in semantic.hits] + [i for i, _ in keyword]))
            memories = await store.get_memories(conn, ids)
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
        keyword: list[tuple[UUID, float]],
        weights: Weights,
        min_score: float,
        limit: int,
    ) -> list[Recalled]:
        sem = {mid: (rank, sim) for rank, (mid, sim) in enumerate(semantic, 1)}
        kw = {mid: (rank, value) for rank, (mid, value) in enumerate(keyword, 1)}
        candidates = []
        for mid, memory in memories.items():
            s_rank, s_val = sem.get(mid, (0, 0.0))
            k_rank, k_val = kw.get(mid, (0, 0.0))
            candidates.append(
                Candidate(
                    mid, memory.created_at, memory.last_accessed_at, memory.importance,
                    max(0.0, min(1.0, s_val)), squash_keyword(k_val), s_rank, k_rank,
                )
            )  # fmt: skip
        out = []
        for scored in fuse(candidates, weights, _now()):
            if scored.score < min_score:
                continue
            c = scored.candidate
            components = ScoreComponents(
                round(scored.score, 6), round(c.semantic, 6), round(c.keyword, 6), round(scored.recency, 6),
                c.importance, c.semantic_rank, c.keyword_rank,
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
        if kind not in RELATION_KINDS:
            raise InvalidArgument.for_field("kind", f"must be one of {', '.join(RELATION_KINDS)}")
        if math.isnan(weight) or not 0.0 < weight <= 1.0:
            raise InvalidArgument.for_field("weight", f"must be in (0, 1], got {weight}")
        if source_id == target_id:
            raise InvalidArgument.for_field("target_id", "a memory cannot be linked to itself")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidArgument.for_field("metadata", "must be a JSON object")
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
        if kind not in RELATION_KINDS:
            raise InvalidArgument.for_field("kind", f"must be one of {', '.join(RELATION_KINDS)}")
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
        if kind and kind not in RELATION_KINDS:
            raise InvalidArgument.for_field("kind", f"must be one of {', '.join(RELATION_KINDS)}")
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
        opts = options or EvolveOptions()
        if math.isnan(opts.consolidate_threshold) or not 0.5 <= opts.consolidate_threshold <= 1.0:
            raise InvalidArgument.for_field(
                "consolidate_threshold", f"must be between 0.5 and 1, got {opts.consolidate_threshold}"
            )
        if math.isnan(opts.forget_floor) or not 0.0 <= opts.forget_floor <= 1.0:
            raise InvalidArgument.for_field("forget_floor", f"must be between 0 and 1, got {opts.forget_floor}")
        if not opts.half_life_s > 0 or math.isinf(opts.half_life_s):
            raise InvalidArgument.for_field("half_life", "must be positive")
        scope = scope or Scope()
        user_id = self._user_of(caller, scope)
        model = self.embedders.default.name
        started = _now()
        actions: list[EvolveAction] = []
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            rows = await store.evolve_candidates(conn, store.scope_where(scope, user_id), EVOLVE_CAP)
            items = [
                evolving.Item(
                    r["id"], (str(r["agent_id"] or ""), str(r["room_id"] or ""), str(r["session_id"] or "")),
                    float(r["importance_score"]), r["access_count"], r["created_at"], r["last_accessed_at"],
                )
                for r in rows
            ]  # fmt: skip
            vectors = None
            if opts.consolidate and items:
                found = await store.vectors_of(conn, [i.id for i in items], model)
                items = [i for i in items if i.id in found] + [i for i in items if i.id not in found]
                with_vectors = [i for i in items if i.id in found]
                vectors = np.stack([found[i.id] for i in with_vectors]) if with_vectors else None
                plan_items = with_vectors
            else:
                plan_items = items
            plan = evolving.plan(
                plan_items, vectors, consolidate=opts.consolidate, forget=False,
                threshold=opts.consolidate_threshold, now=started, half_life_s=opts.half_life_s,
                floor=opts.forget_floor,
            )  # fmt: skip
            merged = {m for group in plan.clusters for m in group}
            fading = (
                evolving.forgotten(items, merged, started, opts.half_life_s, opts.forget_floor) if opts.forget else []
            )
            for group in plan.clusters:
                result_id = None if opts.dry_run else await self._consolidate(conn, group)
                actions.append(EvolveAction("consolidate", tuple(group), result_id, f"{len(group)} memories merged"))
            if fading:
                ids = [i for i, _ in fading]
                if not opts.dry_run:
                    await store.archive(conn, ids, "forgotten")
                for mid, value in fading:
                    actions.append(EvolveAction("forget", (mid,), None, f"decayed importance {value:.3f}"))
            purged = await self._retention(conn, user_id, opts.dry_run, actions)
            counts = {
                "trigger": trigger, "dry_run": opts.dry_run, "examined": len(items), "clusters": len(plan.clusters),
                "consolidated": len(merged), "forgotten": len(fading), "purged": purged, "started_at": started,
                "parameters": {
                    "consolidate": opts.consolidate, "forget": opts.forget,
                    "consolidate_threshold": str(opts.consolidate_threshold), "half_life_s": int(opts.half_life_s),
                    "forget_floor": str(opts.forget_floor),
                },
            }  # fmt: skip
            run_id = await store.insert_evolve_run(conn, caller.principal.org_id, user_id, counts)
            if not opts.dry_run:
                await self._audit.record(
                    conn, caller, "MemoryService/EvolveMemories", "evolve_run", str(run_id),
                    metadata={k: counts[k] for k in _RUN_COUNTS},
                )  # fmt: skip
        run = EvolveRun(
            run_id, opts.dry_run, trigger, len(items), len(plan.clusters), len(merged), len(fading), purged,
            started, _now(),
        )  # fmt: skip
        return EvolveReport(run, actions)

    async def _consolidate(self, conn: asyncpg.Connection, group: list[UUID]) -> UUID:
        members = await store.get_memories(conn, group)
        rep = members[group[0]]
        metadata: dict[str, Any] = {}
        for mid in reversed(group):  # the representative's keys win
            metadata.update(members[mid].metadata)
        metadata["consolidated_from"] = [str(m) for m in group]
        tags = sorted({t for m in members.values() for t in m.tags})
        new_id = uuid.uuid4()
        row = store.NewMemory(
            id=new_id, org_id=(await store.organization_of(conn, rep.id)),
            user_id=rep.user_id, agent_id=rep.agent_id, room_id=rep.room_id, session_id=rep.session_id,
            content=rep.content, metadata=metadata, tags=tags,
            importance=max(m.importance for m in members.values()), modality=rep.modality, source="evolve",
            created_at=max(m.created_at for m in members.values()),
        )  # fmt: skip
        await store.insert_memories(conn, [row])
        await store.copy_vectors(conn, rep.id, new_id)
        await store.set_access_count(conn, new_id, sum(m.access_count for m in members.values()))
        await store.link_many(conn, new_id, group, "derived_from")
        await store.archive(conn, group, "consolidated")
        return new_id

    async def _retention(
        self, conn: asyncpg.Connection, user_id: UUID, dry_run: bool, actions: list[EvolveAction]
    ) -> int:
        """The org's retention policy for memories: the only automatic hard delete ('archive' archives)."""
        policy = await store.retention_policy(conn)
        if policy is None or policy["legal_hold"]:
            return 0
        ids = await store.expired(conn, user_id, policy["retention_days"])
        if not ids:
            return 0
        if policy["action"] == "archive":
            if not dry_run:
                await store.archive(conn, ids, "retention")
            actions.append(
                EvolveAction("retention_archive", tuple(ids), None, f"older than {policy['retention_days']} days")
            )
            return 0
        if not dry_run:  # 'delete' and 'anonymize' (a memory has no anonymous form): gone for good
            await store.hard_delete(conn, ids)
        actions.append(EvolveAction("purge", tuple(ids), None, f"older than {policy['retention_days']} days"))
        return len(ids)

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
        row = raw["row"]
        stored_rows = row["total"]
        deduped = int(row["deduped"])
        p50, p95, window = self.latency.percentiles()
        models = [
            ModelUse(r["model"], r["dims"], r["n"], self.pgvector and store.HNSW_MODELS.get(r["model"]) == r["dims"])
            for r in raw["models"]
        ]
        return MemoryStats(
            total=stored_rows,
            by_scope={
                "user": row["s_user"],
                "agent": row["s_agent"],
                "room": row["s_room"],
                "session": row["s_session"],
            },
            by_modality={"text": row["m_text"], "audio_transcript": row["m_audio"], "image_caption": row["m_image"]},
            by_state={"active": row["active"], "archived": row["archived"], "deleted": row["deleted"]},
            duplicate_ratio=deduped / (stored_rows + deduped) if stored_rows + deduped else 0.0,
            staleness={b: raw["staleness"].get(b, 0) for b in ("<1d", "1-7d", "7-30d", "30-90d", ">90d")},
            storage_bytes=int(row["bytes"]) + sum(int(r["bytes"]) for r in raw["models"]),
            models=models,
            recall_p50_ms=p50,
            recall_p95_ms=p95,
            recall_window=window,
            pgvector=self.pgvector,
            last_evolve_run=_run(last) if last else None,
        )


def _run(row: asyncpg.Record) -> EvolveRun:
    return EvolveRun(
        row["id"], row["dry_run"], row["trigger"], row["examined"], row["clusters"], row["consolidated"],
        row["forgotten"], row["purged"], row["started_at"], row["finished_at"],
    )  # fmt: skip


def _scope_of(row: store.NewMemory) -> Scope:
    return Scope(row.user_id, row.agent_id, row.room_id, row.session_id)


def _threshold(value: float, name: str, *, low_open: bool = False) -> float:
    if math.isnan(value) or value > 1.0 or value < 0.0 or (low_open and value == 0.0):
        raise InvalidArgument.for_field(name, f"must be in (0, 1], got {value}")
    return value
