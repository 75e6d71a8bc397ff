"""API keys for scripts and CI: `alk_<8 chars>_<secret>`, shown once, stored as a salted hash.

Keys are 256-bit random secrets, so one salted SHA-256 is enough (there is nothing to brute-force);
a slow password hash would only cost latency on every call that presents the key directly.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX_TAG = "alk_"
_PREFIX_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str  # the whole key the user keeps: prefix + "_" + random part
    stored_hash: str


def generate() -> NewKey:
    prefix = PREFIX_TAG + "".join(secrets.choice(_PREFIX_CHARS) for _ in range(8))
    full = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix, full, hash_key(full))


def hash_key(full_key: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{full_key}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def matches(full_key: str, stored_hash: str) -> bool:
    try:
        algorithm, salt, _ = stored_hash.split("$", 2)
    except ValueError:
        return False
    return algorithm == "sha256" and hmac.compare_digest(hash_key(full_key, salt), stored_hash)


def looks_like_key(credential: str) -> bool:
    return credential.startswith(PREFIX_TAG)


def prefix_of(full_key: str) -> str:
    return full_key[: len(PREFIX_TAG) + 8]
