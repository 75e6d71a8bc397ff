"""Keyset pagination shared by every List RPC: page sizes and opaque cursors (never OFFSET)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from auralinkd.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.for_field("page_size", f"must be >= 0, got {requested}")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> dict[str, Any] | None:
    """The position a page token stands for; None for the first page."""
    if not token:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise InvalidArgument.for_field("page_token", "is not a token this server issued") from None
    if not isinstance(value, dict):
        raise InvalidArgument.for_field("page_token", "is not a token this server issued")
    return value


def decode_time_id(token: str) -> tuple[datetime, UUID] | None:
    """The (created_at, id) position of a list ordered newest first; None for the first page."""
    cursor = decode_cursor(token)
    if cursor is None:
        return None
    try:
        return datetime.fromisoformat(cursor["t"]), UUID(cursor["i"])
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument.for_field("page_token", "is not a token this server issued") from None


def page_of(rows: list[Any], size: int) -> tuple[list[Any], str]:
    """The first `size` of `rows` (fetched as size + 1) and the token for the next page ("" at the end);
    each row has `created_at` and `id`."""
    if len(rows) <= size:
        return rows, ""
    last = rows[size - 1]
    return rows[:size], encode_cursor({"t": last["created_at"].isoformat(), "i": str(last["id"])})
