"""HS256 access tokens: issued by the daemon, verified on every call, cached while valid.

A token says who (user, org), which credential (jti) and, optionally, which scopes narrow the
holder's permissions; the permissions themselves come from roles at call time, so a role change
applies to existing tokens at once. A verified token is cached by its exact string until it expires;
forged, tampered, expired or malformed tokens are never cached.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

import jwt

from auralinkd.errors import Unauthenticated

ISSUER = "auralinkd"
AUDIENCE = "auralink"
ALGORITHM = "HS256"
LEEWAY_S = 5


@dataclass(frozen=True)
class TokenClaims:
    user_id: UUID
    org_id: UUID
    token_id: str
    scopes: frozenset[str] | None
    issued_at: float
    expires_at: float
    # Set for a mesh node's credential: the token may act only as this node.
    node_id: str | None = None


class TokenService:
    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time, cache_size: int = 4096) -> None:
        self._secret = secret
        self._clock = clock
        self._cache: OrderedDict[str, TokenClaims] = OrderedDict()
        self._cache_size = cache_size

    def issue(
        self, user_id: UUID, org_id: UUID, scopes: Iterable[str] | None, ttl_s: int, node_id: str | None = None
    ) -> tuple[str, TokenClaims]:
        now = int(self._clock())
        claims = TokenClaims(
            user_id=user_id,
            org_id=org_id,
            token_id=uuid.uuid4().hex,
            scopes=frozenset(scopes) if scopes is not None else None,
            issued_at=now,
            expires_at=now + ttl_s,
            node_id=node_id,
        )
        payload: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "org": str(org_id),
            "jti": claims.token_id,
            "iat": now,
            "exp": now + ttl_s,
        }
        if claims.scopes is not None:
            payload["scp"] = sorted(claims.scopes)
        if node_id is not None:
            payload["node"] = node_id
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM), claims

    def verify(self, token: str) -> TokenClaims:
        cached = self._cache.get(token)
        if cached is not None:
            if self._clock() < cached.expires_at + LEEWAY_S:
                return cached
            del self._cache[token]
        claims = self._decode(token)
        self._cache[token] = claims
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return claims

    def _decode(self, token: str) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "sub", "jti"], "verify_iat": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired; get a new one (auralink auth login)") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("token signature is invalid") from None
        except jwt.DecodeError:  # its message is the parser's (a base64, UTF-8 or JSON exception): not shown
            raise Unauthenticated(
                "invalid token: not a well-formed token (three base64url parts: header, claims, signature)"
            ) from None
        except jwt.InvalidTokenError as exc:  # a claim that fails a check (audience, issuer, a missing claim)
            raise Unauthenticated(f"invalid token: {exc}") from None
        try:
            scopes = payload.get("scp")
            return TokenClaims(
                user_id=UUID(payload["sub"]),
                org_id=UUID(payload["org"]),
                token_id=str(payload["jti"]),
                scopes=frozenset(str(s) for s in scopes) if scopes is not None else None,
                issued_at=float(payload["iat"]),
                expires_at=float(payload["exp"]),
                node_id=str(payload["node"]) if payload.get("node") is not None else None,
            )
        except (KeyError, ValueError, TypeError):
            raise Unauthenticated("invalid token: malformed claims") from None
