from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MemoryModality(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMORY_MODALITY_UNSPECIFIED: _ClassVar[MemoryModality]
    MEMORY_MODALITY_TEXT: _ClassVar[MemoryModality]
    MEMORY_MODALITY_AUDIO_TRANSCRIPT: _ClassVar[MemoryModality]
    MEMORY_MODALITY_IMAGE_CAPTION: _ClassVar[MemoryModality]

class MemoryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMORY_STATE_UNSPECIFIED: _ClassVar[MemoryState]
    MEMORY_STATE_ACTIVE: _ClassVar[MemoryState]
    MEMORY_STATE_ARCHIVED: _ClassVar[MemoryState]
    MEMORY_STATE_DELETED: _ClassVar[MemoryState]

class StoreOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STORE_OUTCOME_UNSPECIFIED: _ClassVar[StoreOutcome]
    STORE_OUTCOME_STORED: _ClassVar[StoreOutcome]
    STORE_OUTCOME_DEDUPED: _ClassVar[StoreOutcome]
    STORE_OUTCOME_REJECTED: _ClassVar[StoreOutcome]

class RelationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RELATION_KIND_UNSPECIFIED: _ClassVar[RelationKind]
    RELATION_KIND_UPDATES: _ClassVar[RelationKind]
    RELATION_KIND_EXTENDS: _ClassVar[RelationKind]
    RELATION_KIND_DERIVED_FROM: _ClassVar[RelationKind]
    RELATION_KIND_CONTRADICTS: _ClassVar[RelationKind]
MEMORY_MODALITY_UNSPECIFIED: MemoryModality
MEMORY_MODALITY_TEXT: MemoryModality
MEMORY_MODALITY_AUDIO_TRANSCRIPT: MemoryModality
MEMORY_MODALITY_IMAGE_CAPTION: MemoryModality
MEMORY_STATE_UNSPECIFIED: MemoryState
MEMORY_STATE_ACTIVE: MemoryState
MEMORY_STATE_ARCHIVED: MemoryState
MEMORY_STATE_DELETED: MemoryState
STORE_OUTCOME_UNSPECIFIED: StoreOutcome
STORE_OUTCOME_STORED: StoreOutcome
STORE_OUTCOME_DEDUPED: StoreOutcome
STORE_OUTCOME_REJECTED: StoreOutcome
RELATION_KIND_UNSPECIFIED: RelationKind
RELATION_KIND_UPDATES: RelationKind
RELATION_KIND_EXTENDS: RelationKind
RELATION_KIND_DERIVED_FROM: RelationKind
RELATION_KIND_CONTRADICTS: RelationKind

class MemoryScope(_message.Message):
    __slots__ = ("user_id", "agent_id", "room_id", "session_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    agent_id: str
    room_id: str
    session_id: str
    def __init__(self, user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., room_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class Memory(_message.Message):
    __slots__ = ("id", "scope", "content", "metadata", "tags", "importance", "modality", "source", "state", "archive_reason", "access_count", "last_access_time", "create_time", "update_time", "dedupe_count", "embedding_models")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_REASON_FIELD_NUMBER: _ClassVar[int]
    ACCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_ACCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DEDUPE_COUNT_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODELS_FIELD_NUMBER: _ClassVar[int]
    id: str
    scope: MemoryScope
    content: str
    metadata: _struct_pb2.Struct
    tags: _containers.RepeatedScalarFieldContainer[str]
    importance: float
    modality: MemoryModality
    source: str
    state: MemoryState
    archive_reason: str
    access_count: int
    last_access_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    dedupe_count: int
    embedding_models: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., scope: _Optional[_Union[MemoryScope, _Mapping]] = ..., content: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., importance: _Optional[float] = ..., modality: _Optional[_Union[MemoryModality, str]] = ..., source: _Optional[str] = ..., state: _Optional[_Union[MemoryState, str]] = ..., archive_reason: _Optional[str] = ..., access_count: _Optional[int] = ..., last_access_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., dedupe_count: _Optional[int] = ..., embedding_models: _Optional[_Iterable[str]] = ...) -> None: ...

class MemoryInput(_message.Message):
    __slots__ = ("content", "metadata", "tags", "importance", "scope", "modality", "source", "create_time")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    content: str
    metadata: _struct_pb2.Struct
    tags: _containers.RepeatedScalarFieldContainer[str]
    importance: float
    scope: MemoryScope
    modality: MemoryModality
    source: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, content: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., importance: _Optional[float] = ..., scope: _Optional[_Union[MemoryScope, _Mapping]] = ..., modality: _Optional[_Union[MemoryModality, str]] = ..., source: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StoreOptions(_message.Message):
    __slots__ = ("embedding_model", "dedupe_threshold")
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    DEDUPE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    embedding_model: str
    dedupe_threshold: float
    def __init__(self, embedding_model: _Optional[str] = ..., dedupe_threshold: _Optional[float] = ...) -> None: ...

class StoreMemoryRequest(_message.Message):
    __slots__ = ("memory", "options")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    memory: MemoryInput
    options: StoreOptions
    def __init__(self, memory: _Optional[_Union[MemoryInput, _Mapping]] = ..., options: _Optional[_Union[StoreOptions, _Mapping]] = ...) -> None: ...

class StoreResult(_message.Message):
    __slots__ = ("outcome", "memory_id", "reason", "similarity", "index")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    outcome: StoreOutcome
    memory_id: str
    reason: str
    similarity: float
    index: int
    def __init__(self, outcome: _Optional[_Union[StoreOutcome, str]] = ..., memory_id: _Optional[str] = ..., reason: _Optional[str] = ..., similarity: _Optional[float] = ..., index: _Optional[int] = ...) -> None: ...

class StoreMemoryResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: StoreResult
    def __init__(self, result: _Optional[_Union[StoreResult, _Mapping]] = ...) -> None: ...

class BatchStoreMemoriesRequest(_message.Message):
    __slots__ = ("memories", "options")
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[MemoryInput]
    options: StoreOptions
    def __init__(self, memories: _Optional[_Iterable[_Union[MemoryInput, _Mapping]]] = ..., options: _Optional[_Union[StoreOptions, _Mapping]] = ...) -> None: ...

class BatchStoreMemoriesResponse(_message.Message):
    __slots__ = ("results", "stored", "deduped", "rejected")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    DEDUPED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[StoreResult]
    stored: int
    deduped: int
    rejected: int
    def __init__(self, results: _Optional[_Iterable[_Union[StoreResult, _Mapping]]] = ..., stored: _Optional[int] = ..., deduped: _Optional[int] = ..., rejected: _Optional[int] = ...) -> None: ...

class RecallWeights(_message.Message):
    __slots__ = ("semantic", "keyword", "recency", "importance", "recency_half_life", "rrf_k")
    SEMANTIC_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_FIELD_NUMBER: _ClassVar[int]
    RECENCY_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    RECENCY_HALF_LIFE_FIELD_NUMBER: _ClassVar[int]
    RRF_K_FIELD_NUMBER: _ClassVar[int]
    semantic: float
    keyword: float
    recency: float
    importance: float
    recency_half_life: _duration_pb2.Duration
    rrf_k: int
    def __init__(self, semantic: _Optional[float] = ..., keyword: _Optional[float] = ..., recency: _Optional[float] = ..., importance: _Optional[float] = ..., recency_half_life: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., rrf_k: _Optional[int] = ...) -> None: ...

class RecallMemoriesRequest(_message.Message):
    __slots__ = ("query", "scope", "limit", "weights", "tags", "metadata", "start_time", "end_time", "min_score", "embedding_model")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    query: str
    scope: MemoryScope
    limit: int
    weights: RecallWeights
    tags: _containers.RepeatedScalarFieldContainer[str]
    metadata: _struct_pb2.Struct
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    min_score: float
    embedding_model: str
    def __init__(self, query: _Optional[str] = ..., scope: _Optional[_Union[MemoryScope, _Mapping]] = ..., limit: _Optional[int] = ..., weights: _Optional[_Union[RecallWeights, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., min_score: _Optional[float] = ..., embedding_model: _Optional[str] = ...) -> None: ...

class ScoreComponents(_message.Message):
    __slots__ = ("score", "semantic", "keyword", "recency", "importance", "semantic_rank", "keyword_rank", "identifier", "relevance")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_FIELD_NUMBER: _ClassVar[int]
    RECENCY_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_RANK_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_RANK_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    score: float
    semantic: float
    keyword: float
    recency: float
    importance: float
    semantic_rank: int
    keyword_rank: int
    identifier: float
    relevance: float
    def __init__(self, score: _Optional[float] = ..., semantic: _Optional[float] = ..., keyword: _Optional[float] = ..., recency: _Optional[float] = ..., importance: _Optional[float] = ..., semantic_rank: _Optional[int] = ..., keyword_rank: _Optional[int] = ..., identifier: _Optional[float] = ..., relevance: _Optional[float] = ...) -> None: ...

class RecalledMemory(_message.Message):
    __slots__ = ("memory", "score")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    memory: Memory
    score: ScoreComponents
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ..., score: _Optional[_Union[ScoreComponents, _Mapping]] = ...) -> None: ...

class RecallMemoriesResponse(_message.Message):
    __slots__ = ("results", "strategy", "took")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    TOOK_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecalledMemory]
    strategy: str
    took: _duration_pb2.Duration
    def __init__(self, results: _Optional[_Iterable[_Union[RecalledMemory, _Mapping]]] = ..., strategy: _Optional[str] = ..., took: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetMemoryRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListMemoriesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "scope", "tags", "modality", "states", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    scope: MemoryScope
    tags: _containers.RepeatedScalarFieldContainer[str]
    modality: MemoryModality
    states: _containers.RepeatedScalarFieldContainer[MemoryState]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., scope: _Optional[_Union[MemoryScope, _Mapping]] = ..., tags: _Optional[_Iterable[str]] = ..., modality: _Optional[_Union[MemoryModality, str]] = ..., states: _Optional[_Iterable[_Union[MemoryState, str]]] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListMemoriesResponse(_message.Message):
    __slots__ = ("memories", "next_page_token")
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[Memory]
    next_page_token: str
    def __init__(self, memories: _Optional[_Iterable[_Union[Memory, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteMemoryRequest(_message.Message):
    __slots__ = ("id", "hard")
    ID_FIELD_NUMBER: _ClassVar[int]
    HARD_FIELD_NUMBER: _ClassVar[int]
    id: str
    hard: bool
    def __init__(self, id: _Optional[str] = ..., hard: bool = ...) -> None: ...

class RestoreMemoryRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteMemoryResponse(_message.Message):
    __slots__ = ("id", "hard")
    ID_FIELD_NUMBER: _ClassVar[int]
    HARD_FIELD_NUMBER: _ClassVar[int]
    id: str
    hard: bool
    def __init__(self, id: _Optional[str] = ..., hard: bool = ...) -> None: ...

class MemoryRelationship(_message.Message):
    __slots__ = ("id", "source_id", "target_id", "kind", "weight", "metadata", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    source_id: str
    target_id: str
    kind: RelationKind
    weight: float
    metadata: _struct_pb2.Struct
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., source_id: _Optional[str] = ..., target_id: _Optional[str] = ..., kind: _Optional[_Union[RelationKind, str]] = ..., weight: _Optional[float] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LinkMemoriesRequest(_message.Message):
    __slots__ = ("source_id", "target_id", "kind", "weight", "metadata")
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    source_id: str
    target_id: str
    kind: RelationKind
    weight: float
    metadata: _struct_pb2.Struct
    def __init__(self, source_id: _Optional[str] = ..., target_id: _Optional[str] = ..., kind: _Optional[_Union[RelationKind, str]] = ..., weight: _Optional[float] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UnlinkMemoriesRequest(_message.Message):
    __slots__ = ("source_id", "target_id", "kind")
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    source_id: str
    target_id: str
    kind: RelationKind
    def __init__(self, source_id: _Optional[str] = ..., target_id: _Optional[str] = ..., kind: _Optional[_Union[RelationKind, str]] = ...) -> None: ...

class UnlinkMemoriesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRelatedMemoriesRequest(_message.Message):
    __slots__ = ("id", "kind")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: RelationKind
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[RelationKind, str]] = ...) -> None: ...

class RelatedMemory(_message.Message):
    __slots__ = ("relationship", "direction", "memory")
    RELATIONSHIP_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    relationship: MemoryRelationship
    direction: str
    memory: Memory
    def __init__(self, relationship: _Optional[_Union[MemoryRelationship, _Mapping]] = ..., direction: _Optional[str] = ..., memory: _Optional[_Union[Memory, _Mapping]] = ...) -> None: ...

class ListRelatedMemoriesResponse(_message.Message):
    __slots__ = ("related",)
    RELATED_FIELD_NUMBER: _ClassVar[int]
    related: _containers.RepeatedCompositeFieldContainer[RelatedMemory]
    def __init__(self, related: _Optional[_Iterable[_Union[RelatedMemory, _Mapping]]] = ...) -> None: ...

class EvolveMemoriesRequest(_message.Message):
    __slots__ = ("dry_run", "scope", "consolidate", "forget", "consolidate_threshold", "half_life", "forget_floor")
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CONSOLIDATE_FIELD_NUMBER: _ClassVar[int]
    FORGET_FIELD_NUMBER: _ClassVar[int]
    CONSOLIDATE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    HALF_LIFE_FIELD_NUMBER: _ClassVar[int]
    FORGET_FLOOR_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    scope: MemoryScope
    consolidate: bool
    forget: bool
    consolidate_threshold: float
    half_life: _duration_pb2.Duration
    forget_floor: float
    def __init__(self, dry_run: bool = ..., scope: _Optional[_Union[MemoryScope, _Mapping]] = ..., consolidate: bool = ..., forget: bool = ..., consolidate_threshold: _Optional[float] = ..., half_life: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., forget_floor: _Optional[float] = ...) -> None: ...

class EvolveAction(_message.Message):
    __slots__ = ("kind", "memory_ids", "result_id", "detail")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    RESULT_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    kind: str
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    result_id: str
    detail: str
    def __init__(self, kind: _Optional[str] = ..., memory_ids: _Optional[_Iterable[str]] = ..., result_id: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class EvolveRun(_message.Message):
    __slots__ = ("id", "dry_run", "trigger", "examined", "clusters", "consolidated", "forgotten", "purged", "start_time", "finish_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    EXAMINED_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    CONSOLIDATED_FIELD_NUMBER: _ClassVar[int]
    FORGOTTEN_FIELD_NUMBER: _ClassVar[int]
    PURGED_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    dry_run: bool
    trigger: str
    examined: int
    clusters: int
    consolidated: int
    forgotten: int
    purged: int
    start_time: _timestamp_pb2.Timestamp
    finish_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., dry_run: bool = ..., trigger: _Optional[str] = ..., examined: _Optional[int] = ..., clusters: _Optional[int] = ..., consolidated: _Optional[int] = ..., forgotten: _Optional[int] = ..., purged: _Optional[int] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EvolveMemoriesResponse(_message.Message):
    __slots__ = ("run", "actions")
    RUN_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    run: EvolveRun
    actions: _containers.RepeatedCompositeFieldContainer[EvolveAction]
    def __init__(self, run: _Optional[_Union[EvolveRun, _Mapping]] = ..., actions: _Optional[_Iterable[_Union[EvolveAction, _Mapping]]] = ...) -> None: ...

class GetMemoryStatsRequest(_message.Message):
    __slots__ = ("scope",)
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    scope: MemoryScope
    def __init__(self, scope: _Optional[_Union[MemoryScope, _Mapping]] = ...) -> None: ...

class CountEntry(_message.Message):
    __slots__ = ("key", "count")
    KEY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    key: str
    count: int
    def __init__(self, key: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class EmbeddingModelUse(_message.Message):
    __slots__ = ("model", "dims", "vectors", "hnsw_index")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DIMS_FIELD_NUMBER: _ClassVar[int]
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    HNSW_INDEX_FIELD_NUMBER: _ClassVar[int]
    model: str
    dims: int
    vectors: int
    hnsw_index: bool
    def __init__(self, model: _Optional[str] = ..., dims: _Optional[int] = ..., vectors: _Optional[int] = ..., hnsw_index: bool = ...) -> None: ...

class MemoryStats(_message.Message):
    __slots__ = ("total", "by_scope", "by_modality", "by_state", "duplicate_ratio", "staleness", "storage_bytes", "models", "recall_p50_ms", "recall_p95_ms", "recall_window", "pgvector", "last_evolve_run")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    BY_SCOPE_FIELD_NUMBER: _ClassVar[int]
    BY_MODALITY_FIELD_NUMBER: _ClassVar[int]
    BY_STATE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_RATIO_FIELD_NUMBER: _ClassVar[int]
    STALENESS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    RECALL_P50_MS_FIELD_NUMBER: _ClassVar[int]
    RECALL_P95_MS_FIELD_NUMBER: _ClassVar[int]
    RECALL_WINDOW_FIELD_NUMBER: _ClassVar[int]
    PGVECTOR_FIELD_NUMBER: _ClassVar[int]
    LAST_EVOLVE_RUN_FIELD_NUMBER: _ClassVar[int]
    total: int
    by_scope: _containers.RepeatedCompositeFieldContainer[CountEntry]
    by_modality: _containers.RepeatedCompositeFieldContainer[CountEntry]
    by_state: _containers.RepeatedCompositeFieldContainer[CountEntry]
    duplicate_ratio: float
    staleness: _containers.RepeatedCompositeFieldContainer[CountEntry]
    storage_bytes: int
    models: _containers.RepeatedCompositeFieldContainer[EmbeddingModelUse]
    recall_p50_ms: float
    recall_p95_ms: float
    recall_window: int
    pgvector: bool
    last_evolve_run: EvolveRun
    def __init__(self, total: _Optional[int] = ..., by_scope: _Optional[_Iterable[_Union[CountEntry, _Mapping]]] = ..., by_modality: _Optional[_Iterable[_Union[CountEntry, _Mapping]]] = ..., by_state: _Optional[_Iterable[_Union[CountEntry, _Mapping]]] = ..., duplicate_ratio: _Optional[float] = ..., staleness: _Optional[_Iterable[_Union[CountEntry, _Mapping]]] = ..., storage_bytes: _Optional[int] = ..., models: _Optional[_Iterable[_Union[EmbeddingModelUse, _Mapping]]] = ..., recall_p50_ms: _Optional[float] = ..., recall_p95_ms: _Optional[float] = ..., recall_window: _Optional[int] = ..., pgvector: bool = ..., last_evolve_run: _Optional[_Union[EvolveRun, _Mapping]] = ...) -> None: ...
