"""Audit rows for refused mutations, events for directory changes, user reactivation and memory restore,
end to end against a daemon (one daemon per test, several checks each, to keep the suite short)."""

from __future__ import annotations

import grpc
import pytest

from auralink.v1 import access_pb2, access_pb2_grpc
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
