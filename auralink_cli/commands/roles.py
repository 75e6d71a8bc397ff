"""`auralink roles …` (RoleService): roles, their permissions, assignments and the permission catalogue.

Nobody can grant a permission they do not hold (PERMISSION_DENIED, exit 4); system roles cannot be
changed or deleted (FAILED_PRECONDITION, exit 6); unknown permissions are INVALID_ARGUMENT (exit 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.roles import assignment_table, effective_table, permissions_table, role_table, roles_table

if TYPE_CHECKING:
    from auralink.v1 import access_pb2

roles_app = typer.Typer(name="roles", help="RBAC roles, permissions and role assignments.", no_args_is_help=True)

RoleArg = Annotated[str, typer.Argument(help="A role id or name.")]
PermsArg = Annotated[list[str], typer.Argument(help='Permissions, resource:action ("resource:*" and "*" too).')]
UserArg = Annotated[str, typer.Argument(help="A user id, email or username.")]


def register(app: typer.Typer) -> None:
    app.add_typer(roles_app, name="roles")


# --- request building ------------------------------------------------------------------------


def create_request(
    name: str, description: str = "", permissions: list[str] | None = None
) -> access_pb2.CreateRoleRequest:
    from auralink.v1 import access_pb2

    role = access_pb2.Role(name=name, description=description, permissions=permissions or [])
    return access_pb2.CreateRoleRequest(role=role)


def update_request(
    current: access_pb2.Role,
    *,
    etag: str | None = None,
    name: str | None = None,
    description: str | None = None,
    permissions: list[str] | None = None,
) -> access_pb2.UpdateRoleRequest:
    """An UpdateRoleRequest for `current` (by id) whose update_mask names the fields given."""
    from auralink.v1 import access_pb2

    role = access_pb2.Role(id=current.id, etag=current.etag if etag is None else etag)
    paths: list[str] = []
    if name is not None:
        role.name = name
        paths.append("name")
    if description is not None:
        role.description = description
        paths.append("description")
    if permissions is not None:
        role.permissions[:] = permissions
        paths.append("permissions")
    if not paths:
        raise CliError(USAGE, "nothing to update: give --name, --description or --permission")
    request = access_pb2.UpdateRoleRequest(role=role)
    request.update_mask.paths.extend(paths)
    return request


# --- tables ----------------------------------------------------------------------------------


# --- commands --------------------------------------------------------------------------------


@roles_app.command("permissions")
def permissions(
    ctx: typer.Context,
    resource: Annotated[str | None, typer.Option("--resource", help="Only this resource's permissions.")] = None,
) -> None:
    """The catalogue of every permission, resource:action, with what it allows."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    resp = common.connected(settings, lambda c: c.roles.ListPermissions(access_pb2.ListPermissionsRequest()))
    data = common.to_dict(resp)
    if resource is not None:
        data["permissions"] = [p for p in data["permissions"] if p["resource"] == resource]
    common.emit(settings, data, permissions_table, wide=True)


@roles_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Role name, unique in the organization.")],
    description: Annotated[str, typer.Option("--description", help="What the role is for.")] = "",
    permission: Annotated[
        list[str] | None, typer.Option("--permission", "-p", help="A permission to grant (repeatable).")
    ] = None,
) -> None:
    """Create a custom role of your organization (only with permissions you hold)."""
    settings = common.settings_of(ctx)
    role = common.connected(settings, lambda c: c.roles.CreateRole(create_request(name, description, permission)))
    common.emit(settings, common.to_dict(role), role_table)


@roles_app.command("list")
@common.watchable
def list_roles(
    ctx: typer.Context,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """List the system roles and your organization's custom roles."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.roles.ListRoles(
            access_pb2.ListRolesRequest(page_size=size, page_token=token)
        ),
        "roles", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, roles_table, wide=True)


@roles_app.command("show")
def show(ctx: typer.Context, role: RoleArg) -> None:
    """Show one role and its permissions."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    found = common.connected(settings, lambda c: c.roles.GetRole(access_pb2.GetRoleRequest(role=role)))
    common.emit(settings, common.to_dict(found), role_table)


@roles_app.command("update")
def update(
    ctx: typer.Context,
    role: RoleArg,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="New description.")] = None,
    permission: Annotated[
        list[str] | None,
        typer.Option("--permission", "-p", help="Replace the permissions with these (repeatable)."),
    ] = None,
    etag: Annotated[
        str | None, typer.Option("--etag", help="Update only if the role still has this etag (default: the current).")
    ] = None,
) -> None:
    """Rename a custom role, or change its description or (all of) its permissions."""
    from auralink.v1 import access_pb2
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    fields: dict[str, Any] = {"name": name, "description": description, "permissions": permission}
    update_request(access_pb2.Role(), **fields)  # usage errors before any call
    with Client(settings) as client:
        roles = client.roles
        current = roles.GetRole(access_pb2.GetRoleRequest(role=role))  # the id, and the etag
        updated = roles.UpdateRole(update_request(current, etag=etag, **fields))
    common.emit(settings, common.to_dict(updated), role_table)


@roles_app.command("delete")
def delete(ctx: typer.Context, role: RoleArg, yes: Annotated[bool, common.YesOption] = False) -> None:
    """Delete a custom role (system roles cannot be deleted: exit 6)."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Delete role {role}? Its assignments go with it")
    common.connected(settings, lambda c: c.roles.DeleteRole(access_pb2.DeleteRoleRequest(role=role)))
    common.deleted(settings, "role", role, f"role {role} deleted")


@roles_app.command("grant")
def grant(ctx: typer.Context, role: RoleArg, permissions: PermsArg) -> None:
    """Add permissions to a role (each must be one you hold)."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    request = access_pb2.GrantPermissionsRequest(role=role, permissions=permissions)
    updated = common.connected(settings, lambda c: c.roles.GrantPermissions(request))
    common.emit(settings, common.to_dict(updated), role_table)


@roles_app.command("revoke")
def revoke(
    ctx: typer.Context, role: RoleArg, permissions: PermsArg, yes: Annotated[bool, common.YesOption] = False
) -> None:
    """Remove permissions from a role."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Revoke {', '.join(permissions)} from role {role}?")
    request = access_pb2.RevokePermissionsRequest(role=role, permissions=permissions)
    updated = common.connected(settings, lambda c: c.roles.RevokePermissions(request))
    common.emit(settings, common.to_dict(updated), role_table)


@roles_app.command("assign")
def assign(ctx: typer.Context, role: RoleArg, user: UserArg) -> None:
    """Give a role to a user (you must hold every permission of the role)."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    resp = common.connected(settings, lambda c: c.roles.AssignRole(access_pb2.AssignRoleRequest(role=role, user=user)))
    common.emit(settings, common.to_dict(resp), assignment_table)


@roles_app.command("unassign")
def unassign(ctx: typer.Context, role: RoleArg, user: UserArg, yes: Annotated[bool, common.YesOption] = False) -> None:
    """Take a role away from a user."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Unassign role {role} from user {user}?")
    common.connected(settings, lambda c: c.roles.UnassignRole(access_pb2.UnassignRoleRequest(role=role, user=user)))
    common.deleted(settings, "role_assignment", role, f"role {role} unassigned from {user}", user=user)


@roles_app.command("effective")
def effective(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="A user id, email or username; default: you.")] = "",
) -> None:
    """A user's roles and effective permissions (yours without USER)."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    request = access_pb2.GetEffectivePermissionsRequest(user=user)
    resp = common.connected(settings, lambda c: c.roles.GetEffectivePermissions(request))
    common.emit(settings, common.to_dict(resp), effective_table, wide=True)
