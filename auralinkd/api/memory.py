"""MemoryService servicer: proto <-> memory domain values, nothing more (the guard checks permissions and
maps domain errors to status codes)."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

import grpc
from google.protobuf import duration_pb2, json_format

from auralink.v1 import memory_pb2 as pb
from auralink.v1 import memory_pb2_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import optional_datetime, struct, timestamp
from auralinkd.api.permissions import requires
from auralinkd.errors import InvalidArgument
from auralinkd.memory import models as m
from auralinkd.memory.ranking import Weights
from auralinkd.memory.service import MemoryService

_MODALITY_TO_DOMAIN = {
    pb.MEMORY_MODALITY_UNSPECIFIED: "text",
    pb.MEMORY_MODALITY_TEXT: "text",
    pb.MEMORY_MODALITY_AUDIO_TRANSCRIPT: "audio_transcript",
    pb.MEMORY_MODALITY_IMAGE_CAPTION: "image_caption",
}
_MODALITY_TO_PROTO = {v: k for k, v in _MODALITY_TO_DOMAIN.items() if k != pb.MEMORY_MODALITY_UNSPECIFIED}
_STATE_TO_DOMAIN = {
    pb.MEMORY_STATE_ACTIVE: m.State.ACTIVE,
    pb.MEMORY_STATE_ARCHIVED: m.State.ARCHIVED,
    pb.MEMORY_STATE_DELETED: m.State.DELETED,
}
_STATE_TO_PROTO = {v: k for k, v in _STATE_TO_DOMAIN.items()}
_KIND_TO_DOMAIN = {
    pb.RELATION_KIND_UPDATES: "updates",
    pb.RELATION_KIND_EXTENDS: "extends",
    pb.RELATION_KIND_DERIVED_FROM: "derived_from",
    pb.RELATION_KIND_CONTRADICTS: "contradicts",
}
_KIND_TO_PROTO = {v: k for k, v in _KIND_TO_DOMAIN.items()}
_OUTCOME_TO_PROTO = {
    m.Outcome.STORED: pb.STORE_OUTCOME_STORED,
    m.Outcome.DEDUPED: pb.STORE_OUTCOME_DEDUPED,
    m.Outcome.REJECTED: pb.STORE_OUTCOME_REJECTED,
}


class MemoryServicer(memory_pb2_grpc.MemoryServiceServicer):
    def __init__(self, memories: MemoryService) -> None:
        self._memories = memories

    @requires("memories:write")
    async def StoreMemory(
        self, request: pb.StoreMemoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.StoreMemoryResponse:
        item = memory_input(request.memory)
        result = await self._memories.store(
            current_caller(),
            item,
            embedding_model=request.options.embedding_model,
            dedupe_threshold=_optional(request.options, "dedupe_threshold"),
        )
        return pb.StoreMemoryResponse(result=result_to_proto(result))

    @requires("memories:write")
    async def BatchStoreMemories(
        self, request: pb.BatchStoreMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.BatchStoreMemoriesResponse:
        items: list[Any] = []
        rejected: dict[int, str] = {}
        for index, message in enumerate(request.memories):
            try:
                items.append(memory_input(message))
            except InvalidArgument as exc:  # one bad item is that item's REJECTED outcome, not the batch's
                rejected[index] = exc.message
                items.append(m.MemoryInput(""))
        results = await self._memories.store_batch(
            current_caller(),
            items,
            embedding_model=request.options.embedding_model,
            dedupe_threshold=_optional(request.options, "dedupe_threshold"),
            timeout_s=context.time_remaining(),
        )
        out = [
            pb.StoreResult(outcome=pb.STORE_OUTCOME_REJECTED, reason=rejected[r.index], index=r.index)
            if r.index in rejected
            else result_to_proto(r)
            for r in results
        ]
        counts = {o: sum(1 for r in out if r.outcome == o) for o in _OUTCOME_TO_PROTO.values()}
        return pb.BatchStoreMemoriesResponse(
            results=out,
            stored=counts[pb.STORE_OUTCOME_STORED],
            deduped=counts[pb.STORE_OUTCOME_DEDUPED],
            rejected=counts[pb.STORE_OUTCOME_REJECTED],
        )

    @requires("memories:read")
    async def RecallMemories(
        self, request: pb.RecallMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecallMemoriesResponse:
        filters = m.RecallFilters(
            tags=tuple(request.tags),
            metadata=_struct(request.metadata) if request.HasField("metadata") else None,
            start=optional_datetime(request, "start_time"),
            end=optional_datetime(request, "end_time"),
            min_score=request.min_score,
        )
        result = await self._memories.recall(
            current_caller(),
            request.query,
            scope=scope_from_proto(request.scope),
            limit=request.limit or 10,
            weights=weights_from_proto(request.weights),
            filters=filters,
            embedding_model=request.embedding_model,
            timeout_s=context.time_remaining(),
        )
        took = duration_pb2.Duration()
        took.FromNanoseconds(int(result.took_s * 1e9))
        return pb.RecallMemoriesResponse(
            results=[
                pb.RecalledMemory(memory=memory_to_proto(r.memory), score=score_to_proto(r.score))
                for r in result.results
            ],
            strategy=result.strategy,
            took=took,
        )

    @requires("memories:read")
    async def GetMemory(self, request: pb.GetMemoryRequest, context: grpc.aio.ServicerContext) -> pb.Memory:
        found = await self._memories.get(current_caller(), _uuid(request.id, "id"), timeout_s=context.time_remaining())
        return memory_to_proto(found)

    @requires("memories:read")
    async def ListMemories(
        self, request: pb.ListMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMemoriesResponse:
        states = []
        for state in request.states:
            if state not in _STATE_TO_DOMAIN:
                raise InvalidArgument.for_field("states", "each state must be ACTIVE, ARCHIVED or DELETED")
            states.append(_STATE_TO_DOMAIN[state])
        modality = "" if request.modality == pb.MEMORY_MODALITY_UNSPECIFIED else _modality(request.modality)
        page = await self._memories.list(
            current_caller(),
            size=request.page_size,
            token=request.page_token,
            scope=scope_from_proto(request.scope),
            tags=list(request.tags),
            modality=modality,
            states=states,
            start=optional_datetime(request, "start_time"),
            end=optional_datetime(request, "end_time"),
            timeout_s=context.time_remaining(),
        )
        return pb.ListMemoriesResponse(
            memories=[memory_to_proto(x) for x in page.memories], next_page_token=page.next_page_token
        )

    @requires("memories:delete")
    async def DeleteMemory(
        self, request: pb.DeleteMemoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteMemoryResponse:
        memory_id = _uuid(request.id, "id")
        await self._memories.delete(current_caller(), memory_id, hard=request.hard, timeout_s=context.time_remaining())
        return pb.DeleteMemoryResponse(id=str(memory_id), hard=request.hard)

    @requires("memories:delete")
    async def RestoreMemory(self, request: pb.RestoreMemoryRequest, context: grpc.aio.ServicerContext) -> pb.Memory:
        restored = await self._memories.restore(
            current_caller(), _uuid(request.id, "id"), timeout_s=context.time_remaining()
        )
        return memory_to_proto(restored)

    @requires("memories:write")
    async def LinkMemories(
        self, request: pb.LinkMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.MemoryRelationship:
        edge = await self._memories.link(
            current_caller(),
            _uuid(request.source_id, "source_id"),
            _uuid(request.target_id, "target_id"),
            _kind(request.kind),
            weight=request.weight or 1.0,
            metadata=_struct(request.metadata),
            timeout_s=context.time_remaining(),
        )
        return relationship_to_proto(edge)

    @requires("memories:write")
    async def UnlinkMemories(
        self, request: pb.UnlinkMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.UnlinkMemoriesResponse:
        await self._memories.unlink(
            current_caller(),
            _uuid(request.source_id, "source_id"),
            _uuid(request.target_id, "target_id"),
            _kind(request.kind),
            timeout_s=context.time_remaining(),
        )
        return pb.UnlinkMemoriesResponse()

    @requires("memories:read")
    async def ListRelatedMemories(
        self, request: pb.ListRelatedMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRelatedMemoriesResponse:
        kind = "" if request.kind == pb.RELATION_KIND_UNSPECIFIED else _kind(request.kind)
        related = await self._memories.related(
            current_caller(), _uuid(request.id, "id"), kind, timeout_s=context.time_remaining()
        )
        return pb.ListRelatedMemoriesResponse(
            related=[
                pb.RelatedMemory(
                    relationship=relationship_to_proto(r.relationship),
                    direction=r.direction,
                    memory=memory_to_proto(r.memory),
                )
                for r in related
            ]
        )

    @requires("memories:evolve")
    async def EvolveMemories(
        self, request: pb.EvolveMemoriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.EvolveMemoriesResponse:
        defaults = m.EvolveOptions()
        options = m.EvolveOptions(
            dry_run=request.dry_run,
            consolidate=request.consolidate if request.HasField("consolidate") else defaults.consolidate,
            forget=request.forget if request.HasField("forget") else defaults.forget,
            consolidate_threshold=_optional(request, "consolidate_threshold", defaults.consolidate_threshold),
            half_life_s=request.half_life.ToTimedelta().total_seconds()
            if request.HasField("half_life")
            else defaults.half_life_s,
            forget_floor=_optional(request, "forget_floor", defaults.forget_floor),
        )
        report = await self._memories.evolve(
            current_caller(), options, scope=scope_from_proto(request.scope), timeout_s=context.time_remaining()
        )
        return pb.EvolveMemoriesResponse(
            run=run_to_proto(report.run),
            actions=[
                pb.EvolveAction(
                    kind=a.kind,
                    memory_ids=[str(i) for i in a.memory_ids],
                    result_id=str(a.result_id) if a.result_id else "",
                    detail=a.detail,
                )
                for a in report.actions
            ],
        )

    @requires("memories:read")
    async def GetMemoryStats(
        self, request: pb.GetMemoryStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.MemoryStats:
        s = await self._memories.stats(
            current_caller(), scope_from_proto(request.scope), timeout_s=context.time_remaining()
        )
        return pb.MemoryStats(
            total=s.total,
            by_scope=_counts(s.by_scope),
            by_modality=_counts(s.by_modality),
            by_state=_counts(s.by_state),
            duplicate_ratio=s.duplicate_ratio,
            staleness=_counts(s.staleness),
            storage_bytes=s.storage_bytes,
            models=[
                pb.EmbeddingModelUse(model=u.model, dims=u.dims, vectors=u.vectors, hnsw_index=u.hnsw_index)
                for u in s.models
            ],
            recall_p50_ms=s.recall_p50_ms,
            recall_p95_ms=s.recall_p95_ms,
            recall_window=s.recall_window,
            pgvector=s.pgvector,
            last_evolve_run=run_to_proto(s.last_evolve_run) if s.last_evolve_run else None,
        )


# -- translation --------------------------------------------------------------------------------


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument.for_field(field, f"must be a UUID, got {value!r}") from None


def _optional_uuid(value: str, field: str) -> uuid.UUID | None:
    return _uuid(value, field) if value else None


def _optional(message: Any, field: str, default: Any = None) -> Any:
    return getattr(message, field) if message.HasField(field) else default


def _struct(value: Any) -> dict[str, Any]:
    return json_format.MessageToDict(value)


def _modality(value: int) -> str:
    if value not in _MODALITY_TO_DOMAIN:
        raise InvalidArgument.for_field("modality", f"unknown modality {value}")
    return _MODALITY_TO_DOMAIN[value]


def _kind(value: int) -> str:
    if value not in _KIND_TO_DOMAIN:
        raise InvalidArgument.for_field("kind", "must be UPDATES, EXTENDS, DERIVED_FROM or CONTRADICTS")
    return _KIND_TO_DOMAIN[value]


def _counts(values: dict[str, int]) -> list[pb.CountEntry]:
    return [pb.CountEntry(key=k, count=v) for k, v in values.items()]


def scope_from_proto(scope: pb.MemoryScope) -> m.Scope:
    return m.Scope(
        user_id=_optional_uuid(scope.user_id, "scope.user_id"),
        agent_id=_optional_uuid(scope.agent_id, "scope.agent_id"),
        room_id=_optional_uuid(scope.room_id, "scope.room_id"),
        session_id=_optional_uuid(scope.session_id, "scope.session_id"),
    )


def memory_input(message: pb.MemoryInput) -> m.MemoryInput:
    created = optional_datetime(message, "create_time")
    return m.MemoryInput(
        content=message.content,
        metadata=_struct(message.metadata),
        tags=tuple(message.tags),
        importance=message.importance if message.HasField("importance") else None,
        scope=scope_from_proto(message.scope),
        modality=_modality(message.modality),
        source=message.source,
        created_at=created.astimezone(UTC) if created else None,
    )


def weights_from_proto(weights: pb.RecallWeights) -> Weights:
    d = Weights()
    half_life = (
        weights.recency_half_life.ToTimedelta().total_seconds()
        if weights.HasField("recency_half_life")
        else d.recency_half_life_s
    )
    return Weights(
        semantic=_optional(weights, "semantic", d.semantic),
        keyword=_optional(weights, "keyword", d.keyword),
        recency=_optional(weights, "recency", d.recency),
        importance=_optional(weights, "importance", d.importance),
        recency_half_life_s=half_life,
        rrf_k=_optional(weights, "rrf_k", d.rrf_k),
    )


def memory_to_proto(x: m.Memory) -> pb.Memory:
    return pb.Memory(
        id=str(x.id),
        scope=pb.MemoryScope(
            user_id=str(x.user_id),
            agent_id=str(x.agent_id or ""),
            room_id=str(x.room_id or ""),
            session_id=str(x.session_id or ""),
        ),
        content=x.content,
        metadata=struct(x.metadata),
        tags=list(x.tags),
        importance=x.importance,
        modality=_MODALITY_TO_PROTO[x.modality],
        source=x.source,
        state=_STATE_TO_PROTO[x.state],
        archive_reason=x.archive_reason,
        access_count=x.access_count,
        last_access_time=timestamp(x.last_accessed_at),
        create_time=timestamp(x.created_at),
        update_time=timestamp(x.updated_at),
        dedupe_count=x.dedupe_count,
        embedding_models=list(x.embedding_models),
    )


def result_to_proto(r: m.StoreResult) -> pb.StoreResult:
    return pb.StoreResult(
        outcome=_OUTCOME_TO_PROTO[r.outcome],
        memory_id=str(r.memory_id) if r.memory_id else "",
        reason=r.reason,
        similarity=r.similarity,
        index=r.index,
    )


def score_to_proto(s: m.ScoreComponents) -> pb.ScoreComponents:
    return pb.ScoreComponents(
        score=s.score,
        semantic=s.semantic,
        keyword=s.keyword,
        recency=s.recency,
        importance=s.importance,
        semantic_rank=s.semantic_rank,
        keyword_rank=s.keyword_rank,
        identifier=s.identifier,
        relevance=s.relevance,
    )


def relationship_to_proto(r: m.Relationship) -> pb.MemoryRelationship:
    return pb.MemoryRelationship(
        id=str(r.id),
        source_id=str(r.source_id),
        target_id=str(r.target_id),
        kind=_KIND_TO_PROTO.get(r.kind, pb.RELATION_KIND_UNSPECIFIED),
        weight=r.weight,
        metadata=struct(r.metadata),
        create_time=timestamp(r.created_at),
    )


def run_to_proto(r: m.EvolveRun) -> pb.EvolveRun:
    return pb.EvolveRun(
        id=str(r.id) if r.id else "",
        dry_run=r.dry_run,
        trigger=r.trigger,
        examined=r.examined,
        clusters=r.clusters,
        consolidated=r.consolidated,
        forgotten=r.forgotten,
        purged=r.purged,
        start_time=timestamp(r.started_at),
        finish_time=timestamp(r.finished_at),
    )
