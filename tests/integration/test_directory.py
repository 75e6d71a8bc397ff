"""The directory service on real PostgreSQL (16 and 15): orgs, users, AuraIDs, RLS, etags and the audit trail."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from auralinkd.access.principal import Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db import migrate
from auralinkd.db.database import Database
from auralinkd.directory.models import AuraIdSettings, NewOrganization, NewUser, OrganizationPatch, UserPatch
from auralinkd.directory.service import DirectoryService
from auralinkd.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from auralinkd.rbac.resolver import CHANGED_TOPIC, PermissionResolver

ADMIN_PERMISSIONS = frozenset({
    "org:admin", "orgs:read", "orgs:update", "orgs:delete", "users:*", "auraid:resolve", "audit:read", "self:read",
})  # fmt: skip
MEMBER_PERMISSIONS = frozenset({"orgs:read", "users:read", "auraid:resolve", "self:read"})
# The system roles' permissions as the catalogue would sync them (only what these tests need).
SYSTEM_ROLES = {
    "user": ["self:read", "users:read", "auraid:resolve"],
    "agent": ["self:read"],
    "moderator": ["self:read", "users:read", "audit:read"],
    "admin": sorted(ADMIN_PERMISSIONS),
}


@dataclass
class World:
    db: Database
    bus: EventBus
    resolver: PermissionResolver
    directory: DirectoryService
    org_a: uuid.UUID
    org_b: uuid.UUID
    admin_a: uuid.UUID
    member_a: uuid.UUID
    admin_b: uuid.UUID
    member_b: uuid.UUID

    def caller(self, user: uuid.UUID, org: uuid.UUID, permissions: frozenset[str]) -> Caller:
        return Caller(Principal(user, org, permissions, "test"), "req-1")

    @property
    def platform(self) -> Caller:
        return self.caller(self.admin_a, self.org_a, frozenset({"*"}))

    @property
    def a_admin(self) -> Caller:
        return self.caller(self.admin_a, self.org_a, ADMIN_PERMISSIONS)

    @property
    def a_member(self) -> Caller:
        return self.caller(self.member_a, self.org_a, MEMBER_PERMISSIONS)

    @property
    def b_admin(self) -> Caller:
        return self.caller(self.admin_b, self.org_b, ADMIN_PERMISSIONS)

    @property
    def b_member(self) -> Caller:
        return self.caller(self.member_b, self.org_b, MEMBER_PERMISSIONS)


async def _seed_org(conn: asyncpg.Connection, slug: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    org = await conn.fetchval("INSERT INTO organizations (name, slug) VALUES ($1, $2) RETURNING id", slug.upper(), slug)
    admin, member = [
        await conn.fetchval(
            "INSERT INTO users (organization_id, email, username, role) VALUES ($1, $2, $3, $4) RETURNING id",
            org,
            f"{name}@{slug}.example",
            f"{name}-{slug}",
            role,
        )
        for name, role in (("admin", "admin"), ("member", "user"))
    ]
    return org, admin, member


@pytest.fixture
async def world(fresh_dsn: str) -> AsyncIterator[World]:
    db = Database(embedded=False, min_size=1, max_size=4, statement_timeout_s=10)
    await db.connect(fresh_dsn, attempts=3, migrations=migrate.discover())
    async with db.system() as conn:
        org_a, admin_a, member_a = await _seed_org(conn, "org-a")
        org_b, admin_b, member_b = await _seed_org(conn, "org-b")
        for name, permissions in SYSTEM_ROLES.items():
            await conn.execute(
                "INSERT INTO rbac_roles (name, permissions, is_system_role) VALUES ($1, $2::jsonb, true)",
                name,
                json.dumps(permissions),
            )
    bus = EventBus("t", None)
    resolver = PermissionResolver(db, bus, None)
    directory = DirectoryService(db, AuditLog(db), resolver)
    yield World(db, bus, resolver, directory, org_a, org_b, admin_a, member_a, admin_b, member_b)
    await db.close()


async def _state(db: Database) -> list[list[tuple]]:
    """Everything the directory can change, for "nothing changed" checks."""
    async with db.system() as conn:
        return [
            [tuple(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY id")]
            for table in ("organizations", "users", "aura_id_registry")
        ]


async def _audit_rows(db: Database) -> list[asyncpg.Record]:
    async with db.system() as conn:
        return await conn.fetch(
            "SELECT organization_id, actor_user_id, action, resource_type, resource_id, outcome, request_id"
            " FROM audit_logs ORDER BY id"
        )


def _invalidated_users(bus: EventBus) -> list[str]:
    return [e.data["user_id"] for e in bus.recent() if e.topic == CHANGED_TOPIC]


def _new_user(name: str, **kwargs: object) -> NewUser:
    return NewUser(email=f"{name}@example.com", username=name, **kwargs)  # type: ignore[arg-type]


# -- organizations ----------------------------------------------------------------------------------


async def test_a_platform_operator_creates_an_org_and_the_audit_row_is_in_the_same_transaction(world: World) -> None:
    org = await world.directory.create_org(world.platform, NewOrganization("Acme Corp", "acme"))
    assert (org.name, org.slug, org.active) == ("Acme Corp", "acme", True)
    assert org.etag
    rows = await _audit_rows(world.db)
    assert [(r["action"], r["resource_type"], r["resource_id"], r["outcome"]) for r in rows] == [
        ("OrganizationService/CreateOrganization", "organization", str(org.id), "success")
    ]
    assert rows[0]["organization_id"] == world.org_a and rows[0]["actor_user_id"] == world.admin_a
    assert rows[0]["request_id"] == "req-1"


async def test_an_org_admin_cannot_create_an_org_and_nothing_changes(world: World) -> None:
    before = await _state(world.db)
    with pytest.raises(PermissionDenied):
        await world.directory.create_org(world.a_admin, NewOrganization("Evil", "evil"))
    assert await _state(world.db) == before
    rows = await _audit_rows(world.db)
    assert [(r["action"], r["outcome"]) for r in rows] == [("OrganizationService/CreateOrganization", "denied")]


BAD_ORGS = [
    ("Fine", "A-upper", "slug"),
    ("Fine", "x", "slug"),
    ("Fine", "-leading", "slug"),
    ("Fine", "s" * 64, "slug"),
    ("Fine", "under_score", "slug"),
    ("n" * 201, "fine", "name"),
    ("   ", "fine", "name"),
]


async def test_bad_org_names_and_slugs_are_invalid_and_change_nothing(world: World) -> None:
    before = await _state(world.db)
    for name, slug, field in BAD_ORGS:
        with pytest.raises(InvalidArgument) as caught:
            await world.directory.create_org(world.platform, NewOrganization(name, slug))
        assert [v.field for v in caught.value.violations] == [field], (name, slug)
    assert await _state(world.db) == before


async def test_a_duplicate_slug_already_exists(world: World) -> None:
    before = await _state(world.db)
    with pytest.raises(AlreadyExists, match="slug"):
        await world.directory.create_org(world.platform, NewOrganization("Again", "org-a"))
    assert await _state(world.db) == before
    assert await _audit_rows(world.db) == []


async def test_members_see_only_their_org_and_another_orgs_id_is_not_found(world: World) -> None:
    own = await world.directory.get_org(world.a_member, str(world.org_a))
    assert own.slug == "org-a"
    assert (await world.directory.get_org(world.a_member, "org-a")).id == world.org_a
    for ref in (str(world.org_b), "org-b", str(uuid.uuid4())):
        with pytest.raises(NotFound):
            await world.directory.get_org(world.a_admin, ref)
    listed = await world.directory.list_orgs(world.a_admin, include_inactive=True)
    assert [o.slug for o in listed.items] == ["org-a"] and listed.next_page_token == ""
    # A platform operator sees every org.
    assert (await world.directory.get_org(world.platform, "org-b")).id == world.org_b


async def test_listing_orgs_pages_through_every_org_once(world: World) -> None:
    for i in range(7):
        await world.directory.create_org(world.platform, NewOrganization(f"Org {i}", f"paged-{i}"))
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await world.directory.list_orgs(world.platform, 3, token)
        assert len(page.items) <= 3
        seen += [o.slug for o in page.items]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 3
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 9
    with pytest.raises(InvalidArgument):
        await world.directory.list_orgs(world.platform, 3, "not-a-token")


async def test_updating_an_org_checks_the_mask_the_etag_and_the_caller(world: World) -> None:
    org = await world.directory.get_org(world.a_admin, "org-a")
    before = await _state(world.db)
    with pytest.raises(InvalidArgument, match="slug"):
        await world.directory.update_org(world.a_admin, "org-a", OrganizationPatch("New"), ["slug"], org.etag)
    with pytest.raises(PermissionDenied):
        await world.directory.update_org(world.a_member, "org-a", OrganizationPatch("New"), ["name"], org.etag)
    with pytest.raises(Aborted):
        await world.directory.update_org(world.a_admin, "org-a", OrganizationPatch("New"), ["name"], "0")
    with pytest.raises(NotFound):
        await world.directory.update_org(world.a_admin, str(world.org_b), OrganizationPatch("New"), ["name"], "")
    with pytest.raises(InvalidArgument):
        await world.directory.update_org(world.a_admin, "org-a", OrganizationPatch("n" * 201), [], org.etag)
    assert await _state(world.db) == before

    updated = await world.directory.update_org(world.a_admin, "org-a", OrganizationPatch("Renamed"), [], org.etag)
    assert updated.name == "Renamed" and updated.etag != org.etag
    with pytest.raises(Aborted):  # the old etag is stale now
        await world.directory.update_org(world.a_admin, "org-a", OrganizationPatch("Again"), ["name"], org.etag)
    actions = [(r["action"], r["outcome"]) for r in await _audit_rows(world.db)]
    assert ("OrganizationService/UpdateOrganization", "success") in actions
    assert ("OrganizationService/UpdateOrganization", "denied") in actions


async def test_deactivating_an_org_stops_its_members_and_spares_the_callers_own(world: World) -> None:
    assert (await world.resolver.effective(world.member_b, world.org_b)).active  # type: ignore[union-attr]
    org_b = await world.directory.get_org(world.platform, "org-b")
    with pytest.raises(Aborted):
        await world.directory.deactivate_org(world.platform, "org-b", "stale")
    with pytest.raises(FailedPrecondition):
        await world.directory.deactivate_org(world.platform, "org-a")
    with pytest.raises(NotFound):  # an org admin of A cannot even see B
        await world.directory.deactivate_org(world.a_admin, "org-b")
    done = await world.directory.deactivate_org(world.platform, "org-b", org_b.etag)
    assert done.active is False
    assert any(e.topic == CHANGED_TOPIC and e.data["org_id"] == str(world.org_b) for e in world.bus.recent())
    assert not (await world.resolver.effective(world.member_b, world.org_b)).active  # type: ignore[union-attr]
    with pytest.raises(FailedPrecondition):
        await world.directory.deactivate_org(world.platform, "org-b")
    listed = await world.directory.list_orgs(world.platform)
    assert [o.slug for o in listed.items] == ["org-a"]
    with pytest.raises(FailedPrecondition):  # no new users in a deactivated org
        await world.directory.create_user(world.platform, _new_user("late"), organization="org-b")


# -- users --------------------------------------------------------------------------------------------


async def test_an_org_admin_creates_a_user_with_an_auraid_and_it_is_audited(world: World) -> None:
    aura = AuraIdSettings("@alice.aura", "contacts", False, ("Example.org",))
    user = await world.directory.create_user(
        world.a_admin, NewUser("Alice@Example.com", "alice", "Alice A.", "moderator", aura)
    )
    assert (user.organization_id, user.email, user.username, user.display_name) == (
        world.org_a, "Alice@Example.com", "alice", "Alice A.",
    )  # fmt: skip
    assert user.base_role == "moderator" and user.active
    assert user.aura is not None
    assert (user.aura.aura_id, user.aura.privacy_level, user.aura.allow_cross_app_calls) == (
        "@alice.aura", "contacts", False,
    )  # fmt: skip
    assert user.aura.federated_domains == ("example.org",) and user.aura.verified is False
    rows = await _audit_rows(world.db)
    assert [(r["action"], r["resource_type"], r["resource_id"]) for r in rows] == [
        ("UserService/CreateUser", "user", str(user.id))
    ]
    # Defaults: the least privileged base role, and the least exposed privacy level.
    bob = await world.directory.create_user(world.a_admin, _new_user("bob", aura=AuraIdSettings("bob")))
    assert bob.base_role == "user" and bob.aura is not None
    assert (bob.aura.aura_id, bob.aura.privacy_level) == ("@bob.aura", "private")


async def test_a_plain_member_cannot_create_users_and_nothing_changes(world: World) -> None:
    before = await _state(world.db)
    with pytest.raises(PermissionDenied):
        await world.directory.create_user(world.a_member, _new_user("sneaky"))
    assert await _state(world.db) == before
    assert [(r["action"], r["outcome"]) for r in await _audit_rows(world.db)] == [("UserService/CreateUser", "denied")]


async def test_hammering_a_refused_call_writes_one_audit_row_not_one_per_attempt(world: World) -> None:
    before = await _state(world.db)
    for _ in range(30):
        with pytest.raises(PermissionDenied):
            await world.directory.create_user(world.a_member, _new_user("sneaky"))
    assert await _state(world.db) == before
    assert [(r["action"], r["outcome"]) for r in await _audit_rows(world.db)] == [("UserService/CreateUser", "denied")]


async def test_nobody_grants_a_base_role_carrying_permissions_they_lack(world: World) -> None:
    # users:create without org:admin: refused before any SQL runs.
    partial = world.caller(world.admin_a, world.org_a, frozenset({"users:create", "users:read"}))
    # org:admin without audit:read, which the moderator role carries.
    no_audit = world.caller(world.admin_a, world.org_a, ADMIN_PERMISSIONS - {"audit:read"})
    before = await _state(world.db)
    with pytest.raises(PermissionDenied):
        await world.directory.create_user(partial, _new_user("xavier"))
    with pytest.raises(PermissionDenied, match="audit:read"):
        await world.directory.create_user(no_audit, _new_user("xena", base_role="moderator"))
    member = await world.directory.get_user(world.a_admin, str(world.member_a))
    with pytest.raises(PermissionDenied, match="audit:read"):
        await world.directory.update_user(no_audit, str(world.member_a), UserPatch(base_role="moderator"), [], "")
    with pytest.raises(PermissionDenied):  # a member promoting themselves (the DB trigger would refuse too)
        await world.directory.update_user(world.a_member, str(world.member_a), UserPatch(base_role="admin"), [], "")
    assert await _state(world.db) == before
    assert (await world.directory.get_user(world.a_admin, str(world.member_a))).etag == member.etag


BAD_EMAILS = [
    "no-at-sign", "a@b", "a@@b.com", "a@b@c.com", "a b@c.com", "@example.com", "a@.example.com", "a@example..com",
    "a@example.com.", "x" * 310 + "@example.com", "",
]  # fmt: skip


async def test_invalid_emails_are_invalid_arguments_naming_the_field(world: World) -> None:
    before = await _state(world.db)
    for email in BAD_EMAILS:
        with pytest.raises(InvalidArgument) as caught:
            await world.directory.create_user(world.a_admin, NewUser(email, "valid"))
        assert [v.field for v in caught.value.violations] == ["email"], email
    assert await _state(world.db) == before


async def test_duplicate_email_username_or_auraid_already_exists_and_changes_nothing(world: World) -> None:
    await world.directory.create_user(world.a_admin, _new_user("carol", aura=AuraIdSettings("carol", "public")))
    before = await _state(world.db)
    audit_before = await _audit_rows(world.db)
    for new, caller, what in [
        (NewUser("CAROL@example.com", "carol2"), world.a_admin, "email"),
        (NewUser("carol@elsewhere.example", "carol"), world.a_admin, "username"),
        (NewUser("c3@example.com", "carol3", aura=AuraIdSettings("@carol.aura")), world.a_admin, "AuraID"),
        (NewUser("c4@example.com", "carol4", aura=AuraIdSettings("carol")), world.b_admin, "AuraID"),  # any org
        (NewUser("Carol@Example.com", "carol5"), world.b_admin, "email"),  # unique across the cluster
    ]:
        with pytest.raises(AlreadyExists, match=what):
            await world.directory.create_user(caller, new)
    assert await _state(world.db) == before
    assert await _audit_rows(world.db) == audit_before
    # The same username is fine in another org.
    await world.directory.create_user(world.b_admin, NewUser("carol@b.example", "carol"))


BAD_AURA_IDS = [
    ("ab", "3-32 characters"),
    ("a" * 33, "3-32 characters"),
    ("Alice", "lowercase"),
    ("al!ce", "lowercase"),
    ("al ice", "lowercase"),
    (".alice", "start or end with a dot"),
    ("@alice..aura", "start or end with a dot"),
    ("@.alice.aura", "start or end with a dot"),
]


async def test_invalid_auraids_name_the_rule_and_change_nothing(world: World) -> None:
    before = await _state(world.db)
    for aura_id, rule in BAD_AURA_IDS:
        with pytest.raises(InvalidArgument, match=rule) as caught:
            await world.directory.create_user(world.a_admin, _new_user("dave", aura=AuraIdSettings(aura_id)))
        assert [v.field for v in caught.value.violations] == ["aura_id"], aura_id
    assert await _state(world.db) == before


async def test_an_auraid_may_be_given_with_or_without_the_at_and_the_suffix(world: World) -> None:
    for i, given in enumerate(["erin", "@erin", "erin.aura", "@erin.aura"]):
        user = await world.directory.create_user(
            world.a_admin, _new_user(f"erin{i}", aura=AuraIdSettings(given, "public"))
        )
        assert user.aura is not None and user.aura.aura_id == "@erin.aura", given
        assert (await world.directory.resolve_aura_id(world.b_member, given)).user_id == user.id
        await world.directory.update_user(world.a_admin, str(user.id), UserPatch(), ["aura_id"], "")


BAD_USERS = [
    (NewUser("f@example.com", "frank", display_name="d" * 201), "display_name"),
    (NewUser("f@example.com", "Frank"), "username"),
    (NewUser("f@example.com", "fr"), "username"),
    (NewUser("f@example.com", "f" * 33), "username"),
    (NewUser("f@example.com", "frank", base_role="root"), "base_role"),
    (NewUser("f@example.com", "frank", aura=AuraIdSettings("frank", "secret")), "privacy_level"),
    (NewUser("f@example.com", "frank", aura=AuraIdSettings("frank", federated_domains=("not a domain",))),
     "federated_domains"),
    (NewUser("f@example.com", "frank", aura=AuraIdSettings("frank", federated_domains=("d.example",) * 33)),
     "federated_domains"),
]  # fmt: skip


async def test_oversized_or_malformed_user_fields_are_invalid(world: World) -> None:
    before = await _state(world.db)
    for new, field in BAD_USERS:
        with pytest.raises(InvalidArgument) as caught:
            await world.directory.create_user(world.a_admin, new)
        assert [v.field for v in caught.value.violations] == [field], new
    assert await _state(world.db) == before


async def test_platform_operators_create_users_in_another_org_and_org_admins_cannot(world: World) -> None:
    before = await _state(world.db)
    for ref in ("org-b", str(world.org_b)):
        with pytest.raises(NotFound):
            await world.directory.create_user(world.a_admin, _new_user("intruder"), organization=ref)
    assert await _state(world.db) == before
    user = await world.directory.create_user(world.platform, _new_user("gina", base_role="admin"), "org-b")
    assert user.organization_id == world.org_b and user.base_role == "admin"
    found = await world.directory.get_user(world.b_admin, "gina")
    assert found.id == user.id
    # The audit row joins the operator's own org's chain.
    row = (await _audit_rows(world.db))[-1]
    assert (row["organization_id"], row["action"], row["resource_id"]) == (
        world.org_a, "UserService/CreateUser", str(user.id),
    )  # fmt: skip
    assert (await world.directory.create_user(world.a_admin, _new_user("own"), "org-a")).organization_id == world.org_a


async def test_another_orgs_user_is_not_found_by_any_reference_or_operation(world: World) -> None:
    before = await _state(world.db)
    for ref in (str(world.member_b), "member@org-b.example", "member-org-b"):
        with pytest.raises(NotFound):
            await world.directory.get_user(world.a_admin, ref)
        with pytest.raises(NotFound):
            await world.directory.update_user(world.a_admin, ref, UserPatch(display_name="pwned"), [], "")
        with pytest.raises(NotFound):
            await world.directory.deactivate_user(world.a_admin, ref)
    assert await _state(world.db) == before
    names = [u.username for u in (await world.directory.list_users(world.a_admin, include_inactive=True)).items]
    assert names == ["admin-org-a", "member-org-a"]


async def test_a_user_is_found_by_id_email_in_any_case_or_username(world: World) -> None:
    for ref in (str(world.member_a), "MEMBER@org-a.example", "member-org-a"):
        assert (await world.directory.get_user(world.a_member, ref)).id == world.member_a
    with pytest.raises(NotFound):
        await world.directory.get_user(world.a_member, "nobody")
    with pytest.raises(InvalidArgument):
        await world.directory.get_user(world.a_member, "x" * 400)


async def test_listing_users_pages_through_everyone_once_with_filter_and_inactive(world: World) -> None:
    for i in range(12):
        await world.directory.create_user(world.a_admin, NewUser(f"p{i}@example.com", f"paged-{i:02d}", f"Paged {i}"))
    seen: list[str] = []
    token = ""
    while True:
        page = await world.directory.list_users(world.a_member, 5, token)
        assert len(page.items) <= 5
        seen += [u.username for u in page.items]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) == 14 and seen == sorted(seen)
    filtered = await world.directory.list_users(world.a_member, 50, "", False, "PAGED 1")
    assert [u.username for u in filtered.items] == ["paged-01", "paged-10", "paged-11"]
    await world.directory.deactivate_user(world.a_admin, "paged-03")
    active = await world.directory.list_users(world.a_member, 50, "", False, "paged")
    everyone = await world.directory.list_users(world.a_member, 50, "", True, "paged")
    assert "paged-03" not in [u.username for u in active.items]
    assert "paged-03" in [u.username for u in everyone.items]
    with pytest.raises(InvalidArgument):
        await world.directory.list_users(world.a_member, 5, "e30")  # a valid-looking token we did not issue
    with pytest.raises(InvalidArgument):
        await world.directory.list_users(world.a_member, -1)


async def test_updating_a_user_checks_the_mask_the_etag_and_who_is_asking(world: World) -> None:
    user = await world.directory.get_user(world.a_admin, "member-org-a")
    before = await _state(world.db)
    with pytest.raises(InvalidArgument, match="'username'"):
        await world.directory.update_user(world.a_admin, "member-org-a", UserPatch(), ["username"], user.etag)
    with pytest.raises(InvalidArgument, match="update_mask"):
        await world.directory.update_user(world.a_admin, "member-org-a", UserPatch(), [], user.etag)
    with pytest.raises(InvalidArgument):  # the mask names base_role, left unspecified
        await world.directory.update_user(world.a_admin, "member-org-a", UserPatch(), ["base_role"], user.etag)
    with pytest.raises(Aborted):
        await world.directory.update_user(world.a_admin, "member-org-a", UserPatch(display_name="M"), [], "12")
    with pytest.raises(PermissionDenied):  # a member changing another member
        await world.directory.update_user(world.a_member, "admin-org-a", UserPatch(display_name="x"), [], "")
    with pytest.raises(AlreadyExists):
        await world.directory.update_user(world.a_admin, "member-org-a", UserPatch(email="ADMIN@org-a.example"), [], "")
    assert await _state(world.db) == before

    patch = UserPatch(display_name="Member A", email="m.a@example.com", aura=AuraIdSettings("member.a", "public"))
    updated = await world.directory.update_user(world.a_admin, "member-org-a", patch, [], user.etag)
    assert (updated.display_name, updated.email, updated.base_role) == ("Member A", "m.a@example.com", "user")
    assert updated.aura is not None and updated.aura.aura_id == "@member.a.aura"
    assert updated.etag != user.etag
    assert _invalidated_users(world.bus) == []  # nothing that permissions depend on changed
    # A member may change their own display name and AuraID; the mask limits what is applied.
    own = await world.directory.update_user(
        world.a_member, str(world.member_a), UserPatch(display_name="Me", email="ignored@example.com"),
        ["display_name"], updated.etag,
    )  # fmt: skip
    assert (own.display_name, own.email) == ("Me", "m.a@example.com")
    assert (await world.directory.resolve_aura_id(world.b_member, "member.a")).display_name == "Me"
    # The AuraID in the mask, unset in the request: removed.
    gone = await world.directory.update_user(world.a_member, str(world.member_a), UserPatch(), ["aura_id"], own.etag)
    assert gone.aura is None
    actions = [(r["action"], r["outcome"]) for r in await _audit_rows(world.db)]
    assert actions.count(("UserService/UpdateUser", "success")) == 3
    assert ("UserService/UpdateUser", "denied") in actions


async def test_changing_a_base_role_invalidates_the_users_cached_permissions(world: World) -> None:
    before = await world.resolver.effective(world.member_a, world.org_a)
    assert before is not None and "audit:read" not in before.permissions
    user = await world.directory.update_user(
        world.a_admin, "member-org-a", UserPatch(base_role="moderator"), ["base_role"], ""
    )
    assert user.base_role == "moderator"
    assert _invalidated_users(world.bus) == [str(world.member_a)]
    after = await world.resolver.effective(world.member_a, world.org_a)
    assert after is not None and "audit:read" in after.permissions


async def test_deactivating_a_user_stops_their_credentials(world: World) -> None:
    assert (await world.resolver.effective(world.member_a, world.org_a)).active  # type: ignore[union-attr]
    user = await world.directory.get_user(world.a_admin, "member-org-a")
    before = await _state(world.db)
    with pytest.raises(PermissionDenied):
        await world.directory.deactivate_user(world.a_member, "admin-org-a")
    with pytest.raises(FailedPrecondition):
        await world.directory.deactivate_user(world.a_admin, str(world.admin_a))
    with pytest.raises(Aborted):
        await world.directory.deactivate_user(world.a_admin, "member-org-a", "beef")
    assert await _state(world.db) == before
    done = await world.directory.deactivate_user(world.a_admin, "member-org-a", user.etag)
    assert done.active is False and done.etag != user.etag
    assert _invalidated_users(world.bus) == [str(world.member_a)]
    assert not (await world.resolver.effective(world.member_a, world.org_a)).active  # type: ignore[union-attr]
    with pytest.raises(FailedPrecondition):
        await world.directory.deactivate_user(world.a_admin, "member-org-a")
    actions = [(r["action"], r["resource_id"], r["outcome"]) for r in await _audit_rows(world.db)]
    assert ("UserService/DeactivateUser", str(world.member_a), "success") in actions


# -- AuraID resolution ----------------------------------------------------------------------------------


async def test_resolving_respects_privacy_across_orgs(world: World) -> None:
    for name, privacy in (("pub", "public"), ("friends", "contacts"), ("hidden", "private")):
        await world.directory.create_user(
            world.a_admin, NewUser(f"{name}@example.com", name, name.title(), aura=AuraIdSettings(name, privacy))
        )
    # Everyone resolves a public AuraID.
    found = await world.directory.resolve_aura_id(world.b_member, "@pub.aura")
    assert (found.aura_id, found.organization_id, found.display_name, found.privacy_level) == (
        "@pub.aura", world.org_a, "Pub", "public",
    )  # fmt: skip
    # Contacts and private ones resolve only inside their org, for any member.
    for given, privacy in (("@friends.aura", "contacts"), ("@hidden.aura", "private")):
        with pytest.raises(NotFound):
            await world.directory.resolve_aura_id(world.b_admin, given)
        inside = await world.directory.resolve_aura_id(world.a_member, given)
        assert inside.privacy_level == privacy and inside.organization_id == world.org_a
    with pytest.raises(NotFound):
        await world.directory.resolve_aura_id(world.a_member, "@nobody.aura")
    with pytest.raises(InvalidArgument, match="start or end with a dot"):
        await world.directory.resolve_aura_id(world.a_member, "@nobody..aura")
    # A member of the org does not see another member's private AuraID on the user, an admin does.
    assert (await world.directory.get_user(world.a_member, "hidden")).aura is None
    assert (await world.directory.get_user(world.a_admin, "hidden")).aura is not None


async def test_the_audit_chain_stays_valid_across_tenant_and_operator_writes(world: World) -> None:
    await world.directory.create_org(world.platform, NewOrganization("Chain", "chain"))
    await world.directory.create_user(world.platform, _new_user("henry"), "org-b")
    await world.directory.create_user(world.a_admin, _new_user("ivy"))
    with pytest.raises(PermissionDenied):
        await world.directory.create_user(world.a_member, _new_user("jack"))
    result = await AuditLog(world.db).verify(world.a_admin)
    assert result.ok and result.rows_checked == 4
