from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FrameType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FRAME_TYPE_UNSPECIFIED: _ClassVar[FrameType]
    FRAME_TYPE_AUDIO: _ClassVar[FrameType]
    FRAME_TYPE_VIDEO: _ClassVar[FrameType]
    FRAME_TYPE_SCREEN: _ClassVar[FrameType]
    FRAME_TYPE_DATA: _ClassVar[FrameType]

class CompressionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPRESSION_MODE_UNSPECIFIED: _ClassVar[CompressionMode]
    COMPRESSION_MODE_CONSERVATIVE: _ClassVar[CompressionMode]
    COMPRESSION_MODE_ADAPTIVE: _ClassVar[CompressionMode]
    COMPRESSION_MODE_AGGRESSIVE: _ClassVar[CompressionMode]
    COMPRESSION_MODE_OFF: _ClassVar[CompressionMode]

class PixelFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PIXEL_FORMAT_UNSPECIFIED: _ClassVar[PixelFormat]
    PIXEL_FORMAT_I420: _ClassVar[PixelFormat]
    PIXEL_FORMAT_RGB24: _ClassVar[PixelFormat]
FRAME_TYPE_UNSPECIFIED: FrameType
FRAME_TYPE_AUDIO: FrameType
FRAME_TYPE_VIDEO: FrameType
FRAME_TYPE_SCREEN: FrameType
FRAME_TYPE_DATA: FrameType
COMPRESSION_MODE_UNSPECIFIED: CompressionMode
COMPRESSION_MODE_CONSERVATIVE: CompressionMode
COMPRESSION_MODE_ADAPTIVE: CompressionMode
COMPRESSION_MODE_AGGRESSIVE: CompressionMode
COMPRESSION_MODE_OFF: CompressionMode
PIXEL_FORMAT_UNSPECIFIED: PixelFormat
PIXEL_FORMAT_I420: PixelFormat
PIXEL_FORMAT_RGB24: PixelFormat

class AudioFormat(_message.Message):
    __slots__ = ("sample_rate", "channels", "frame_duration")
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    FRAME_DURATION_FIELD_NUMBER: _ClassVar[int]
    sample_rate: int
    channels: int
    frame_duration: _duration_pb2.Duration
    def __init__(self, sample_rate: _Optional[int] = ..., channels: _Optional[int] = ..., frame_duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ImageFormat(_message.Message):
    __slots__ = ("width", "height", "pixel_format", "frame_rate")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PIXEL_FORMAT_FIELD_NUMBER: _ClassVar[int]
    FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    pixel_format: PixelFormat
    frame_rate: int
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., pixel_format: _Optional[_Union[PixelFormat, str]] = ..., frame_rate: _Optional[int] = ...) -> None: ...

