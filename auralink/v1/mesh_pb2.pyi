from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_STATE_UNSPECIFIED: _ClassVar[NodeState]
    NODE_STATE_ALIVE: _ClassVar[NodeState]
    NODE_STATE_SUSPECT: _ClassVar[NodeState]
    NODE_STATE_OFFLINE: _ClassVar[NodeState]

class NodeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_TYPE_UNSPECIFIED: _ClassVar[NodeType]
    NODE_TYPE_PEER: _ClassVar[NodeType]
    NODE_TYPE_RELAY: _ClassVar[NodeType]
    NODE_TYPE_EDGE: _ClassVar[NodeType]
    NODE_TYPE_SERVER: _ClassVar[NodeType]

class TrustBand(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRUST_BAND_UNSPECIFIED: _ClassVar[TrustBand]
    TRUST_BAND_UNTRUSTED: _ClassVar[TrustBand]
    TRUST_BAND_LOW: _ClassVar[TrustBand]
    TRUST_BAND_MEDIUM: _ClassVar[TrustBand]
    TRUST_BAND_HIGH: _ClassVar[TrustBand]

class EvidenceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVIDENCE_KIND_UNSPECIFIED: _ClassVar[EvidenceKind]
    EVIDENCE_KIND_RELAY_SUCCESS: _ClassVar[EvidenceKind]
    EVIDENCE_KIND_RELAY_FAILURE: _ClassVar[EvidenceKind]
    EVIDENCE_KIND_UPTIME: _ClassVar[EvidenceKind]
    EVIDENCE_KIND_MISBEHAVIOR: _ClassVar[EvidenceKind]
NODE_STATE_UNSPECIFIED: NodeState
NODE_STATE_ALIVE: NodeState
NODE_STATE_SUSPECT: NodeState
NODE_STATE_OFFLINE: NodeState
NODE_TYPE_UNSPECIFIED: NodeType
NODE_TYPE_PEER: NodeType
NODE_TYPE_RELAY: NodeType
NODE_TYPE_EDGE: NodeType
NODE_TYPE_SERVER: NodeType
TRUST_BAND_UNSPECIFIED: TrustBand
TRUST_BAND_UNTRUSTED: TrustBand
TRUST_BAND_LOW: TrustBand
TRUST_BAND_MEDIUM: TrustBand
TRUST_BAND_HIGH: TrustBand
EVIDENCE_KIND_UNSPECIFIED: EvidenceKind
EVIDENCE_KIND_RELAY_SUCCESS: EvidenceKind
EVIDENCE_KIND_RELAY_FAILURE: EvidenceKind
EVIDENCE_KIND_UPTIME: EvidenceKind
EVIDENCE_KIND_MISBEHAVIOR: EvidenceKind

class MeshNode(_message.Message):
    __slots__ = ("id", "name", "address", "region", "node_type", "state", "capabilities", "capacity", "current_load", "public_key", "anchor", "quarantined", "quarantine_reason", "quarantine_expire_time", "heartbeat_interval", "last_heartbeat_time", "state_change_time", "create_time", "trust", "trust_band", "link_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    NODE_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LOAD_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    QUARANTINE_REASON_FIELD_NUMBER: _ClassVar[int]
    QUARANTINE_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRUST_FIELD_NUMBER: _ClassVar[int]
    TRUST_BAND_FIELD_NUMBER: _ClassVar[int]
    LINK_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    address: str
    region: str
    node_type: NodeType
    state: NodeState
    capabilities: _struct_pb2.Struct
    capacity: int
    current_load: int
    public_key: str
    anchor: bool
    quarantined: bool
    quarantine_reason: str
    quarantine_expire_time: _timestamp_pb2.Timestamp
    heartbeat_interval: _duration_pb2.Duration
    last_heartbeat_time: _timestamp_pb2.Timestamp
    state_change_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    trust: float
    trust_band: TrustBand
    link_count: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[str] = ..., region: _Optional[str] = ..., node_type: _Optional[_Union[NodeType, str]] = ..., state: _Optional[_Union[NodeState, str]] = ..., capabilities: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., capacity: _Optional[int] = ..., current_load: _Optional[int] = ..., public_key: _Optional[str] = ..., anchor: bool = ..., quarantined: bool = ..., quarantine_reason: _Optional[str] = ..., quarantine_expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., heartbeat_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., last_heartbeat_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., state_change_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., trust: _Optional[float] = ..., trust_band: _Optional[_Union[TrustBand, str]] = ..., link_count: _Optional[int] = ...) -> None: ...

class RegisterNodeRequest(_message.Message):
    __slots__ = ("name", "address", "region", "node_type", "capabilities", "capacity", "public_key", "heartbeat_interval", "anchor", "token_ttl_seconds")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    NODE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: str
    region: str
    node_type: NodeType
    capabilities: _struct_pb2.Struct
    capacity: int
    public_key: str
    heartbeat_interval: _duration_pb2.Duration
    anchor: bool
    token_ttl_seconds: int
    def __init__(self, name: _Optional[str] = ..., address: _Optional[str] = ..., region: _Optional[str] = ..., node_type: _Optional[_Union[NodeType, str]] = ..., capabilities: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., capacity: _Optional[int] = ..., public_key: _Optional[str] = ..., heartbeat_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., anchor: bool = ..., token_ttl_seconds: _Optional[int] = ...) -> None: ...

class RegisterNodeResponse(_message.Message):
    __slots__ = ("node", "token", "token_id", "token_expire_time")
    NODE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    node: MeshNode
    token: str
    token_id: str
    token_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, node: _Optional[_Union[MeshNode, _Mapping]] = ..., token: _Optional[str] = ..., token_id: _Optional[str] = ..., token_expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeregisterNodeRequest(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class DeregisterNodeResponse(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetNodeRequest(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class ListNodesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "region", "quarantined_only")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_ONLY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: NodeState
    region: str
    quarantined_only: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[NodeState, str]] = ..., region: _Optional[str] = ..., quarantined_only: bool = ...) -> None: ...

class ListNodesResponse(_message.Message):
    __slots__ = ("nodes", "next_page_token")
    NODES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[MeshNode]
    next_page_token: str
    def __init__(self, nodes: _Optional[_Iterable[_Union[MeshNode, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LinkReport(_message.Message):
    __slots__ = ("neighbor", "rtt_ms", "bandwidth_kbps", "loss_pct", "cost")
    NEIGHBOR_FIELD_NUMBER: _ClassVar[int]
    RTT_MS_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_KBPS_FIELD_NUMBER: _ClassVar[int]
    LOSS_PCT_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    neighbor: str
    rtt_ms: float
    bandwidth_kbps: float
    loss_pct: float
    cost: float
    def __init__(self, neighbor: _Optional[str] = ..., rtt_ms: _Optional[float] = ..., bandwidth_kbps: _Optional[float] = ..., loss_pct: _Optional[float] = ..., cost: _Optional[float] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("node", "load", "links", "sequence")
    NODE_FIELD_NUMBER: _ClassVar[int]
    LOAD_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    node: str
    load: int
    links: _containers.RepeatedCompositeFieldContainer[LinkReport]
    sequence: int
    def __init__(self, node: _Optional[str] = ..., load: _Optional[int] = ..., links: _Optional[_Iterable[_Union[LinkReport, _Mapping]]] = ..., sequence: _Optional[int] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("state", "sequence", "interval")
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    state: NodeState
    sequence: int
    interval: _duration_pb2.Duration
    def __init__(self, state: _Optional[_Union[NodeState, str]] = ..., sequence: _Optional[int] = ..., interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StreamHeartbeatsResponse(_message.Message):
    __slots__ = ("accepted", "rejected", "errors")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    rejected: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, accepted: _Optional[int] = ..., rejected: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class HeartbeatBatch(_message.Message):
    __slots__ = ("heartbeats", "sequence")
    HEARTBEATS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    heartbeats: _containers.RepeatedCompositeFieldContainer[HeartbeatRequest]
    sequence: int
    def __init__(self, heartbeats: _Optional[_Iterable[_Union[HeartbeatRequest, _Mapping]]] = ..., sequence: _Optional[int] = ...) -> None: ...

class HeartbeatRefusal(_message.Message):
    __slots__ = ("index", "sequence", "code", "message")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    index: int
    sequence: int
    code: str
    message: str
    def __init__(self, index: _Optional[int] = ..., sequence: _Optional[int] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class HeartbeatBatchResponse(_message.Message):
    __slots__ = ("sequence", "accepted", "rejected", "refusals")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    REFUSALS_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    accepted: int
    rejected: int
    refusals: _containers.RepeatedCompositeFieldContainer[HeartbeatRefusal]
    def __init__(self, sequence: _Optional[int] = ..., accepted: _Optional[int] = ..., rejected: _Optional[int] = ..., refusals: _Optional[_Iterable[_Union[HeartbeatRefusal, _Mapping]]] = ...) -> None: ...

class RouteWeights(_message.Message):
    __slots__ = ("latency", "bandwidth", "reliability", "cost")
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_FIELD_NUMBER: _ClassVar[int]
    RELIABILITY_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    latency: float
    bandwidth: float
    reliability: float
    cost: float
    def __init__(self, latency: _Optional[float] = ..., bandwidth: _Optional[float] = ..., reliability: _Optional[float] = ..., cost: _Optional[float] = ...) -> None: ...

class RouteConstraints(_message.Message):
    __slots__ = ("max_hops", "min_bandwidth_kbps", "max_latency_ms", "excluded_nodes", "min_relay_trust")
    MAX_HOPS_FIELD_NUMBER: _ClassVar[int]
    MIN_BANDWIDTH_KBPS_FIELD_NUMBER: _ClassVar[int]
    MAX_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_NODES_FIELD_NUMBER: _ClassVar[int]
    MIN_RELAY_TRUST_FIELD_NUMBER: _ClassVar[int]
    max_hops: int
    min_bandwidth_kbps: float
    max_latency_ms: float
    excluded_nodes: _containers.RepeatedScalarFieldContainer[str]
    min_relay_trust: float
    def __init__(self, max_hops: _Optional[int] = ..., min_bandwidth_kbps: _Optional[float] = ..., max_latency_ms: _Optional[float] = ..., excluded_nodes: _Optional[_Iterable[str]] = ..., min_relay_trust: _Optional[float] = ...) -> None: ...

class FindOptimalRouteRequest(_message.Message):
    __slots__ = ("source", "destination", "weights", "constraints", "k", "store", "trust_penalty")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    STORE_FIELD_NUMBER: _ClassVar[int]
    TRUST_PENALTY_FIELD_NUMBER: _ClassVar[int]
    source: str
    destination: str
    weights: RouteWeights
    constraints: RouteConstraints
    k: int
    store: bool
    trust_penalty: float
    def __init__(self, source: _Optional[str] = ..., destination: _Optional[str] = ..., weights: _Optional[_Union[RouteWeights, _Mapping]] = ..., constraints: _Optional[_Union[RouteConstraints, _Mapping]] = ..., k: _Optional[int] = ..., store: bool = ..., trust_penalty: _Optional[float] = ...) -> None: ...

class RouteHop(_message.Message):
    __slots__ = ("from_node", "to_node", "to_name", "latency_ms", "bandwidth_kbps", "loss_pct", "etx", "cost", "relay_trust")
    FROM_NODE_FIELD_NUMBER: _ClassVar[int]
    TO_NODE_FIELD_NUMBER: _ClassVar[int]
    TO_NAME_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_KBPS_FIELD_NUMBER: _ClassVar[int]
    LOSS_PCT_FIELD_NUMBER: _ClassVar[int]
    ETX_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    RELAY_TRUST_FIELD_NUMBER: _ClassVar[int]
    from_node: str
    to_node: str
    to_name: str
    latency_ms: float
    bandwidth_kbps: float
    loss_pct: float
    etx: float
    cost: float
    relay_trust: float
    def __init__(self, from_node: _Optional[str] = ..., to_node: _Optional[str] = ..., to_name: _Optional[str] = ..., latency_ms: _Optional[float] = ..., bandwidth_kbps: _Optional[float] = ..., loss_pct: _Optional[float] = ..., etx: _Optional[float] = ..., cost: _Optional[float] = ..., relay_trust: _Optional[float] = ...) -> None: ...

class RoutePath(_message.Message):
    __slots__ = ("nodes", "names", "hops", "cost", "latency_ms", "bottleneck_bandwidth_kbps")
    NODES_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    HOPS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    BOTTLENECK_BANDWIDTH_KBPS_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedScalarFieldContainer[str]
    names: _containers.RepeatedScalarFieldContainer[str]
    hops: _containers.RepeatedCompositeFieldContainer[RouteHop]
    cost: float
    latency_ms: float
    bottleneck_bandwidth_kbps: float
    def __init__(self, nodes: _Optional[_Iterable[str]] = ..., names: _Optional[_Iterable[str]] = ..., hops: _Optional[_Iterable[_Union[RouteHop, _Mapping]]] = ..., cost: _Optional[float] = ..., latency_ms: _Optional[float] = ..., bottleneck_bandwidth_kbps: _Optional[float] = ...) -> None: ...

class FindOptimalRouteResponse(_message.Message):
    __slots__ = ("paths", "reason", "route_id")
    PATHS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedCompositeFieldContainer[RoutePath]
    reason: str
    route_id: str
    def __init__(self, paths: _Optional[_Iterable[_Union[RoutePath, _Mapping]]] = ..., reason: _Optional[str] = ..., route_id: _Optional[str] = ...) -> None: ...

class StoredRoute(_message.Message):
    __slots__ = ("id", "source", "destination", "path", "active", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    source: str
    destination: str
    path: RoutePath
    active: bool
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., source: _Optional[str] = ..., destination: _Optional[str] = ..., path: _Optional[_Union[RoutePath, _Mapping]] = ..., active: bool = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRoutesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRoutesResponse(_message.Message):
    __slots__ = ("routes", "next_page_token")
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    routes: _containers.RepeatedCompositeFieldContainer[StoredRoute]
    next_page_token: str
    def __init__(self, routes: _Optional[_Iterable[_Union[StoredRoute, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PredictLatencyRequest(_message.Message):
    __slots__ = ("source", "destination")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    source: str
    destination: str
    def __init__(self, source: _Optional[str] = ..., destination: _Optional[str] = ...) -> None: ...

class PredictLatencyResponse(_message.Message):
    __slots__ = ("rtt_ms", "measured_rtt_ms")
    RTT_MS_FIELD_NUMBER: _ClassVar[int]
    MEASURED_RTT_MS_FIELD_NUMBER: _ClassVar[int]
    rtt_ms: float
    measured_rtt_ms: float
    def __init__(self, rtt_ms: _Optional[float] = ..., measured_rtt_ms: _Optional[float] = ...) -> None: ...

class LatencyPredictionQuality(_message.Message):
    __slots__ = ("held_out_pairs", "median_relative_error", "baseline_median_relative_error")
    HELD_OUT_PAIRS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_RELATIVE_ERROR_FIELD_NUMBER: _ClassVar[int]
    BASELINE_MEDIAN_RELATIVE_ERROR_FIELD_NUMBER: _ClassVar[int]
    held_out_pairs: int
    median_relative_error: float
    baseline_median_relative_error: float
    def __init__(self, held_out_pairs: _Optional[int] = ..., median_relative_error: _Optional[float] = ..., baseline_median_relative_error: _Optional[float] = ...) -> None: ...

class RelayCentrality(_message.Message):
    __slots__ = ("node", "name", "betweenness")
    NODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BETWEENNESS_FIELD_NUMBER: _ClassVar[int]
    node: str
    name: str
    betweenness: float
    def __init__(self, node: _Optional[str] = ..., name: _Optional[str] = ..., betweenness: _Optional[float] = ...) -> None: ...

class NetworkStatus(_message.Message):
    __slots__ = ("nodes_by_state", "link_count", "mean_link_rtt_ms", "p95_link_rtt_ms", "components", "central_relays", "mean_route_stretch", "latency_prediction", "quarantined", "time", "heartbeat")
    class NodesByStateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    NODES_BY_STATE_FIELD_NUMBER: _ClassVar[int]
    LINK_COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_LINK_RTT_MS_FIELD_NUMBER: _ClassVar[int]
    P95_LINK_RTT_MS_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    CENTRAL_RELAYS_FIELD_NUMBER: _ClassVar[int]
    MEAN_ROUTE_STRETCH_FIELD_NUMBER: _ClassVar[int]
    LATENCY_PREDICTION_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    nodes_by_state: _containers.ScalarMap[str, int]
    link_count: int
    mean_link_rtt_ms: float
    p95_link_rtt_ms: float
    components: int
    central_relays: _containers.RepeatedCompositeFieldContainer[RelayCentrality]
    mean_route_stretch: float
    latency_prediction: LatencyPredictionQuality
    quarantined: int
    time: _timestamp_pb2.Timestamp
    heartbeat: bool
    def __init__(self, nodes_by_state: _Optional[_Mapping[str, int]] = ..., link_count: _Optional[int] = ..., mean_link_rtt_ms: _Optional[float] = ..., p95_link_rtt_ms: _Optional[float] = ..., components: _Optional[int] = ..., central_relays: _Optional[_Iterable[_Union[RelayCentrality, _Mapping]]] = ..., mean_route_stretch: _Optional[float] = ..., latency_prediction: _Optional[_Union[LatencyPredictionQuality, _Mapping]] = ..., quarantined: _Optional[int] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., heartbeat: bool = ...) -> None: ...

class GetNetworkStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchNetworkStatusRequest(_message.Message):
    __slots__ = ("interval",)
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    interval: _duration_pb2.Duration
    def __init__(self, interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class NodeReputation(_message.Message):
    __slots__ = ("node", "name", "trust", "band", "global_trust", "anchor", "quarantined", "quarantine_reason", "quarantine_expire_time", "successful_relays", "failed_relays", "last_event_time")
    NODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRUST_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_TRUST_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    QUARANTINE_REASON_FIELD_NUMBER: _ClassVar[int]
    QUARANTINE_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_RELAYS_FIELD_NUMBER: _ClassVar[int]
    FAILED_RELAYS_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    node: str
    name: str
    trust: float
    band: TrustBand
    global_trust: float
    anchor: bool
    quarantined: bool
    quarantine_reason: str
    quarantine_expire_time: _timestamp_pb2.Timestamp
    successful_relays: int
    failed_relays: int
    last_event_time: _timestamp_pb2.Timestamp
    def __init__(self, node: _Optional[str] = ..., name: _Optional[str] = ..., trust: _Optional[float] = ..., band: _Optional[_Union[TrustBand, str]] = ..., global_trust: _Optional[float] = ..., anchor: bool = ..., quarantined: bool = ..., quarantine_reason: _Optional[str] = ..., quarantine_expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., successful_relays: _Optional[int] = ..., failed_relays: _Optional[int] = ..., last_event_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetReputationRequest(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class ListReputationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "band")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    BAND_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    band: TrustBand
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., band: _Optional[_Union[TrustBand, str]] = ...) -> None: ...

class ListReputationsResponse(_message.Message):
    __slots__ = ("reputations", "next_page_token")
    REPUTATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reputations: _containers.RepeatedCompositeFieldContainer[NodeReputation]
    next_page_token: str
    def __init__(self, reputations: _Optional[_Iterable[_Union[NodeReputation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReportEvidenceRequest(_message.Message):
    __slots__ = ("node", "reporter", "kind", "value", "evidence")
    NODE_FIELD_NUMBER: _ClassVar[int]
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    node: str
    reporter: str
    kind: EvidenceKind
    value: float
    evidence: _struct_pb2.Struct
    def __init__(self, node: _Optional[str] = ..., reporter: _Optional[str] = ..., kind: _Optional[_Union[EvidenceKind, str]] = ..., value: _Optional[float] = ..., evidence: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ReportEvidenceResponse(_message.Message):
    __slots__ = ("event_id", "reputation")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    REPUTATION_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    reputation: NodeReputation
    def __init__(self, event_id: _Optional[str] = ..., reputation: _Optional[_Union[NodeReputation, _Mapping]] = ...) -> None: ...

class ExplainReputationRequest(_message.Message):
    __slots__ = ("node", "limit")
    NODE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    node: str
    limit: int
    def __init__(self, node: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class EvidenceContribution(_message.Message):
    __slots__ = ("event_id", "kind", "reporter", "reporter_name", "reporter_trust", "decayed_weight", "impact", "time", "evidence")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    REPORTER_NAME_FIELD_NUMBER: _ClassVar[int]
    REPORTER_TRUST_FIELD_NUMBER: _ClassVar[int]
    DECAYED_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    kind: EvidenceKind
    reporter: str
    reporter_name: str
    reporter_trust: float
    decayed_weight: float
    impact: float
    time: _timestamp_pb2.Timestamp
    evidence: _struct_pb2.Struct
    def __init__(self, event_id: _Optional[str] = ..., kind: _Optional[_Union[EvidenceKind, str]] = ..., reporter: _Optional[str] = ..., reporter_name: _Optional[str] = ..., reporter_trust: _Optional[float] = ..., decayed_weight: _Optional[float] = ..., impact: _Optional[float] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., evidence: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ReputationExplanation(_message.Message):
    __slots__ = ("reputation", "contributions", "summary")
    REPUTATION_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    reputation: NodeReputation
    contributions: _containers.RepeatedCompositeFieldContainer[EvidenceContribution]
    summary: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, reputation: _Optional[_Union[NodeReputation, _Mapping]] = ..., contributions: _Optional[_Iterable[_Union[EvidenceContribution, _Mapping]]] = ..., summary: _Optional[_Iterable[str]] = ...) -> None: ...

class QuarantineNodeRequest(_message.Message):
    __slots__ = ("node", "reason", "duration")
    NODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    node: str
    reason: str
    duration: _duration_pb2.Duration
    def __init__(self, node: _Optional[str] = ..., reason: _Optional[str] = ..., duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ReleaseNodeRequest(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...
