"""Storing memories: validation, embedding, near-duplicate detection and chunked transactions.

MemoryService (service.py) inherits MemoryIngest. Storing is here; the other jobs have their own modules:
recall candidates in recall.py and their ranking in ranking.py, evolve in evolve.py, statistics in stats.py,
access counts in access_counts.py; service.py orchestrates them and keeps get, list, delete and relationships.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.errors import InvalidArgument, PermissionDenied
from auralinkd.memory import recall as recalling
from auralinkd.memory import store, validation
from auralinkd.memory.embeddings import Embedder, Embedders
from auralinkd.memory.models import (
    MemoryInput,
    Outcome,
    Scope,
    StoreResult,
)
from auralinkd.memory.planner_stats import PlannerStatistics

log = logging.getLogger(__name__)

DEFAULT_DEDUPE_THRESHOLD = 0.95
CHUNK_SIZE = 64  # items per transaction: a batch import commits (or fails) in chunks of this many
PIECE_SIZE = 32  # items per embedding call: the next piece embeds while this one is checked and inserted
DEDUPE_CANDIDATES = 10  # index rows per item that the exact-scope filter picks the nearest from
MAX_BATCH = 500


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryIngest:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        embedders: Embedders,
        *,
        dedupe_threshold: float = DEFAULT_DEDUPE_THRESHOLD,
        bus: EventBus | None = None,
    ) -> None:
        self._database = database
        self._bus = bus
        self._audit = audit
        self.embedders = embedders
        self._dedupe_threshold = validation.threshold(dedupe_threshold, "dedupe_threshold", low_open=True)
        self.planner_statistics = PlannerStatistics(database)

    @property
    def pgvector(self) -> bool:
        info = self._database.info
        return bool(info and info.has_pgvector)

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
        ahead = _EmbedAhead(embedder, [[(0, clean)]])
        try:
            results = await self._store_chunk(caller, ahead, 1, embedder, threshold, "MemoryService/StoreMemory")
        finally:
            ahead.cancel()
        if results[0].outcome is Outcome.REJECTED:
            raise InvalidArgument.for_field("scope", results[0].reason)
        if results[0].outcome is Outcome.STORED:
            self.planner_statistics.note_stored(1)
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
        valid items is stored in one transaction (all of the chunk or none of it).

        Embedding is the slow part, so it runs one piece (32 items) ahead of the database work: while a
        piece is checked for duplicates and inserted, the next one is being embedded."""
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
        pieces = [valid[start : start + PIECE_SIZE] for start in range(0, len(valid), PIECE_SIZE)]
        per_chunk = CHUNK_SIZE // PIECE_SIZE
        ahead = _EmbedAhead(embedder, pieces)
        try:
            for start in range(0, len(pieces), per_chunk):
                count = len(pieces[start : start + per_chunk])
                for result in await self._store_chunk(
                    caller, ahead, count, embedder, threshold, "MemoryService/BatchStoreMemories", timeout_s
                ):
                    results[result.index] = result
        finally:
            ahead.cancel()
        ordered = [results[i] for i in range(len(items))]
        stored = sum(r.outcome is Outcome.STORED for r in ordered)
        if stored:
            self.planner_statistics.note_stored(stored)
        await self._announce(caller, ordered)
        return ordered

    async def _announce(self, caller: Caller, results: Sequence[StoreResult]) -> None:
        """Operators watching events (auralink events, the dashboard) see ingestion as it happens."""
        if self._bus is None or not results:
            return
        counts: dict[str, int] = {}
        for result in results:
            counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
        await self._bus.publish(
            "memory.stored",
            {"user_id": str(caller.principal.user_id), "outcomes": counts},
            org=caller.principal.org_id,
        )

    def _threshold_or_default(self, value: float | None) -> float:
        return (
            self._dedupe_threshold if value is None else validation.threshold(value, "dedupe_threshold", low_open=True)
        )

    def _validate(self, caller: Caller, item: MemoryInput) -> MemoryInput:
        clean = validation.memory_input(item)
        self._user_of(caller, clean.scope)
        return clean

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
        ahead: _EmbedAhead,
        pieces: int,
        embedder: Embedder,
        threshold: float,
        action: str,
        timeout_s: float | None = None,
    ) -> list[StoreResult]:
        """The next `pieces` pieces from `ahead`, in one transaction."""
        first = await ahead.take()  # before the transaction opens: it never waits on the first embedding
        chunk = [item for piece in ahead.upcoming(pieces) for item in piece]
        principal = caller.principal
        results: list[StoreResult] = []
        new_rows: list[store.NewMemory] = []
        new_vectors: list[np.ndarray] = []
        duplicates: dict[UUID, int] = {}
        async with self._database.tenant(caller.tenant, timeout_s=timeout_s) as conn:
            scopes = sorted({self._scope_key(caller, item.scope) for _, item in chunk})
            for key in scopes:
                await store.lock_scope(conn, key[0], ":".join(key[1:]))
            unknown = await self._unknown_scope_targets(conn, chunk)
            for number in range(pieces):
                piece, vectors = first if number == 0 else await ahead.take()
                nearest = await self._nearest_all(conn, caller, piece, embedder, vectors)
                piece_rows: list[store.NewMemory] = []
                piece_vectors: list[np.ndarray] = []
                for (index, item), vector, match in zip(piece, vectors, nearest, strict=True):
                    if index in unknown:
                        results.append(StoreResult(Outcome.REJECTED, reason=unknown[index], index=index))
                        continue
                    key = self._scope_key(caller, item.scope)
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
                    piece_rows.append(row)
                    piece_vectors.append(vector)
                    results.append(StoreResult(Outcome.STORED, row.id, index=index))
                await self._insert(conn, embedder, piece_rows, piece_vectors)
            # Stored ids that other chunk items deduped onto are new rows: refresh only existing ones here.
            new_ids = {r.id for r in new_rows}
            await store.refresh_duplicates(conn, {k: v for k, v in duplicates.items() if k not in new_ids})
            await store.refresh_duplicates(conn, {k: v for k, v in duplicates.items() if k in new_ids})
            stored = sum(r.outcome is Outcome.STORED for r in results)
            deduped = sum(r.outcome is Outcome.DEDUPED for r in results)
            if stored or deduped:  # a chunk whose items were all rejected changed nothing to audit
                await self._audit.record(
                    conn, caller, action, "memory", str(results[0].memory_id) if len(results) == 1 else "",
                    metadata={"stored": stored, "deduped": deduped, "model": embedder.name},
                )  # fmt: skip
        return results

    @staticmethod
    async def _unknown_scope_targets(conn: asyncpg.Connection, chunk: list[tuple[int, MemoryInput]]) -> dict[int, str]:
        """Items whose scope names an agent or room the caller cannot see, with the reason. Looked up under
        RLS, so another org's agent or room reads exactly like one that does not exist (a foreign-key check
        would accept it, attaching the memory to another org's agent, and so reveal that it exists)."""
        agents = {item.scope.agent_id for _, item in chunk if item.scope.agent_id is not None}
        rooms = {item.scope.room_id for _, item in chunk if item.scope.room_id is not None}
        if not agents and not rooms:
            return {}
        seen_agents, seen_rooms = await store.visible_scope_targets(conn, agents, rooms)
        unknown: dict[int, str] = {}
        for index, item in chunk:
            if item.scope.agent_id is not None and item.scope.agent_id not in seen_agents:
                unknown[index] = f"scope.agent_id: no agent {item.scope.agent_id} in your organization"
            elif item.scope.room_id is not None and item.scope.room_id not in seen_rooms:
                unknown[index] = f"scope.room_id: no room {item.scope.room_id} in your organization"
        return unknown

    async def _insert(
        self, conn: asyncpg.Connection, embedder: Embedder, rows: list[store.NewMemory], vectors: list[np.ndarray]
    ) -> None:
        if not rows:
            return
        try:
            await store.insert_memories(conn, rows)
        except asyncpg.ForeignKeyViolationError as exc:
            raise InvalidArgument.for_field("scope", "an agent, room or user in the scope does not exist") from exc
        await store.insert_vectors(
            conn, [(r.id, r.org_id, r.user_id) for r in rows], embedder.name, np.stack(vectors), self.pgvector
        )

    def _scope_key(self, caller: Caller, scope: Scope) -> tuple[Any, ...]:
        return (
            self._user_of(caller, scope),
            str(scope.agent_id or ""),
            str(scope.room_id or ""),
            str(scope.session_id or ""),
        )

    async def _nearest_all(
        self,
        conn: asyncpg.Connection,
        caller: Caller,
        chunk: list[tuple[int, MemoryInput]],
        embedder: Embedder,
        vectors: np.ndarray,
    ) -> list[tuple[UUID, float] | None]:
        """The stored memory nearest to each item in its exact scope (None: the scope has none).

        With an HNSW index, one statement per scope looks up the whole chunk; only the items whose
        candidates the filters all discarded are looked up again, one by one, by the recall's own search
        (which widens or goes exact). Without pgvector, numpy over the scope's vectors, fetched once."""
        found: list[tuple[UUID, float] | None] = [None] * len(chunk)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for position, (_, item) in enumerate(chunk):
            groups.setdefault(self._scope_key(caller, item.scope), []).append(position)
        for positions in groups.values():
            scope = chunk[positions[0]][1].scope
            user_id = self._user_of(caller, scope)
            where = store.scope_where(scope, user_id, exact_scope=True)
            if not self.pgvector:
                ids, matrix = await store.scope_vectors(conn, embedder.name, where)
                if ids:
                    sims = vectors[positions] @ matrix.T
                    for row, position in enumerate(positions):
                        best = int(np.argmax(sims[row]))
                        found[position] = (ids[best], float(sims[row, best]))
                continue
            missing = positions
            if embedder.name in store.HNSW_MODELS:
                await store.set_ef_search(conn, recalling.EF_SEARCH_MIN)
                hits = await store.nearest_hnsw_batch(
                    conn, embedder.name, embedder.dims, vectors[positions], user_id, where, DEDUPE_CANDIDATES
                )
                for position, hit in zip(positions, hits, strict=True):
                    found[position] = hit
                missing = [p for p, hit in zip(positions, hits, strict=True) if hit is None]
                if missing and await store.count_matching(conn, embedder.name, where, 1) == 0:
                    continue  # an empty scope: nothing to be a duplicate of
            for position in missing:
                semantic = await recalling.semantic(
                    conn, model=embedder.name, dims=embedder.dims, query=vectors[position], where=where, limit=1,
                    pgvector=True,
                )  # fmt: skip
                found[position] = semantic.hits[0] if semantic.hits else None
        return found


