"""`auralink auth login|whoami`: store a checked token in a profile; show who the credential is.

`login` takes the global `--token T` (or `--api-key K`, traded for a short-lived JWT with
ExchangeApiKey), checks it with WhoAmI and only then writes it to the profile of the config file
(mode 0600, see profiles.py). The token is never printed.
"""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import NOT_FOUND, USAGE, CliError
from auralink_cli.profiles import GlobalOptions, save_config
from auralink_cli.render.auth import login_table, whoami_table

if TYPE_CHECKING:
    from auralink_cli.profiles import Settings

auth_app = typer.Typer(name="auth", help="Log in with a token or an API key; show who you are.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(auth_app, name="auth")


# --- helpers ---------------------------------------------------------------------------------


def jwt_expiry(token: str) -> str | None:
    """The RFC 3339 `exp` of a JWT, read without verifying it (the daemon verifies); None if not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        exp = int(payload["exp"])
    except (ValueError, KeyError, TypeError):
        return None
    return datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_secret(value: str | None, label: str) -> str | None:
    """`-` reads the secret from stdin (for CI: `echo "$KEY" | auralink auth login --api-key -`)."""
    if value != "-":
        return value
    secret = sys.stdin.readline().strip()
    if not secret:
        raise CliError(USAGE, f"no {label} on stdin")
    return secret


def whoami_dict(resp: Any, token: str | None) -> dict[str, Any]:
    """WhoAmIResponse's shape; expire_time falls back to the JWT's own `exp` when the daemon leaves it unset."""
    data = common.to_dict(resp)
    if data["expire_time"] is None and token:
        data["expire_time"] = jwt_expiry(token)
    return data


def store_token(settings: Settings, token: str) -> None:
    """Write the token (and an --address given as a flag) to the profile; the file stays 0600."""
    config = settings.config
    values = config.profiles.setdefault(settings.profile, {})
    values["token"] = token
    if settings.sources.get("address") == "flag":
        values["address"] = settings.address
    save_config(config)  # never makes the profile current: `auralink config use` does that


# --- commands --------------------------------------------------------------------------------


@auth_app.command("login")
def login(
    ctx: typer.Context,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="An API key to trade for a short-lived JWT; '-' reads it from stdin."),
    ] = None,
    ttl: Annotated[str | None, typer.Option("--ttl", help="With --api-key: the JWT's lifetime (at most 1h).")] = None,
) -> None:
    """Check a token (global --token T; '-' reads stdin) or an API key, and store the token in the profile.

    Without either, asks for the token on a terminal. The profile is the global --profile, else
    $AURALINK_PROFILE, else the current one; an --address given as a flag is stored with it.
    """
    from auralink.v1 import access_pb2

    opts = ctx.ensure_object(GlobalOptions)
    token = read_secret(opts.token, "token")
    key = read_secret(api_key, "API key")
    if token and key:
        raise CliError(USAGE, "give --token or --api-key, not both")
    if not token and not key:
        if not output.interactive():
            raise CliError(USAGE, "give --token TOKEN or --api-key KEY ('-' reads it from stdin)")
        token = output.prompt_secret("Token") or None
        if not token:
            raise CliError(USAGE, "no token given")
    settings = common.settings_of(ctx)
    expire_time: str | None = None
    if key:
        request = access_pb2.ExchangeApiKeyRequest(ttl_seconds=common.parse_duration(ttl) if ttl else 0)
        issued = common.connected(replace(settings, token=key), lambda c: c.credentials.ExchangeApiKey(request))
        token, expire_time = issued.token, common.to_dict(issued)["expire_time"]
    assert token is not None
    me = common.connected(replace(settings, token=token), lambda c: c.credentials.WhoAmI(access_pb2.WhoAmIRequest()))
    who = whoami_dict(me, token)
    store_token(settings, token)
    data = {
        "profile": settings.profile,
        "config_path": str(settings.config.path),
        "user_id": who["user"]["id"],
        "username": who["user"]["username"],
        "organization_id": who["organization"]["id"],
        "credential_type": who["credential_type"],
        "credential_id": who["credential_id"],
        "expire_time": expire_time or who["expire_time"],
    }
    common.emit(settings, data, login_table)
    from auralink_cli.commands.config import not_current_hint

    not_current_hint(settings.config, settings.profile)


@auth_app.command("logout")
def logout(ctx: typer.Context) -> None:
    """Forget the profile's stored token. On the local socket, the daemon's admin.token applies again."""
    settings = common.settings_of(ctx)
    config = settings.config
    values = config.profiles.get(settings.profile, {})
    if "token" not in values:
        raise CliError(NOT_FOUND, f"no token stored in profile {settings.profile!r} of {config.path}")
    del values["token"]
    save_config(config)
    common.deleted(settings, "profile_token", settings.profile, f"token removed from profile {settings.profile!r}")


@auth_app.command("whoami")
def whoami(ctx: typer.Context) -> None:
    """Who the current credential is: user, organization, permissions, credential and expiry."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    resp = common.connected(settings, lambda c: c.credentials.WhoAmI(access_pb2.WhoAmIRequest()))
    common.emit(settings, whoami_dict(resp, settings.token), whoami_table)
