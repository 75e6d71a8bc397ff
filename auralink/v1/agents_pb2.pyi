from auralink.v1 import speech_pb2 as _speech_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MemoryOutcomeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMORY_OUTCOME_KIND_UNSPECIFIED: _ClassVar[MemoryOutcomeKind]
    MEMORY_OUTCOME_KIND_STORED: _ClassVar[MemoryOutcomeKind]
    MEMORY_OUTCOME_KIND_DUPLICATE: _ClassVar[MemoryOutcomeKind]
    MEMORY_OUTCOME_KIND_FAILED: _ClassVar[MemoryOutcomeKind]
    MEMORY_OUTCOME_KIND_SKIPPED: _ClassVar[MemoryOutcomeKind]

class RoomAssignmentEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROOM_ASSIGNMENT_EVENT_KIND_UNSPECIFIED: _ClassVar[RoomAssignmentEventKind]
    ROOM_ASSIGNMENT_EVENT_KIND_EXISTING: _ClassVar[RoomAssignmentEventKind]
    ROOM_ASSIGNMENT_EVENT_KIND_SNAPSHOT_DONE: _ClassVar[RoomAssignmentEventKind]
    ROOM_ASSIGNMENT_EVENT_KIND_ASSIGNED: _ClassVar[RoomAssignmentEventKind]
    ROOM_ASSIGNMENT_EVENT_KIND_UNASSIGNED: _ClassVar[RoomAssignmentEventKind]
    ROOM_ASSIGNMENT_EVENT_KIND_HEARTBEAT: _ClassVar[RoomAssignmentEventKind]

