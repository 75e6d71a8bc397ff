"""`auralink status`, `version` and `events`: the daemon itself (SystemService). `doctor` is in doctor.py.

`status` exit codes: 0 SERVING, 7 DEGRADED, 8 STARTING / NOT_SERVING / STOPPING (reachable, not
ready), 3 unreachable, and the usual table (exit_codes.py) for other errors.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import exit_codes, output
from auralink_cli.exit_codes import CliError
from auralink_cli.profiles import GlobalOptions, Settings, resolve_settings

if TYPE_CHECKING:
    from rich.console import RenderableType

    from auralink.v1 import system_pb2

STATE_STYLES = {"SERVING": "green", "DEGRADED": "yellow", "STARTING": "cyan", "STOPPING": "cyan"}


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
        return client.call(client.system.GetStatus, system_pb2.GetStatusRequest())


def status(ctx: typer.Context) -> None:
    """Daemon state, version, uptime, database, Redis and services.

    Exit 0 when SERVING, 7 when DEGRADED, 8 when STARTING, NOT_SERVING or STOPPING, 3 when the
    daemon cannot be reached.
    """
    settings = settings_of(ctx)
    data = status_to_dict(fetch_status(settings))
    output.emit(data, settings.output, table=status_table, no_color=settings.no_color)
    raise typer.Exit(status_exit_code(data["state"]))


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    total = int(seconds)
    days, rem = divmod(total, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s" if minutes else f"{seconds:.1f}s"


def _state(state: str) -> str:
    return f"[{STATE_STYLES.get(state, 'red')} bold]{state}[/]"


def database_line(db: dict[str, Any]) -> str:
    if not db["reachable"]:
        return f"[red]unreachable[/]: {db['error'] or 'no detail'}"
    kind = "embedded" if db["embedded"] else "external"
    pgvector = "yes" if db["has_pgvector"] else "no"
    pending = db["migrations_pending"]
    migrations = f"migration {db['migration_level']}" + (f" ([yellow]{pending} pending[/])" if pending else "")
    search = f" ({db['vector_search']})" if db["vector_search"] else ""
    return (
        f"{kind}, PostgreSQL {db['server_version'] or '?'}, pgvector {pgvector}{search}, "
        f"pool {db['pool_in_use']}/{db['pool_size']}, {migrations}"
    )


def redis_line(redis: dict[str, Any]) -> str:
    if not redis["configured"]:
        return "not configured (in-process cache and bus)"
    breaker = f", breaker {redis['breaker_state']}" if redis["breaker_state"] else ""
    if redis["up"]:
        return f"[green]up[/]{breaker}"
    return f"[red]down[/]{breaker}" + (f": {redis['reason']}" if redis["reason"] else "")


def status_table(data: dict[str, Any]) -> RenderableType:
    from rich.markup import escape
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("State", _state(data["state"]))
    for reason in data["reasons"]:
        grid.add_row("", f"- {escape(reason)}")
    grid.add_row("Version", escape(data["version"] or "?"))
    since = f" (since {data['started_at']})" if data["started_at"] else ""
    grid.add_row("Uptime", format_duration(data["uptime"]) + since)
    if data["replica_id"]:
        grid.add_row("Replica", escape(data["replica_id"]))
    grid.add_row("Database", database_line(_escaped(data["database"])))
    grid.add_row("Redis", redis_line(_escaped(data["redis"])))
    label = "Services"
    for svc in data["services"]:
        detail = f"  {escape(svc['detail'])}" if svc["detail"] else ""
        grid.add_row(label, f"{escape(svc['name'])}: {_state(svc['state'])}{detail}")
        label = ""
    rpc = data["rpc"]
    grid.add_row("RPC", f"{rpc['calls_total']} calls, {rpc['errors_total']} errors")
    return grid


def _escaped(values: dict[str, Any]) -> dict[str, Any]:
    from rich.markup import escape

    return {k: escape(v) if isinstance(v, str) else v for k, v in values.items()}


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


def event_text(data: dict[str, Any]) -> str:
    payload = json.dumps(data["data"], ensure_ascii=False, separators=(",", ":")) if data["data"] else ""
    replica = f" [{data['replica_id']}]" if data["replica_id"] else ""
    return f"{data['time'] or '-'} {data['topic']}{replica} {payload}".rstrip()


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
            for event in client.stream(client.system.WatchEvents, request):
                if event.heartbeat:
                    continue
                data = event_to_dict(event)
                output.emit_line(data, event_text(data), settings.output, no_color=settings.no_color)
    except KeyboardInterrupt:
        raise typer.Exit(exit_codes.OK) from None
