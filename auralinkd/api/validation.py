"""The one validation layer at the API boundary: every request of every service, checked from its descriptor.

The call guard runs `check(request)` after authentication and before the handler (and on each message of a
request stream), so a handler only ever sees requests that passed. A failure is INVALID_ARGUMENT with
google.rpc.BadRequest field violations that name the field ("memories[2].scope.room_id"). Nothing here is
per service: a service added later is covered by its descriptors alone.

How a field gets its bounds (the only place they are declared):

1. By type, for every field of every request message, nested messages, repeated and map fields included
   (google.protobuf.Struct and Value are walked like any message):
   - string: no NUL character, at most `DEFAULT_TEXT` characters. Valid UTF-8 is the protobuf parser's own
     check: a frame with invalid UTF-8 never decodes, and the guard answers INVALID_ARGUMENT for it.
   - double/float: finite (no NaN or infinity).
   - enum: one of the enum's declared values (proto3 keeps unknown numbers; we refuse them).
   - uint64/fixed64: at most 2**63 - 1 (what PostgreSQL's bigint holds).
   - google.protobuf.Timestamp: nanos in [0, 1e9), and between `DEFAULT_TIME_RANGE` (years 1000 to 9000:
     inside what Python's datetime and PostgreSQL hold, with room for arithmetic on either side).
   - google.protobuf.Duration: seconds and nanos of the same sign, |nanos| < 1e9, and between
     `DEFAULT_SPAN` (0 to 100 years: no request field takes a negative duration).
   - repeated and map fields: at most `DEFAULT_ITEMS` items.
2. By name, for every message: `id` and `*_id` at most `ID_TEXT` characters; the names in `REFERENCE_NAMES`
   (fields that name another resource by id or name: "agent", "node", "provider"...) at most `NAME_TEXT`;
   integers named `*_seconds` or `*_ms` are spans, so within `DEFAULT_SPAN` in their unit.
3. By declaration, in `FIELDS`, keyed by the field's full name ("auralink.v1.GetMemoryRequest.id"), for
   what the type and the name cannot say: `Bound(uuid=True)` (the id must parse as a UUID),
   `Bound(max_len=...)` (characters or bytes), `Bound(max_items=...)` (repeated fields),
   `Bound(ge=..., le=...)` (numbers; seconds for durations and Unix seconds for timestamps). A declaration
   overrides only what it sets; the rest keeps its default.

Messages in `ITEMIZED` are the exception: where they arrive as the messages of a client stream or the items of
a repeated field (heartbeat batches, compression frames), the service checks and refuses each on its own, in
that item's result slot, as API.md asks of streams; the layer then checks only their number. Requests of
those types sent alone (unary Heartbeat, CompressFrame) are checked like any other.

Semantic rules (a temperature between 0 and 2, a page size up to 500) stay in the domain services, which
say what would be right; this layer guarantees that what reaches them is well-formed and bounded.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from auralinkd.errors import FieldViolation, InvalidArgument

DEFAULT_TEXT = 65_536
ID_TEXT = 128
NAME_TEXT = 256
DEFAULT_ITEMS = 10_000
MAX_VIOLATIONS = 10
ECHO_CHARS = 40
# 1000-01-01T00:00:00Z and 9000-01-01T00:00:00Z, as Unix seconds.
DEFAULT_TIME_RANGE = (-30_610_224_000, 221_845_392_000)
DEFAULT_SPAN = (0.0, 100 * 366 * 86_400.0)
_BIGINT_MAX = 2**63 - 1

REFERENCE_NAMES = frozenset(
    {
        "name", "slug", "etag", "page_token", "organization", "user", "role", "agent", "provider",
        "node", "source", "destination", "reporter", "neighbor", "region", "label", "model",
        "embedding_model", "default_model", "email", "username", "aura_id", "action", "resource_type",
        "outcome", "task_type", "target_language", "source_language", "model_type", "topics", "tags",
        "models", "permissions", "scopes", "excluded_nodes", "traits", "federated_domains", "paths",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Bound:
    """What a declaration in FIELDS overrides; None keeps the default for the field's type and name."""

    max_len: int | None = None
    max_items: int | None = None
    uuid: bool = False
    ge: float | None = None
    le: float | None = None


ITEMIZED = frozenset(
    {"auralink.v1.HeartbeatRequest", "auralink.v1.CompressFrameRequest", "auralink.v1.DecompressFrameRequest"}
)