class DataFormat(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StreamFormat(_message.Message):
    __slots__ = ("audio", "image", "data")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    audio: AudioFormat
    image: ImageFormat
    data: DataFormat
    def __init__(self, audio: _Optional[_Union[AudioFormat, _Mapping]] = ..., image: _Optional[_Union[ImageFormat, _Mapping]] = ..., data: _Optional[_Union[DataFormat, _Mapping]] = ...) -> None: ...

class CompressionConfig(_message.Message):
    __slots__ = ("mode", "target_compression_ratio", "max_latency", "model_type", "use_gpu", "min_quality_score")
    MODE_FIELD_NUMBER: _ClassVar[int]
    TARGET_COMPRESSION_RATIO_FIELD_NUMBER: _ClassVar[int]
    MAX_LATENCY_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    USE_GPU_FIELD_NUMBER: _ClassVar[int]
    MIN_QUALITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    mode: CompressionMode
    target_compression_ratio: float
    max_latency: _duration_pb2.Duration
    model_type: str
    use_gpu: bool
    min_quality_score: float
    def __init__(self, mode: _Optional[_Union[CompressionMode, str]] = ..., target_compression_ratio: _Optional[float] = ..., max_latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., model_type: _Optional[str] = ..., use_gpu: bool = ..., min_quality_score: _Optional[float] = ...) -> None: ...

class StartSessionRequest(_message.Message):
    __slots__ = ("frame_type", "format", "config")
    FRAME_TYPE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    frame_type: FrameType
    format: StreamFormat
    config: CompressionConfig
    def __init__(self, frame_type: _Optional[_Union[FrameType, str]] = ..., format: _Optional[_Union[StreamFormat, _Mapping]] = ..., config: _Optional[_Union[CompressionConfig, _Mapping]] = ...) -> None: ...

class StartSessionResponse(_message.Message):
    __slots__ = ("session_id", "codec", "quality_metric", "quality_target", "target_reachable", "initial_bitrate_bps", "idle_timeout", "postfilter")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    QUALITY_METRIC_FIELD_NUMBER: _ClassVar[int]
    QUALITY_TARGET_FIELD_NUMBER: _ClassVar[int]
    TARGET_REACHABLE_FIELD_NUMBER: _ClassVar[int]
    INITIAL_BITRATE_BPS_FIELD_NUMBER: _ClassVar[int]
    IDLE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    POSTFILTER_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    codec: str
    quality_metric: str
    quality_target: float
    target_reachable: bool
    initial_bitrate_bps: int
    idle_timeout: _duration_pb2.Duration
    postfilter: bool
    def __init__(self, session_id: _Optional[str] = ..., codec: _Optional[str] = ..., quality_metric: _Optional[str] = ..., quality_target: _Optional[float] = ..., target_reachable: bool = ..., initial_bitrate_bps: _Optional[int] = ..., idle_timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., postfilter: bool = ...) -> None: ...

class EndSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class EndSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CompressFrameRequest(_message.Message):
    __slots__ = ("session_id", "sequence", "payload", "capture_time", "max_age", "handle", "rtp")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    RTP_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    sequence: int
    payload: bytes
    capture_time: _timestamp_pb2.Timestamp
    max_age: _duration_pb2.Duration
    handle: int
    rtp: RtpInfo
    def __init__(self, session_id: _Optional[str] = ..., sequence: _Optional[int] = ..., payload: _Optional[bytes] = ..., capture_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., max_age: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., handle: _Optional[int] = ..., rtp: _Optional[_Union[RtpInfo, _Mapping]] = ...) -> None: ...

class FrameError(_message.Message):
    __slots__ = ("code", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    field: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class FrameQuality(_message.Message):
    __slots__ = ("metric", "score", "source")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    metric: str
    score: float
    source: str
    def __init__(self, metric: _Optional[str] = ..., score: _Optional[float] = ..., source: _Optional[str] = ...) -> None: ...

class CompressFrameResponse(_message.Message):
    __slots__ = ("session_id", "sequence", "data", "codec", "input_bytes", "output_bytes", "reduction_pct", "compression_ratio", "quality", "latency", "fallback", "fallback_reason", "keyframe", "skipped", "bitrate_bps", "target_ratio_met", "error", "draining", "handle", "rtp")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    INPUT_BYTES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_BYTES_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_PCT_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_RATIO_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    KEYFRAME_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    BITRATE_BPS_FIELD_NUMBER: _ClassVar[int]
    TARGET_RATIO_MET_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    RTP_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    sequence: int
    data: bytes
    codec: str
    input_bytes: int
    output_bytes: int
    reduction_pct: float
    compression_ratio: float
    quality: FrameQuality
    latency: _duration_pb2.Duration
    fallback: bool
    fallback_reason: str
    keyframe: bool
    skipped: bool
    bitrate_bps: int
    target_ratio_met: bool
    error: FrameError
    draining: bool
    handle: int
    rtp: RtpInfo
    def __init__(self, session_id: _Optional[str] = ..., sequence: _Optional[int] = ..., data: _Optional[bytes] = ..., codec: _Optional[str] = ..., input_bytes: _Optional[int] = ..., output_bytes: _Optional[int] = ..., reduction_pct: _Optional[float] = ..., compression_ratio: _Optional[float] = ..., quality: _Optional[_Union[FrameQuality, _Mapping]] = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., fallback: bool = ..., fallback_reason: _Optional[str] = ..., keyframe: bool = ..., skipped: bool = ..., bitrate_bps: _Optional[int] = ..., target_ratio_met: bool = ..., error: _Optional[_Union[FrameError, _Mapping]] = ..., draining: bool = ..., handle: _Optional[int] = ..., rtp: _Optional[_Union[RtpInfo, _Mapping]] = ...) -> None: ...

class CompressBatchRequest(_message.Message):
    __slots__ = ("frames", "capture_time", "max_age", "compact")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    COMPACT_FIELD_NUMBER: _ClassVar[int]
    frames: _containers.RepeatedCompositeFieldContainer[CompressFrameRequest]
    capture_time: _timestamp_pb2.Timestamp
    max_age: _duration_pb2.Duration
    compact: bool
    def __init__(self, frames: _Optional[_Iterable[_Union[CompressFrameRequest, _Mapping]]] = ..., capture_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., max_age: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., compact: bool = ...) -> None: ...

class CompressBatchResponse(_message.Message):
    __slots__ = ("frames", "draining")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    frames: _containers.RepeatedCompositeFieldContainer[CompressFrameResponse]
    draining: bool
    def __init__(self, frames: _Optional[_Iterable[_Union[CompressFrameResponse, _Mapping]]] = ..., draining: bool = ...) -> None: ...

class DecompressBatchRequest(_message.Message):
    __slots__ = ("frames", "compact")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    COMPACT_FIELD_NUMBER: _ClassVar[int]
    frames: _containers.RepeatedCompositeFieldContainer[DecompressFrameRequest]
    compact: bool
    def __init__(self, frames: _Optional[_Iterable[_Union[DecompressFrameRequest, _Mapping]]] = ..., compact: bool = ...) -> None: ...

class DecompressBatchResponse(_message.Message):
    __slots__ = ("frames", "draining")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    frames: _containers.RepeatedCompositeFieldContainer[DecompressFrameResponse]
    draining: bool
    def __init__(self, frames: _Optional[_Iterable[_Union[DecompressFrameResponse, _Mapping]]] = ..., draining: bool = ...) -> None: ...

class DecompressFrameRequest(_message.Message):
    __slots__ = ("session_id", "sequence", "data", "lost", "rtp", "handle")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    RTP_FIELD_NUMBER: _ClassVar[int]
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    sequence: int
    data: bytes
    lost: bool
    rtp: RtpInfo
    handle: int
    def __init__(self, session_id: _Optional[str] = ..., sequence: _Optional[int] = ..., data: _Optional[bytes] = ..., lost: bool = ..., rtp: _Optional[_Union[RtpInfo, _Mapping]] = ..., handle: _Optional[int] = ...) -> None: ...

class RtpInfo(_message.Message):
    __slots__ = ("sequence", "timestamp", "ssrc")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    SSRC_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    timestamp: int
    ssrc: int
    def __init__(self, sequence: _Optional[int] = ..., timestamp: _Optional[int] = ..., ssrc: _Optional[int] = ...) -> None: ...

class DecompressFrameResponse(_message.Message):
    __slots__ = ("session_id", "sequence", "payload", "codec", "fallback", "skipped", "latency", "error", "draining", "concealment", "rtp", "handle")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    CONCEALMENT_FIELD_NUMBER: _ClassVar[int]
    RTP_FIELD_NUMBER: _ClassVar[int]
    HANDLE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    sequence: int
    payload: bytes
    codec: str
    fallback: bool
    skipped: bool
    latency: _duration_pb2.Duration
    error: FrameError
    draining: bool
    concealment: str
    rtp: RtpInfo
    handle: int
    def __init__(self, session_id: _Optional[str] = ..., sequence: _Optional[int] = ..., payload: _Optional[bytes] = ..., codec: _Optional[str] = ..., fallback: bool = ..., skipped: bool = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., error: _Optional[_Union[FrameError, _Mapping]] = ..., draining: bool = ..., concealment: _Optional[str] = ..., rtp: _Optional[_Union[RtpInfo, _Mapping]] = ..., handle: _Optional[int] = ...) -> None: ...

class UpdateNetworkConditionsRequest(_message.Message):
    __slots__ = ("session_id", "bandwidth_kbps", "loss_pct", "rtt")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_KBPS_FIELD_NUMBER: _ClassVar[int]
    LOSS_PCT_FIELD_NUMBER: _ClassVar[int]
    RTT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    bandwidth_kbps: float
    loss_pct: float
    rtt: _duration_pb2.Duration
    def __init__(self, session_id: _Optional[str] = ..., bandwidth_kbps: _Optional[float] = ..., loss_pct: _Optional[float] = ..., rtt: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class UpdateNetworkConditionsResponse(_message.Message):
    __slots__ = ("bitrate_bps", "fec", "packet_loss_hint_pct", "scale", "frame_rate", "below_floor", "reason")
    BITRATE_BPS_FIELD_NUMBER: _ClassVar[int]
    FEC_FIELD_NUMBER: _ClassVar[int]
    PACKET_LOSS_HINT_PCT_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    BELOW_FLOOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    bitrate_bps: int
    fec: bool
    packet_loss_hint_pct: int
    scale: float
    frame_rate: int
    below_floor: bool
    reason: str
    def __init__(self, bitrate_bps: _Optional[int] = ..., fec: bool = ..., packet_loss_hint_pct: _Optional[int] = ..., scale: _Optional[float] = ..., frame_rate: _Optional[int] = ..., below_floor: bool = ..., reason: _Optional[str] = ...) -> None: ...

class CompressionFigures(_message.Message):
    __slots__ = ("frames", "bytes_in", "bytes_out", "compression_ratio", "reduction_pct", "bandwidth_saved_bytes", "quality", "latency_p50", "latency_p99", "fallback_count", "below_floor_count")
    class QualityEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    BYTES_IN_FIELD_NUMBER: _ClassVar[int]
    BYTES_OUT_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_RATIO_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_PCT_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_SAVED_BYTES_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_COUNT_FIELD_NUMBER: _ClassVar[int]
    BELOW_FLOOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    frames: int
    bytes_in: int
    bytes_out: int
    compression_ratio: float
    reduction_pct: float
    bandwidth_saved_bytes: int
    quality: _containers.ScalarMap[str, float]
    latency_p50: _duration_pb2.Duration
    latency_p99: _duration_pb2.Duration
    fallback_count: int
    below_floor_count: int
    def __init__(self, frames: _Optional[int] = ..., bytes_in: _Optional[int] = ..., bytes_out: _Optional[int] = ..., compression_ratio: _Optional[float] = ..., reduction_pct: _Optional[float] = ..., bandwidth_saved_bytes: _Optional[int] = ..., quality: _Optional[_Mapping[str, float]] = ..., latency_p50: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., latency_p99: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., fallback_count: _Optional[int] = ..., below_floor_count: _Optional[int] = ...) -> None: ...

class ModeFigures(_message.Message):
    __slots__ = ("frame_type", "mode", "figures")
    FRAME_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    frame_type: FrameType
    mode: CompressionMode
    figures: CompressionFigures
    def __init__(self, frame_type: _Optional[_Union[FrameType, str]] = ..., mode: _Optional[_Union[CompressionMode, str]] = ..., figures: _Optional[_Union[CompressionFigures, _Mapping]] = ...) -> None: ...

class GetCompressionMetricsRequest(_message.Message):
    __slots__ = ("session_id", "user_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    user_id: str
    def __init__(self, session_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetCompressionMetricsResponse(_message.Message):
    __slots__ = ("per_user", "per_session", "as_of", "per_mode")
    class PerUserEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: CompressionFigures
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[CompressionFigures, _Mapping]] = ...) -> None: ...
    class PerSessionEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: CompressionFigures
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[CompressionFigures, _Mapping]] = ...) -> None: ...
    GLOBAL_FIELD_NUMBER: _ClassVar[int]
    PER_USER_FIELD_NUMBER: _ClassVar[int]
    PER_SESSION_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PER_MODE_FIELD_NUMBER: _ClassVar[int]
    per_user: _containers.MessageMap[str, CompressionFigures]
    per_session: _containers.MessageMap[str, CompressionFigures]
    as_of: _timestamp_pb2.Timestamp
    per_mode: _containers.RepeatedCompositeFieldContainer[ModeFigures]
    def __init__(self, per_user: _Optional[_Mapping[str, CompressionFigures]] = ..., per_session: _Optional[_Mapping[str, CompressionFigures]] = ..., as_of: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., per_mode: _Optional[_Iterable[_Union[ModeFigures, _Mapping]]] = ..., **kwargs) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "user_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    user_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class CompressionSession(_message.Message):
    __slots__ = ("session_id", "user_id", "frame_type", "mode", "codec", "model_type", "format", "create_time", "last_activity_time", "frames_in", "frames_out", "bytes_in", "bytes_out", "compression_ratio", "fallback_count", "postfilter", "stale_dropped", "degrade_step")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FRAME_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVITY_TIME_FIELD_NUMBER: _ClassVar[int]
    FRAMES_IN_FIELD_NUMBER: _ClassVar[int]
    FRAMES_OUT_FIELD_NUMBER: _ClassVar[int]
    BYTES_IN_FIELD_NUMBER: _ClassVar[int]
    BYTES_OUT_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_RATIO_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_COUNT_FIELD_NUMBER: _ClassVar[int]
    POSTFILTER_FIELD_NUMBER: _ClassVar[int]
    STALE_DROPPED_FIELD_NUMBER: _ClassVar[int]
    DEGRADE_STEP_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    user_id: str
    frame_type: FrameType
    mode: CompressionMode
    codec: str
    model_type: str
    format: StreamFormat
    create_time: _timestamp_pb2.Timestamp
    last_activity_time: _timestamp_pb2.Timestamp
    frames_in: int
    frames_out: int
    bytes_in: int
    bytes_out: int
    compression_ratio: float
    fallback_count: int
    postfilter: bool
    stale_dropped: int
    degrade_step: int
    def __init__(self, session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., frame_type: _Optional[_Union[FrameType, str]] = ..., mode: _Optional[_Union[CompressionMode, str]] = ..., codec: _Optional[str] = ..., model_type: _Optional[str] = ..., format: _Optional[_Union[StreamFormat, _Mapping]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_activity_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., frames_in: _Optional[int] = ..., frames_out: _Optional[int] = ..., bytes_in: _Optional[int] = ..., bytes_out: _Optional[int] = ..., compression_ratio: _Optional[float] = ..., fallback_count: _Optional[int] = ..., postfilter: bool = ..., stale_dropped: _Optional[int] = ..., degrade_step: _Optional[int] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "next_page_token")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[CompressionSession]
    next_page_token: str
    def __init__(self, sessions: _Optional[_Iterable[_Union[CompressionSession, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchMetricsRequest(_message.Message):
    __slots__ = ("session_id", "interval")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    interval: _duration_pb2.Duration
    def __init__(self, session_id: _Optional[str] = ..., interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchMetricsResponse(_message.Message):
    __slots__ = ("metrics", "heartbeat")
    METRICS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    metrics: GetCompressionMetricsResponse
    heartbeat: _timestamp_pb2.Timestamp
    def __init__(self, metrics: _Optional[_Union[GetCompressionMetricsResponse, _Mapping]] = ..., heartbeat: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunBenchmarkRequest(_message.Message):
    __slots__ = ("frame_types", "modes", "quick", "calibrate")
    FRAME_TYPES_FIELD_NUMBER: _ClassVar[int]
    MODES_FIELD_NUMBER: _ClassVar[int]
    QUICK_FIELD_NUMBER: _ClassVar[int]
    CALIBRATE_FIELD_NUMBER: _ClassVar[int]
    frame_types: _containers.RepeatedScalarFieldContainer[FrameType]
    modes: _containers.RepeatedScalarFieldContainer[CompressionMode]
    quick: bool
    calibrate: bool
    def __init__(self, frame_types: _Optional[_Iterable[_Union[FrameType, str]]] = ..., modes: _Optional[_Iterable[_Union[CompressionMode, str]]] = ..., quick: bool = ..., calibrate: bool = ...) -> None: ...

class BenchmarkBaseline(_message.Message):
    __slots__ = ("name", "kbps", "quality")
    class QualityEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    KBPS_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    name: str
    kbps: float
    quality: _containers.ScalarMap[str, float]
    def __init__(self, name: _Optional[str] = ..., kbps: _Optional[float] = ..., quality: _Optional[_Mapping[str, float]] = ...) -> None: ...

class BenchmarkRow(_message.Message):
    __slots__ = ("frame_type", "mode", "codec", "kbps", "reduction_pct", "quality", "latency_p50", "latency_p99", "fallbacks", "baseline", "bitrate_vs_baseline")
    class QualityEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    FRAME_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    KBPS_FIELD_NUMBER: _ClassVar[int]
    REDUCTION_PCT_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_FIELD_NUMBER: _ClassVar[int]
    FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FIELD_NUMBER: _ClassVar[int]
    BITRATE_VS_BASELINE_FIELD_NUMBER: _ClassVar[int]
    frame_type: FrameType
    mode: CompressionMode
    codec: str
    kbps: float
    reduction_pct: float
    quality: _containers.ScalarMap[str, float]
    latency_p50: _duration_pb2.Duration
    latency_p99: _duration_pb2.Duration
    fallbacks: int
    baseline: BenchmarkBaseline
    bitrate_vs_baseline: float
    def __init__(self, frame_type: _Optional[_Union[FrameType, str]] = ..., mode: _Optional[_Union[CompressionMode, str]] = ..., codec: _Optional[str] = ..., kbps: _Optional[float] = ..., reduction_pct: _Optional[float] = ..., quality: _Optional[_Mapping[str, float]] = ..., latency_p50: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., latency_p99: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., fallbacks: _Optional[int] = ..., baseline: _Optional[_Union[BenchmarkBaseline, _Mapping]] = ..., bitrate_vs_baseline: _Optional[float] = ...) -> None: ...

class RunBenchmarkResponse(_message.Message):
    __slots__ = ("progress", "row", "done")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ROW_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    progress: BenchmarkProgress
    row: BenchmarkRow
    done: BenchmarkDone
    def __init__(self, progress: _Optional[_Union[BenchmarkProgress, _Mapping]] = ..., row: _Optional[_Union[BenchmarkRow, _Mapping]] = ..., done: _Optional[_Union[BenchmarkDone, _Mapping]] = ...) -> None: ...

class BenchmarkProgress(_message.Message):
    __slots__ = ("fraction", "step")
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    fraction: float
    step: str
    def __init__(self, fraction: _Optional[float] = ..., step: _Optional[str] = ...) -> None: ...

class BenchmarkDone(_message.Message):
    __slots__ = ("finished_at", "wall_time", "git_commit")
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    WALL_TIME_FIELD_NUMBER: _ClassVar[int]
    GIT_COMMIT_FIELD_NUMBER: _ClassVar[int]
    finished_at: _timestamp_pb2.Timestamp
    wall_time: _duration_pb2.Duration
    git_commit: str
    def __init__(self, finished_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., wall_time: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., git_commit: _Optional[str] = ...) -> None: ...

class GetConfigRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetConfigResponse(_message.Message):
    __slots__ = ("config", "available_model_types", "etag")
    class AvailableModelTypesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_MODEL_TYPES_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    config: CompressionConfig
    available_model_types: _containers.ScalarMap[str, str]
    etag: str
    def __init__(self, config: _Optional[_Union[CompressionConfig, _Mapping]] = ..., available_model_types: _Optional[_Mapping[str, str]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateConfigRequest(_message.Message):
    __slots__ = ("config", "update_mask", "etag")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    config: CompressionConfig
    update_mask: _field_mask_pb2.FieldMask
    etag: str
    def __init__(self, config: _Optional[_Union[CompressionConfig, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateConfigResponse(_message.Message):
    __slots__ = ("config", "etag")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    config: CompressionConfig
    etag: str
    def __init__(self, config: _Optional[_Union[CompressionConfig, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...
