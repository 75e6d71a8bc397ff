"""The hash chain: each row's hash is sha256(previous hash || its own canonical content).

Canonical content is JSON with sorted keys and fixed separators over the columns that matter, so a
row edited by hand (any column) or a row removed from the middle breaks the chain at that point.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = b"\x00" * 32
CHAINED_FIELDS = (
    "id", "organization_id", "actor_user_id", "actor_type", "action", "resource_type", "resource_id",
    "outcome", "request_id", "ip_address", "user_agent", "metadata", "created_at",
)  # fmt: skip


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return str(value)


def canonical(row: dict[str, Any]) -> bytes:
    content = {name: _normalise(row.get(name)) for name in CHAINED_FIELDS}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(prev_hash: bytes | None, row: dict[str, Any]) -> bytes:
    return hashlib.sha256((prev_hash or GENESIS) + canonical(row)).digest()
