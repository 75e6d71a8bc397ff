"""`auralink auraid resolve @name.aura` (UserService.ResolveAuraId; private ids resolve only in their org)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from auralink_cli.commands import _access as common
from auralink_cli.render.auraid import resolved_table

if TYPE_CHECKING:
    pass

auraid_app = typer.Typer(name="auraid", help="AuraIDs (@name.aura): look them up.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(auraid_app, name="auraid")


@auraid_app.command("resolve")
def resolve(ctx: typer.Context, aura_id: Annotated[str, typer.Argument(help="An AuraID, @name.aura.")]) -> None:
    """Look up who an AuraID belongs to (exit 5 when unknown or not visible to you)."""
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    request = access_pb2.ResolveAuraIdRequest(aura_id=aura_id)
    found = common.connected(settings, lambda c: c.users.ResolveAuraId(request))
    common.emit(settings, common.to_dict(found), resolved_table)
