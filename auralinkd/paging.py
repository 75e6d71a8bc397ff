"""Keyset pagination shared by every List RPC: page sizes and opaque cursors (never OFFSET)."""

from __future__ import annotations

import base64
import json
from typing import Any

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