_U = Bound(uuid=True)
_TEXT = Bound(max_len=1_048_576)  # free text that may be long: prompts, memory content, documents

FIELDS: dict[str, Bound] = {
    # Ids that are UUIDs (fields that also accept a name are in REFERENCE_NAMES instead).
    "auralink.v1.MemoryScope.user_id": _U,
    "auralink.v1.MemoryScope.agent_id": _U,
    "auralink.v1.MemoryScope.room_id": _U,
    "auralink.v1.MemoryScope.session_id": _U,
    "auralink.v1.GetMemoryRequest.id": _U,
    "auralink.v1.DeleteMemoryRequest.id": _U,
    "auralink.v1.RestoreMemoryRequest.id": _U,
    "auralink.v1.LinkMemoriesRequest.source_id": _U,
    "auralink.v1.LinkMemoriesRequest.target_id": _U,
    "auralink.v1.UnlinkMemoriesRequest.source_id": _U,
    "auralink.v1.UnlinkMemoriesRequest.target_id": _U,
    "auralink.v1.ListRelatedMemoriesRequest.id": _U,
    "auralink.v1.CompleteRequest.agent_id": _U,
    "auralink.v1.GetUsageRequest.workflow_run_id": _U,
    "auralink.v1.DeleteProviderKeyRequest.id": _U,
    "auralink.v1.DeleteBudgetRequest.id": _U,
    "auralink.v1.GetConversationRequest.id": _U,
    "auralink.v1.DeleteConversationRequest.id": _U,
    "auralink.v1.ListAuditLogsRequest.actor_user_id": _U,
    "auralink.v1.VoiceChatConfig.conversation_id": _U,
    # Long free text.
    "auralink.v1.MemoryInput.content": _TEXT,
    "auralink.v1.RecallMemoriesRequest.query": _TEXT,
    "auralink.v1.ChatMessage.content": _TEXT,
    "auralink.v1.ChatRequest.message": _TEXT,
    "auralink.v1.Agent.system_prompt": _TEXT,
    "auralink.v1.AnalyzePromptComplexityRequest.prompt": _TEXT,
    "auralink.v1.SelectOptimalModelRequest.prompt": _TEXT,
    # Bounds the service documents in the proto.
    "auralink.v1.PingRequest.delay": Bound(le=30.0),
    "auralink.v1.WatchEventsRequest.replay": Bound(ge=0, le=1000),
    "auralink.v1.WatchAuditRequest.since_id": Bound(ge=0),
    "auralink.v1.QuarantineNodeRequest.reason": Bound(max_len=1024),
    "auralink.v1.RevokeTokenRequest.reason": Bound(max_len=1024),
    "auralink.v1.Provider.base_url": Bound(max_len=2048),
    "auralink.v1.RegisterNodeRequest.address": Bound(max_len=255),
    "auralink.v1.ListUsersRequest.filter": Bound(max_len=1024),
    "auralink.v1.VoiceChatConfig.voice": Bound(max_len=100),
    "auralink.v1.VoiceChatRequest.audio": Bound(max_len=25 * 1024 * 1024),
}


def api_services() -> list[ServiceDescriptor]:
    """Every service of our API, from the generated modules (for the fuzz test and bench, which must
    reach services added later without being told)."""
    import auralink.v1

    services: list[ServiceDescriptor] = []
    for module in pkgutil.iter_modules(auralink.v1.__path__):
        if module.name.endswith("_pb2"):
            loaded = importlib.import_module(f"auralink.v1.{module.name}")
            services += loaded.DESCRIPTOR.services_by_name.values()
    return sorted(services, key=lambda s: s.full_name)


# -- the checks, compiled once per message type -------------------------------------------------------

Check = Callable[[Any, str, list[FieldViolation]], None]


def check(request: Message) -> None:
    """Raise InvalidArgument naming every bad field (at most MAX_VIOLATIONS) of `request`, or return."""
    violations: list[FieldViolation] = []
    _plan(request.DESCRIPTOR)(request, "", violations)
    if violations:
        shown = "; ".join(f"{v.field}: {v.description}" for v in violations[:3])
        more = f" (and {len(violations) - 3} more)" if len(violations) > 3 else ""
        raise InvalidArgument(f"invalid request: {shown}{more}", violations[:MAX_VIOLATIONS])


