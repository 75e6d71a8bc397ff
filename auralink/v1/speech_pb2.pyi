from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SpeechAudioFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPEECH_AUDIO_FORMAT_UNSPECIFIED: _ClassVar[SpeechAudioFormat]
    SPEECH_AUDIO_FORMAT_WAV: _ClassVar[SpeechAudioFormat]
    SPEECH_AUDIO_FORMAT_OGG_OPUS: _ClassVar[SpeechAudioFormat]

class AudioEncoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIO_ENCODING_UNSPECIFIED: _ClassVar[AudioEncoding]
    AUDIO_ENCODING_PCM_S16LE: _ClassVar[AudioEncoding]
    AUDIO_ENCODING_OPUS: _ClassVar[AudioEncoding]
SPEECH_AUDIO_FORMAT_UNSPECIFIED: SpeechAudioFormat
SPEECH_AUDIO_FORMAT_WAV: SpeechAudioFormat
SPEECH_AUDIO_FORMAT_OGG_OPUS: SpeechAudioFormat
AUDIO_ENCODING_UNSPECIFIED: AudioEncoding
AUDIO_ENCODING_PCM_S16LE: AudioEncoding
AUDIO_ENCODING_OPUS: AudioEncoding

class SynthesizeRequest(_message.Message):
    __slots__ = ("text", "voice", "speed", "format", "store_key", "models")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    SPEED_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    STORE_KEY_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    text: str
    voice: str
    speed: float
    format: SpeechAudioFormat
    store_key: str
    models: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, text: _Optional[str] = ..., voice: _Optional[str] = ..., speed: _Optional[float] = ..., format: _Optional[_Union[SpeechAudioFormat, str]] = ..., store_key: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ...) -> None: ...

class SynthesizeResponse(_message.Message):
    __slots__ = ("audio", "content_type", "sample_rate", "duration", "voice", "model", "stored_key")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STORED_KEY_FIELD_NUMBER: _ClassVar[int]
    audio: bytes
    content_type: str
    sample_rate: int
    duration: _duration_pb2.Duration
    voice: str
    model: str
    stored_key: str
    def __init__(self, audio: _Optional[bytes] = ..., content_type: _Optional[str] = ..., sample_rate: _Optional[int] = ..., duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., voice: _Optional[str] = ..., model: _Optional[str] = ..., stored_key: _Optional[str] = ...) -> None: ...

class Voice(_message.Message):
    __slots__ = ("id", "name", "language", "gender", "model")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    language: str
    gender: str
    model: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., language: _Optional[str] = ..., gender: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class ListVoicesRequest(_message.Message):
    __slots__ = ("language",)
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    language: str
    def __init__(self, language: _Optional[str] = ...) -> None: ...

class ListVoicesResponse(_message.Message):
    __slots__ = ("voices",)
    VOICES_FIELD_NUMBER: _ClassVar[int]
    voices: _containers.RepeatedCompositeFieldContainer[Voice]
    def __init__(self, voices: _Optional[_Iterable[_Union[Voice, _Mapping]]] = ...) -> None: ...

class TranscribeRequest(_message.Message):
    __slots__ = ("audio", "storage_key", "encoding", "sample_rate", "language", "models")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    STORAGE_KEY_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    audio: bytes
    storage_key: str
    encoding: AudioEncoding
    sample_rate: int
    language: str
    models: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, audio: _Optional[bytes] = ..., storage_key: _Optional[str] = ..., encoding: _Optional[_Union[AudioEncoding, str]] = ..., sample_rate: _Optional[int] = ..., language: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ...) -> None: ...

class TranscriptSegment(_message.Message):
    __slots__ = ("start", "end", "text", "confidence")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    text: str
    confidence: float
    def __init__(self, start: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., text: _Optional[str] = ..., confidence: _Optional[float] = ...) -> None: ...

class TranscribeResponse(_message.Message):
    __slots__ = ("text", "segments", "language", "language_probability", "audio_duration", "model", "confidence")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    AUDIO_DURATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    text: str
    segments: _containers.RepeatedCompositeFieldContainer[TranscriptSegment]
    language: str
    language_probability: float
    audio_duration: _duration_pb2.Duration
    model: str
    confidence: float
    def __init__(self, text: _Optional[str] = ..., segments: _Optional[_Iterable[_Union[TranscriptSegment, _Mapping]]] = ..., language: _Optional[str] = ..., language_probability: _Optional[float] = ..., audio_duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., model: _Optional[str] = ..., confidence: _Optional[float] = ...) -> None: ...

class StreamTranscribeConfig(_message.Message):
    __slots__ = ("encoding", "sample_rate", "language", "store_as_memory", "room_id", "speaker", "partial_interval_ms")
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    STORE_AS_MEMORY_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    encoding: AudioEncoding
    sample_rate: int
    language: str
    store_as_memory: bool
    room_id: str
    speaker: str
    partial_interval_ms: int
    def __init__(self, encoding: _Optional[_Union[AudioEncoding, str]] = ..., sample_rate: _Optional[int] = ..., language: _Optional[str] = ..., store_as_memory: bool = ..., room_id: _Optional[str] = ..., speaker: _Optional[str] = ..., partial_interval_ms: _Optional[int] = ...) -> None: ...

class AudioFrame(_message.Message):
    __slots__ = ("sequence", "data")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    data: bytes
    def __init__(self, sequence: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class StreamTranscribeRequest(_message.Message):
    __slots__ = ("config", "frame")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    config: StreamTranscribeConfig
    frame: AudioFrame
    def __init__(self, config: _Optional[_Union[StreamTranscribeConfig, _Mapping]] = ..., frame: _Optional[_Union[AudioFrame, _Mapping]] = ...) -> None: ...

class StreamTranscript(_message.Message):
    __slots__ = ("final", "text", "start", "end", "confidence", "memory_id", "latency")
    FINAL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    final: bool
    text: str
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    confidence: float
    memory_id: str
    latency: _duration_pb2.Duration
    def __init__(self, final: bool = ..., text: _Optional[str] = ..., start: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., confidence: _Optional[float] = ..., memory_id: _Optional[str] = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StreamTranscribeResponse(_message.Message):
    __slots__ = ("sequence", "transcript", "error")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    transcript: StreamTranscript
    error: str
    def __init__(self, sequence: _Optional[int] = ..., transcript: _Optional[_Union[StreamTranscript, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...
