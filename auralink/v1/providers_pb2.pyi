from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProviderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROVIDER_TYPE_UNSPECIFIED: _ClassVar[ProviderType]
    PROVIDER_TYPE_OPENAI: _ClassVar[ProviderType]
    PROVIDER_TYPE_ANTHROPIC: _ClassVar[ProviderType]
    PROVIDER_TYPE_GEMINI: _ClassVar[ProviderType]
    PROVIDER_TYPE_AZURE: _ClassVar[ProviderType]
    PROVIDER_TYPE_BEDROCK: _ClassVar[ProviderType]
    PROVIDER_TYPE_OLLAMA: _ClassVar[ProviderType]
    PROVIDER_TYPE_OPENAI_COMPATIBLE: _ClassVar[ProviderType]
    PROVIDER_TYPE_LOCAL: _ClassVar[ProviderType]

class KeyScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KEY_SCOPE_UNSPECIFIED: _ClassVar[KeyScope]
    KEY_SCOPE_USER: _ClassVar[KeyScope]
    KEY_SCOPE_ORG: _ClassVar[KeyScope]

class BudgetScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUDGET_SCOPE_UNSPECIFIED: _ClassVar[BudgetScope]
    BUDGET_SCOPE_USER: _ClassVar[BudgetScope]
    BUDGET_SCOPE_ORG: _ClassVar[BudgetScope]
    BUDGET_SCOPE_AGENT: _ClassVar[BudgetScope]

class BudgetPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUDGET_PERIOD_UNSPECIFIED: _ClassVar[BudgetPeriod]
    BUDGET_PERIOD_DAY: _ClassVar[BudgetPeriod]
    BUDGET_PERIOD_WEEK: _ClassVar[BudgetPeriod]
    BUDGET_PERIOD_MONTH: _ClassVar[BudgetPeriod]
    BUDGET_PERIOD_TOTAL: _ClassVar[BudgetPeriod]
PROVIDER_TYPE_UNSPECIFIED: ProviderType
PROVIDER_TYPE_OPENAI: ProviderType
PROVIDER_TYPE_ANTHROPIC: ProviderType
PROVIDER_TYPE_GEMINI: ProviderType
PROVIDER_TYPE_AZURE: ProviderType
PROVIDER_TYPE_BEDROCK: ProviderType
PROVIDER_TYPE_OLLAMA: ProviderType
PROVIDER_TYPE_OPENAI_COMPATIBLE: ProviderType
PROVIDER_TYPE_LOCAL: ProviderType
KEY_SCOPE_UNSPECIFIED: KeyScope
KEY_SCOPE_USER: KeyScope
KEY_SCOPE_ORG: KeyScope
BUDGET_SCOPE_UNSPECIFIED: BudgetScope
BUDGET_SCOPE_USER: BudgetScope
BUDGET_SCOPE_ORG: BudgetScope
BUDGET_SCOPE_AGENT: BudgetScope
BUDGET_PERIOD_UNSPECIFIED: BudgetPeriod
BUDGET_PERIOD_DAY: BudgetPeriod
BUDGET_PERIOD_WEEK: BudgetPeriod
BUDGET_PERIOD_MONTH: BudgetPeriod
BUDGET_PERIOD_TOTAL: BudgetPeriod

class Provider(_message.Message):
    __slots__ = ("id", "name", "type", "base_url", "default_model", "models", "priority", "enabled", "timeout", "settings", "create_time", "update_time", "etag", "has_key", "builtin")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_MODEL_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    HAS_KEY_FIELD_NUMBER: _ClassVar[int]
    BUILTIN_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    type: ProviderType
    base_url: str
    default_model: str
    models: _containers.RepeatedScalarFieldContainer[str]
    priority: int
    enabled: bool
    timeout: _duration_pb2.Duration
    settings: _struct_pb2.Struct
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    has_key: bool
    builtin: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[_Union[ProviderType, str]] = ..., base_url: _Optional[str] = ..., default_model: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ..., priority: _Optional[int] = ..., enabled: bool = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., has_key: bool = ..., builtin: bool = ...) -> None: ...

class CreateProviderRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: Provider
    def __init__(self, provider: _Optional[_Union[Provider, _Mapping]] = ...) -> None: ...

class GetProviderRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class ListProvidersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProvidersResponse(_message.Message):
    __slots__ = ("providers", "next_page_token")
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[Provider]
    next_page_token: str
    def __init__(self, providers: _Optional[_Iterable[_Union[Provider, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateProviderRequest(_message.Message):
    __slots__ = ("provider", "update_mask")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    provider: Provider
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, provider: _Optional[_Union[Provider, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteProviderRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class DeleteProviderResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ProviderKeyInfo(_message.Message):
    __slots__ = ("id", "provider", "scope", "label", "fingerprint", "kek_id", "create_time", "last_used_time", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    KEK_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_TIME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    provider: str
    scope: KeyScope
    label: str
    fingerprint: str
    kek_id: str
    create_time: _timestamp_pb2.Timestamp
    last_used_time: _timestamp_pb2.Timestamp
    user_id: str
    def __init__(self, id: _Optional[str] = ..., provider: _Optional[str] = ..., scope: _Optional[_Union[KeyScope, str]] = ..., label: _Optional[str] = ..., fingerprint: _Optional[str] = ..., kek_id: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., user_id: _Optional[str] = ...) -> None: ...

class SetProviderKeyRequest(_message.Message):
    __slots__ = ("provider", "api_key", "scope", "label")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    provider: str
    api_key: str
    scope: KeyScope
    label: str
    def __init__(self, provider: _Optional[str] = ..., api_key: _Optional[str] = ..., scope: _Optional[_Union[KeyScope, str]] = ..., label: _Optional[str] = ...) -> None: ...

class ListProviderKeysRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class ListProviderKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ProviderKeyInfo]
    def __init__(self, keys: _Optional[_Iterable[_Union[ProviderKeyInfo, _Mapping]]] = ...) -> None: ...

class DeleteProviderKeyRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteProviderKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ValidateProviderKeyRequest(_message.Message):
    __slots__ = ("provider", "api_key", "model")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    provider: str
    api_key: str
    model: str
    def __init__(self, provider: _Optional[str] = ..., api_key: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class ValidateProviderKeyResponse(_message.Message):
    __slots__ = ("valid", "message", "fingerprint", "model", "latency")
    VALID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    message: str
    fingerprint: str
    model: str
    latency: _duration_pb2.Duration
    def __init__(self, valid: bool = ..., message: _Optional[str] = ..., fingerprint: _Optional[str] = ..., model: _Optional[str] = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RotateKeyEncryptionKeyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RotateKeyEncryptionKeyResponse(_message.Message):
    __slots__ = ("previous_kek_id", "kek_id", "keys_rewrapped")
    PREVIOUS_KEK_ID_FIELD_NUMBER: _ClassVar[int]
    KEK_ID_FIELD_NUMBER: _ClassVar[int]
    KEYS_REWRAPPED_FIELD_NUMBER: _ClassVar[int]
    previous_kek_id: str
    kek_id: str
    keys_rewrapped: int
    def __init__(self, previous_kek_id: _Optional[str] = ..., kek_id: _Optional[str] = ..., keys_rewrapped: _Optional[int] = ...) -> None: ...

class Budget(_message.Message):
    __slots__ = ("id", "scope", "subject_id", "period", "limit_usd", "spent_usd", "period_start", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    SPENT_USD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    scope: BudgetScope
    subject_id: str
    period: BudgetPeriod
    limit_usd: float
    spent_usd: float
    period_start: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., scope: _Optional[_Union[BudgetScope, str]] = ..., subject_id: _Optional[str] = ..., period: _Optional[_Union[BudgetPeriod, str]] = ..., limit_usd: _Optional[float] = ..., spent_usd: _Optional[float] = ..., period_start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetBudgetRequest(_message.Message):
    __slots__ = ("budget",)
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    budget: Budget
    def __init__(self, budget: _Optional[_Union[Budget, _Mapping]] = ...) -> None: ...

class ListBudgetsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListBudgetsResponse(_message.Message):
    __slots__ = ("budgets",)
    BUDGETS_FIELD_NUMBER: _ClassVar[int]
    budgets: _containers.RepeatedCompositeFieldContainer[Budget]
    def __init__(self, budgets: _Optional[_Iterable[_Union[Budget, _Mapping]]] = ...) -> None: ...

class DeleteBudgetRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteBudgetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetUsageRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "workflow_run_id")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    workflow_run_id: str
    def __init__(self, start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., workflow_run_id: _Optional[str] = ...) -> None: ...

class UsageRow(_message.Message):
    __slots__ = ("agent_id", "user_id", "provider", "model", "calls", "prompt_tokens", "completion_tokens", "cost_usd", "failovers", "operation", "audio_seconds", "characters")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    FAILOVERS_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    AUDIO_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    user_id: str
    provider: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    failovers: int
    operation: str
    audio_seconds: float
    characters: int
    def __init__(self, agent_id: _Optional[str] = ..., user_id: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., calls: _Optional[int] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ..., failovers: _Optional[int] = ..., operation: _Optional[str] = ..., audio_seconds: _Optional[float] = ..., characters: _Optional[int] = ...) -> None: ...

class GetUsageResponse(_message.Message):
    __slots__ = ("rows", "total_cost_usd", "total_tokens")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_USD_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[UsageRow]
    total_cost_usd: float
    total_tokens: int
    def __init__(self, rows: _Optional[_Iterable[_Union[UsageRow, _Mapping]]] = ..., total_cost_usd: _Optional[float] = ..., total_tokens: _Optional[int] = ...) -> None: ...

class ChatMessage(_message.Message):
    __slots__ = ("role", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class CompleteRequest(_message.Message):
    __slots__ = ("messages", "models", "max_tokens", "temperature", "task_type", "latency_target", "agent_id")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_TARGET_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[ChatMessage]
    models: _containers.RepeatedScalarFieldContainer[str]
    max_tokens: int
    temperature: float
    task_type: str
    latency_target: _duration_pb2.Duration
    agent_id: str
    def __init__(self, messages: _Optional[_Iterable[_Union[ChatMessage, _Mapping]]] = ..., models: _Optional[_Iterable[str]] = ..., max_tokens: _Optional[int] = ..., temperature: _Optional[float] = ..., task_type: _Optional[str] = ..., latency_target: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., agent_id: _Optional[str] = ...) -> None: ...

class Attempt(_message.Message):
    __slots__ = ("model", "error", "latency")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    model: str
    error: str
    latency: _duration_pb2.Duration
    def __init__(self, model: _Optional[str] = ..., error: _Optional[str] = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CompletionUsage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens", "cost_usd", "latency", "failovers")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    FAILOVERS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency: _duration_pb2.Duration
    failovers: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ..., latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., failovers: _Optional[int] = ...) -> None: ...

class CompleteResponse(_message.Message):
    __slots__ = ("text", "model", "finish_reason", "usage", "attempts")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    text: str
    model: str
    finish_reason: str
    usage: CompletionUsage
    attempts: _containers.RepeatedCompositeFieldContainer[Attempt]
    def __init__(self, text: _Optional[str] = ..., model: _Optional[str] = ..., finish_reason: _Optional[str] = ..., usage: _Optional[_Union[CompletionUsage, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[Attempt, _Mapping]]] = ...) -> None: ...

class CompleteChunk(_message.Message):
    __slots__ = ("delta", "done", "model", "finish_reason", "usage", "attempts")
    DELTA_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    delta: str
    done: bool
    model: str
    finish_reason: str
    usage: CompletionUsage
    attempts: _containers.RepeatedCompositeFieldContainer[Attempt]
    def __init__(self, delta: _Optional[str] = ..., done: bool = ..., model: _Optional[str] = ..., finish_reason: _Optional[str] = ..., usage: _Optional[_Union[CompletionUsage, _Mapping]] = ..., attempts: _Optional[_Iterable[_Union[Attempt, _Mapping]]] = ...) -> None: ...

class AnalyzePromptComplexityRequest(_message.Message):
    __slots__ = ("prompt", "task_type")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    task_type: str
    def __init__(self, prompt: _Optional[str] = ..., task_type: _Optional[str] = ...) -> None: ...

class AnalyzePromptComplexityResponse(_message.Message):
    __slots__ = ("score", "tier", "reasons")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    score: float
    tier: int
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, score: _Optional[float] = ..., tier: _Optional[int] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class SelectOptimalModelRequest(_message.Message):
    __slots__ = ("prompt", "task_type", "latency_target")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_TARGET_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    task_type: str
    latency_target: _duration_pb2.Duration
    def __init__(self, prompt: _Optional[str] = ..., task_type: _Optional[str] = ..., latency_target: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ModelCandidate(_message.Message):
    __slots__ = ("model", "tier", "cost_per_1k_tokens_usd", "observed_latency", "chosen", "note")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    COST_PER_1K_TOKENS_USD_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_LATENCY_FIELD_NUMBER: _ClassVar[int]
    CHOSEN_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    model: str
    tier: int
    cost_per_1k_tokens_usd: float
    observed_latency: _duration_pb2.Duration
    chosen: bool
    note: str
    def __init__(self, model: _Optional[str] = ..., tier: _Optional[int] = ..., cost_per_1k_tokens_usd: _Optional[float] = ..., observed_latency: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., chosen: bool = ..., note: _Optional[str] = ...) -> None: ...

class SelectOptimalModelResponse(_message.Message):
    __slots__ = ("model", "score", "tier", "reasons", "candidates")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    model: str
    score: float
    tier: int
    reasons: _containers.RepeatedScalarFieldContainer[str]
    candidates: _containers.RepeatedCompositeFieldContainer[ModelCandidate]
    def __init__(self, model: _Optional[str] = ..., score: _Optional[float] = ..., tier: _Optional[int] = ..., reasons: _Optional[_Iterable[str]] = ..., candidates: _Optional[_Iterable[_Union[ModelCandidate, _Mapping]]] = ...) -> None: ...

class Language(_message.Message):
    __slots__ = ("code", "name", "native_name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NATIVE_NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    native_name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., native_name: _Optional[str] = ...) -> None: ...

class ListLanguagesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListLanguagesResponse(_message.Message):
    __slots__ = ("languages",)
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    languages: _containers.RepeatedCompositeFieldContainer[Language]
    def __init__(self, languages: _Optional[_Iterable[_Union[Language, _Mapping]]] = ...) -> None: ...

class TranslateRequest(_message.Message):
    __slots__ = ("text", "target_language", "source_language", "context", "glossary", "model", "max_tokens")
    class GlossaryEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TARGET_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    GLOSSARY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    text: str
    target_language: str
    source_language: str
    context: str
    glossary: _containers.ScalarMap[str, str]
    model: str
    max_tokens: int
    def __init__(self, text: _Optional[str] = ..., target_language: _Optional[str] = ..., source_language: _Optional[str] = ..., context: _Optional[str] = ..., glossary: _Optional[_Mapping[str, str]] = ..., model: _Optional[str] = ..., max_tokens: _Optional[int] = ...) -> None: ...

class TranslateResponse(_message.Message):
    __slots__ = ("text", "source_language", "target_language", "model", "usage")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TARGET_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    text: str
    source_language: str
    target_language: str
    model: str
    usage: CompletionUsage
    def __init__(self, text: _Optional[str] = ..., source_language: _Optional[str] = ..., target_language: _Optional[str] = ..., model: _Optional[str] = ..., usage: _Optional[_Union[CompletionUsage, _Mapping]] = ...) -> None: ...

class BatchTranslateRequest(_message.Message):
    __slots__ = ("texts", "target_language", "source_language", "context", "glossary", "model", "max_tokens")
    class GlossaryEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    TARGET_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    GLOSSARY_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedScalarFieldContainer[str]
    target_language: str
    source_language: str
    context: str
    glossary: _containers.ScalarMap[str, str]
    model: str
    max_tokens: int
    def __init__(self, texts: _Optional[_Iterable[str]] = ..., target_language: _Optional[str] = ..., source_language: _Optional[str] = ..., context: _Optional[str] = ..., glossary: _Optional[_Mapping[str, str]] = ..., model: _Optional[str] = ..., max_tokens: _Optional[int] = ...) -> None: ...

class BatchTranslateResponse(_message.Message):
    __slots__ = ("translations",)
    TRANSLATIONS_FIELD_NUMBER: _ClassVar[int]
    translations: _containers.RepeatedCompositeFieldContainer[TranslateResponse]
    def __init__(self, translations: _Optional[_Iterable[_Union[TranslateResponse, _Mapping]]] = ...) -> None: ...
