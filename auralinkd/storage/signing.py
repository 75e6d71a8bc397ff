"""Signed URLs the daemon serves itself: an HMAC-SHA256 over method, org, signer, key, expiry and content type.

The signing key is derived from the JWT secret, which every replica of a deployment shares, so any
replica verifies any other's URLs. A URL used with another method, for another key or org, after its
expiry, or with any part changed fails verification (403).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import quote
from uuid import UUID

PATH_PREFIX = "/storage/v1/objects/"
_CONTEXT = b"auralink storage signed url v1"


@dataclass(frozen=True)
class SignedRequest:
    """What a signed URL grants: `method` on `key` of `org_id`, acting as `user_id`, until `expires`."""

    method: str
    org_id: UUID
    user_id: UUID
    key: str
    expires: int
    content_type: str = ""


class UrlSigner:
    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, _CONTEXT, hashlib.sha256).digest()

    def _mac(self, r: SignedRequest) -> str:
        message = "\n".join((r.method, str(r.org_id), str(r.user_id), r.key, str(r.expires), r.content_type))
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def url(self, base: str, r: SignedRequest) -> str:
        query = f"org={r.org_id}&user={r.user_id}&expires={r.expires}&signature={self._mac(r)}"
        return f"{base.rstrip('/')}{PATH_PREFIX}{quote(r.key, safe='/')}?{query}"

    def verify(self, r: SignedRequest, signature: str, now: float | None = None) -> bool:
        """True only for an unexpired request whose every signed part matches."""
        if r.expires < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self._mac(r), signature)
