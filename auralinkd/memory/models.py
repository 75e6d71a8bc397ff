"""The memory domain's values: what callers pass in and get back (no gRPC here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

MAX_CONTENT_BYTES = 32 * 1024
MODALITIES = ("text", "audio_transcript", "image_caption")
RELATION_KINDS = ("updates", "extends", "derived_from", "contradicts")


class Outcome(StrEnum):
    STORED = "stored"
    DEDUPED = "deduped"
    REJECTED = "rejected"


class State(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


@dataclass(frozen=True)
class Scope:
    """Whose memories: a user (None: the caller), optionally narrowed to an agent, a room or a session."""

    user_id: UUID | None = None
    agent_id: UUID | None = None
    room_id: UUID | None = None
    session_id: UUID | None = None


@dataclass(frozen=True)
class MemoryInput:
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    importance: float | None = None  # None: estimated
    scope: Scope = Scope()
    modality: str = "text"
    source: str = ""
    created_at: datetime | None = None  # imports only


@dataclass(frozen=True)
class Memory:
    id: UUID
    user_id: UUID
    agent_id: UUID | None
    room_id: UUID | None
    session_id: UUID | None
    content: str
    metadata: dict[str, Any]
    tags: tuple[str, ...]
    importance: float
    modality: str
    source: str
    state: State
    archive_reason: str
    access_count: int
    last_accessed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    dedupe_count: int
    embedding_models: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreResult:
    outcome: Outcome
    memory_id: UUID | None = None
    reason: str = ""
    similarity: float = 0.0
    index: int = 0


@dataclass(frozen=True)
class ScoreComponents:
    """Why a memory ranked where it did; each value in [0, 1]; ranks are 1-based, 0 = not in that list."""

    score: float
    semantic: float
    keyword: float
    recency: float
    importance: float
    semantic_rank: int
    keyword_rank: int
    identifier: float = 0.0  # how strongly the query's identifiers (codes, hosts, names) single the memory out
    relevance: float = 0.0  # the fused semantic, keyword and identifier evidence, before recency and importance


@dataclass(frozen=True)
class Recalled:
    memory: Memory
    score: ScoreComponents


@dataclass(frozen=True)
class RecallResult:
    results: list[Recalled]
    strategy: str
    took_s: float


@dataclass(frozen=True)
class RecallFilters:
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] | None = None
    start: datetime | None = None
    end: datetime | None = None
    min_score: float = 0.0


@dataclass(frozen=True)
class MemoryPage:
    memories: list[Memory]
    next_page_token: str


@dataclass(frozen=True)
class Relationship:
    id: UUID
    source_id: UUID
    target_id: UUID
    kind: str
    weight: float
    metadata: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Related:
    relationship: Relationship
    direction: str  # "outgoing" | "incoming"
    memory: Memory


@dataclass(frozen=True)
class EvolveOptions:
    dry_run: bool = False
    consolidate: bool = True
    forget: bool = True
    consolidate_threshold: float = 0.9
    half_life_s: float = 90 * 86400.0
    forget_floor: float = 0.05


@dataclass(frozen=True)
class EvolveAction:
    kind: str  # consolidate | forget | purge | retention_archive
    memory_ids: tuple[UUID, ...]
    result_id: UUID | None = None
    detail: str = ""


@dataclass(frozen=True)
class EvolveRun:
    id: UUID | None
    dry_run: bool
    trigger: str
    examined: int
    clusters: int
    consolidated: int
    forgotten: int
    purged: int
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class EvolveReport:
    run: EvolveRun
    actions: list[EvolveAction]


@dataclass(frozen=True)
class ModelUse:
    model: str
    dims: int
    vectors: int
    hnsw_index: bool


@dataclass(frozen=True)
class MemoryStats:
    total: int
    by_scope: dict[str, int]
    by_modality: dict[str, int]
    by_state: dict[str, int]
    duplicate_ratio: float
    staleness: dict[str, int]
    storage_bytes: int
    models: list[ModelUse]
    recall_p50_ms: float
    recall_p95_ms: float
    recall_window: int
    pgvector: bool
    last_evolve_run: EvolveRun | None
