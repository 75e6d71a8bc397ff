"""RoleService over gRPC against a running daemon: the catalogue, refusals with the right codes, a round trip."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from auralink.v1 import access_pb2, access_pb2_grpc
from auralinkd import runtime
from auralinkd.api.permissions import collect
from tests.support import Daemon, bearer


def _call(daemon: Daemon, method: str, request: object) -> object:
    with daemon.channel() as channel:
        stub = access_pb2_grpc.RoleServiceStub(channel)
        return getattr(stub, method)(request, metadata=bearer(daemon.token), timeout=10)


def _refused(daemon: Daemon, method: str, request: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        _call(daemon, method, request)
    return raised.value  # type: ignore[return-value]


def test_list_permissions_names_every_rpcs_permission(daemon: Daemon) -> None:
    response = _call(daemon, "ListPermissions", access_pb2.ListPermissionsRequest())
    listed = {p.name: set(p.methods) for p in response.permissions}  # type: ignore[attr-defined]
    declared = collect((cls, descriptor) for cls, descriptor, _ in runtime.API)
    assert "/auralink.v1.RoleService/CreateRole" in declared
    for method, permission in declared.items():
        assert method in listed[permission], f"{method} missing under {permission}"


def test_deleting_a_system_role_is_failed_precondition(daemon: Daemon) -> None:
    error = _refused(daemon, "DeleteRole", access_pb2.DeleteRoleRequest(role="admin"))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    role = _call(daemon, "GetRole", access_pb2.GetRoleRequest(role="admin"))
    assert role.system and role.name == "admin"  # type: ignore[attr-defined]


def test_an_unknown_permission_is_invalid_argument_with_the_field(daemon: Daemon) -> None:
    request = access_pb2.CreateRoleRequest(role=access_pb2.Role(name="bad", permissions=["memories:fly"]))
    error = _refused(daemon, "CreateRole", request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "memories:fly" in (error.details() or "")
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["permissions"]
    listed = _call(daemon, "ListRoles", access_pb2.ListRolesRequest(page_size=500))
    assert "bad" not in {r.name for r in listed.roles}  # type: ignore[attr-defined]


def test_a_custom_role_round_trip(daemon: Daemon) -> None:
    created = _call(
        daemon,
        "CreateRole",
        access_pb2.CreateRoleRequest(role=access_pb2.Role(name="auditors", permissions=["audit:read"])),
    )
    assert created.organization_id and not created.system and created.etag  # type: ignore[attr-defined]
    assert _refused(
        daemon, "CreateRole", access_pb2.CreateRoleRequest(role=access_pb2.Role(name="auditors"))
    ).code() == (grpc.StatusCode.ALREADY_EXISTS)

    updated = _call(
        daemon,
        "UpdateRole",
        access_pb2.UpdateRoleRequest(
            role=access_pb2.Role(id=created.id, description="read the trail", etag=created.etag),  # type: ignore[attr-defined]
            update_mask=field_mask_pb2.FieldMask(paths=["description"]),
        ),
    )
    assert updated.description == "read the trail" and list(updated.permissions) == ["audit:read"]  # type: ignore[attr-defined]
    stale = access_pb2.UpdateRoleRequest(
        role=access_pb2.Role(id=created.id, description="again", etag=created.etag),  # type: ignore[attr-defined]
        update_mask=field_mask_pb2.FieldMask(paths=["description"]),
    )
    assert _refused(daemon, "UpdateRole", stale).code() == grpc.StatusCode.ABORTED

    assignment = _call(daemon, "AssignRole", access_pb2.AssignRoleRequest(role="auditors", user="admin")).assignment  # type: ignore[attr-defined]
    assert assignment.role_name == "auditors" and assignment.id
    effective = _call(daemon, "GetEffectivePermissions", access_pb2.GetEffectivePermissionsRequest())
    assert "auditors" in {a.role_name for a in effective.assignments}  # type: ignore[attr-defined]
    assert list(effective.permissions) == sorted(effective.permissions)  # type: ignore[attr-defined]

    _call(daemon, "UnassignRole", access_pb2.UnassignRoleRequest(role="auditors", user="admin"))
    _call(daemon, "DeleteRole", access_pb2.DeleteRoleRequest(role=created.id))  # type: ignore[attr-defined]
    assert _refused(daemon, "GetRole", access_pb2.GetRoleRequest(role="auditors")).code() == grpc.StatusCode.NOT_FOUND
