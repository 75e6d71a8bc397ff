"""OrganizationService and UserService over gRPC: the servicers are wired, and refusals carry the right codes."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2, status_pb2

from auralink.v1 import access_pb2, access_pb2_grpc
from tests.support import Daemon, bearer

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def _field_violations(error: grpc.RpcError) -> list[str]:
    raw = dict(error.trailing_metadata() or ()).get(STATUS_DETAILS_KEY)
    if raw is None:
        return []
    status = status_pb2.Status.FromString(raw)
    fields = []
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            fields += [v.field for v in bad_request.field_violations]
    return fields


def _refused(call, request, daemon: Daemon) -> grpc.RpcError:  # noqa: ANN001 - a stub method
    with pytest.raises(grpc.RpcError) as caught:
        call(request, metadata=bearer(daemon.token), timeout=10)
    return caught.value


def test_an_operator_creates_an_org_and_a_user_with_an_auraid_then_resolves_it(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        orgs = access_pb2_grpc.OrganizationServiceStub(channel)
        users = access_pb2_grpc.UserServiceStub(channel)
        auth = bearer(daemon.token)

        org = orgs.CreateOrganization(access_pb2.CreateOrganizationRequest(name="Acme", slug="acme"), metadata=auth)
        assert org.slug == "acme" and org.active and org.etag and uuid.UUID(org.id)
        assert orgs.GetOrganization(access_pb2.GetOrganizationRequest(organization="acme"), metadata=auth).id == org.id
        listed = orgs.ListOrganizations(access_pb2.ListOrganizationsRequest(), metadata=auth)
        assert {"acme", "default"} <= {o.slug for o in listed.organizations}

        user = users.CreateUser(
            access_pb2.CreateUserRequest(
                user=access_pb2.User(
                    email="ada@acme.example",
                    username="ada",
                    display_name="Ada",
                    base_role=access_pb2.BASE_ROLE_USER,
                    aura_id=access_pb2.AuraId(aura_id="@ada.aura", privacy_level=access_pb2.PRIVACY_LEVEL_PUBLIC),
                ),
                organization="acme",
            ),
            metadata=auth,
        )
        assert user.organization_id == org.id and user.base_role == access_pb2.BASE_ROLE_USER
        assert user.aura_id.aura_id == "@ada.aura" and user.active

        found = users.ResolveAuraId(access_pb2.ResolveAuraIdRequest(aura_id="ada"), metadata=auth)
        assert (found.user_id, found.organization_id, found.display_name) == (user.id, org.id, "Ada")
        assert found.privacy_level == access_pb2.PRIVACY_LEVEL_PUBLIC

        own = users.ListUsers(access_pb2.ListUsersRequest(), metadata=auth)
        assert [u.username for u in own.users] == ["admin"]  # the operator's own org only


def test_bad_input_gives_invalid_argument_with_the_field(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        users = access_pb2_grpc.UserServiceStub(channel)
        orgs = access_pb2_grpc.OrganizationServiceStub(channel)
        bad_email = _refused(
            users.CreateUser, access_pb2.CreateUserRequest(user=access_pb2.User(email="nope", username="bob")), daemon
        )
        assert bad_email.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert _field_violations(bad_email) == ["email"]

        bad_aura = _refused(
            users.CreateUser,
            access_pb2.CreateUserRequest(
                user=access_pb2.User(email="bob@x.example", username="bob", aura_id=access_pb2.AuraId(aura_id=".bob"))
            ),
            daemon,
        )
        assert bad_aura.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "start or end with a dot" in bad_aura.details()

        long_name = _refused(
            orgs.CreateOrganization, access_pb2.CreateOrganizationRequest(name="n" * 201, slug="long"), daemon
        )
        assert long_name.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert _field_violations(long_name) == ["name"]

        bad_mask = _refused(
            users.UpdateUser,
            access_pb2.UpdateUserRequest(
                user=access_pb2.User(username="admin"), update_mask=field_mask_pb2.FieldMask(paths=["password"])
            ),
            daemon,
        )
        assert bad_mask.code() is grpc.StatusCode.INVALID_ARGUMENT and "password" in bad_mask.details()


def test_duplicates_already_exist_unknowns_are_not_found_and_stale_etags_abort(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        users = access_pb2_grpc.UserServiceStub(channel)
        orgs = access_pb2_grpc.OrganizationServiceStub(channel)
        duplicate = _refused(
            users.CreateUser,
            access_pb2.CreateUserRequest(user=access_pb2.User(email="ADMIN@auralink.local", username="admin2")),
            daemon,
        )
        assert duplicate.code() is grpc.StatusCode.ALREADY_EXISTS
        assert "INSERT" not in duplicate.details() and "uq_" not in duplicate.details()

        for error in (
            _refused(users.GetUser, access_pb2.GetUserRequest(user=str(uuid.uuid4())), daemon),
            _refused(orgs.GetOrganization, access_pb2.GetOrganizationRequest(organization="no-such-org"), daemon),
            _refused(users.ResolveAuraId, access_pb2.ResolveAuraIdRequest(aura_id="@nobody.aura"), daemon),
        ):
            assert error.code() is grpc.StatusCode.NOT_FOUND

        stale = _refused(
            users.DeactivateUser, access_pb2.DeactivateUserRequest(user="admin", etag="0"), daemon
        )  # the operator themselves: refused before the etag matters
        assert stale.code() is grpc.StatusCode.FAILED_PRECONDITION
        renamed = _refused(
            orgs.UpdateOrganization,
            access_pb2.UpdateOrganizationRequest(
                organization=access_pb2.Organization(slug="default", name="X", etag="0")
            ),
            daemon,
        )
        assert renamed.code() is grpc.StatusCode.ABORTED
