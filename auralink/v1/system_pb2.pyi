from auralink.v1 import common_pb2 as _common_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DatabaseStatus(_message.Message):
    __slots__ = ("embedded", "server_version", "has_pgvector", "vector_search", "pool_in_use", "pool_size", "migration_level", "migrations_pending", "reachable", "error")
    EMBEDDED_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    HAS_PGVECTOR_FIELD_NUMBER: _ClassVar[int]
    VECTOR_SEARCH_FIELD_NUMBER: _ClassVar[int]
    POOL_IN_USE_FIELD_NUMBER: _ClassVar[int]
    POOL_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    MIGRATIONS_PENDING_FIELD_NUMBER: _ClassVar[int]
    REACHABLE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    embedded: bool
    server_version: str
    has_pgvector: bool
    vector_search: str
    pool_in_use: int
    pool_size: int
    migration_level: int
    migrations_pending: int
    reachable: bool
    error: str
    def __init__(self, embedded: bool = ..., server_version: _Optional[str] = ..., has_pgvector: bool = ..., vector_search: _Optional[str] = ..., pool_in_use: _Optional[int] = ..., pool_size: _Optional[int] = ..., migration_level: _Optional[int] = ..., migrations_pending: _Optional[int] = ..., reachable: bool = ..., error: _Optional[str] = ...) -> None: ...

class RedisStatus(_message.Message):
    __slots__ = ("configured", "up", "breaker_state", "reason")
    CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    UP_FIELD_NUMBER: _ClassVar[int]
    BREAKER_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    configured: bool
    up: bool
    breaker_state: str
    reason: str
    def __init__(self, configured: bool = ..., up: bool = ..., breaker_state: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ServiceStatus(_message.Message):
    __slots__ = ("name", "state", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: _common_pb2.ServingState
    detail: str
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[_common_pb2.ServingState, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class RpcStats(_message.Message):
    __slots__ = ("calls_total", "errors_total")
    CALLS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ERRORS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    calls_total: int
    errors_total: int
    def __init__(self, calls_total: _Optional[int] = ..., errors_total: _Optional[int] = ...) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("version", "started_at", "uptime", "state", "reasons", "database", "redis", "services", "replica_id", "rpc")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    DATABASE_FIELD_NUMBER: _ClassVar[int]
    REDIS_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    RPC_FIELD_NUMBER: _ClassVar[int]
    version: str
    started_at: _timestamp_pb2.Timestamp
    uptime: _duration_pb2.Duration
    state: _common_pb2.ServingState
    reasons: _containers.RepeatedScalarFieldContainer[str]
    database: DatabaseStatus
    redis: RedisStatus
    services: _containers.RepeatedCompositeFieldContainer[ServiceStatus]
    replica_id: str
    rpc: RpcStats
    def __init__(self, version: _Optional[str] = ..., started_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., uptime: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., state: _Optional[_Union[_common_pb2.ServingState, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., database: _Optional[_Union[DatabaseStatus, _Mapping]] = ..., redis: _Optional[_Union[RedisStatus, _Mapping]] = ..., services: _Optional[_Iterable[_Union[ServiceStatus, _Mapping]]] = ..., replica_id: _Optional[str] = ..., rpc: _Optional[_Union[RpcStats, _Mapping]] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ("topics", "replay", "heartbeat_interval", "all_organizations")
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    ALL_ORGANIZATIONS_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedScalarFieldContainer[str]
    replay: int
    heartbeat_interval: _duration_pb2.Duration
    all_organizations: bool
    def __init__(self, topics: _Optional[_Iterable[str]] = ..., replay: _Optional[int] = ..., heartbeat_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., all_organizations: bool = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("id", "topic", "time", "data", "replica_id", "heartbeat", "organization_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    REPLICA_ID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATION_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    topic: str
    time: _timestamp_pb2.Timestamp
    data: _struct_pb2.Struct
    replica_id: str
    heartbeat: bool
    organization_id: str
    def __init__(self, id: _Optional[str] = ..., topic: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., replica_id: _Optional[str] = ..., heartbeat: bool = ..., organization_id: _Optional[str] = ...) -> None: ...

class PingRequest(_message.Message):
    __slots__ = ("payload", "delay")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    DELAY_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    delay: _duration_pb2.Duration
    def __init__(self, payload: _Optional[bytes] = ..., delay: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class PingResponse(_message.Message):
    __slots__ = ("payload", "server_time")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    server_time: _timestamp_pb2.Timestamp
    def __init__(self, payload: _Optional[bytes] = ..., server_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
