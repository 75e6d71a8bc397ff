"""RoleService servicer: roles, grants, assignments and the permission catalogue, translated to and from protos."""

from __future__ import annotations

import grpc

from auralink.v1 import access_pb2, access_pb2_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import timestamp
from auralinkd.api.permissions import requires
from auralinkd.rbac.catalogue import PermissionInfo
from auralinkd.rbac.service import Assignment, Role, RoleDraft, RoleService


class RoleServicer(access_pb2_grpc.RoleServiceServicer):
    def __init__(self, roles: RoleService) -> None:
        self._roles = roles

    @requires("roles:read")
    async def ListPermissions(
        self, request: access_pb2.ListPermissionsRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ListPermissionsResponse:
        infos = self._roles.list_permissions(current_caller())
        return access_pb2.ListPermissionsResponse(permissions=[permission_to_proto(i) for i in infos])

    @requires("roles:create")
    async def CreateRole(
        self, request: access_pb2.CreateRoleRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.Role:
        role = await self._roles.create_role(current_caller(), _draft(request.role))
        return role_to_proto(role)

    @requires("roles:read")
    async def GetRole(self, request: access_pb2.GetRoleRequest, context: grpc.aio.ServicerContext) -> access_pb2.Role:
        return role_to_proto(await self._roles.get_role(current_caller(), request.role))

    @requires("roles:read")
    async def ListRoles(
        self, request: access_pb2.ListRolesRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ListRolesResponse:
        page = await self._roles.list_roles(current_caller(), request.page_size, request.page_token)
        return access_pb2.ListRolesResponse(
            roles=[role_to_proto(r) for r in page.roles], next_page_token=page.next_page_token
        )

    @requires("roles:update")
    async def UpdateRole(
        self, request: access_pb2.UpdateRoleRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.Role:
        paths = list(request.update_mask.paths)
        renaming = not paths or "name" in paths
        # role.id identifies the role; its name may too, unless the name is what changes.
        ref = request.role.id or ("" if renaming else request.role.name)
        role = await self._roles.update_role(current_caller(), ref, _draft(request.role), paths, request.role.etag)
        return role_to_proto(role)

    @requires("roles:delete")
    async def DeleteRole(
        self, request: access_pb2.DeleteRoleRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.DeleteRoleResponse:
        await self._roles.delete_role(current_caller(), request.role)
        return access_pb2.DeleteRoleResponse()

    @requires("roles:update")
    async def GrantPermissions(
        self, request: access_pb2.GrantPermissionsRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.Role:
        role = await self._roles.grant_permissions(current_caller(), request.role, list(request.permissions))
        return role_to_proto(role)

    @requires("roles:update")
    async def RevokePermissions(
        self, request: access_pb2.RevokePermissionsRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.Role:
        role = await self._roles.revoke_permissions(current_caller(), request.role, list(request.permissions))
        return role_to_proto(role)

    @requires("roles:assign")
    async def AssignRole(
        self, request: access_pb2.AssignRoleRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.AssignRoleResponse:
        assignment = await self._roles.assign_role(current_caller(), request.role, request.user)
        return access_pb2.AssignRoleResponse(assignment=assignment_to_proto(assignment))

    @requires("roles:assign")
    async def UnassignRole(
        self, request: access_pb2.UnassignRoleRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.UnassignRoleResponse:
        await self._roles.unassign_role(current_caller(), request.role, request.user)
        return access_pb2.UnassignRoleResponse()

    # Declared as self:read so that "your own, always" holds for every role (agents lack roles:read);
    # the service requires roles:read for anyone else's.
    @requires("self:read")
    async def GetEffectivePermissions(
        self, request: access_pb2.GetEffectivePermissionsRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.GetEffectivePermissionsResponse:
        effective = await self._roles.effective_permissions(current_caller(), request.user)
        return access_pb2.GetEffectivePermissionsResponse(
            user_id=str(effective.user_id),
            assignments=[assignment_to_proto(a) for a in effective.assignments],
            permissions=effective.permissions,
        )


# -- translation --------------------------------------------------------------------------------


def _draft(role: access_pb2.Role) -> RoleDraft:
    return RoleDraft(name=role.name, description=role.description, permissions=tuple(role.permissions))


def permission_to_proto(info: PermissionInfo) -> access_pb2.Permission:
    return access_pb2.Permission(
        name=info.name,
        resource=info.resource,
        action=info.action,
        description=info.description,
        methods=list(info.methods),
    )


def role_to_proto(role: Role) -> access_pb2.Role:
    return access_pb2.Role(
        id=str(role.id),
        organization_id=str(role.organization_id) if role.organization_id else "",
        name=role.name,
        description=role.description,
        permissions=list(role.permissions),
        system=role.system,
        create_time=timestamp(role.created_at),
        update_time=timestamp(role.updated_at),
        etag=role.etag,
    )


def assignment_to_proto(assignment: Assignment) -> access_pb2.RoleAssignment:
    # The implicit base-role assignment has no row: its id and granted_by stay empty.
    return access_pb2.RoleAssignment(
        id=str(assignment.id) if assignment.id else "",
        user_id=str(assignment.user_id),
        role_id=str(assignment.role_id),
        role_name=assignment.role_name,
        granted_by=str(assignment.granted_by) if assignment.granted_by else "",
        create_time=timestamp(assignment.created_at),
        implicit=assignment.implicit,
    )
