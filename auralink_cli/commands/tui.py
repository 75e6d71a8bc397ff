"""`auralink tui [--read-only]`: the Textual dashboard, with the CLI's address, token and profile.

Textual is imported inside the command, so `auralink --help` does not pay for it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from auralink_cli.profiles import GlobalOptions


def register(app: typer.Typer) -> None:
    app.command(name="tui")(tui)


def tui(
    ctx: typer.Context,
    read_only: Annotated[bool, typer.Option("--read-only", help="Hide every mutation (wall displays).")] = False,
) -> None:
    """Live dashboard: overview, agents, memory, mesh, access and compression (keys 1-6, ? for help)."""
    from tui.__main__ import run

    run(ctx.ensure_object(GlobalOptions), read_only=read_only)
