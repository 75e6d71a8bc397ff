"""Roles, grants and assignments, with no escalation: nobody hands out a permission they do not hold.

Giving (creating a role, adding permissions, assigning a role) is checked against the caller's own
permissions; taking away (revoking, unassigning, deleting) needs only the RPC's permission. System
roles are read-only. Every change is audited in its own transaction and, once committed, invalidates
the cached effective permissions on every replica.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.db.database import Database
from auralinkd.directory.events import DirectoryEvents, RoleChanged, actor
from auralinkd.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from auralinkd.paging import decode_cursor, encode_cursor, page_size
from auralinkd.rbac import store
from auralinkd.rbac.catalogue import Catalogue, PermissionInfo
from auralinkd.rbac.resolver import PermissionResolver

MAX_NAME = 100
MAX_DESCRIPTION = 1000
MAX_PERMISSIONS = 500
MAX_PERMISSION_LENGTH = 200
UPDATABLE_FIELDS = ("name", "description", "permissions")
READ_PERMISSION = "roles:read"
_SERVICE = "RoleService"


@dataclass(frozen=True)
class Role:
    id: UUID
    organization_id: UUID | None  # None for system roles
    name: str
    description: str
    permissions: tuple[str, ...]
    system: bool
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        """Changes with every update: updated_at, plus the content in case two updates share a timestamp."""
        content = json.dumps(
            [str(self.id), self.updated_at.isoformat(), self.name, self.description, list(self.permissions)]
        )
        return hashlib.sha256(content.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RoleDraft:
    """A role's editable fields: a new role, or the values of an update (only the masked ones count)."""

    name: str = ""
    description: str = ""
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RolePage:
    roles: list[Role]
    next_page_token: str


@dataclass(frozen=True)
class Assignment:
    user_id: UUID
    role_id: UUID
    role_name: str
    id: UUID | None = None  # None for the implicit assignment of the base role
    granted_by: UUID | None = None
    created_at: datetime | None = None
    implicit: bool = False  # the system role named by users.role, held without an assignment row


@dataclass(frozen=True)
class EffectivePermissions:
    user_id: UUID
    assignments: list[Assignment]
    permissions: list[str]  # sorted, wildcards kept as granted


