"""`auralink status`, `version` and `events`: the daemon itself (SystemService). `doctor` is in doctor.py.

`status` exit codes: 0 SERVING, 7 DEGRADED, 8 STARTING / NOT_SERVING / STOPPING (reachable, not
ready), 3 unreachable, and the usual table (exit_codes.py) for other errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import exit_codes, output
from auralink_cli.exit_codes import CliError
from auralink_cli.profiles import GlobalOptions, Settings, resolve_settings
from auralink_cli.render.system import (
    event_text,
    status_table,
)

if TYPE_CHECKING:
    from auralink.v1 import system_pb2


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command()(version)
    app.command()(events)


def settings_of(ctx: typer.Context) -> Settings:
    return resolve_settings(ctx.ensure_object(GlobalOptions))


# --- status ----------------------------------------------------------------------------------


def status_to_dict(resp: system_pb2.GetStatusResponse) -> dict[str, Any]:
    """The pinned JSON shape of `status -o json` (see shapes.py for the rules)."""
    from auralink_cli.shapes import message_to_dict

    return message_to_dict(resp)


def status_exit_code(state: str) -> int:
    if state == "SERVING":
        return exit_codes.OK
    if state == "DEGRADED":
        return exit_codes.DEGRADED
    return exit_codes.NOT_READY  # STARTING, NOT_SERVING, STOPPING, UNSPECIFIED


def fetch_status(settings: Settings) -> system_pb2.GetStatusResponse:
    from auralink.v1 import system_pb2
    from auralink_cli.client import Client

    with Client(settings) as client:
        return client.system.GetStatus(system_pb2.GetStatusRequest())


def status(ctx: typer.Context) -> None:
    """Daemon state, version, uptime, database, Redis and services.

    Exit 0 when SERVING, 7 when DEGRADED, 8 when STARTING, NOT_SERVING or STOPPING, 3 when the
    daemon cannot be reached.
    """
    settings = settings_of(ctx)
    data = status_to_dict(fetch_status(settings))
    output.emit(data, settings.output, table=status_table, no_color=settings.no_color)
    raise typer.Exit(status_exit_code(data["state"]))


# --- version ---------------------------------------------------------------------------------


def version(ctx: typer.Context) -> None:
    """Client and server versions. Exit 3 (after printing the client's) when the daemon is unreachable."""
    from auralink_cli.version import client_version

    settings = settings_of(ctx)
    failure: CliError | None = None
    try:
        server = fetch_status(settings).version or "unknown"
    except CliError as exc:
        failure = exc
        server = "unreachable" if exc.exit_code == exit_codes.UNREACHABLE else "unknown"
    output.emit({"client": client_version(), "server": server}, settings.output, no_color=settings.no_color)
    if failure is not None:
        raise failure


# --- events ----------------------------------------------------------------------------------


def event_to_dict(event: Any) -> dict[str, Any]:
    from auralink_cli.shapes import message_to_dict

    return message_to_dict(event)


def events(
    ctx: typer.Context,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", "-t", help="Topic prefix to receive (repeatable); default: all."),
    ] = None,
    replay: Annotated[int, typer.Option(min=0, max=1000, help="Replay up to N recent events before live ones.")] = 0,
) -> None:
    """Stream the daemon's events, one line each (JSON lines with -o json). Ctrl-C exits 0.

    Heartbeats are not printed. Exit 3 when the daemon goes away (it ends streams with UNAVAILABLE).
    """
    from auralink.v1 import system_pb2
    from auralink_cli.client import Client

    settings = settings_of(ctx)
    request = system_pb2.WatchEventsRequest(topics=topic or [], replay=replay)
    try:
        with Client(settings) as client:
            for event in client.system.WatchEvents(request):
                if event.heartbeat:
                    continue
                data = event_to_dict(event)
                output.emit_line(data, event_text(data), settings.output, no_color=settings.no_color)
    except KeyboardInterrupt:
        raise typer.Exit(exit_codes.OK) from None
