"""The hash chain: each row's hash is sha256(previous hash || its own canonical content).

Canonical content is JSON with sorted keys and fixed separators over the columns that matter, so a
row edited by hand (any column) or a row removed from the middle breaks the chain at that point.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
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
    """The unkeyed link of rows written before the chain was keyed (and of daemons without keys)."""
    return hashlib.sha256((prev_hash or GENESIS) + canonical(row)).digest()


# -- anchoring: a key the table's writer does not have ------------------------------------------------
#
# Rows are linked with HMAC-SHA256 under a key derived from the daemon's KEK, so whoever can write the
# table (a DBA, a restored dump) cannot recompute the chain after an edit or a deletion. Rows written
# before keys existed keep their plain sha256 links; they are accepted only as the chain's prefix.
# The head of each org's chain (last id and hash) is kept MAC'd in `audit_heads`, updated in the same
# transaction as the row, so deleting the newest rows is seen too; a signed checkpoint of the head,
# printed by `audit verify` and handed back with `--checkpoint`, also catches a head rolled back to an
# older value.

KEYED_DOMAIN = b"auralink-audit-chain-v2\x00"
_HEAD_DOMAIN = b"auralink-audit-head-v1\x00"
_CHECKPOINT_DOMAIN = b"auralink-audit-checkpoint-v1\x00"
CHECKPOINT_PREFIX = "alck1"


class ChainKeys:
    """The chain's HMAC keys: the first links new rows; all of them are accepted (older KEKs)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("ChainKeys needs at least one key")
        self._keys = keys

    def link(self, prev_hash: bytes | None, row: dict[str, Any]) -> bytes:
        return hmac.new(self._keys[0], KEYED_DOMAIN + (prev_hash or GENESIS) + canonical(row), "sha256").digest()

    def links_to(self, prev_hash: bytes | None, row: dict[str, Any], hash_: bytes) -> bool:
        message = KEYED_DOMAIN + (prev_hash or GENESIS) + canonical(row)
        return any(hmac.compare_digest(hmac.new(k, message, "sha256").digest(), hash_) for k in self._keys)

    def head_mac(self, org_id: str, last_id: int, hash_: bytes) -> bytes:
        return self._mac(_HEAD_DOMAIN + f"{org_id}|{last_id}|".encode() + hash_)

    def head_is_genuine(self, org_id: str, last_id: int, hash_: bytes, mac: bytes) -> bool:
        return self._check(_HEAD_DOMAIN + f"{org_id}|{last_id}|".encode() + hash_, mac)

    def checkpoint(self, org_id: str, last_id: int, hash_: bytes, at: int) -> str:
        body = f"{org_id}.{last_id}.{hash_.hex()}.{at}"
        return f"{CHECKPOINT_PREFIX}.{body}.{self._mac(_CHECKPOINT_DOMAIN + body.encode()).hex()}"

    def read_checkpoint(self, token: str) -> Checkpoint | None:
        """The checkpoint in `token`, or None when it is malformed or not signed by one of our keys."""
        parts = token.strip().split(".")
        if len(parts) != 6 or parts[0] != CHECKPOINT_PREFIX:
            return None
        org_id, last_id, hash_hex, at, mac_hex = parts[1:]
        try:
            checkpoint = Checkpoint(org_id, int(last_id), bytes.fromhex(hash_hex), int(at))
            mac = bytes.fromhex(mac_hex)
        except ValueError:
            return None
        body = f"{org_id}.{last_id}.{hash_hex}.{at}"
        return checkpoint if self._check(_CHECKPOINT_DOMAIN + body.encode(), mac) else None

    def _mac(self, message: bytes) -> bytes:
        return hmac.new(self._keys[0], message, "sha256").digest()

    def _check(self, message: bytes, mac: bytes) -> bool:
        return any(hmac.compare_digest(hmac.new(k, message, "sha256").digest(), mac) for k in self._keys)


@dataclass(frozen=True)
class Checkpoint:
    org_id: str
    last_id: int
    hash: bytes
    at: int  # unix seconds when it was signed