class RoleService:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        resolver: PermissionResolver,
        catalogue: Catalogue,
        events: DirectoryEvents | None = None,
    ) -> None:
        self._database = database
        self._audit = audit
        self._resolver = resolver
        self._catalogue = catalogue
        self._events = events or DirectoryEvents(None)

    async def _event(
        self, topic: str, caller: Caller, role: Role, fields: list[str] | None = None, user_id: object = ""
    ) -> None:
        payload = RoleChanged(
            str(role.id), role.name, list(role.permissions), actor(caller), str(user_id or ""), fields or []
        )
        await self._events.publish(topic, payload, caller.principal.org_id)

    # -- reading --------------------------------------------------------------------------------

    def list_permissions(self, caller: Caller) -> list[PermissionInfo]:
        return self._catalogue.all()

    async def get_role(self, caller: Caller, ref: str) -> Role:
        async with self._database.tenant(caller.tenant) as conn:
            return _role(await self._find_role(conn, caller, ref))

    async def list_roles(self, caller: Caller, requested_size: int, token: str) -> RolePage:
        size = page_size(requested_size)
        cursor = decode_cursor(token)
        after = None
        if cursor is not None:
            try:
                after = (str(cursor["n"]), UUID(str(cursor["id"])))
            except (KeyError, ValueError):
                raise InvalidArgument.for_field("page_token", "is not a token this server issued") from None
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_roles(conn, after, size + 1)
        roles = [_role(row) for row in rows[:size]]
        more = len(rows) > size
        next_token = encode_cursor({"n": roles[-1].name, "id": str(roles[-1].id)}) if more else ""
        return RolePage(roles, next_token)

    async def effective_permissions(self, caller: Caller, user: str) -> EffectivePermissions:
        """A user's assignments and permission union; your own always, anyone else's with roles:read."""
        async with self._database.tenant(caller.tenant) as conn:
            if user:
                target = await self._find_user(conn, caller, user)
            else:
                target = await store.find_user(conn, caller.principal.org_id, user_id=caller.principal.user_id)
                if target is None:
                    raise NotFound("your user no longer exists")
            if target["id"] != caller.principal.user_id and not caller.principal.can(READ_PERMISSION):
                raise PermissionDenied(f"reading another user's permissions needs permission '{READ_PERMISSION}'")
            loaded = await store.load_effective(conn, target["id"])
            base = await store.find_system_role(conn, target["role"])
            rows = await store.list_assignments(conn, target["id"])
        permissions = sorted(loaded[2]) if loaded else []
        assignments = []
        if base is not None:
            assignments.append(Assignment(target["id"], base["id"], base["name"], implicit=True))
        assignments += [_assignment(row) for row in rows]
        return EffectivePermissions(target["id"], assignments, permissions)

    # -- roles ----------------------------------------------------------------------------------

    async def create_role(self, caller: Caller, draft: RoleDraft) -> Role:
        action = f"{_SERVICE}/CreateRole"
        name = _checked_name(draft.name)
        description = _checked_description(draft.description)
        permissions = self._checked_permissions(draft.permissions)
        async with self._denials(caller, action):
            _forbid_escalation(caller, permissions, "create a role with")
        async with self._database.tenant(caller.tenant) as conn:
            if await store.system_role_exists(conn, name):
                raise AlreadyExists(f"{name!r} is the name of a system role; choose another name")
            try:
                row = await store.insert_role(conn, caller.principal.org_id, name, description, permissions)
            except asyncpg.UniqueViolationError:
                raise AlreadyExists(f"the organization already has a role named {name!r}") from None
            role = _role(row)
            await self._audit.record(
                conn, caller, action, "role", str(role.id), metadata={"name": name, "permissions": permissions}
            )
        await self._event("role.created", caller, role)
        return role

    async def update_role(self, caller: Caller, ref: str, changes: RoleDraft, paths: list[str], etag: str) -> Role:
        """Change the masked fields (an empty mask means all of them) of a custom role."""
        action = f"{_SERVICE}/UpdateRole"
        fields = _checked_mask(paths)
        if not ref:
            raise InvalidArgument.for_field("role.id", "is required (the role's id, or its name when not renaming)")
        name = _checked_name(changes.name) if "name" in fields else None
        description = _checked_description(changes.description) if "description" in fields else None
        permissions = self._checked_permissions(changes.permissions) if "permissions" in fields else None
        async with self._denials(caller, action), self._database.tenant(caller.tenant) as conn:
            current = await self._lock_custom(conn, caller, ref, "update")
            if etag and etag != current.etag:
                raise Aborted(f"role {current.name!r} changed since it was read (stale etag); read it again")
            added = sorted(set(permissions) - set(current.permissions)) if permissions is not None else []
            _forbid_escalation(caller, added, "grant")
            new_name = current.name if name is None else name
            if new_name != current.name and await store.system_role_exists(conn, new_name):
                raise AlreadyExists(f"{new_name!r} is the name of a system role; choose another name")
            new_permissions = list(current.permissions) if permissions is None else permissions
            try:
                row = await store.update_role(
                    conn,
                    current.id,
                    new_name,
                    current.description if description is None else description,
                    new_permissions,
                )
            except asyncpg.UniqueViolationError:
                raise AlreadyExists(f"the organization already has a role named {new_name!r}") from None
            role = _role(row)
            removed = sorted(set(current.permissions) - set(role.permissions))
            metadata = {"fields": sorted(fields), "added": added, "removed": removed}
            await self._audit.record(conn, caller, action, "role", str(role.id), metadata=metadata)
        if role.permissions != current.permissions:
            await self._resolver.invalidate(org_id=caller.principal.org_id)
        await self._event("role.updated", caller, role, sorted(fields))
        return role

    async def delete_role(self, caller: Caller, ref: str) -> None:
        action = f"{_SERVICE}/DeleteRole"
        async with self._database.tenant(caller.tenant) as conn:
            current = await self._lock_custom(conn, caller, ref, "delete")
            removed = await store.delete_role(conn, current.id)
            if removed is None:
                raise NotFound(f"no role {ref!r} in your organization")
            await self._audit.record(
                conn,
                caller,
                action,
                "role",
                str(current.id),
                metadata={"name": current.name, "assignments_removed": removed},
            )
        await self._resolver.invalidate(org_id=caller.principal.org_id)
        await self._event("role.deleted", caller, current)

    async def grant_permissions(self, caller: Caller, ref: str, permissions: list[str]) -> Role:
        action = f"{_SERVICE}/GrantPermissions"
        if not permissions:
            raise InvalidArgument.for_field("permissions", "name at least one permission to grant")
        granted = self._checked_permissions(permissions)
        async with self._denials(caller, action):
            _forbid_escalation(caller, granted, "grant")
        async with self._database.tenant(caller.tenant) as conn:
            current = await self._lock_custom(conn, caller, ref, "grant permissions to")
            merged = sorted(set(current.permissions) | set(granted))
            if len(merged) > MAX_PERMISSIONS:
                raise InvalidArgument.for_field(
                    "permissions", f"a role holds at most {MAX_PERMISSIONS} permissions, this would make {len(merged)}"
                )
            role = await self._set_permissions(conn, current, merged)
            await self._audit.record(
                conn,
                caller,
                action,
                "role",
                str(role.id),
                metadata={"granted": sorted(set(merged) - set(current.permissions))},
            )
        if role.permissions != current.permissions:
            await self._resolver.invalidate(org_id=caller.principal.org_id)
        await self._event("role.granted", caller, role, sorted(set(merged) - set(current.permissions)))
        return role

    async def revoke_permissions(self, caller: Caller, ref: str, permissions: list[str]) -> Role:
        """Revoking what the role does not hold is a no-op; names the catalogue no longer knows may go too."""
        action = f"{_SERVICE}/RevokePermissions"
        if not permissions:
            raise InvalidArgument.for_field("permissions", "name at least one permission to revoke")
        _checked_sizes(permissions)
        async with self._database.tenant(caller.tenant) as conn:
            current = await self._lock_custom(conn, caller, ref, "revoke permissions from")
            held = set(current.permissions)
            self._catalogue.validate([p for p in permissions if p not in held])
            remaining = sorted(held - set(permissions))
            role = await self._set_permissions(conn, current, remaining)
            await self._audit.record(
                conn, caller, action, "role", str(role.id), metadata={"revoked": sorted(held - set(remaining))}
            )
        if role.permissions != current.permissions:
            await self._resolver.invalidate(org_id=caller.principal.org_id)
        await self._event("role.revoked", caller, role, sorted(held - set(remaining)))
        return role

    # -- assignments ----------------------------------------------------------------------------

    async def assign_role(self, caller: Caller, ref: str, user: str) -> Assignment:
        action = f"{_SERVICE}/AssignRole"
        async with self._denials(caller, action), self._database.tenant(caller.tenant) as conn:
            role = _role(await self._find_role(conn, caller, ref))
            target = await self._find_user(conn, caller, user)
            _forbid_escalation(caller, list(role.permissions), f"assign role {role.name!r}, which holds")
            row = await store.insert_assignment(
                conn, caller.principal.org_id, target["id"], role.id, caller.principal.user_id
            )
            if row is None:
                raise AlreadyExists(f"the user already holds role {role.name!r}")
            assignment = _assignment(row)
            await self._audit.record(
                conn, caller, action, "role", str(role.id), metadata={"user_id": str(target["id"]), "role": role.name}
            )
        await self._resolver.invalidate(user_id=assignment.user_id)
        await self._event("role.assigned", caller, role, user_id=assignment.user_id)
        return assignment

    async def unassign_role(self, caller: Caller, ref: str, user: str) -> None:
        action = f"{_SERVICE}/UnassignRole"
        async with self._database.tenant(caller.tenant) as conn:
            role = _role(await self._find_role(conn, caller, ref))
            target = await self._find_user(conn, caller, user)
            if not await store.delete_assignment(conn, target["id"], role.id):
                if role.system and role.name == target["role"]:
                    raise FailedPrecondition(
                        f"{role.name!r} is the user's base role; change the user's base role instead"
                    )
                raise NotFound(f"the user does not hold role {role.name!r}")
            await self._audit.record(
                conn, caller, action, "role", str(role.id), metadata={"user_id": str(target["id"]), "role": role.name}
            )
        await self._resolver.invalidate(user_id=target["id"])
        await self._event("role.unassigned", caller, role, user_id=target["id"])

    # -- helpers --------------------------------------------------------------------------------

    @asynccontextmanager
    async def _denials(self, caller: Caller, action: str) -> AsyncIterator[None]:
        """Audit a refused escalation (in a transaction of its own: the refused change rolls back)."""
        try:
            yield
        except PermissionDenied as exc:
            await self._audit.record_denied(caller, action, exc.message)
            raise

    async def _set_permissions(self, conn: asyncpg.Connection, current: Role, permissions: list[str]) -> Role:
        if tuple(permissions) == current.permissions:
            return current  # nothing changes: keep the etag
        return _role(await store.update_role(conn, current.id, current.name, current.description, permissions))

    def _checked_permissions(self, permissions: tuple[str, ...] | list[str]) -> list[str]:
        _checked_sizes(permissions)
        return self._catalogue.validate(list(permissions))

    async def _find_role(self, conn: asyncpg.Connection, caller: Caller, ref: str) -> asyncpg.Record:
        if not ref:
            raise InvalidArgument.for_field("role", "is required: a role id or name")
        role_id = _uuid_or_none(ref)
        if role_id is not None:
            row = await store.find_role(conn, caller.principal.org_id, role_id=role_id)
        else:
            row = await store.find_role(conn, caller.principal.org_id, name=ref)
        if row is None:
            raise NotFound(f"no role {ref!r} in your organization")
        return row

    async def _lock_custom(self, conn: asyncpg.Connection, caller: Caller, ref: str, verb: str) -> Role:
        """The custom role `ref`, locked for the transaction; system roles are FAILED_PRECONDITION."""
        found = _role(await self._find_role(conn, caller, ref))
        if found.system:
            raise FailedPrecondition(f"{found.name!r} is a system role: it cannot be changed; you cannot {verb} it")
        row = await store.lock_custom_role(conn, found.id)
        if row is None:  # deleted meanwhile
            raise NotFound(f"no role {ref!r} in your organization")
        return _role(row)

    async def _find_user(self, conn: asyncpg.Connection, caller: Caller, ref: str) -> asyncpg.Record:
        if not ref:
            raise InvalidArgument.for_field("user", "is required: a user id, username or email")
        org_id = caller.principal.org_id
        user_id = _uuid_or_none(ref)
        if user_id is not None:
            row = await store.find_user(conn, org_id, user_id=user_id)
        elif "@" in ref:
            row = await store.find_user(conn, org_id, email=ref)
        else:
            row = await store.find_user(conn, org_id, username=ref)
        if row is None:
            raise NotFound(f"no user {ref!r} in your organization")
        return row


