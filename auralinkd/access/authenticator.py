"""From a bearer credential (a JWT or an API key) to a Principal with its current permissions."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from auralinkd.access import apikeys, store
from auralinkd.access.denylist import Denylist
from auralinkd.access.principal import Principal
from auralinkd.access.tokens import TokenService
from auralinkd.bus import EventBus
from auralinkd.db.database import Database, Tenant
from auralinkd.errors import Unauthenticated, Unavailable
from auralinkd.rbac.resolver import PermissionResolver

API_KEY_REVOKED_TOPIC = "access.apikey.revoked"
# What a verified token may do while roles cannot be read (start-up, database outage): see status.
OFFLINE_PERMISSIONS = frozenset({"system:read", "system:ping", "events:watch"})
_API_KEY_CACHE_S = 30.0


@dataclass(frozen=True)
class _KeyIdentity:
    key_id: UUID
    prefix: str
    user_id: UUID
    org_id: UUID
    scopes: frozenset[str] | None
    expires_at: datetime | None


class Authenticator:
    def __init__(
        self,
        tokens: TokenService,
        resolver: PermissionResolver,
        denylist: Denylist,
        database: Database,
        bus: EventBus,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens = tokens
        self._resolver = resolver
        self._denylist = denylist
        self._database = database
        self._bus = bus
        self._clock = clock
        self._keys: OrderedDict[str, tuple[float, _KeyIdentity]] = OrderedDict()

    async def authenticate(self, credential: str) -> Principal:
        if apikeys.looks_like_key(credential):
            key = await self._api_key(credential)
            user_id, org_id, scopes = key.user_id, key.org_id, key.scopes
            credential_id, credential_type, node_id = key.prefix, "api_key", None
        else:
            claims = self.tokens.verify(credential)
            if claims.token_id in self._denylist:
                raise Unauthenticated("token revoked")
            user_id, org_id, scopes = claims.user_id, claims.org_id, claims.scopes
            credential_id, credential_type, node_id = claims.token_id, "token", claims.node_id
        effective = await self._resolver.effective(user_id, org_id)
        if effective is None or not effective.active:
            # Also a credential whose org claim is not the user's organization: it is good nowhere.
            raise Unauthenticated(
                "the credential's user is deactivated, no longer exists, or is not a member of its organization"
            )
        return Principal(user_id, org_id, effective.permissions, credential_id, credential_type, scopes, node_id)

    def authenticate_offline(self, credential: str, permission: str) -> Principal:
        """Without the database: a valid, unrevoked token may read status, nothing else."""
        if apikeys.looks_like_key(credential):
            raise Unavailable("API keys cannot be checked while the database is unavailable; use a token")
        claims = self.tokens.verify(credential)
        if claims.token_id in self._denylist:
            raise Unauthenticated("token revoked")
        granted = frozenset({permission}) & OFFLINE_PERMISSIONS
        return Principal(claims.user_id, claims.org_id, granted, claims.token_id, "token", claims.scopes)

    async def _api_key(self, full_key: str) -> _KeyIdentity:
        digest = hashlib.sha256(full_key.encode()).hexdigest()
        cached = self._keys.get(digest)
        if cached is not None and self._clock() < cached[0]:
            identity = cached[1]
        else:
            identity = await self._load_key(full_key)
            self._keys[digest] = (self._clock() + _API_KEY_CACHE_S, identity)
            if len(self._keys) > 4096:
                self._keys.popitem(last=False)
        if identity.expires_at is not None and identity.expires_at <= datetime.now(UTC):
            raise Unauthenticated("API key expired")
        return identity

    async def _load_key(self, full_key: str) -> _KeyIdentity:
        prefix = apikeys.prefix_of(full_key)
        async with self._database.anonymous() as conn:
            row = await store.find_api_key(conn, prefix)
        if row is None or not apikeys.matches(full_key, row["key_hash"]):
            raise Unauthenticated("invalid API key")
        if row["revoked_at"] is not None:
            raise Unauthenticated("API key revoked")
        async with self._database.tenant(Tenant(row["user_id"], row["organization_id"])) as conn:
            await store.touch_api_key(conn, row["id"])
        scopes = frozenset(row["scopes"]) if row["scopes"] else None
        return _KeyIdentity(row["id"], prefix, row["user_id"], row["organization_id"], scopes, row["expires_at"])

    def forget_api_key(self, prefix: str) -> None:
        for digest, (_, identity) in list(self._keys.items()):
            if identity.prefix == prefix:
                del self._keys[digest]

    async def follow_api_key_revocations(self) -> None:
        await self._bus.follow(
            API_KEY_REVOKED_TOPIC, lambda event: self.forget_api_key(str(event.data.get("prefix", "")))
        )
