"""`auralink tokens issue|list|revoke` (CredentialService): JWTs with an expiry and scopes.

`issue` prints the token once: the daemon keeps only its id. Every replica refuses a revoked token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.render.tokens import issued_table, tokens_table

if TYPE_CHECKING:
    from auralink.v1 import access_pb2

tokens_app = typer.Typer(name="tokens", help="Bearer tokens (JWTs): issue, list, revoke.", no_args_is_help=True)

SHOWN_ONCE = "it is shown only this once; store it now"
ScopeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scope", "-s", help="A permission the credential is limited to (repeatable); default: all of yours."
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")


def issue_request(
    ttl: str | None = None, scopes: list[str] | None = None, user: str = "", description: str = ""
) -> access_pb2.IssueTokenRequest:
    from auralink.v1 import access_pb2

    ttl_seconds = common.parse_duration(ttl) if ttl is not None else 0
    return access_pb2.IssueTokenRequest(
        ttl_seconds=ttl_seconds, scopes=scopes or [], user=user, description=description
    )


@tokens_app.command("issue")
def issue(
    ctx: typer.Context,
    ttl: Annotated[
        str | None, typer.Option("--ttl", help="Lifetime: seconds or 30m, 1h, 7d (default 1h, at most 30d).")
    ] = None,
    scope: ScopeOpt = None,
    user: Annotated[
        str, typer.Option("--user", help="Issue for this user of your org (id, email or username; org admins).")
    ] = "",
    description: Annotated[str, typer.Option("--description", help="What the token is for.")] = "",
) -> None:
    """Issue a token and print it once (-o json: token, token_id, expire_time, scopes)."""
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    with Client(settings) as client:
        request = issue_request(ttl, scope, common.user_id(client, user), description)
        resp = client.credentials.IssueToken(request)
    data = common.to_dict(resp)
    common.emit(settings, data, issued_table)
    if settings.output == "table":
        output.plain(data["token"])  # a line of its own, never wrapped, so that it copies whole
        output.warn(f"token {data['token_id']}: {SHOWN_ONCE}")


@tokens_app.command("list")
@common.watchable
def list_tokens(
    ctx: typer.Context,
    user: Annotated[
        str, typer.Option("--user", help="Another user's tokens (id, email or username; org admins); default: yours.")
    ] = "",
    include_revoked: Annotated[bool, typer.Option("--include-revoked", help="Show revoked tokens too.")] = False,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """List issued tokens (never the tokens themselves)."""
    from auralink.v1 import access_pb2
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    with Client(settings) as client:
        credentials = client.credentials
        user = common.user_id(client, user)

        def fetch(size: int, token: str) -> tuple[list[Any], str]:
            request = access_pb2.ListTokensRequest(
                page_size=size, page_token=token, user=user, include_revoked=include_revoked
            )
            resp = credentials.ListTokens(request)
            return list(resp.tokens), resp.next_page_token

        items, next_token = common.paginate(fetch, limit, page_token)
    data = {"tokens": [common.to_dict(t) for t in items], "next_page_token": next_token}
    common.emit(settings, data, tokens_table, wide=True)


@tokens_app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id (jti), as `tokens list` shows it.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit log.")] = "",
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Revoke a token: every replica refuses it from then on."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Revoke token {token_id}?")
    request = access_pb2.RevokeTokenRequest(token_id=token_id, reason=reason)
    common.connected(settings, lambda c: c.credentials.RevokeToken(request))
    common.revoked(settings, "token", token_id, f"token {token_id} revoked")
