"""Organizations, users and AuraIDs: validation, tenant scoping, optimistic concurrency and the audit trail.

Every request runs in the caller's tenant transaction, so row-level security decides what exists for
them (another org's id is simply not found). `Database.system()` is used only where a platform
operator must reach across orgs; each use says why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.db.database import Database
from auralinkd.directory import store
from auralinkd.directory import validation as check
from auralinkd.directory.events import DirectoryEvents, OrganizationChanged, UserChanged, actor
from auralinkd.directory.models import (
    AuraIdSettings,
    NewOrganization,
    NewUser,
    Organization,
    OrganizationPatch,
    Page,
    ResolvedAuraId,
    User,
    UserPatch,
)
from auralinkd.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from auralinkd.paging import decode_cursor, encode_cursor, page_size
from auralinkd.rbac.resolver import PermissionResolver

ORG_FIELDS = ("name",)
USER_FIELDS = ("display_name", "email", "base_role", "aura_id")

# Unique constraints and indexes of the schema -> what the caller is told (never the SQL text).
_DUPLICATES = {
    "uq_users_email_lower": "a user with this email already exists",
    "uq_users_org_username": "a user with this username already exists in the organization",
    "aura_id_registry_aura_id_key": "this AuraID is already taken",
    "aura_id_registry_user_id_key": "this user already has an AuraID",
    "organizations_slug_key": "an organization with this slug already exists",
}


class DirectoryService:
    def __init__(
        self, database: Database, audit: AuditLog, resolver: PermissionResolver, events: DirectoryEvents | None = None
    ) -> None:
        self._database = database
        self._audit = audit
        self._resolver = resolver
        self._events = events or DirectoryEvents(None)

    async def _org_event(self, topic: str, caller: Caller, org: Organization, fields: Sequence[str] = ()) -> None:
        payload = OrganizationChanged(str(org.id), org.slug, org.name, org.active, actor(caller), list(fields))
        await self._events.publish(topic, payload, org.id)

    async def _user_event(self, topic: str, caller: Caller, user: User, fields: Sequence[str] = ()) -> None:
        payload = UserChanged(
            str(user.id), str(user.organization_id), user.username, user.base_role, user.active, actor(caller),
            list(fields),
        )  # fmt: skip
        await self._events.publish(topic, payload, user.organization_id)

    # -- plumbing ---------------------------------------------------------------------------------

    @asynccontextmanager
    async def _connect(self, caller: Caller, *, system: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """The caller's tenant transaction, or (system=True, platform operators only) one that bypasses RLS.

        A system transaction still carries the actor's settings, so the audit row joins the actor's chain.
        """
        if not system:
            async with self._database.tenant(caller.tenant) as conn:
                yield conn
            return
        if not caller.principal.is_platform_admin and not caller.principal.can("orgs:create"):
            raise PermissionDenied("only platform operators may act across organizations")
        async with self._database.system() as conn:
            await store.enter_actor_scope(conn, caller.tenant)
            yield conn

    @asynccontextmanager
    async def _mutation(self, caller: Caller, action: str) -> AsyncIterator[None]:
        """Database refusals as domain errors; refused attempts recorded in the audit log."""
        try:
            yield
        except asyncpg.UniqueViolationError as exc:
            raise AlreadyExists(_DUPLICATES.get(exc.constraint_name or "", "this resource already exists")) from None
        except asyncpg.InsufficientPrivilegeError:  # RLS WITH CHECK or the role trigger: same as our own checks
            await self._audit.record_denied(caller, action, "refused by the database's access rules")
            raise PermissionDenied(f"{action.rsplit('/', 1)[-1]} is not allowed for this caller") from None
        except PermissionDenied as exc:
            await self._audit.record_denied(caller, action, exc.message)
            raise

    # -- organizations ------------------------------------------------------------------------------

    async def create_org(self, caller: Caller, new: NewOrganization) -> Organization:
        action = "OrganizationService/CreateOrganization"
        name = check.name("name", new.name, required=True)
        slug = check.slug(new.slug)
        async with self._mutation(caller, action):
            _require(caller, "orgs:create")
            # system(): a new org has no members, so no tenant scope may insert it (orgs:create is platform-only).
            async with self._connect(caller, system=True) as conn:
                org = await store.insert_org(conn, name, slug)
                await self._audit.record(conn, caller, action, "organization", str(org.id), metadata={"slug": slug})
        await self._org_event("org.created", caller, org)
        return org

    async def get_org(self, caller: Caller, ref: str) -> Organization:
        ref = check.reference("organization", ref)
        # system() for platform operators only: they may read every org; members see theirs through RLS.
        async with self._connect(caller, system=caller.principal.is_platform_admin) as conn:
            return await _find_org(conn, ref)

    async def list_orgs(
        self, caller: Caller, requested_size: int = 0, page_token: str = "", include_inactive: bool = False
    ) -> Page[Organization]:
        size = page_size(requested_size)
        cursor = decode_cursor(page_token)
        after = _cursor_text(cursor, "after") if cursor is not None else None
        # system() for platform operators only: they list every org; members list their own through RLS.
        async with self._connect(caller, system=caller.principal.is_platform_admin) as conn:
            orgs = await store.list_orgs(conn, after, size + 1, include_inactive)
        more = len(orgs) > size
        orgs = orgs[:size]
        return Page(orgs, encode_cursor({"after": orgs[-1].slug}) if more and orgs else "")

    async def update_org(
        self, caller: Caller, ref: str, patch: OrganizationPatch, update_mask: Sequence[str], etag: str = ""
    ) -> Organization:
        action = "OrganizationService/UpdateOrganization"
        ref = check.reference("organization", ref)
        paths = check.update_mask(update_mask, ORG_FIELDS) or (["name"] if patch.name else [])
        if not paths:
            raise check.invalid("update_mask", "names no field to change, and the request sets none")
        name = check.name("name", patch.name, required=True)
        platform = caller.principal.is_platform_admin
        async with self._mutation(caller, action):
            if not platform and not caller.principal.is_org_admin:
                raise PermissionDenied("updating the organization needs org:admin")
            # system() for platform operators only: they may update any org.
            async with self._connect(caller, system=platform) as conn:
                org = await _find_org(conn, ref, lock=True)
                _check_etag(etag, org.etag)
                updated = await store.update_org(conn, org.id, name, org.active)
                assert updated is not None
                await self._audit.record(conn, caller, action, "organization", str(org.id), metadata={"fields": paths})
        await self._org_event("org.updated", caller, updated, paths)
        return updated

    async def deactivate_org(self, caller: Caller, ref: str, etag: str = "") -> Organization:
        action = "OrganizationService/DeactivateOrganization"
        ref = check.reference("organization", ref)
        platform = caller.principal.is_platform_admin
        async with self._mutation(caller, action):
            if not platform and not caller.principal.is_org_admin:
                raise PermissionDenied("deactivating the organization needs org:admin")
            # system() for platform operators only: they may deactivate any org.
            async with self._connect(caller, system=platform) as conn:
                org = await _find_org(conn, ref, lock=True)
                if org.id == caller.principal.org_id:
                    raise FailedPrecondition("you cannot deactivate your own organization: it would lock you out")
                if not org.active:
                    raise FailedPrecondition(f"organization {org.slug!r} is already deactivated")
                _check_etag(etag, org.etag)
                updated = await store.update_org(conn, org.id, org.name, False)
                assert updated is not None
                await self._audit.record(conn, caller, action, "organization", str(org.id))
        await self._resolver.invalidate(org_id=org.id)  # its members' credentials stop working
        await self._org_event("org.deactivated", caller, updated)
        return updated

    # -- users ---------------------------------------------------------------------------------------

    async def create_user(self, caller: Caller, new: NewUser, organization: str = "") -> User:
        action = "UserService/CreateUser"
        email = check.email(new.email)
        username = check.handle("username", new.username)
        display_name = check.name("display_name", new.display_name, required=False)
        role = check.base_role(new.base_role, default="user")
        aura = _aura_settings(new.aura) if new.aura is not None else None
        organization = organization.strip()
        if organization:
            check.reference("organization", organization)
        # system() for platform operators naming an org: creating a user in another org (RLS would refuse).
        cross_org = bool(organization) and caller.principal.is_platform_admin
        async with self._mutation(caller, action):
            if not caller.principal.is_org_admin:
                raise PermissionDenied("creating users needs org:admin")
            async with self._connect(caller, system=cross_org) as conn:
                org_id = caller.principal.org_id
                if organization:
                    org = await _find_org(conn, organization)
                    if not org.active:
                        raise FailedPrecondition(f"organization {org.slug!r} is deactivated")
                    org_id = org.id
                await self._check_grantable(conn, caller, role)
                user_id = await store.insert_user(conn, org_id, email, username, display_name, role)
                if aura is not None:
                    await store.put_aura(conn, org_id, user_id, aura, display_name)
                await self._audit.record(
                    conn, caller, action, "user", str(user_id),
                    metadata={"organization_id": str(org_id), "username": username, "base_role": role},
                )  # fmt: skip
                user = await store.find_user(conn, org_id, user_id=user_id)
        assert user is not None
        await self._user_event("user.created", caller, user)
        return user

    async def get_user(self, caller: Caller, ref: str) -> User:
        ref = check.reference("user", ref)
        async with self._connect(caller) as conn:
            return await _find_user(conn, caller, ref)

    async def list_users(
        self,
        caller: Caller,
        requested_size: int = 0,
        page_token: str = "",
        include_inactive: bool = False,
        text: str = "",
    ) -> Page[User]:
        size = page_size(requested_size)
        cursor = decode_cursor(page_token)
        after = (_cursor_text(cursor, "u"), _cursor_uuid(cursor, "i")) if cursor is not None else None
        text = check.name("filter", text, required=False)
        async with self._connect(caller) as conn:
            users = await store.list_users(conn, caller.principal.org_id, after, size + 1, include_inactive, text)
        more = len(users) > size
        users = users[:size]
        token = encode_cursor({"u": users[-1].username, "i": str(users[-1].id)}) if more and users else ""
        return Page(users, token)

    async def update_user(
        self, caller: Caller, ref: str, patch: UserPatch, update_mask: Sequence[str], etag: str = ""
    ) -> User:
        action = "UserService/UpdateUser"
        ref = check.reference("user", ref)
        paths = check.update_mask(update_mask, USER_FIELDS) or _populated(patch)
        if not paths:
            raise check.invalid("update_mask", "names no field to change, and the request sets none")
        email = check.email(patch.email) if "email" in paths else ""
        display_name = check.name("display_name", patch.display_name, required=False) if "display_name" in paths else ""
        role = check.base_role(patch.base_role) if "base_role" in paths else ""
        aura = _aura_settings(patch.aura) if "aura_id" in paths and patch.aura is not None else None
        admin = caller.principal.is_org_admin
        async with self._mutation(caller, action), self._connect(caller) as conn:
            user = await _find_user(conn, caller, ref)
            if user.id != caller.principal.user_id and not admin:
                raise PermissionDenied("updating another user needs org:admin")
            role = role or user.base_role
            if role != user.base_role:
                if not admin:
                    raise PermissionDenied("changing a base role needs org:admin")
                await self._check_grantable(conn, caller, role)
            await store.lock_user(conn, user.id)
            user = await _find_user(conn, caller, str(user.id))
            _check_etag(etag, user.etag)
            display_name = display_name if "display_name" in paths else user.display_name
            if "aura_id" in paths and aura is None:
                await store.delete_aura(conn, user.id)
            elif aura is not None:
                await store.put_aura(conn, user.organization_id, user.id, aura, display_name)
            elif "display_name" in paths:
                await store.set_aura_display_name(conn, user.id, display_name)
            await store.update_user(conn, user.id, email or user.email, display_name, role, user.active)
            await self._audit.record(conn, caller, action, "user", str(user.id), metadata={"fields": paths})
            updated = await _find_user(conn, caller, str(user.id))
        if role != user.base_role:
            await self._resolver.invalidate(org_id=user.organization_id, user_id=user.id)
        await self._user_event("user.updated", caller, updated, paths)
        return updated

    async def deactivate_user(self, caller: Caller, ref: str, etag: str = "") -> User:
        """Soft: the user's credentials stop working and their AuraID stops resolving."""
        return await self._set_active(caller, ref, etag, active=False)

    async def reactivate_user(self, caller: Caller, ref: str, etag: str = "") -> User:
        """Undo deactivate_user: the user's unrevoked, unexpired credentials work again."""
        return await self._set_active(caller, ref, etag, active=True)

    async def _set_active(self, caller: Caller, ref: str, etag: str, *, active: bool) -> User:
        verb = "reactivate" if active else "deactivate"
        action = f"UserService/{verb.capitalize()}User"
        ref = check.reference("user", ref)
        async with self._mutation(caller, action):
            if not caller.principal.is_org_admin:
                raise PermissionDenied(f"{verb[:-1]}ing users needs org:admin")
            async with self._connect(caller) as conn:
                user = await _find_user(conn, caller, ref)
                if not active and user.id == caller.principal.user_id:
                    raise FailedPrecondition("you cannot deactivate yourself: it would lock you out")
                await store.lock_user(conn, user.id)
                user = await _find_user(conn, caller, str(user.id))
                if user.active == active:
                    raise FailedPrecondition(
                        f"user {user.username!r} is already {'active' if active else 'deactivated'}"
                    )
                _check_etag(etag, user.etag)
                await store.update_user(conn, user.id, user.email, user.display_name, user.base_role, active)
                await self._audit.record(conn, caller, action, "user", str(user.id))
                updated = await _find_user(conn, caller, str(user.id))
        await self._resolver.invalidate(org_id=user.organization_id, user_id=user.id)  # credentials follow
        await self._user_event(f"user.{verb}d", caller, updated)
        return updated

    async def resolve_aura_id(self, caller: Caller, aura_id: str) -> ResolvedAuraId:
        """Public AuraIDs resolve for everyone; "contacts" and "private" ones only inside their org
        (contact lists do not exist yet, so "contacts" means the org's members)."""
        canonical = check.aura_id(check.reference("aura_id", aura_id).lower())
        async with self._connect(caller) as conn:
            found = await store.resolve_aura(conn, canonical)
        if found is None:
            raise NotFound(f"AuraID {canonical!r} not found")
        return found

    # -- checks ----------------------------------------------------------------------------------------

    async def _check_grantable(self, conn: asyncpg.Connection, caller: Caller, role: str) -> None:
        """No escalation: the caller must hold every permission the base role carries."""
        if role == "admin" and not caller.principal.is_org_admin:
            raise PermissionDenied("only an org admin may give the admin base role")
        missing = [p for p in await store.base_role_permissions(conn, role) or [] if not caller.principal.can(p)]
        if missing:
            shown = ", ".join(sorted(missing)[:5])
            raise PermissionDenied(f"base role {role!r} carries permissions you do not hold: {shown}")