# -- validation ---------------------------------------------------------------------------------


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidArgument.for_field("role.name", "is required")
    if len(name) > MAX_NAME:
        raise InvalidArgument.for_field("role.name", f"must be at most {MAX_NAME} characters, got {len(name)}")
    if not name.isprintable():
        raise InvalidArgument.for_field("role.name", "must not contain control characters")
    if _uuid_or_none(name) is not None:
        raise InvalidArgument.for_field("role.name", "must not be a UUID (roles are addressed by id or name)")
    return name


def _checked_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise InvalidArgument.for_field(
            "role.description", f"must be at most {MAX_DESCRIPTION} characters, got {len(description)}"
        )
    return description


def _checked_sizes(permissions: tuple[str, ...] | list[str]) -> None:
    if len(permissions) > MAX_PERMISSIONS:
        raise InvalidArgument.for_field(
            "permissions", f"at most {MAX_PERMISSIONS} permissions per request, got {len(permissions)}"
        )
    for permission in permissions:
        if len(permission) > MAX_PERMISSION_LENGTH:
            raise InvalidArgument.for_field(
                "permissions", f"a permission name is at most {MAX_PERMISSION_LENGTH} characters"
            )


def _checked_mask(paths: list[str]) -> set[str]:
    unknown = sorted(set(paths) - set(UPDATABLE_FIELDS))
    if unknown:
        raise InvalidArgument.for_field(
            "update_mask", f"unknown field(s) {', '.join(unknown)}; updatable: {', '.join(UPDATABLE_FIELDS)}"
        )
    return set(paths) or set(UPDATABLE_FIELDS)


def _forbid_escalation(caller: Caller, permissions: list[str], doing: str) -> None:
    beyond = [p for p in permissions if not caller.principal.can(p)]
    if beyond:
        raise PermissionDenied(f"you cannot {doing} permissions you do not hold: {', '.join(beyond)}")


# -- rows to domain values ----------------------------------------------------------------------


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def _role(row: asyncpg.Record) -> Role:
    return Role(
        id=row["id"],
        organization_id=row["organization_id"],
        name=row["name"],
        description=row["description"] or "",
        permissions=tuple(json.loads(row["permissions"])),
        system=row["is_system_role"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _assignment(row: asyncpg.Record) -> Assignment:
    return Assignment(
        user_id=row["user_id"],
        role_id=row["role_id"],
        role_name=row["role_name"],
        id=row["id"],
        granted_by=row["granted_by"],
        created_at=row["created_at"],
    )
