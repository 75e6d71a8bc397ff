"""Audit rows for refused mutations, events for directory changes, user reactivation and memory restore,
end to end against a daemon (one daemon per test, several checks each, to keep the suite short)."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import json_format

from auralink.v1 import access_pb2, access_pb2_grpc, memory_pb2, memory_pb2_grpc, system_pb2, system_pb2_grpc
from tests.support import Daemon, bearer


def _refused(call, request, token: str) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        call(request, metadata=bearer(token), timeout=5)
    return info.value.code()


def test_refused_mutations_leave_one_failure_row_each(daemon: Daemon) -> None:
    token = daemon.token
    with daemon.channel() as channel:
        orgs = access_pb2_grpc.OrganizationServiceStub(channel)
        roles = access_pb2_grpc.RoleServiceStub(channel)
        audit = access_pb2_grpc.AuditServiceStub(channel)
        orgs.CreateOrganization(access_pb2.CreateOrganizationRequest(name="Acme", slug="acme"), metadata=bearer(token))
        duplicate = access_pb2.CreateOrganizationRequest(name="Acme 2", slug="acme")
        assert _refused(orgs.CreateOrganization, duplicate, token) == grpc.StatusCode.ALREADY_EXISTS
        system_role = next(
            r for r in roles.ListRoles(access_pb2.ListRolesRequest(), metadata=bearer(token)).roles if r.system
        )
        delete = access_pb2.DeleteRoleRequest(role=system_role.id)
        assert _refused(roles.DeleteRole, delete, token) == grpc.StatusCode.FAILED_PRECONDITION
        role = roles.CreateRole(
            access_pb2.CreateRoleRequest(role=access_pb2.Role(name="auditors", permissions=["audit:read"])),
            metadata=bearer(token),
        )
        roles.UpdateRole(
            access_pb2.UpdateRoleRequest(
                role=access_pb2.Role(id=role.id, name="auditors", description="first", etag=role.etag),
                update_mask={"paths": ["description"]},
            ),
            metadata=bearer(token),
        )
        stale = access_pb2.UpdateRoleRequest(
            role=access_pb2.Role(id=role.id, name="auditors", description="second", etag=role.etag)
        )
        assert _refused(roles.UpdateRole, stale, token) == grpc.StatusCode.ABORTED
        failures = audit.ListAuditLogs(access_pb2.ListAuditLogsRequest(outcome="failure"), metadata=bearer(token))
        verified = audit.VerifyAuditChain(access_pb2.VerifyAuditChainRequest(), metadata=bearer(token))
    rows = {(e.action, e.outcome): e for e in failures.entries}
    assert set(rows) == {
        ("OrganizationService/CreateOrganization", "failure"),
        ("RoleService/DeleteRole", "failure"),
        ("RoleService/UpdateRole", "failure"),
    }
    assert len(failures.entries) == 3  # one row per refusal, none for the successful calls
    assert all(e.request_id for e in failures.entries)
    assert verified.ok


def _user_token(channel: grpc.Channel, admin: str, user_id: str, scopes: list[str]) -> str:
    issued = access_pb2_grpc.CredentialServiceStub(channel).IssueToken(
        access_pb2.IssueTokenRequest(user=user_id, scopes=scopes), metadata=bearer(admin), timeout=5
    )
    return issued.token


def test_a_deactivated_users_auraid_stops_resolving_until_reactivated(daemon: Daemon) -> None:
    token = daemon.token
    with daemon.channel() as channel:
        users = access_pb2_grpc.UserServiceStub(channel)
        audit = access_pb2_grpc.AuditServiceStub(channel)
        user = users.CreateUser(
            access_pb2.CreateUserRequest(
                user=access_pb2.User(
                    email="ada@example.com",
                    username="ada",
                    aura_id=access_pb2.AuraId(aura_id="@ada.aura", privacy_level=access_pb2.PRIVACY_LEVEL_PUBLIC),
                )
            ),
            metadata=bearer(token),
        )
        resolve = access_pb2.ResolveAuraIdRequest(aura_id="@ada.aura")
        assert users.ResolveAuraId(resolve, metadata=bearer(token)).user_id == user.id
        member = _user_token(channel, token, user.id, ["self:read", "users:update"])
        # Refused by the service (not the guard): still exactly one row.
        other = access_pb2.UpdateUserRequest(user=access_pb2.User(username="admin", display_name="Mallory"))
        assert _refused(users.UpdateUser, other, member) == grpc.StatusCode.PERMISSION_DENIED
        deactivated = users.DeactivateUser(access_pb2.DeactivateUserRequest(user=user.id), metadata=bearer(token))
        assert not deactivated.active
        assert _refused(users.ResolveAuraId, resolve, token) == grpc.StatusCode.NOT_FOUND

        stale = access_pb2.ReactivateUserRequest(user=user.id, etag=user.etag)
        assert _refused(users.ReactivateUser, stale, token) == grpc.StatusCode.ABORTED
        missing = access_pb2.ReactivateUserRequest(user="00000000-0000-4000-8000-000000000000")
        assert _refused(users.ReactivateUser, missing, token) == grpc.StatusCode.NOT_FOUND
        request = access_pb2.ReactivateUserRequest(user="ada", etag=deactivated.etag)
        reactivated = users.ReactivateUser(request, metadata=bearer(token))
        assert reactivated.active and reactivated.id == user.id and reactivated.etag != deactivated.etag
        assert users.ResolveAuraId(resolve, metadata=bearer(token)).user_id == user.id
        again = access_pb2.ReactivateUserRequest(user=user.id)
        assert _refused(users.ReactivateUser, again, token) == grpc.StatusCode.FAILED_PRECONDITION
        # A token issued before the deactivation authenticates again (not an org admin: denied, audited).
        assert _refused(users.ReactivateUser, again, member) == grpc.StatusCode.PERMISSION_DENIED
        rows = audit.ListAuditLogs(
            access_pb2.ListAuditLogsRequest(action="UserService/ReactivateUser"), metadata=bearer(token)
        ).entries
        updates = audit.ListAuditLogs(
            access_pb2.ListAuditLogsRequest(action="UserService/UpdateUser", outcome="denied"), metadata=bearer(token)
        ).entries
    assert sorted(e.outcome for e in rows) == ["denied", "failure", "failure", "success"]  # NOT_FOUND: no row
    assert len(updates) == 1 and updates[0].actor_user_id == user.id


def test_a_soft_deleted_memory_is_restored_and_other_ids_are_not_found(daemon: Daemon) -> None:
    token = daemon.token
    with daemon.channel() as channel:
        memories = memory_pb2_grpc.MemoryServiceStub(channel)
        orgs = access_pb2_grpc.OrganizationServiceStub(channel)
        users = access_pb2_grpc.UserServiceStub(channel)
        audit = access_pb2_grpc.AuditServiceStub(channel)
        store = memory_pb2.StoreMemoryRequest(memory=memory_pb2.MemoryInput(content="The fern needs water weekly"))
        kept = memories.StoreMemory(store, metadata=bearer(token), timeout=120).result.memory_id
        gone = memories.StoreMemory(
            memory_pb2.StoreMemoryRequest(memory=memory_pb2.MemoryInput(content="Parking is on level 3")),
            metadata=bearer(token),
            timeout=60,
        ).result.memory_id
        # Another tenant's soft-deleted memory.
        orgs.CreateOrganization(
            access_pb2.CreateOrganizationRequest(name="Other", slug="other"), metadata=bearer(token)
        )
        stranger = users.CreateUser(
            access_pb2.CreateUserRequest(
                user=access_pb2.User(email="eve@other.example", username="eve"), organization="other"
            ),
            metadata=bearer(token),
        )
        eve = _user_token(channel, token, stranger.id, ["memories:read", "memories:write", "memories:delete"])
        theirs = memories.StoreMemory(store, metadata=bearer(eve), timeout=60).result.memory_id
        memories.DeleteMemory(memory_pb2.DeleteMemoryRequest(id=theirs), metadata=bearer(eve))

        memories.DeleteMemory(memory_pb2.DeleteMemoryRequest(id=kept), metadata=bearer(token))
        memories.DeleteMemory(memory_pb2.DeleteMemoryRequest(id=gone, hard=True), metadata=bearer(token))
        get = memory_pb2.GetMemoryRequest(id=kept)
        assert _refused(memories.GetMemory, get, token) == grpc.StatusCode.NOT_FOUND
        restored = memories.RestoreMemory(memory_pb2.RestoreMemoryRequest(id=kept), metadata=bearer(token))
        assert restored.id == kept and restored.state == memory_pb2.MEMORY_STATE_ACTIVE
        assert memories.GetMemory(get, metadata=bearer(token)).content == "The fern needs water weekly"
        listed = memories.ListMemories(memory_pb2.ListMemoriesRequest(), metadata=bearer(token))
        assert kept in {m.id for m in listed.memories}

        restore = memories.RestoreMemory
        again = memory_pb2.RestoreMemoryRequest(id=kept)
        assert _refused(restore, again, token) == grpc.StatusCode.FAILED_PRECONDITION
        for other in (theirs, gone, "00000000-0000-4000-8000-000000000000"):
            assert _refused(restore, memory_pb2.RestoreMemoryRequest(id=other), token) == grpc.StatusCode.NOT_FOUND
        bad = memory_pb2.RestoreMemoryRequest(id="not-a-uuid")
        assert _refused(restore, bad, token) == grpc.StatusCode.INVALID_ARGUMENT
        reader = _user_token(channel, token, stranger.id, ["memories:read"])
        assert (
            _refused(restore, memory_pb2.RestoreMemoryRequest(id=theirs), reader) == grpc.StatusCode.PERMISSION_DENIED
        )
        assert memories.RestoreMemory(memory_pb2.RestoreMemoryRequest(id=theirs), metadata=bearer(eve)).id == theirs
        rows = audit.ListAuditLogs(
            access_pb2.ListAuditLogsRequest(action="MemoryService/RestoreMemory"), metadata=bearer(token)
        ).entries
    assert sorted((e.outcome, e.resource_id) for e in rows) == [("failure", ""), ("success", kept)]


def _replayed(channel: grpc.Channel, token: str, **extra: object) -> list[tuple[str, str, dict]]:
    """(topic, organization_id, payload) of every directory event the watcher may see, oldest first."""
    request = system_pb2.WatchEventsRequest(topics=["org.", "user.", "role."], replay=1000, **extra)
    stream = system_pb2_grpc.SystemServiceStub(channel).WatchEvents(request, metadata=bearer(token), timeout=3)
    seen = []
    try:
        for event in stream:
            if not event.heartbeat:
                seen.append((event.topic, event.organization_id, json_format.MessageToDict(event.data)))
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    return seen


def test_org_user_and_role_changes_are_events_with_typed_payloads_for_their_org_only(daemon: Daemon) -> None:
    token = daemon.token
    with daemon.channel() as channel:
        orgs = access_pb2_grpc.OrganizationServiceStub(channel)
        users = access_pb2_grpc.UserServiceStub(channel)
        roles = access_pb2_grpc.RoleServiceStub(channel)
        acme = orgs.CreateOrganization(
            access_pb2.CreateOrganizationRequest(name="Acme", slug="acme"), metadata=bearer(token)
        )
        eve = users.CreateUser(
            access_pb2.CreateUserRequest(
                user=access_pb2.User(email="eve@acme.example", username="eve"), organization="acme"
            ),
            metadata=bearer(token),
        )
        bob = users.CreateUser(
            access_pb2.CreateUserRequest(user=access_pb2.User(email="bob@example.com", username="bob")),
            metadata=bearer(token),
        )
        users.DeactivateUser(access_pb2.DeactivateUserRequest(user=bob.id), metadata=bearer(token))
        users.ReactivateUser(access_pb2.ReactivateUserRequest(user=bob.id), metadata=bearer(token))
        role = roles.CreateRole(
            access_pb2.CreateRoleRequest(role=access_pb2.Role(name="auditors", permissions=["audit:read"])),
            metadata=bearer(token),
        )
        roles.AssignRole(access_pb2.AssignRoleRequest(role=role.id, user=bob.id), metadata=bearer(token))
        own = _replayed(channel, token)
        everything = _replayed(channel, token, all_organizations=True)
        acme_member = _user_token(channel, token, eve.id, ["events:watch"])
        theirs = _replayed(channel, acme_member)
        me = access_pb2_grpc.CredentialServiceStub(channel).WhoAmI(access_pb2.WhoAmIRequest(), metadata=bearer(token))
    home = bob.organization_id
    assert [(t, o) for t, o, _ in own] == [
        ("user.created", home), ("user.deactivated", home), ("user.reactivated", home),
        ("role.created", home), ("role.assigned", home),
    ]  # fmt: skip
    assert [(t, o) for t, o, _ in theirs] == [("org.created", acme.id), ("user.created", acme.id)]
    assert {t for t, _, _ in everything} >= {"org.created", "user.created", "role.assigned"}
    created = theirs[1][2]
    assert created == {
        "id": eve.id, "organization_id": acme.id, "username": "eve", "base_role": "user", "active": True,
        "actor_user_id": me.user.id, "fields": [],
    }  # fmt: skip
    assert "email" not in json.dumps(everything)
    assert own[2][2]["active"] is True and own[1][2]["active"] is False
    assigned = own[4][2]
    assert (assigned["name"], assigned["permissions"], assigned["user_id"]) == ("auditors", ["audit:read"], bob.id)
