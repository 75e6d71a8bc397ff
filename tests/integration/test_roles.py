"""RoleService on PostgreSQL 16 and 15: roles, grants, assignments, no escalation, nothing changed on refusal."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from auralink.v1 import access_pb2, system_pb2
from auralinkd.access.principal import Caller, Principal
from auralinkd.api.permissions import collect
from auralinkd.api.roles import RoleServicer
from auralinkd.api.system import SystemServicer
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from auralinkd.rbac import store as rbac_store
from auralinkd.rbac.catalogue import Catalogue
from auralinkd.rbac.resolver import CHANGED_TOPIC, PermissionResolver
from auralinkd.rbac.service import RoleDraft, RoleService

# Services not under test here contribute realistic declarations, so wildcards have resources to cover.
OTHER_RPCS = {
    "/auralink.v1.MemoryService/StoreMemory": "memories:write",
    "/auralink.v1.MemoryService/RecallMemories": "memories:read",
    "/auralink.v1.MemoryService/DeleteMemory": "memories:delete",
    "/auralink.v1.UserService/CreateUser": "users:create",
    "/auralink.v1.UserService/GetUser": "users:read",
    "/auralink.v1.UserService/UpdateUser": "users:update",
    "/auralink.v1.OrganizationService/CreateOrganization": "orgs:create",
    "/auralink.v1.OrganizationService/GetOrganization": "orgs:read",
    "/auralink.v1.AuditService/ListAuditLogs": "audit:read",
    "/auralink.v1.CredentialService/WhoAmI": "self:read",
}


def build_rpc_permissions() -> dict[str, str]:
    declared = collect(
        [
            (SystemServicer, system_pb2.DESCRIPTOR.services_by_name["SystemService"]),
            (RoleServicer, access_pb2.DESCRIPTOR.services_by_name["RoleService"]),
        ]
    )
    return {**declared, **OTHER_RPCS}


@dataclass
class World:
    db: Database
    bus: EventBus
    resolver: PermissionResolver
    roles: RoleService
    catalogue: Catalogue
    org_a: uuid.UUID
    org_b: uuid.UUID
    alice: uuid.UUID  # org A, base role admin
    bob: uuid.UUID  # org A, base role user
    mallory: uuid.UUID  # org A, base role user; manages roles but holds few permissions
    robot: uuid.UUID  # org A, base role agent
    carol: uuid.UUID  # org B, base role admin

    async def caller(self, user: uuid.UUID, org: uuid.UUID) -> Caller:
        """The user as the guard would see them: their resolved permissions."""
        effective = await self.resolver.effective(user, org)
        assert effective is not None
        return Caller(Principal(user, org, effective.permissions, "test"), uuid.uuid4().hex, "test-peer")


def principal_caller(user: uuid.UUID, org: uuid.UUID, *permissions: str) -> Caller:
    return Caller(Principal(user, org, frozenset(permissions), "test"), uuid.uuid4().hex, "test-peer")


async def _org(conn: asyncpg.Connection, slug: str) -> uuid.UUID:
    return await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id", slug)


async def _user(conn: asyncpg.Connection, org: uuid.UUID, name: str, role: str) -> uuid.UUID:
    return await conn.fetchval(
        "INSERT INTO users (organization_id, email, username, role) VALUES ($1, $2, $3, $4) RETURNING id",
        org,
        f"{name}@example.test",
        name,
        role,
    )


@pytest.fixture
async def world(fresh_dsn: str) -> AsyncIterator[World]:
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    catalogue = Catalogue(build_rpc_permissions())
    async with db.system() as conn:
        await rbac_store.sync_system_roles(conn, catalogue.system_roles())
        await rbac_store.sync_permission_catalogue(conn, [(p.name, p.description) for p in catalogue.all()])
        org_a, org_b = await _org(conn, "org-a"), await _org(conn, "org-b")
        users = [
            await _user(conn, org_a, "alice", "admin"),
            await _user(conn, org_a, "bob", "user"),
            await _user(conn, org_a, "mallory", "user"),
            await _user(conn, org_a, "robot", "agent"),
            await _user(conn, org_b, "carol", "admin"),
        ]
    bus = EventBus("t", None)
    resolver = PermissionResolver(db, bus, None)
    roles = RoleService(db, AuditLog(db), resolver, catalogue)
    yield World(db, bus, resolver, roles, catalogue, org_a, org_b, *users)
    await db.close()


async def rbac_state(db: Database) -> dict[str, Any]:
    """Everything a role operation could change (audit rows aside)."""
    async with db.system() as conn:
        roles = await conn.fetch(
            "SELECT id, organization_id, name, description, permissions::text, updated_at FROM rbac_roles ORDER BY id"
        )
        assignments = await conn.fetch("SELECT id, user_id, role_id FROM rbac_role_assignments ORDER BY id")
    return {"roles": [tuple(r) for r in roles], "assignments": [tuple(a) for a in assignments]}


async def audit_rows(db: Database) -> list[tuple[str, str | None, str | None, str]]:
    async with db.system() as conn:
        rows = await conn.fetch("SELECT action, resource_type, resource_id, outcome FROM audit_logs ORDER BY id")
    return [(r["action"], r["resource_type"], r["resource_id"], r["outcome"]) for r in rows]


async def assert_refused(world: World, error: type[Exception], call: Any, match: str | None = None) -> Exception:
    """The call raises `error` and leaves roles and assignments exactly as they were."""
    before = await rbac_state(world.db)
    with pytest.raises(error, match=match) as raised:
        await call
    assert await rbac_state(world.db) == before
    return raised.value


# -- the catalogue ------------------------------------------------------------------------------


async def test_list_permissions_has_every_rpcs_declared_permission(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    listed = {p.name: p for p in world.roles.list_permissions(admin)}
    for method, permission in build_rpc_permissions().items():
        assert method in listed[permission].methods
    assert listed["roles:assign"].resource == "roles" and listed["roles:assign"].action == "assign"
    assert "/auralink.v1.RoleService/GetEffectivePermissions" in listed["self:read"].methods


# -- creating, reading, listing -----------------------------------------------------------------


async def test_create_role_is_readable_by_id_and_name_and_audited(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    created = await world.roles.create_role(
        admin, RoleDraft("memory-curator", "Keeps memories tidy", ("memories:write", "memories:read", "memories:read"))
    )
    assert created.permissions == ("memories:read", "memories:write")  # de-duplicated and sorted
    assert created.organization_id == world.org_a and not created.system and created.etag

    assert await world.roles.get_role(admin, str(created.id)) == created
    assert await world.roles.get_role(admin, "memory-curator") == created
    system_admin = await world.roles.get_role(admin, "admin")
    assert system_admin.system and system_admin.organization_id is None

    assert ("RoleService/CreateRole", "role", str(created.id), "success") in await audit_rows(world.db)


async def test_duplicate_role_name_in_the_org_is_already_exists(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    await world.roles.create_role(admin, RoleDraft("auditors", "", ("audit:read",)))
    await assert_refused(world, AlreadyExists, world.roles.create_role(admin, RoleDraft("auditors", "", ())))
    # A system role's name is taken too: a custom "admin" would shadow it when addressed by name.
    await assert_refused(world, AlreadyExists, world.roles.create_role(admin, RoleDraft("admin", "", ())))
    # Another org may use the same name.
    other = await world.caller(world.carol, world.org_b)
    assert (await world.roles.create_role(other, RoleDraft("auditors", "", ()))).organization_id == world.org_b


async def test_list_roles_pages_through_system_and_custom_roles_by_keyset(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    for i in range(7):
        await world.roles.create_role(admin, RoleDraft(f"team-{i}", "", ()))
    await world.roles.create_role(await world.caller(world.carol, world.org_b), RoleDraft("org-b-only", "", ()))

    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await world.roles.list_roles(admin, 3, token)
        assert len(page.roles) <= 3
        seen += [r.name for r in page.roles]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    system = [r.name for r in world.catalogue.system_roles()]
    assert sorted(seen) == seen == sorted(system + [f"team-{i}" for i in range(7)])
    assert pages == 4 and "org-b-only" not in seen
    with pytest.raises(InvalidArgument, match="page_token"):
        await world.roles.list_roles(admin, 3, "not-a-token")
    with pytest.raises(InvalidArgument, match="page_size"):
        await world.roles.list_roles(admin, -1, "")


# -- system roles -------------------------------------------------------------------------------


async def test_system_roles_cannot_be_deleted_updated_granted_or_revoked(world: World) -> None:
    platform = principal_caller(world.alice, world.org_a, "*")
    role = await world.roles.get_role(platform, "user")
    for call in (
        world.roles.delete_role(platform, "user"),
        world.roles.delete_role(platform, str(role.id)),
        world.roles.update_role(platform, str(role.id), RoleDraft(description="mine now"), ["description"], ""),
        world.roles.grant_permissions(platform, "user", ["audit:read"]),
        world.roles.revoke_permissions(platform, "user", ["self:read"]),
    ):
        await assert_refused(world, FailedPrecondition, call, match="system role")


# -- bad input ----------------------------------------------------------------------------------


async def test_unknown_permission_is_invalid_argument_naming_it(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    role = await world.roles.create_role(admin, RoleDraft("ops", "", ("memories:read",)))
    error = await assert_refused(
        world, InvalidArgument, world.roles.create_role(admin, RoleDraft("x", "", ("memories:fly", "bogus")))
    )
    assert isinstance(error, InvalidArgument)
    assert [v.field for v in error.violations] == ["permissions", "permissions"]
    assert "memories:fly" in error.message and "bogus" in error.message
    await assert_refused(world, InvalidArgument, world.roles.grant_permissions(admin, "ops", ["nope:*"]), "nope:\\*")
    await assert_refused(
        world, InvalidArgument, world.roles.revoke_permissions(admin, "ops", ["memories:fly"]), "memories:fly"
    )
    await assert_refused(
        world,
        InvalidArgument,
        world.roles.update_role(admin, str(role.id), RoleDraft(permissions=("x:y",)), ["permissions"], ""),
    )
    await assert_refused(world, InvalidArgument, world.roles.grant_permissions(admin, "ops", []))


async def test_oversized_fields_are_invalid_argument(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    role = await world.roles.create_role(admin, RoleDraft("ops", "", ()))
    too_many = tuple(f"memories:read{i}" for i in range(501))
    for draft, field in (
        (RoleDraft("n" * 101), "role.name"),
        (RoleDraft("fine", "d" * 1001), "role.description"),
        (RoleDraft("fine", "", too_many), "permissions"),
        (RoleDraft("fine", "", ("a" * 10_000,)), "permissions"),
        (RoleDraft("   "), "role.name"),
        (RoleDraft(str(uuid.uuid4())), "role.name"),
    ):
        error = await assert_refused(world, InvalidArgument, world.roles.create_role(admin, draft))
        assert isinstance(error, InvalidArgument) and error.violations[0].field == field
    await assert_refused(
        world, InvalidArgument, world.roles.update_role(admin, str(role.id), RoleDraft("n" * 101), ["name"], "")
    )
    await assert_refused(world, InvalidArgument, world.roles.grant_permissions(admin, "ops", list(too_many)))
    # 100 characters and 1000 are fine.
    ok = await world.roles.create_role(admin, RoleDraft("n" * 100, "d" * 1000, ()))
    assert len(ok.name) == 100


# -- no escalation ------------------------------------------------------------------------------


async def test_nobody_creates_grants_updates_or_assigns_beyond_their_own_permissions(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    ops = await world.roles.create_role(admin, RoleDraft("ops", "", ("memories:read",)))
    curator = await world.roles.create_role(admin, RoleDraft("curator", "", ("memories:write",)))
    # Mallory may manage roles and read memories, nothing more.
    mallory = principal_caller(
        world.mallory, world.org_a, "roles:read", "roles:create", "roles:update", "roles:assign", "memories:read"
    )

    refusals = [
        (world.roles.create_role(mallory, RoleDraft("mine", "", ("memories:write",))), "memories:write"),
        (world.roles.create_role(mallory, RoleDraft("mine", "", ("memories:*",))), "memories:\\*"),
        (world.roles.create_role(mallory, RoleDraft("mine", "", ("*",))), "\\*"),
        (world.roles.grant_permissions(mallory, "ops", ["memories:write"]), "memories:write"),
        (world.roles.grant_permissions(mallory, "ops", ["users:create", "memories:read"]), "users:create"),
        (
            world.roles.update_role(mallory, str(ops.id), RoleDraft(permissions=("audit:read",)), ["permissions"], ""),
            "audit:read",
        ),
        (world.roles.assign_role(mallory, "curator", "mallory"), "memories:write"),
        (world.roles.assign_role(mallory, "admin", "bob"), "roles:delete|users:create|org:admin"),
        (world.roles.assign_role(mallory, "platform_admin", "mallory"), "\\*"),
    ]
    for call, named in refusals:
        await assert_refused(world, PermissionDenied, call, match=named)

    denied = [row for row in await audit_rows(world.db) if row[3] == "denied"]
    assert [row[0] for row in denied] == [
        "RoleService/CreateRole",
        "RoleService/CreateRole",
        "RoleService/CreateRole",
        "RoleService/GrantPermissions",
        "RoleService/GrantPermissions",
        "RoleService/UpdateRole",
        "RoleService/AssignRole",
        "RoleService/AssignRole",
        "RoleService/AssignRole",
    ]

    # What she holds she may hand out; a wildcard covers its resource.
    assert (await world.roles.create_role(mallory, RoleDraft("readers", "", ("memories:read",)))).permissions == (
        "memories:read",
    )
    await world.roles.assign_role(mallory, "ops", "bob")
    wildcard = principal_caller(world.mallory, world.org_a, "roles:update", "memories:*")
    assert "memories:write" in (await world.roles.grant_permissions(wildcard, "ops", ["memories:write"])).permissions
    assert "memories:*" in (await world.roles.grant_permissions(wildcard, "ops", ["memories:*"])).permissions
    # Taking away needs no more than the RPC's permission; keeping what the role already had is no escalation.
    updated = await world.roles.update_role(
        mallory, str(curator.id), RoleDraft(description="renamed"), ["description"], ""
    )
    assert updated.permissions == ("memories:write",)
    assert (await world.roles.revoke_permissions(mallory, "curator", ["memories:write"])).permissions == ()


async def test_scopes_narrow_what_a_caller_may_grant(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    await world.roles.create_role(admin, RoleDraft("ops", "", ()))
    scoped = Caller(
        Principal(world.alice, world.org_a, admin.principal.permissions, "t", scopes=frozenset({"roles:update"})),
        "r",
    )
    await assert_refused(world, PermissionDenied, world.roles.grant_permissions(scoped, "ops", ["memories:read"]))


# -- another org's ids --------------------------------------------------------------------------


async def test_another_orgs_roles_and_users_are_not_found(world: World) -> None:
    admin_a = await world.caller(world.alice, world.org_a)
    admin_b = await world.caller(world.carol, world.org_b)
    role_b = await world.roles.create_role(admin_b, RoleDraft("b-team", "", ("memories:read",)))
    role_a = await world.roles.create_role(admin_a, RoleDraft("a-team", "", ("memories:read",)))
    ref_b = str(role_b.id)

    for call in (
        world.roles.get_role(admin_a, ref_b),
        world.roles.get_role(admin_a, "b-team"),
        world.roles.update_role(admin_a, ref_b, RoleDraft(description="x"), ["description"], ""),
        world.roles.delete_role(admin_a, ref_b),
        world.roles.grant_permissions(admin_a, ref_b, ["memories:write"]),
        world.roles.revoke_permissions(admin_a, ref_b, ["memories:read"]),
        world.roles.assign_role(admin_a, ref_b, "bob"),
        world.roles.assign_role(admin_a, "a-team", str(world.carol)),
        world.roles.assign_role(admin_a, "a-team", "carol@example.test"),
        world.roles.assign_role(admin_b, str(role_a.id), "carol"),
        world.roles.unassign_role(admin_a, "a-team", str(world.carol)),
        world.roles.effective_permissions(admin_a, str(world.carol)),
        world.roles.get_role(admin_a, str(uuid.uuid4())),
    ):
        await assert_refused(world, NotFound, call)


# -- updates ------------------------------------------------------------------------------------


async def test_update_role_honours_the_field_mask_and_the_etag(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    role = await world.roles.create_role(admin, RoleDraft("ops", "first", ("memories:read",)))

    renamed = await world.roles.update_role(admin, str(role.id), RoleDraft(name="operators"), ["name"], role.etag)
    assert (renamed.name, renamed.description, renamed.permissions) == ("operators", "first", ("memories:read",))
    assert renamed.etag != role.etag

    await assert_refused(
        world,
        Aborted,
        world.roles.update_role(admin, str(role.id), RoleDraft(description="late"), ["description"], role.etag),
        match="etag",
    )
    await assert_refused(
        world,
        InvalidArgument,
        world.roles.update_role(admin, str(role.id), RoleDraft(), ["system"], ""),
        match="update_mask",
    )
    await world.roles.create_role(admin, RoleDraft("taken", "", ()))
    await assert_refused(
        world, AlreadyExists, world.roles.update_role(admin, str(role.id), RoleDraft(name="taken"), ["name"], "")
    )
    await assert_refused(
        world, AlreadyExists, world.roles.update_role(admin, str(role.id), RoleDraft(name="admin"), ["name"], "")
    )

    # An empty mask replaces every field; by name when the name does not change.
    full = await world.roles.update_role(
        admin, "operators", RoleDraft("operators", "second", ("memories:write",)), [], renamed.etag
    )
    assert (full.description, full.permissions) == ("second", ("memories:write",))
    assert ("RoleService/UpdateRole", "role", str(role.id), "success") in await audit_rows(world.db)


# -- grants, assignments and the resolver ------------------------------------------------------


async def test_a_grant_reaches_the_resolver_at_once_and_is_announced_on_the_bus(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    await world.roles.create_role(admin, RoleDraft("ops", "", ()))
    await world.roles.assign_role(admin, "ops", "bob")
    before = await world.resolver.effective(world.bob, world.org_a)
    assert before is not None and "audit:read" not in before.permissions and "ops" in before.roles

    changes = world.bus.subscribe([CHANGED_TOPIC])
    role = await world.roles.grant_permissions(admin, "ops", ["audit:read"])
    assert role.permissions == ("audit:read",)
    event = await changes.next(1)
    assert event is not None and event.data["org_id"] == str(world.org_a)
    after = await world.resolver.effective(world.bob, world.org_a)
    assert after is not None and "audit:read" in after.permissions

    await world.roles.revoke_permissions(admin, "ops", ["audit:read", "memories:read"])  # not held: ignored
    gone = await world.resolver.effective(world.bob, world.org_a)
    assert gone is not None and "audit:read" not in gone.permissions
    actions = [row[0] for row in await audit_rows(world.db)]
    assert "RoleService/GrantPermissions" in actions and "RoleService/RevokePermissions" in actions


async def test_assign_and_unassign_take_effect_at_once(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    role = await world.roles.create_role(admin, RoleDraft("auditors", "", ("audit:read",)))
    cached = await world.resolver.effective(world.bob, world.org_a)
    assert cached is not None and "audit:read" not in cached.permissions

    assignment = await world.roles.assign_role(admin, "auditors", "bob@example.test")
    assert (assignment.user_id, assignment.role_id, assignment.role_name) == (world.bob, role.id, "auditors")
    assert assignment.granted_by == world.alice and assignment.id is not None
    granted = await world.resolver.effective(world.bob, world.org_a)
    assert granted is not None and "audit:read" in granted.permissions

    await assert_refused(world, AlreadyExists, world.roles.assign_role(admin, str(role.id), str(world.bob)))
    await world.roles.unassign_role(admin, "auditors", "bob")
    revoked = await world.resolver.effective(world.bob, world.org_a)
    assert revoked is not None and "audit:read" not in revoked.permissions

    await assert_refused(world, NotFound, world.roles.unassign_role(admin, "auditors", "bob"))
    await assert_refused(world, FailedPrecondition, world.roles.unassign_role(admin, "user", "bob"), "base role")
    rows = await audit_rows(world.db)
    assert ("RoleService/AssignRole", "role", str(role.id), "success") in rows
    assert ("RoleService/UnassignRole", "role", str(role.id), "success") in rows


async def test_deleting_a_role_removes_its_assignments(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    role = await world.roles.create_role(admin, RoleDraft("temp", "", ("audit:read",)))
    await world.roles.assign_role(admin, "temp", "bob")
    assert "audit:read" in (await world.resolver.effective(world.bob, world.org_a)).permissions  # type: ignore[union-attr]

    await world.roles.delete_role(admin, "temp")
    assert "audit:read" not in (await world.resolver.effective(world.bob, world.org_a)).permissions  # type: ignore[union-attr]
    assert (await rbac_state(world.db))["assignments"] == []
    await assert_refused(world, NotFound, world.roles.delete_role(admin, str(role.id)))
    assert ("RoleService/DeleteRole", "role", str(role.id), "success") in await audit_rows(world.db)


# -- effective permissions ----------------------------------------------------------------------


async def test_effective_permissions_show_the_base_role_and_assignments(world: World) -> None:
    admin = await world.caller(world.alice, world.org_a)
    await world.roles.create_role(admin, RoleDraft("auditors", "", ("audit:read", "users:update")))
    await world.roles.assign_role(admin, "auditors", "bob")

    effective = await world.roles.effective_permissions(admin, "bob")
    assert effective.user_id == world.bob
    assert [(a.role_name, a.implicit) for a in effective.assignments] == [("user", True), ("auditors", False)]
    assert effective.assignments[0].id is None and effective.assignments[1].granted_by == world.alice
    assert effective.permissions == sorted(effective.permissions)
    assert {"audit:read", "users:update", "self:read"} <= set(effective.permissions)

    # Your own, always, even without roles:read (agents lack it) ...
    robot = await world.caller(world.robot, world.org_a)
    assert not robot.principal.can("roles:read")
    own = await world.roles.effective_permissions(robot, "")
    assert own.user_id == world.robot and [a.role_name for a in own.assignments] == ["agent"]
    assert (await world.roles.effective_permissions(robot, "robot")).user_id == world.robot
    # ... and anyone else's only with it.
    with pytest.raises(PermissionDenied, match="roles:read"):
        await world.roles.effective_permissions(robot, "bob")
