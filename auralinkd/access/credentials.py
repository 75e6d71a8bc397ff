"""Issuing and revoking tokens and API keys, with no escalation: scopes never exceed the issuer's permissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from auralinkd.access import apikeys, store
from auralinkd.access.authenticator import API_KEY_REVOKED_TOPIC, Authenticator
from auralinkd.access.denylist import Denylist
from auralinkd.access.principal import Caller, grants
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.directory.store import enter_actor_scope
from auralinkd.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from auralinkd.paging import decode_cursor, encode_cursor, page_size
from auralinkd.rbac.catalogue import Catalogue

DEFAULT_TOKEN_TTL_S = 3600
MAX_TOKEN_TTL_S = 30 * 24 * 3600
MAX_EXCHANGE_TTL_S = 3600
MAX_NAME = 100
MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime
    scopes: list[str] | None


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    user_id: UUID
    scopes: list[str] | None
    description: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class ApiKeyInfo:
    id: UUID
    name: str
    prefix: str
    user_id: UUID
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class CredentialService:
    def __init__(
        self,
        database: Database,
        authenticator: Authenticator,
        denylist: Denylist,
        audit: AuditLog,
        bus: EventBus,
        catalogue: Catalogue,
    ) -> None:
        self._database = database
        self._authenticator = authenticator
        self._denylist = denylist
        self._audit = audit
        self._bus = bus
        self._catalogue = catalogue

    # -- tokens ---------------------------------------------------------------------------------

    def _checked_scopes(
        self, caller: Caller, scopes: list[str], field: str = "scopes", for_self: bool = True
    ) -> list[str] | None:
        """The scopes of a new credential: never beyond the caller's own, and a scoped caller's by default."""
        if not scopes:
            # A scoped credential cannot mint an unscoped one: that would widen it to all the user's permissions.
            return sorted(caller.principal.scopes) if caller.principal.scopes is not None else None
        valid = self._catalogue.validate(scopes, field)
        principal = caller.principal
        # Within the caller's own scopes, for the caller themselves, a new credential reaches no further.
        own = principal.scopes if for_self and principal.scopes is not None else frozenset()
        beyond = [s for s in valid if not principal.can(s) and not grants(own, s)]
        if beyond:
            raise PermissionDenied(f"cannot grant scopes you do not hold: {', '.join(beyond)}")
        return valid

    async def issue_token(
        self, caller: Caller, *, ttl_s: int, scopes: list[str], user: str, description: str
    ) -> IssuedToken:
        ttl = ttl_s or DEFAULT_TOKEN_TTL_S
        if not 60 <= ttl <= MAX_TOKEN_TTL_S:
            raise InvalidArgument.for_field("ttl_seconds", f"must be between 60 and {MAX_TOKEN_TTL_S}, got {ttl}")
        if len(description) > MAX_DESCRIPTION:
            raise InvalidArgument.for_field("description", f"must be at most {MAX_DESCRIPTION} characters")
        subject = await self._subject(caller, user)
        checked = self._checked_scopes(caller, scopes, for_self=subject == caller.principal.user_id)
        if subject != caller.principal.user_id and checked is None:
            # A token for someone else carries only what the issuer may hand out: require explicit scopes.
            raise InvalidArgument.for_field("scopes", "are required when issuing a token for another user")
        async with self._issuing(caller, subject) as (conn, subject_org):
            # The token always names the subject's own organization: a token is only ever good there.
            token, claims = self._authenticator.tokens.issue(subject, subject_org, checked, ttl)
            expires = datetime.fromtimestamp(claims.expires_at, UTC)
            await store.record_token(
                conn, org_id=subject_org, user_id=subject, token_id=claims.token_id, scopes=checked,
                description=description, issued_at=datetime.fromtimestamp(claims.issued_at, UTC), expires_at=expires,
                api_key_id=await self._origin(conn, caller),
            )  # fmt: skip
            metadata = {"subject": str(subject), "scopes": checked or ["(all)"], "ttl_s": ttl}
            if subject_org != caller.principal.org_id:
                metadata["organization_id"] = str(subject_org)
            await self._audit.record(
                conn, caller, "CredentialService/IssueToken", "token", claims.token_id, metadata=metadata
            )
        return IssuedToken(token, claims.token_id, expires, checked)

    @asynccontextmanager
    async def _issuing(self, caller: Caller, subject: UUID) -> AsyncIterator[tuple[asyncpg.Connection, UUID]]:
        """The transaction that records a token for `subject`, and the subject's organization.

        Anyone issues within their own organization (RLS: another org's user does not exist for them,
        NOT_FOUND). A platform operator may issue for a user of any organization: the look-up and the
        record then run on a system transaction carrying the operator's audit scope.
        """
        if subject == caller.principal.user_id:
            async with self._database.tenant(caller.tenant) as conn:
                yield conn, caller.principal.org_id
            return
        async with self._database.tenant(caller.tenant) as conn:
            org = await store.user_organization(conn, subject)
            if org is not None:
                yield conn, org
                return
        if not caller.principal.is_platform_admin:
            raise NotFound(f"no user {subject} in your organization")
        # system(): a platform operator issuing for another organization's user (looked up by id only).
        async with self._database.system() as conn:
            org = await store.user_organization(conn, subject)
            if org is None:
                raise NotFound(f"no user {subject}")
            await enter_actor_scope(conn, caller.tenant)
            yield conn, org

    @staticmethod
    async def _origin(conn: asyncpg.Connection, caller: Caller) -> UUID | None:
        """The API key behind the caller's credential, if any: tokens minted with it die with it."""
        principal = caller.principal
        return await store.origin_api_key(conn, principal.credential_type, principal.credential_id)

    async def issue_node_token(self, caller: Caller, node_id: str, scopes: list[str], ttl_s: int) -> IssuedToken:
        """A credential that acts only as one mesh node, for the caller who registers it.

        Call it inside the registration flow; the scopes must be ones the caller holds.
        """
        checked = self._checked_scopes(caller, scopes) or []
        if not checked:
            raise InvalidArgument.for_field("scopes", "a node token needs explicit scopes")
        token, claims = self._authenticator.tokens.issue(
            caller.principal.user_id, caller.principal.org_id, checked, ttl_s, node_id=node_id
        )
        expires = datetime.fromtimestamp(claims.expires_at, UTC)
        async with self._database.tenant(caller.tenant) as conn:
            await store.record_token(
                conn, org_id=caller.principal.org_id, user_id=caller.principal.user_id, token_id=claims.token_id,
                scopes=checked, description=f"mesh node {node_id}",
                issued_at=datetime.fromtimestamp(claims.issued_at, UTC), expires_at=expires,
                api_key_id=await self._origin(conn, caller),
            )  # fmt: skip
            await self._audit.record(conn, caller, "CredentialService/IssueNodeToken", "mesh_node", node_id,
                                     metadata={"token_id": claims.token_id, "scopes": checked})  # fmt: skip
        return IssuedToken(token, claims.token_id, expires, checked)

    async def _subject(self, caller: Caller, user: str) -> UUID:
        if not user:
            return caller.principal.user_id
        if not caller.principal.is_org_admin:
            raise PermissionDenied("only an org admin may act for another user")
        try:
            return UUID(user)
        except ValueError:
            raise InvalidArgument.for_field("user", f"must be a user id, got {user!r}") from None

    async def list_tokens(
        self, caller: Caller, *, user: str, include_revoked: bool, requested_size: int, token: str
    ) -> tuple[list[TokenInfo], str]:
        size = page_size(requested_size)
        cursor = decode_cursor(token)
        before = (datetime.fromisoformat(cursor["t"]), str(cursor["id"])) if cursor else None
        subject = await self._subject(caller, user)
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_tokens(conn, subject, include_revoked, before, size + 1)
        infos = [
            TokenInfo(r["jti"], r["user_id"], r["scopes"], r["description"] or "", r["created_at"],
                      r["expires_at"], r["revoked_at"])
            for r in rows[:size]
        ]  # fmt: skip
        next_token = ""
        if len(rows) > size:
            next_token = encode_cursor({"t": infos[-1].created_at.isoformat(), "id": infos[-1].token_id})
        return infos, next_token

    async def revoke_token(self, caller: Caller, token_id: str, reason: str) -> None:
        if not token_id or len(token_id) > 64:
            raise InvalidArgument.for_field("token_id", "must be a token id (see `auralink tokens list`)")
        if len(reason) > MAX_DESCRIPTION:
            raise InvalidArgument.for_field("reason", f"must be at most {MAX_DESCRIPTION} characters")
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.find_token(conn, token_id)
            if row is None:
                raise NotFound(f"no token {token_id!r}")
            await store.revoke_token(
                conn, token_id=token_id, org_id=row["organization_id"], user_id=row["user_id"],
                expires_at=row["expires_at"], reason=reason,
            )  # fmt: skip
            await self._audit.record(conn, caller, "CredentialService/RevokeToken", "token", token_id,
                                     metadata={"reason": reason})  # fmt: skip
        remaining = int((row["expires_at"] - datetime.now(UTC)).total_seconds())
        await self._denylist.announce(token_id, remaining, org=row["organization_id"])

    # -- API keys -------------------------------------------------------------------------------

    async def create_api_key(
        self, caller: Caller, *, name: str, scopes: list[str], ttl_s: int
    ) -> tuple[ApiKeyInfo, str]:
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidArgument.for_field("name", f"must be 1 to {MAX_NAME} characters")
        if ttl_s < 0:
            raise InvalidArgument.for_field("ttl_seconds", f"must be >= 0 (0: never expires), got {ttl_s}")
        checked = self._checked_scopes(caller, scopes) or []
        new = apikeys.generate()
        expires = datetime.now(UTC) + timedelta(seconds=ttl_s) if ttl_s else None
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.insert_api_key(
                conn, org_id=caller.principal.org_id, user_id=caller.principal.user_id, name=name,
                prefix=new.prefix, key_hash=new.stored_hash, scopes=checked, expires_at=expires,
            )  # fmt: skip
            await self._audit.record(conn, caller, "CredentialService/CreateApiKey", "api_key", str(row["id"]),
                                     metadata={"prefix": new.prefix, "scopes": checked or ["(all)"]})  # fmt: skip
        return _api_key(row), new.secret

    async def list_api_keys(
        self, caller: Caller, *, include_revoked: bool, requested_size: int, token: str
    ) -> tuple[list[ApiKeyInfo], str]:
        size = page_size(requested_size)
        cursor = decode_cursor(token)
        before = (datetime.fromisoformat(cursor["t"]), UUID(cursor["id"])) if cursor else None
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_api_keys(conn, include_revoked, before, size + 1)
        keys = [_api_key(r) for r in rows[:size]]
        next_token = (
            encode_cursor({"t": keys[-1].created_at.isoformat(), "id": str(keys[-1].id)}) if len(rows) > size else ""
        )
        return keys, next_token

    async def revoke_api_key(self, caller: Caller, key: str) -> None:
        if not key or len(key) > 64:
            raise InvalidArgument.for_field("api_key", "must be an API key id or prefix")
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.revoke_api_key(conn, key)
            if row is None:
                raise NotFound(f"no API key {key!r}")
            # The cascade: every live token obtained with the key goes with it, in the same transaction.
            derived = await store.live_tokens_of_api_key(conn, row["id"])
            for token in derived:
                await store.revoke_token(
                    conn, token_id=token["jti"], org_id=token["organization_id"], user_id=token["user_id"],
                    expires_at=token["expires_at"], reason=f"API key {row['prefix']} revoked",
                )  # fmt: skip
            await self._audit.record(
                conn, caller, "CredentialService/RevokeApiKey", "api_key", str(row["id"]),
                metadata={"prefix": row["prefix"], "tokens_revoked": [t["jti"] for t in derived]},
            )  # fmt: skip
        self._authenticator.forget_api_key(row["prefix"])
        await self._bus.publish(API_KEY_REVOKED_TOPIC, {"prefix": row["prefix"]}, org=caller.principal.org_id)
        now = datetime.now(UTC)
        for token in derived:  # refused here at once, on every other replica within a second
            remaining = int((token["expires_at"] - now).total_seconds())
            await self._denylist.announce(token["jti"], remaining, org=token["organization_id"])

    async def exchange_api_key(self, caller: Caller, ttl_s: int) -> IssuedToken:
        if caller.principal.credential_type != "api_key":
            raise FailedPrecondition("ExchangeApiKey must be called with an API key as the bearer credential")
        ttl = ttl_s or MAX_EXCHANGE_TTL_S
        if not 60 <= ttl <= MAX_EXCHANGE_TTL_S:
            raise InvalidArgument.for_field("ttl_seconds", f"must be between 60 and {MAX_EXCHANGE_TTL_S}, got {ttl}")
        scopes = sorted(caller.principal.scopes) if caller.principal.scopes is not None else []
        return await self.issue_token(
            caller,
            ttl_s=ttl,
            scopes=scopes,
            user="",
            description=f"exchanged from API key {caller.principal.credential_id}",
        )


def _api_key(row: object) -> ApiKeyInfo:
    r = row  # asyncpg.Record
    return ApiKeyInfo(
        r["id"], r["name"], r["prefix"], r["user_id"], list(r["scopes"] or []), r["created_at"],  # type: ignore[index]
        r["expires_at"], r["last_used_at"], r["revoked_at"],  # type: ignore[index]
    )  # fmt: skip