class _EmbedAhead:
    """Embeds pieces of items in order, one piece ahead of whoever takes them."""

    def __init__(self, embedder: Embedder, pieces: list[list[tuple[int, MemoryInput]]]) -> None:
        self._embedder = embedder
        self._pieces = pieces
        self._taken = 0
        self._running: asyncio.Future[np.ndarray] | None = None
        self._start(0)

    def _start(self, number: int) -> None:
        self._running = None
        if number < len(self._pieces):
            texts = [item.content for _, item in self._pieces[number]]
            self._running = asyncio.ensure_future(self._embedder.embed(texts))

    def upcoming(self, count: int) -> list[list[tuple[int, MemoryInput]]]:
        """The piece taken last and the `count - 1` after it: one chunk's items, known before its transaction."""
        return self._pieces[self._taken - 1 : self._taken - 1 + count]

    async def take(self) -> tuple[list[tuple[int, MemoryInput]], np.ndarray]:
        """The next piece and its vectors; starts embedding the piece after it first."""
        running, piece = self._running, self._pieces[self._taken]
        assert running is not None
        self._taken += 1
        self._start(self._taken)
        return piece, await running

    def cancel(self) -> None:
        """Stops embedding what nobody will take (after the last piece, or when a chunk failed)."""
        running, self._running = self._running, None
        if running is None:
            return
        if not running.done():
            running.cancel()
        elif not running.cancelled():
            running.exception()  # retrieved: a failure nobody waits for is not logged as unhandled


def _scope_of(row: store.NewMemory) -> Scope:
    return Scope(row.user_id, row.agent_id, row.room_id, row.session_id)
