"""Stable JSON shapes of API messages, for `-o json` / `-o yaml`. Tests pin them.

Rules, for every message:
- every field is present, under its proto (snake_case) name; unset messages show their defaults;
- enums are their short names: "SERVING", not "SERVING_STATE_SERVING" (unknown numbers stay ints);
- integers stay integers (json_format would turn (u)int64 into strings);
- google.protobuf.Duration is seconds as a float; Timestamp is an RFC 3339 string, null when unset;
- Struct/Value/ListValue are plain JSON; bytes are base64 strings;
- proto3 `optional` fields that are unset are null.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

_STRUCT_TYPES = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}


def enum_prefix(enum: EnumDescriptor) -> str:
    """The prefix that AIP-126 enums repeat in every value: "SERVING_STATE_" for ServingState."""
    zero = enum.values_by_number.get(0)
    if zero is not None and zero.name.endswith("_UNSPECIFIED"):
        return zero.name[: -len("UNSPECIFIED")]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def enum_name(enum: EnumDescriptor, number: int) -> str | int:
    value = enum.values_by_number.get(number)
    if value is None:
        return number
    prefix = enum_prefix(enum)
    return value.name[len(prefix) :] if value.name.startswith(prefix) else value.name


def message_to_dict(msg: Message) -> dict[str, Any]:
    """The stable dict for any message, following the module's rules."""
    out: dict[str, Any] = {}
    for fd in msg.DESCRIPTOR.fields:
        value = getattr(msg, fd.name)
        if _is_map(fd):
            value_fd = fd.message_type.fields_by_name["value"]
            out[fd.name] = {str(k): _scalar_or_message(value_fd, v) for k, v in value.items()}
        elif _is_repeated(fd):
            out[fd.name] = [_scalar_or_message(fd, v) for v in value]
        elif fd.has_presence and not msg.HasField(fd.name) and not _is_plain_message(fd):
            out[fd.name] = None  # unset optional scalar, or unset Timestamp/Duration/Struct
        else:
            out[fd.name] = _scalar_or_message(fd, value)
    return out


def _is_repeated(fd: FieldDescriptor) -> bool:
    # FieldDescriptor.is_repeated is newer than protobuf 5.29; label is deprecated after it.
    is_repeated = getattr(fd, "is_repeated", None)
    return bool(is_repeated) if is_repeated is not None else fd.label == FieldDescriptor.LABEL_REPEATED


def _is_map(fd: FieldDescriptor) -> bool:
    return fd.type == FieldDescriptor.TYPE_MESSAGE and _is_repeated(fd) and fd.message_type.GetOptions().map_entry


def _is_plain_message(fd: FieldDescriptor) -> bool:
    """A message field of our own API (shown with defaults when unset), not a well-known type."""
    if fd.type != FieldDescriptor.TYPE_MESSAGE:
        return False
    full_name = fd.message_type.full_name
    return not full_name.startswith("google.protobuf.")


def _scalar_or_message(fd: FieldDescriptor, value: Any) -> Any:
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        return _message_value(fd.message_type, value)
    if fd.type == FieldDescriptor.TYPE_ENUM:
        return enum_name(fd.enum_type, value)
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    return value


def _message_value(desc: Descriptor, value: Message) -> Any:
    name = desc.full_name
    if name == "google.protobuf.Duration":
        return value.seconds + value.nanos / 1e9
    if name == "google.protobuf.Timestamp":
        return value.ToJsonString()
    if name in _STRUCT_TYPES:
        from google.protobuf import json_format

        return json_format.MessageToDict(value)
    if name.startswith("google.protobuf.") and name.endswith("Value") and "value" in desc.fields_by_name:
        return value.value  # wrappers: Int64Value and friends
    return message_to_dict(value)
