"""OrganizationService and UserService servicers: proto <-> directory domain values, nothing more."""

from __future__ import annotations

import grpc

from auralink.v1 import access_pb2, access_pb2_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import timestamp
from auralinkd.api.permissions import requires
from auralinkd.directory.models import (
    AuraIdSettings,
    NewOrganization,
    NewUser,
    Organization,
    OrganizationPatch,
    ResolvedAuraId,
    User,
    UserPatch,
)
from auralinkd.directory.service import DirectoryService

_ROLE_TO_PROTO = {
    "user": access_pb2.BASE_ROLE_USER,
    "admin": access_pb2.BASE_ROLE_ADMIN,
    "moderator": access_pb2.BASE_ROLE_MODERATOR,
    "agent": access_pb2.BASE_ROLE_AGENT,
}
_ROLE_FROM_PROTO = {v: k for k, v in _ROLE_TO_PROTO.items()}
_PRIVACY_TO_PROTO = {
    "public": access_pb2.PRIVACY_LEVEL_PUBLIC,
    "contacts": access_pb2.PRIVACY_LEVEL_CONTACTS,
    "private": access_pb2.PRIVACY_LEVEL_PRIVATE,
}
_PRIVACY_FROM_PROTO = {v: k for k, v in _PRIVACY_TO_PROTO.items()}


