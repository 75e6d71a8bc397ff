"""HS256 access tokens: issued by the daemon, verified on every call, cached while valid.

A verified token is cached by its exact string until it expires, so the per-call cost is one dict look-up;
forged, tampered, expired or malformed tokens are never cached.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from uuid import UUID

import jwt

from auralinkd.access.principal import Principal
from auralinkd.errors import Unauthenticated

ISSUER = "auralinkd"
AUDIENCE = "auralink"
ALGORITHM = "HS256"
LEEWAY_S = 5


class TokenService:
    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time, cache_size: int = 4096) -> None:
        self._secret = secret
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._cache_size = cache_size

    def issue(self, user_id: UUID, org_id: UUID, permissions: Iterable[str], ttl_s: int) -> str:
        now = int(self._clock())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "org": str(org_id),
            "perms": sorted(set(permissions)),
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + ttl_s,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None:
            expires, principal = cached
            if self._clock() < expires + LEEWAY_S:
                return principal
            del self._cache[token]
        principal, expires = self._decode(token)
        self._cache[token] = (expires, principal)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal

    def expires_in(self, token: str) -> float:
        """Seconds until a valid token expires."""
        self.verify(token)
        return self._cache[token][0] - self._clock()

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
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
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        try:
            principal = Principal(
                user_id=UUID(claims["sub"]),
                org_id=UUID(claims["org"]),
                permissions=frozenset(str(p) for p in claims.get("perms", [])),
                token_id=str(claims["jti"]),
            )
        except (KeyError, ValueError, TypeError):
            raise Unauthenticated("invalid token: malformed claims") from None
        return principal, float(claims["exp"])
