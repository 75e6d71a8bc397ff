"""`auralink apikeys create|list|revoke` (CredentialService): keys for scripts and CI.

A key is `alk_<8 characters>_<secret>`; `create` prints it once (only a salted hash is stored).
Use it as a token directly, or trade it for a short-lived JWT with `auralink auth login --api-key`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.commands.tokens import SHOWN_ONCE, ScopeOpt
from auralink_cli.render.apikeys import created_table, keys_table

if TYPE_CHECKING:
    from auralink.v1 import access_pb2

apikeys_app = typer.Typer(
    name="apikeys", help="API keys for scripts and CI: create, list, revoke.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(apikeys_app, name="apikeys")


def create_request(
    name: str, scopes: list[str] | None = None, ttl: str | None = None
) -> access_pb2.CreateApiKeyRequest:
    from auralink.v1 import access_pb2

    ttl_seconds = common.parse_duration(ttl) if ttl is not None else 0
    return access_pb2.CreateApiKeyRequest(name=name, scopes=scopes or [], ttl_seconds=ttl_seconds)


@apikeys_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name to recognise the key by.")],
    scope: ScopeOpt = None,
    ttl: Annotated[
        str | None, typer.Option("--ttl", help="Lifetime: seconds or 30m, 1h, 90d (default: never expires).")
    ] = None,
) -> None:
    """Create an API key and print it once (-o json: api_key, secret)."""
    settings = common.settings_of(ctx)
    resp = common.connected(settings, lambda c: c.credentials.CreateApiKey(create_request(name, scope, ttl)))
    data = common.to_dict(resp)
    common.emit(settings, data, created_table)
    if settings.output == "table":
        output.plain(data["secret"])  # a line of its own, never wrapped, so that it copies whole
        output.warn(f"API key {data['api_key']['prefix']}: {SHOWN_ONCE}")


@apikeys_app.command("list")
@common.watchable
def list_keys(
    ctx: typer.Context,
    include_revoked: Annotated[bool, typer.Option("--include-revoked", help="Show revoked keys too.")] = False,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """List your API keys (prefixes only, never secrets)."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.credentials.ListApiKeys(
            access_pb2.ListApiKeysRequest(page_size=size, page_token=token, include_revoked=include_revoked)
        ),
        "api_keys", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, keys_table, wide=True)


@apikeys_app.command("revoke")
def revoke(
    ctx: typer.Context,
    api_key: Annotated[str, typer.Argument(metavar="ID_OR_PREFIX", help="The key's id or its prefix (alk_…).")],
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Revoke an API key: it stops working at once."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Revoke API key {api_key}?")
    common.connected(settings, lambda c: c.credentials.RevokeApiKey(access_pb2.RevokeApiKeyRequest(api_key=api_key)))
    common.revoked(settings, "api_key", api_key, f"API key {api_key} revoked")
