"""`auralink users create|list|show|update|deactivate` (UserService).

`update` sends only the fields whose flags are given, named in update_mask; without --etag it reads
the user first and guards the update with the current etag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.users import user_table, users_table

if TYPE_CHECKING:
    from auralink.v1 import access_pb2

BASE_ROLES = ("user", "admin", "moderator", "agent")
PRIVACY_LEVELS = ("public", "contacts", "private")

users_app = typer.Typer(
    name="users", help="Users of an organization, with their base role and AuraID.", no_args_is_help=True
)

UserArg = Annotated[str, typer.Argument(help="A user id, email or username.")]
RoleOpt = Annotated[str | None, typer.Option("--role", help=f"Base role: {', '.join(BASE_ROLES)}.")]
AuraOpt = Annotated[str | None, typer.Option("--aura-id", help="AuraID, @name.aura.")]
PrivacyOpt = Annotated[
    str | None, typer.Option("--privacy", help=f"AuraID privacy: {', '.join(PRIVACY_LEVELS)}.", show_default=False)
]
CrossAppOpt = Annotated[
    bool | None,
    typer.Option("--cross-app-calls/--no-cross-app-calls", help="Whether the AuraID accepts calls from other apps."),
]
FederatedOpt = Annotated[
    list[str] | None, typer.Option("--federated-domain", help="A federated domain of the AuraID (repeatable).")
]


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


# --- request building ------------------------------------------------------------------------


def base_role_value(role: str | None) -> int:
    from auralink.v1 import access_pb2

    chosen = common.choice(role, BASE_ROLES, "--role")
    return access_pb2.BaseRole.Value(f"BASE_ROLE_{chosen.upper()}") if chosen else 0


def privacy_value(privacy: str | None) -> int:
    from auralink.v1 import access_pb2

    chosen = common.choice(privacy, PRIVACY_LEVELS, "--privacy")
    return access_pb2.PrivacyLevel.Value(f"PRIVACY_LEVEL_{chosen.upper()}") if chosen else 0


def aura_message(
    aura_id: str | None,
    privacy: str | None,
    cross_app: bool | None,
    federated: list[str] | None,
    current: access_pb2.AuraId | None = None,
) -> access_pb2.AuraId | None:
    """The AuraId to send: the current one (if any) with the given flags applied; None when no flag is given."""
    from auralink.v1 import access_pb2

    if aura_id is None and privacy is None and cross_app is None and federated is None:
        return None
    aura = access_pb2.AuraId()
    if current is not None:
        aura.CopyFrom(current)
        aura.ClearField("verified")  # the server's to set
    if aura_id is not None:
        aura.aura_id = aura_id
    if privacy is not None:
        aura.privacy_level = privacy_value(privacy)
    if cross_app is not None:
        aura.allow_cross_app_calls = cross_app
    if federated is not None:
        aura.federated_domains[:] = federated
    return aura


def create_request(
    email: str,
    username: str,
    display_name: str = "",
    role: str | None = None,
    aura_id: str | None = None,
    privacy: str | None = None,
    cross_app: bool | None = None,
    federated: list[str] | None = None,
    org: str = "",
) -> access_pb2.CreateUserRequest:
    from auralink.v1 import access_pb2

    user = access_pb2.User(email=email, username=username, display_name=display_name, base_role=base_role_value(role))
    aura = aura_message(aura_id, privacy, cross_app, federated)
    if aura is not None:
        user.aura_id.CopyFrom(aura)
    return access_pb2.CreateUserRequest(user=user, organization=org)


def update_request(
    ref: str,
    *,
    current: access_pb2.User | None = None,
    etag: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    aura_id: str | None = None,
    privacy: str | None = None,
    cross_app: bool | None = None,
    federated: list[str] | None = None,
) -> access_pb2.UpdateUserRequest:
    """An UpdateUserRequest whose update_mask names exactly the fields whose flags were given."""
    from auralink.v1 import access_pb2

    user = access_pb2.User(id=current.id if current is not None else ref)
    user.etag = etag if etag is not None else (current.etag if current is not None else "")
    paths: list[str] = []
    if display_name is not None:
        user.display_name = display_name
        paths.append("display_name")
    if email is not None:
        user.email = email
        paths.append("email")
    if role is not None:
        user.base_role = base_role_value(role)
        paths.append("base_role")
    current_aura = current.aura_id if current is not None and current.HasField("aura_id") else None
    aura = aura_message(aura_id, privacy, cross_app, federated, current_aura)
    if aura is not None:
        user.aura_id.CopyFrom(aura)
        paths.append("aura_id")
    if not paths:
        raise CliError(
            USAGE,
            "nothing to update: give --display-name, --email, --role, --aura-id, --privacy, "
            "--cross-app-calls/--no-cross-app-calls or --federated-domain",
        )
    request = access_pb2.UpdateUserRequest(user=user)
    request.update_mask.paths.extend(paths)
    return request


# --- tables ----------------------------------------------------------------------------------


# --- commands --------------------------------------------------------------------------------


@users_app.command("create")
def create(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--email", help="Email address (validated by the daemon).")],
    username: Annotated[str, typer.Option("--username", help="Lowercase [a-z0-9_.-], 3-32 characters.")],
    display_name: Annotated[str, typer.Option("--display-name", help="Name shown to people.")] = "",
    role: RoleOpt = None,
    aura_id: AuraOpt = None,
    privacy: PrivacyOpt = None,
    cross_app: CrossAppOpt = None,
    federated: FederatedOpt = None,
    org: Annotated[str, typer.Option("--org", help="Organization id or slug (platform operators only).")] = "",
) -> None:
    """Create a user (in your organization unless --org)."""
    settings = common.settings_of(ctx)
    request = create_request(email, username, display_name, role, aura_id, privacy, cross_app, federated, org)
    user = common.connected(settings, lambda c: c.users.CreateUser(request))
    common.emit(settings, common.to_dict(user), user_table)


@users_app.command("list")
@common.watchable
def list_users(
    ctx: typer.Context,
    filter_text: Annotated[
        str, typer.Option("--filter", help="Case-insensitive substring of email, username or display name.")
    ] = "",
    include_inactive: Annotated[bool, typer.Option("--include-inactive", help="Show deactivated users too.")] = False,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """List the users of your organization."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.users.ListUsers(
            access_pb2.ListUsersRequest(
                page_size=size, page_token=token, include_inactive=include_inactive, filter=filter_text
            )
        ),
        "users", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, users_table, wide=True)


