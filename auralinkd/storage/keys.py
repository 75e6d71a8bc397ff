"""What an object key, a content type and a checksum may look like (checked before any byte is stored)."""

from __future__ import annotations

import re

from auralinkd.errors import InvalidArgument

MAX_KEY_BYTES = 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.{0,200})?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def validate_key(key: str, field: str = "key") -> str:
    """The key as given, or INVALID_ARGUMENT saying what a key may be."""
    if not key:
        raise InvalidArgument.for_field(field, "is required")
    if "\x00" in key:
        raise InvalidArgument.for_field(field, "must not contain a NUL character")
    size = len(key.encode())
    if size > MAX_KEY_BYTES:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_KEY_BYTES} bytes of UTF-8, got {size}")
    if _CONTROL.search(key):
        raise InvalidArgument.for_field(field, "must not contain control characters")
    if key.startswith("/"):
        raise InvalidArgument.for_field(field, "must not start with '/'")
    if any(part in (".", "..") for part in key.split("/")):
        raise InvalidArgument.for_field(field, "must not have a '.' or '..' segment")
    return key


def validate_prefix(prefix: str) -> str:
    if "\x00" in prefix or len(prefix.encode()) > MAX_KEY_BYTES:
        raise InvalidArgument.for_field("prefix", f"must be at most {MAX_KEY_BYTES} bytes without NUL")
    return prefix


def content_type(value: str, field: str = "content_type") -> str:
    value = value.strip()
    if not value:
        return DEFAULT_CONTENT_TYPE
    if len(value) > 255 or not _CONTENT_TYPE.match(value):
        raise InvalidArgument.for_field(field, f"must look like 'type/subtype', got {value[:80]!r}")
    return value


def sha256_hex(value: str, field: str = "sha256") -> str:
    value = value.strip().lower()
    if value and not _SHA256.match(value):
        raise InvalidArgument.for_field(field, "must be 64 hex digits (a SHA-256)")
    return value