class OrganizationServicer(access_pb2_grpc.OrganizationServiceServicer):
    def __init__(self, directory: DirectoryService) -> None:
        self._directory = directory

    @requires("orgs:create")
    async def CreateOrganization(
        self, request: access_pb2.CreateOrganizationRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.Organization:
        org = await self._directory.create_org(current_caller(), NewOrganization(request.name, request.slug))
        return org_to_proto(org)

    @requires("orgs:read")
    async def GetOrganization(
        self, request: access_pb2.GetOrganizationRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.Organization:
        return org_to_proto(await self._directory.get_org(current_caller(), request.organization))

    @requires("orgs:read")
    async def ListOrganizations(
        self, request: access_pb2.ListOrganizationsRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ListOrganizationsResponse:
        page = await self._directory.list_orgs(
            current_caller(), request.page_size, request.page_token, request.include_inactive
        )
        return access_pb2.ListOrganizationsResponse(
            organizations=[org_to_proto(o) for o in page.items], next_page_token=page.next_page_token
        )

    @requires("orgs:update")
    async def UpdateOrganization(
        self, request: access_pb2.UpdateOrganizationRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.Organization:
        org = request.organization
        updated = await self._directory.update_org(
            current_caller(),
            org.id or org.slug,
            OrganizationPatch(name=org.name),
            list(request.update_mask.paths),
            org.etag,
        )
        return org_to_proto(updated)

    @requires("orgs:delete")
    async def DeactivateOrganization(
        self, request: access_pb2.DeactivateOrganizationRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.Organization:
        org = await self._directory.deactivate_org(current_caller(), request.organization, request.etag)
        return org_to_proto(org)


class UserServicer(access_pb2_grpc.UserServiceServicer):
    def __init__(self, directory: DirectoryService) -> None:
        self._directory = directory

    @requires("users:create")
    async def CreateUser(
        self, request: access_pb2.CreateUserRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.User:
        user = request.user
        new = NewUser(
            email=user.email,
            username=user.username,
            display_name=user.display_name,
            base_role=_enum_name(_ROLE_FROM_PROTO, user.base_role),
            aura=aura_from_proto(user.aura_id) if user.HasField("aura_id") else None,
        )
        return user_to_proto(await self._directory.create_user(current_caller(), new, request.organization))

    @requires("users:read")
    async def GetUser(self, request: access_pb2.GetUserRequest, context: grpc.aio.ServicerContext) -> access_pb2.User:
        return user_to_proto(await self._directory.get_user(current_caller(), request.user))

    @requires("users:read")
    async def ListUsers(
        self, request: access_pb2.ListUsersRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ListUsersResponse:
        page = await self._directory.list_users(
            current_caller(), request.page_size, request.page_token, request.include_inactive, request.filter
        )
        return access_pb2.ListUsersResponse(
            users=[user_to_proto(u) for u in page.items], next_page_token=page.next_page_token
        )

    @requires("users:update")
    async def UpdateUser(
        self, request: access_pb2.UpdateUserRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.User:
        user = request.user
        patch = UserPatch(
            display_name=user.display_name,
            email=user.email,
            base_role=_enum_name(_ROLE_FROM_PROTO, user.base_role),
            aura=aura_from_proto(user.aura_id) if user.HasField("aura_id") else None,
        )
        # The user is named by id, else username, else email (the email may also be the new value).
        ref = user.id or user.username or user.email
        updated = await self._directory.update_user(
            current_caller(), ref, patch, list(request.update_mask.paths), user.etag
        )
        return user_to_proto(updated)

    @requires("users:delete")
    async def DeactivateUser(
        self, request: access_pb2.DeactivateUserRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.User:
        return user_to_proto(await self._directory.deactivate_user(current_caller(), request.user, request.etag))

    @requires("users:update")
    async def ReactivateUser(
        self, request: access_pb2.ReactivateUserRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.User:
        return user_to_proto(await self._directory.reactivate_user(current_caller(), request.user, request.etag))

    @requires("auraid:resolve")
    async def ResolveAuraId(
        self, request: access_pb2.ResolveAuraIdRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ResolveAuraIdResponse:
        return resolved_to_proto(await self._directory.resolve_aura_id(current_caller(), request.aura_id))


# -- translation ----------------------------------------------------------------------------------


def _enum_name(table: dict[int, str], value: int) -> str:
    """Unspecified is "" (the service applies or refuses a default); an unknown number stays invalid."""
    if value == 0:
        return ""
    return table.get(value, f"unknown value {value}")


def org_to_proto(org: Organization) -> access_pb2.Organization:
    return access_pb2.Organization(
        id=str(org.id),
        name=org.name,
        slug=org.slug,
        active=org.active,
        create_time=timestamp(org.created_at),
        update_time=timestamp(org.updated_at),
        etag=org.etag,
    )


def aura_from_proto(aura: access_pb2.AuraId) -> AuraIdSettings:
    return AuraIdSettings(
        aura_id=aura.aura_id,
        privacy_level=_enum_name(_PRIVACY_FROM_PROTO, aura.privacy_level),
        allow_cross_app_calls=aura.allow_cross_app_calls,
        federated_domains=tuple(aura.federated_domains),
    )


def user_to_proto(user: User) -> access_pb2.User:
    message = access_pb2.User(
        id=str(user.id),
        organization_id=str(user.organization_id),
        email=user.email,
        username=user.username,
        display_name=user.display_name,
        base_role=_ROLE_TO_PROTO[user.base_role],
        active=user.active,
        create_time=timestamp(user.created_at),
        update_time=timestamp(user.updated_at),
        etag=user.etag,
    )
    if user.aura is not None:
        message.aura_id.CopyFrom(
            access_pb2.AuraId(
                aura_id=user.aura.aura_id,
                privacy_level=_PRIVACY_TO_PROTO[user.aura.privacy_level],
                allow_cross_app_calls=user.aura.allow_cross_app_calls,
                federated_domains=list(user.aura.federated_domains),
                verified=user.aura.verified,
            )
        )
    return message


def resolved_to_proto(found: ResolvedAuraId) -> access_pb2.ResolveAuraIdResponse:
    return access_pb2.ResolveAuraIdResponse(
        aura_id=found.aura_id,
        user_id=str(found.user_id),
        organization_id=str(found.organization_id),
        display_name=found.display_name,
        privacy_level=_PRIVACY_TO_PROTO[found.privacy_level],
        allow_cross_app_calls=found.allow_cross_app_calls,
        federated_domains=list(found.federated_domains),
        verified=found.verified,
    )
