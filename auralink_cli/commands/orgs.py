"""`auralink orgs create|list|show|update|deactivate` (OrganizationService).

`update` without --etag reads the organization first and guards the update with its current etag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.orgs import bootstrap_table, org_table, orgs_table

if TYPE_CHECKING:
    from auralink.v1 import access_pb2

orgs_app = typer.Typer(name="orgs", help="Organizations (tenants).", no_args_is_help=True)

OrgArg = Annotated[str, typer.Argument(help="An organization id or slug.")]


def register(app: typer.Typer) -> None:
    app.add_typer(orgs_app, name="orgs")


def update_request(
    ref: str, *, current: access_pb2.Organization | None = None, etag: str | None = None, name: str | None = None
) -> access_pb2.UpdateOrganizationRequest:
    """An UpdateOrganizationRequest whose update_mask names exactly the fields whose flags were given."""
    from auralink.v1 import access_pb2

    org = access_pb2.Organization()
    if current is not None:
        org.id = current.id
    elif common.looks_like_uuid(ref):
        org.id = ref
    else:
        org.slug = ref
    org.etag = etag if etag is not None else (current.etag if current is not None else "")
    paths: list[str] = []
    if name is not None:
        org.name = name
        paths.append("name")
    if not paths:
        raise CliError(USAGE, "nothing to update: give --name")
    request = access_pb2.UpdateOrganizationRequest(organization=org)
    request.update_mask.paths.extend(paths)
    return request


@orgs_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Display name.")],
    slug: Annotated[str, typer.Option("--slug", help="Lowercase [a-z0-9-], 2-63 characters; unique.")],
    admin_email: Annotated[
        str | None,
        typer.Option("--admin-email", help="Also create the org's first admin and print their API key once."),
    ] = None,
    admin_username: Annotated[
        str | None, typer.Option("--admin-username", help="The first admin's username (default: from the email).")
    ] = None,
) -> None:
    """Create an organization (platform operators); with --admin-email, its first admin and their API key."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    request = access_pb2.CreateOrganizationRequest(name=name, slug=slug)
    if admin_email is None:
        org = common.connected(settings, lambda c: c.orgs.CreateOrganization(request))
        common.emit(settings, common.to_dict(org), org_table)
        return
    data = bootstrap(settings, request, admin_email, admin_username or admin_email.split("@", 1)[0])
    common.emit(settings, data, bootstrap_table)
    if settings.output == "table":
        from auralink_cli import output

        output.plain(data["secret"])  # a line of its own, never wrapped, so that it copies whole
        output.warn(
            f"API key {data['api_key']['prefix']} of {data['admin']['email']}: shown once, store it now "
            f"(auralink auth login --api-key -)"
        )


BOOTSTRAP_TTL_S = 300


def bootstrap(
    settings: Any, request: access_pb2.CreateOrganizationRequest, email: str, username: str
) -> dict[str, Any]:
    """The org, its first admin, and an API key that only that admin holds.

    The operator creates the org and the admin (a user of the new org), then issues a short-lived token
    for the admin (it carries the new org), with which the admin's own API key is created; the token
    then revokes itself. The key acts as that admin, in that org only.
    """
    import dataclasses

    from auralink.v1 import access_pb2
    from auralink_cli.client import Client

    with Client(settings) as client:
        org = client.orgs.CreateOrganization(request)
        user = access_pb2.User(email=email, username=username, base_role=access_pb2.BASE_ROLE_ADMIN)
        admin = client.users.CreateUser(access_pb2.CreateUserRequest(user=user, organization=org.id))
        credentials = client.credentials
        issued = credentials.IssueToken(
            access_pb2.IssueTokenRequest(
                user=admin.id, scopes=["*"], ttl_seconds=BOOTSTRAP_TTL_S, description="first admin: API key bootstrap"
            )
        )
        with Client(dataclasses.replace(settings, token=issued.token)) as as_admin:
            admin_credentials = as_admin.credentials
            created = admin_credentials.CreateApiKey(access_pb2.CreateApiKeyRequest(name="first-admin"))
            admin_credentials.RevokeToken(
                access_pb2.RevokeTokenRequest(token_id=issued.token_id, reason="bootstrap done")
            )
    return {
        "organization": common.to_dict(org),
        "admin": common.to_dict(admin),
        "api_key": common.to_dict(created.api_key),
        "secret": created.secret,
    }


@orgs_app.command("list")
@common.watchable
def list_orgs(
    ctx: typer.Context,
    include_inactive: Annotated[bool, typer.Option("--include-inactive", help="Show deactivated ones too.")] = False,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """List organizations (your own; every one for platform operators)."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.orgs.ListOrganizations(
            access_pb2.ListOrganizationsRequest(page_size=size, page_token=token, include_inactive=include_inactive)
        ),
        "organizations", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, orgs_table, wide=True)


@orgs_app.command("show")
def show(ctx: typer.Context, org: OrgArg) -> None:
    """Show one organization."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    request = access_pb2.GetOrganizationRequest(organization=org)
    found = common.connected(settings, lambda c: c.orgs.GetOrganization(request))
    common.emit(settings, common.to_dict(found), org_table)


@orgs_app.command("update")
def update(
    ctx: typer.Context,
    org: OrgArg,
    name: Annotated[str | None, typer.Option("--name", help="New display name.")] = None,
    etag: Annotated[
        str | None, typer.Option("--etag", help="Update only if it still has this etag (default: the current).")
    ] = None,
) -> None:
    """Rename an organization."""
    from auralink.v1 import access_pb2
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    update_request(org, etag="", name=name)  # usage errors before any call
    with Client(settings) as client:
        orgs = client.orgs
        current = None
        if etag is None:
            current = orgs.GetOrganization(access_pb2.GetOrganizationRequest(organization=org))
        updated = orgs.UpdateOrganization(update_request(org, current=current, etag=etag, name=name))
    common.emit(settings, common.to_dict(updated), org_table)


@orgs_app.command("deactivate")
def deactivate(
    ctx: typer.Context,
    org: OrgArg,
    etag: Annotated[str, typer.Option("--etag", help="Deactivate only if it still has this etag.")] = "",
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Deactivate an organization: it and its users can no longer authenticate."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Deactivate organization {org}? Its users will no longer authenticate")
    request = access_pb2.DeactivateOrganizationRequest(organization=org, etag=etag)
    found = common.connected(settings, lambda c: c.orgs.DeactivateOrganization(request))
    common.emit(settings, common.to_dict(found), org_table)