def check_stream_message(request: Message) -> None:
    """`check` for one message of a client stream: ITEMIZED messages are left to the service."""
    if request.DESCRIPTOR.full_name not in ITEMIZED:
        check(request)


def echo(value: str, limit: int = ECHO_CHARS) -> str:
    """repr(value), shortened for an error message: status messages travel in metadata, which has a size limit."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value)} characters)"


_plans: dict[str, Check] = {}


def _plan(descriptor: Descriptor) -> Check:
    """The check for one message type: only the fields it has set are looked at (ListFields is in C)."""
    plan = _plans.get(descriptor.full_name)
    if plan is not None:
        return plan
    if descriptor.full_name == "google.protobuf.Timestamp":
        plan = _timestamp_plan(Bound())
    elif descriptor.full_name == "google.protobuf.Duration":
        plan = _duration_plan(Bound())
    else:
        fields: dict[str, Check] = {}

        def plan(message: Any, prefix: str, out: list[FieldViolation]) -> None:
            for field, value in message.ListFields():
                if len(out) >= MAX_VIOLATIONS:
                    return
                fields[field.name](value, f"{prefix}{field.name}", out)

        _plans[descriptor.full_name] = plan  # before the fields: messages may nest themselves (Struct, Value)
        fields.update({f.name: _field_check(f) for f in descriptor.fields})
    _plans[descriptor.full_name] = plan
    return plan


def _field_check(field: FieldDescriptor) -> Check:
    bound = FIELDS.get(field.full_name, Bound())
    one = _value_check(field, bound)
    if field.label != FieldDescriptor.LABEL_REPEATED:
        return one
    max_items = bound.max_items if bound.max_items is not None else DEFAULT_ITEMS
    if field.message_type is not None and field.message_type.full_name in ITEMIZED:
        one = _nothing  # the service refuses each item in its own result slot
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key_check = _value_check(field.message_type.fields_by_name["key"], Bound())
        value_check = _value_check(field.message_type.fields_by_name["value"], Bound())

        def check_map(values: Any, path: str, out: list[FieldViolation]) -> None:
            if len(values) > max_items:
                out.append(FieldViolation(path, f"must have at most {max_items} entries, got {len(values)}"))
                return
            for key, value in values.items():
                key_check(key, f"{path}.key", out)
                value_check(value, f"{path}[{echo(key) if isinstance(key, str) else key}]", out)

        return check_map

    def check_repeated(values: Any, path: str, out: list[FieldViolation]) -> None:
        if len(values) > max_items:
            out.append(FieldViolation(path, f"must have at most {max_items} items, got {len(values)}"))
            return
        for index, value in enumerate(values):
            one(value, f"{path}[{index}]", out)
            if len(out) >= MAX_VIOLATIONS:
                return

    return check_repeated


def _value_check(field: FieldDescriptor, bound: Bound) -> Check:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return _text_check(field, bound)
    if kind == FieldDescriptor.TYPE_BYTES:
        return _bytes_check(bound)
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return _float_check(bound)
    if kind == FieldDescriptor.TYPE_ENUM:
        return _enum_check(field)
    if kind == FieldDescriptor.TYPE_MESSAGE:
        name = field.message_type.full_name
        if name == "google.protobuf.Timestamp":
            return _timestamp_plan(bound)
        if name == "google.protobuf.Duration":
            return _duration_plan(bound)
        nested = field.message_type
        return lambda value, path, out: _plan(nested)(value, f"{path}.", out)
    if kind == FieldDescriptor.TYPE_BOOL:
        return _nothing
    return _int_check(field, bound)


def _nothing(value: Any, path: str, out: list[FieldViolation]) -> None:
    return None


def _text_check(field: FieldDescriptor, bound: Bound) -> Check:
    if bound.max_len is not None:
        limit = bound.max_len
    elif field.name == "id" or field.name.endswith("_id") or field.name.endswith("_ids"):
        limit = ID_TEXT
    elif field.name in REFERENCE_NAMES:
        limit = NAME_TEXT
    else:
        limit = DEFAULT_TEXT
    want_uuid = bound.uuid

    def check_text(value: str, path: str, out: list[FieldViolation]) -> None:
        if len(value) > limit:
            out.append(FieldViolation(path, f"must be at most {limit} characters, got {len(value)}"))
        elif "\x00" in value:
            out.append(FieldViolation(path, "must not contain NUL characters"))
        elif want_uuid and value:
            try:
                uuid.UUID(value)
            except ValueError:
                out.append(FieldViolation(path, f"must be a UUID, got {echo(value)}"))

    return check_text


def _bytes_check(bound: Bound) -> Check:
    if bound.max_len is None:
        return _nothing  # bounded by the server's max_message_bytes
    limit = bound.max_len

    def check_bytes(value: bytes, path: str, out: list[FieldViolation]) -> None:
        if len(value) > limit:
            out.append(FieldViolation(path, f"must be at most {limit} bytes, got {len(value)}"))

    return check_bytes


def _range_text(bound: Bound) -> str:
    if bound.ge is not None and bound.le is not None:
        return f"between {bound.ge:g} and {bound.le:g}"
    return f"at least {bound.ge:g}" if bound.ge is not None else f"at most {bound.le:g}"


def _out_of_range(value: float, bound: Bound) -> bool:
    return (bound.ge is not None and value < bound.ge) or (bound.le is not None and value > bound.le)


def _float_check(bound: Bound) -> Check:
    def check_float(value: float, path: str, out: list[FieldViolation]) -> None:
        if not math.isfinite(value):
            out.append(FieldViolation(path, f"must be a finite number, got {value}"))
        elif _out_of_range(value, bound):
            out.append(FieldViolation(path, f"must be {_range_text(bound)}, got {value:g}"))

    return check_float


def _int_check(field: FieldDescriptor, bound: Bound) -> Check:
    unsigned64 = field.type in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64)
    unit = 1.0 if field.name.endswith("_seconds") else 1000.0 if field.name.endswith("_ms") else None
    if unit is not None:  # a span: what timedelta and PostgreSQL intervals hold, with room for arithmetic
        bound = Bound(
            ge=bound.ge if bound.ge is not None else DEFAULT_SPAN[0] * unit,
            le=bound.le if bound.le is not None else DEFAULT_SPAN[1] * unit,
        )
    if not unsigned64 and bound.ge is None and bound.le is None:
        return _nothing
    limits = Bound(ge=bound.ge, le=min(bound.le, _BIGINT_MAX) if bound.le is not None else _BIGINT_MAX)

    def check_int(value: int, path: str, out: list[FieldViolation]) -> None:
        if _out_of_range(value, limits):
            out.append(FieldViolation(path, f"must be {_range_text(limits)}, got {value}"))

    return check_int


def _enum_check(field: FieldDescriptor) -> Check:
    enum = field.enum_type
    known = frozenset(enum.values_by_number)

    def check_enum(value: int, path: str, out: list[FieldViolation]) -> None:
        if value not in known:
            out.append(FieldViolation(path, f"{value} is not a value of {enum.name}"))

    return check_enum


def _timestamp_plan(bound: Bound) -> Check:
    low = bound.ge if bound.ge is not None else DEFAULT_TIME_RANGE[0]
    high = bound.le if bound.le is not None else DEFAULT_TIME_RANGE[1]

    def check_timestamp(value: Any, path: str, out: list[FieldViolation]) -> None:
        if not 0 <= value.nanos < 1_000_000_000:
            out.append(FieldViolation(path, f"nanos must be between 0 and 999999999, got {value.nanos}"))
        elif not low <= value.seconds <= high:
            out.append(FieldViolation(path, "must be between years 1000 and 9000 (seconds since 1970 out of range)"))

    return check_timestamp


def _duration_plan(bound: Bound) -> Check:
    low = bound.ge if bound.ge is not None else DEFAULT_SPAN[0]
    high = bound.le if bound.le is not None else DEFAULT_SPAN[1]

    def check_duration(value: Any, path: str, out: list[FieldViolation]) -> None:
        seconds, nanos = value.seconds, value.nanos
        if abs(nanos) >= 1_000_000_000 or (seconds > 0 > nanos) or (seconds < 0 < nanos):
            out.append(FieldViolation(path, f"is not a valid duration (seconds {seconds}, nanos {nanos})"))
            return
        total = seconds + nanos / 1e9
        if not low <= total <= high:
            out.append(FieldViolation(path, f"must be between {low:g} s and {high:g} s, got {total:g} s"))

    return check_duration