# -- helpers ------------------------------------------------------------------------------------------


def _require(caller: Caller, permission: str) -> None:
    if not caller.principal.can(permission):
        raise PermissionDenied(f"this needs permission {permission!r}")


def _check_etag(sent: str, current: str) -> None:
    if sent and sent != current:
        raise Aborted("the resource changed since it was read (stale etag); read it again and retry")


async def _find_org(conn: asyncpg.Connection, ref: str, *, lock: bool = False) -> Organization:
    org_id = check.as_uuid(ref)
    org = await store.find_org(conn, org_id, "" if org_id else ref, lock=lock)
    if org is None:
        raise NotFound(f"organization {ref!r} not found")
    return org


async def _find_user(conn: asyncpg.Connection, caller: Caller, ref: str) -> User:
    """An id, an email or a username; RLS hides other orgs' users, so they are not found."""
    user_id = check.as_uuid(ref)
    if user_id is not None:
        user = await store.find_user(conn, caller.principal.org_id, user_id=user_id)
    elif "@" in ref:
        user = await store.find_user(conn, caller.principal.org_id, email=ref)
    else:
        user = await store.find_user(conn, caller.principal.org_id, username=ref)
    if user is None or user.organization_id != caller.principal.org_id:
        raise NotFound(f"user {ref!r} not found")
    return user


def _aura_settings(aura: AuraIdSettings) -> AuraIdSettings:
    return AuraIdSettings(
        check.aura_id(aura.aura_id),
        check.privacy_level(aura.privacy_level),
        aura.allow_cross_app_calls,
        check.federated_domains(aura.federated_domains),
    )


def _populated(patch: UserPatch) -> list[str]:
    """An empty update mask means every updatable field the request sets (AIP-134)."""
    values = {"display_name": patch.display_name, "email": patch.email, "base_role": patch.base_role}
    return [f for f, v in values.items() if v] + (["aura_id"] if patch.aura is not None else [])


def _cursor_text(cursor: dict[str, object], key: str) -> str:
    value = cursor.get(key)
    if not isinstance(value, str):
        raise InvalidArgument.for_field("page_token", "is not a token this server issued")
    return value


def _cursor_uuid(cursor: dict[str, object], key: str) -> UUID:
    value = check.as_uuid(_cursor_text(cursor, key))
    if value is None:
        raise InvalidArgument.for_field("page_token", "is not a token this server issued")
    return value