class VoiceInput(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VOICE_INPUT_UNSPECIFIED: _ClassVar[VoiceInput]
    VOICE_INPUT_FILE: _ClassVar[VoiceInput]
    VOICE_INPUT_PCM_S16LE: _ClassVar[VoiceInput]
    VOICE_INPUT_OPUS: _ClassVar[VoiceInput]
MEMORY_OUTCOME_KIND_UNSPECIFIED: MemoryOutcomeKind
MEMORY_OUTCOME_KIND_STORED: MemoryOutcomeKind
MEMORY_OUTCOME_KIND_DUPLICATE: MemoryOutcomeKind
MEMORY_OUTCOME_KIND_FAILED: MemoryOutcomeKind
MEMORY_OUTCOME_KIND_SKIPPED: MemoryOutcomeKind
ROOM_ASSIGNMENT_EVENT_KIND_UNSPECIFIED: RoomAssignmentEventKind
ROOM_ASSIGNMENT_EVENT_KIND_EXISTING: RoomAssignmentEventKind
ROOM_ASSIGNMENT_EVENT_KIND_SNAPSHOT_DONE: RoomAssignmentEventKind
ROOM_ASSIGNMENT_EVENT_KIND_ASSIGNED: RoomAssignmentEventKind
ROOM_ASSIGNMENT_EVENT_KIND_UNASSIGNED: RoomAssignmentEventKind
ROOM_ASSIGNMENT_EVENT_KIND_HEARTBEAT: RoomAssignmentEventKind
VOICE_INPUT_UNSPECIFIED: VoiceInput
VOICE_INPUT_FILE: VoiceInput
VOICE_INPUT_PCM_S16LE: VoiceInput
VOICE_INPUT_OPUS: VoiceInput

class Personality(_message.Message):
    __slots__ = ("traits", "style")
    TRAITS_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    traits: _containers.RepeatedScalarFieldContainer[str]
    style: str
    def __init__(self, traits: _Optional[_Iterable[str]] = ..., style: _Optional[str] = ...) -> None: ...

class Agent(_message.Message):
    __slots__ = ("id", "name", "description", "model", "provider", "temperature", "system_prompt", "memory_enabled", "voice_enabled", "tts_provider", "tts_voice_id", "personality", "max_tokens", "version", "etag", "created_by", "create_time", "update_time", "tools")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_PROMPT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ENABLED_FIELD_NUMBER: _ClassVar[int]
    VOICE_ENABLED_FIELD_NUMBER: _ClassVar[int]
    TTS_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    TTS_VOICE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSONALITY_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    model: str
    provider: str
    temperature: float
    system_prompt: str
    memory_enabled: bool
    voice_enabled: bool
    tts_provider: str
    tts_voice_id: str
    personality: Personality
    max_tokens: int
    version: int
    etag: str
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    tools: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., model: _Optional[str] = ..., provider: _Optional[str] = ..., temperature: _Optional[float] = ..., system_prompt: _Optional[str] = ..., memory_enabled: bool = ..., voice_enabled: bool = ..., tts_provider: _Optional[str] = ..., tts_voice_id: _Optional[str] = ..., personality: _Optional[_Union[Personality, _Mapping]] = ..., max_tokens: _Optional[int] = ..., version: _Optional[int] = ..., etag: _Optional[str] = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., tools: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateAgentRequest(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ...) -> None: ...

class GetAgentRequest(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: str
    def __init__(self, agent: _Optional[str] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ("agents", "next_page_token")
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[Agent]
    next_page_token: str
    def __init__(self, agents: _Optional[_Iterable[_Union[Agent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateAgentRequest(_message.Message):
    __slots__ = ("agent", "update_mask")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    agent: Agent
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, agent: _Optional[_Union[Agent, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteAgentRequest(_message.Message):
    __slots__ = ("agent",)
    AGENT_FIELD_NUMBER: _ClassVar[int]
    agent: str
    def __init__(self, agent: _Optional[str] = ...) -> None: ...

class DeleteAgentResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ChatRequest(_message.Message):
    __slots__ = ("agent", "message", "conversation_id", "max_tokens", "include_prompt", "speak")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    SPEAK_FIELD_NUMBER: _ClassVar[int]
    agent: str
    message: str
    conversation_id: str
    max_tokens: int
    include_prompt: bool
    speak: bool
    def __init__(self, agent: _Optional[str] = ..., message: _Optional[str] = ..., conversation_id: _Optional[str] = ..., max_tokens: _Optional[int] = ..., include_prompt: bool = ..., speak: bool = ...) -> None: ...

class MemoryOutcome(_message.Message):
    __slots__ = ("fact", "kind", "memory_id", "detail")
    FACT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    fact: str
    kind: MemoryOutcomeKind
    memory_id: str
    detail: str
    def __init__(self, fact: _Optional[str] = ..., kind: _Optional[_Union[MemoryOutcomeKind, str]] = ..., memory_id: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class PromptMessage(_message.Message):
    __slots__ = ("role", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class ChatUsage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens", "cost_usd", "model", "failovers")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FAILOVERS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    model: str
    failovers: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ..., model: _Optional[str] = ..., failovers: _Optional[int] = ...) -> None: ...

class ChatResponse(_message.Message):
    __slots__ = ("conversation_id", "delta", "recalled_memories", "prompt", "done", "usage", "memory_outcomes", "finish_reason", "tool_call", "audio")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    RECALLED_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    delta: str
    recalled_memories: _containers.RepeatedScalarFieldContainer[str]
    prompt: _containers.RepeatedCompositeFieldContainer[PromptMessage]
    done: bool
    usage: ChatUsage
    memory_outcomes: _containers.RepeatedCompositeFieldContainer[MemoryOutcome]
    finish_reason: str
    tool_call: ChatToolCall
    audio: bytes
    def __init__(self, conversation_id: _Optional[str] = ..., delta: _Optional[str] = ..., recalled_memories: _Optional[_Iterable[str]] = ..., prompt: _Optional[_Iterable[_Union[PromptMessage, _Mapping]]] = ..., done: bool = ..., usage: _Optional[_Union[ChatUsage, _Mapping]] = ..., memory_outcomes: _Optional[_Iterable[_Union[MemoryOutcome, _Mapping]]] = ..., finish_reason: _Optional[str] = ..., tool_call: _Optional[_Union[ChatToolCall, _Mapping]] = ..., audio: _Optional[bytes] = ...) -> None: ...

class ChatToolCall(_message.Message):
    __slots__ = ("step", "connection", "tool", "arguments_json", "result", "is_error", "duration")
    STEP_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    IS_ERROR_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    step: int
    connection: str
    tool: str
    arguments_json: str
    result: str
    is_error: bool
    duration: _duration_pb2.Duration
    def __init__(self, step: _Optional[int] = ..., connection: _Optional[str] = ..., tool: _Optional[str] = ..., arguments_json: _Optional[str] = ..., result: _Optional[str] = ..., is_error: bool = ..., duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ConversationMessage(_message.Message):
    __slots__ = ("role", "content", "time")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Conversation(_message.Message):
    __slots__ = ("id", "agent_id", "user_id", "title", "message_count", "messages", "prompt_tokens", "completion_tokens", "create_time", "last_message_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    agent_id: str
    user_id: str
    title: str
    message_count: int
    messages: _containers.RepeatedCompositeFieldContainer[ConversationMessage]
    prompt_tokens: int
    completion_tokens: int
    create_time: _timestamp_pb2.Timestamp
    last_message_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., agent_id: _Optional[str] = ..., user_id: _Optional[str] = ..., title: _Optional[str] = ..., message_count: _Optional[int] = ..., messages: _Optional[_Iterable[_Union[ConversationMessage, _Mapping]]] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListConversationsRequest(_message.Message):
    __slots__ = ("agent", "page_size", "page_token")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agent: str
    page_size: int
    page_token: str
    def __init__(self, agent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConversationsResponse(_message.Message):
    __slots__ = ("conversations", "next_page_token")
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    conversations: _containers.RepeatedCompositeFieldContainer[Conversation]
    next_page_token: str
    def __init__(self, conversations: _Optional[_Iterable[_Union[Conversation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteConversationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteConversationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RoomAssignment(_message.Message):
    __slots__ = ("id", "agent_id", "agent_name", "room_id", "role", "auto_join", "assigned_by", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    AUTO_JOIN_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    agent_id: str
    agent_name: str
    room_id: str
    role: str
    auto_join: bool
    assigned_by: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., agent_id: _Optional[str] = ..., agent_name: _Optional[str] = ..., room_id: _Optional[str] = ..., role: _Optional[str] = ..., auto_join: bool = ..., assigned_by: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AssignRoomRequest(_message.Message):
    __slots__ = ("agent", "room_id", "role", "auto_join")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    AUTO_JOIN_FIELD_NUMBER: _ClassVar[int]
    agent: str
    room_id: str
    role: str
    auto_join: bool
    def __init__(self, agent: _Optional[str] = ..., room_id: _Optional[str] = ..., role: _Optional[str] = ..., auto_join: bool = ...) -> None: ...

class UnassignRoomRequest(_message.Message):
    __slots__ = ("agent", "room_id")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    agent: str
    room_id: str
    def __init__(self, agent: _Optional[str] = ..., room_id: _Optional[str] = ...) -> None: ...

class UnassignRoomResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRoomAssignmentsRequest(_message.Message):
    __slots__ = ("agent", "room_id")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    agent: str
    room_id: str
    def __init__(self, agent: _Optional[str] = ..., room_id: _Optional[str] = ...) -> None: ...

class ListRoomAssignmentsResponse(_message.Message):
    __slots__ = ("assignments",)
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[RoomAssignment]
    def __init__(self, assignments: _Optional[_Iterable[_Union[RoomAssignment, _Mapping]]] = ...) -> None: ...

class WatchRoomAssignmentsRequest(_message.Message):
    __slots__ = ("room_id",)
    ROOM_ID_FIELD_NUMBER: _ClassVar[int]
    room_id: str
    def __init__(self, room_id: _Optional[str] = ...) -> None: ...

class RoomAssignmentEvent(_message.Message):
    __slots__ = ("kind", "assignment", "time")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    kind: RoomAssignmentEventKind
    assignment: RoomAssignment
    time: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[RoomAssignmentEventKind, str]] = ..., assignment: _Optional[_Union[RoomAssignment, _Mapping]] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class VoiceChatConfig(_message.Message):
    __slots__ = ("agent", "conversation_id", "input", "voice", "speed", "max_tokens", "pace_audio", "partial_interval_ms")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    SPEED_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    PACE_AUDIO_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    agent: str
    conversation_id: str
    input: VoiceInput
    voice: str
    speed: float
    max_tokens: int
    pace_audio: bool
    partial_interval_ms: int
    def __init__(self, agent: _Optional[str] = ..., conversation_id: _Optional[str] = ..., input: _Optional[_Union[VoiceInput, str]] = ..., voice: _Optional[str] = ..., speed: _Optional[float] = ..., max_tokens: _Optional[int] = ..., pace_audio: bool = ..., partial_interval_ms: _Optional[int] = ...) -> None: ...

class VoiceChatRequest(_message.Message):
    __slots__ = ("config", "frame", "audio")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    config: VoiceChatConfig
    frame: _speech_pb2.AudioFrame
    audio: bytes
    def __init__(self, config: _Optional[_Union[VoiceChatConfig, _Mapping]] = ..., frame: _Optional[_Union[_speech_pb2.AudioFrame, _Mapping]] = ..., audio: _Optional[bytes] = ...) -> None: ...

class VoiceTranscript(_message.Message):
    __slots__ = ("final", "text", "start", "end", "confidence")
    FINAL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    final: bool
    text: str
    start: _duration_pb2.Duration
    end: _duration_pb2.Duration
    confidence: float
    def __init__(self, final: bool = ..., text: _Optional[str] = ..., start: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., end: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., confidence: _Optional[float] = ...) -> None: ...

class VoiceAudio(_message.Message):
    __slots__ = ("pcm", "sample_rate", "text")
    PCM_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    pcm: bytes
    sample_rate: int
    text: str
    def __init__(self, pcm: _Optional[bytes] = ..., sample_rate: _Optional[int] = ..., text: _Optional[str] = ...) -> None: ...

class VoiceInterrupted(_message.Message):
    __slots__ = ("audio_sent",)
    AUDIO_SENT_FIELD_NUMBER: _ClassVar[int]
    audio_sent: _duration_pb2.Duration
    def __init__(self, audio_sent: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class VoiceTurnDone(_message.Message):
    __slots__ = ("reply", "usage", "memory_outcomes", "finish_reason", "audio_duration", "first_audio_latency")
    REPLY_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    AUDIO_DURATION_FIELD_NUMBER: _ClassVar[int]
    FIRST_AUDIO_LATENCY_FIELD_NUMBER: _ClassVar[int]
    reply: str
    usage: ChatUsage
    memory_outcomes: _containers.RepeatedCompositeFieldContainer[MemoryOutcome]
    finish_reason: str
    audio_duration: _duration_pb2.Duration
    first_audio_latency: _duration_pb2.Duration
    def __init__(self, reply: _Optional[str] = ..., usage: _Optional[_Union[ChatUsage, _Mapping]] = ..., memory_outcomes: _Optional[_Iterable[_Union[MemoryOutcome, _Mapping]]] = ..., finish_reason: _Optional[str] = ..., audio_duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., first_audio_latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class VoiceChatResponse(_message.Message):
    __slots__ = ("turn", "conversation_id", "sequence", "transcript", "delta", "audio", "interrupted", "done", "error", "tool_call")
    TURN_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    turn: int
    conversation_id: str
    sequence: int
    transcript: VoiceTranscript
    delta: str
    audio: VoiceAudio
    interrupted: VoiceInterrupted
    done: VoiceTurnDone
    error: str
    tool_call: ChatToolCall
    def __init__(self, turn: _Optional[int] = ..., conversation_id: _Optional[str] = ..., sequence: _Optional[int] = ..., transcript: _Optional[_Union[VoiceTranscript, _Mapping]] = ..., delta: _Optional[str] = ..., audio: _Optional[_Union[VoiceAudio, _Mapping]] = ..., interrupted: _Optional[_Union[VoiceInterrupted, _Mapping]] = ..., done: _Optional[_Union[VoiceTurnDone, _Mapping]] = ..., error: _Optional[str] = ..., tool_call: _Optional[_Union[ChatToolCall, _Mapping]] = ...) -> None: ...