@users_app.command("show")
def show(ctx: typer.Context, user: UserArg) -> None:
    """Show one user."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    found = common.connected(settings, lambda c: c.users.GetUser(access_pb2.GetUserRequest(user=user)))
    common.emit(settings, common.to_dict(found), user_table)


@users_app.command("update")
def update(
    ctx: typer.Context,
    user: UserArg,
    display_name: Annotated[str | None, typer.Option("--display-name", help="New display name.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="New email address.")] = None,
    role: RoleOpt = None,
    aura_id: AuraOpt = None,
    privacy: PrivacyOpt = None,
    cross_app: CrossAppOpt = None,
    federated: FederatedOpt = None,
    etag: Annotated[
        str | None, typer.Option("--etag", help="Update only if the user still has this etag (default: the current).")
    ] = None,
) -> None:
    """Change the given fields of a user; the others stay as they are."""
    from auralink.v1 import access_pb2
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    flags: dict[str, Any] = {
        "display_name": display_name, "email": email, "role": role, "aura_id": aura_id, "privacy": privacy,
        "cross_app": cross_app, "federated": federated,
    }  # fmt: skip
    update_request(user, etag="", **flags)  # usage errors before any call
    aura_flags = (privacy, cross_app, federated) != (None, None, None)
    with Client(settings) as client:
        users = client.users
        current = None
        # Read first for the current etag, for the id behind an email/username, or to merge AuraID flags.
        if etag is None or not common.looks_like_uuid(user) or aura_flags:
            current = users.GetUser(access_pb2.GetUserRequest(user=user))
        updated = users.UpdateUser(update_request(user, current=current, etag=etag, **flags))
    common.emit(settings, common.to_dict(updated), user_table)


@users_app.command("deactivate")
def deactivate(
    ctx: typer.Context,
    user: UserArg,
    etag: Annotated[str, typer.Option("--etag", help="Deactivate only if the user still has this etag.")] = "",
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Deactivate a user: their tokens and API keys stop working."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Deactivate user {user}?")
    request = access_pb2.DeactivateUserRequest(user=user, etag=etag)
    found = common.connected(settings, lambda c: c.users.DeactivateUser(request))
    common.emit(settings, common.to_dict(found), user_table)


@users_app.command("reactivate")
def reactivate(
    ctx: typer.Context,
    user: UserArg,
    etag: Annotated[str, typer.Option("--etag", help="Reactivate only if the user still has this etag.")] = "",
) -> None:
    """Reactivate a deactivated user: their unrevoked, unexpired tokens and API keys work again, and their
    AuraID resolves again."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    request = access_pb2.ReactivateUserRequest(user=user, etag=etag)
    found = common.connected(settings, lambda c: c.users.ReactivateUser(request))
    common.emit(settings, common.to_dict(found), user_table)
