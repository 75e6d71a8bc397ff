"""Renderers of the Overview panels: daemon, database, Redis, services and event lines."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from rich.table import Table
from rich.text import Text

# The CLI's renderers import neither typer nor grpc, so `auralink status` and the dashboard share them.
from auralink_cli.render.system import STATE_STYLES, format_duration


def state_name(value: int) -> str:
    from auralink.v1 import common_pb2

    return common_pb2.ServingState.Name(value).removeprefix("SERVING_STATE_")


def styled_state(name: str) -> Text:
    return Text(name, style=f"bold {STATE_STYLES.get(name, 'red')}")


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    return grid


def daemon_panel(status: Any, *, stale: bool = False) -> Table:
    """The daemon's state; while disconnected, the last known values, said to be such."""
    grid = _grid()
    if status is None:
        grid.add_row("State", Text("waiting for the daemon…", style="yellow"))
        return grid
    seconds = status.uptime.seconds + status.uptime.nanos / 1e9
    if stale:
        grid.add_row("State", Text(f"unknown (last seen {state_name(status.state)})", style="bold red"))
    else:
        grid.add_row("State", styled_state(state_name(status.state)))
    grid.add_row("Version", status.version)
    grid.add_row("Uptime", format_duration(seconds) + (" at last contact" if stale else ""))
    grid.add_row("Replica", status.replica_id)
    for reason in status.reasons:
        grid.add_row("", Text(reason, style="yellow"))
    return grid


def database_panel(status: Any) -> Table:
    grid = _grid()
    if status is None:
        return grid
    db = status.database
    if not db.reachable:
        grid.add_row("State", Text(f"unreachable: {db.error or 'no detail'}", style="red"))
        return grid
    grid.add_row("Kind", "embedded" if db.embedded else "external")
    grid.add_row("Server", f"PostgreSQL {db.server_version or '?'}")
    grid.add_row("pgvector", Text("yes", style="green") if db.has_pgvector else Text("no", style="yellow"))
    grid.add_row("Search", db.vector_search or "–")
    used = f"{db.pool_in_use}/{db.pool_size}"
    grid.add_row("Pool", Text(used, style="yellow" if db.pool_size and db.pool_in_use >= db.pool_size else ""))
    pending = f" ({db.migrations_pending} pending)" if db.migrations_pending else ""
    grid.add_row("Migration", f"{db.migration_level}{pending}")
    return grid


def redis_panel(status: Any) -> Table:
    grid = _grid()
    if status is None:
        return grid
    redis = status.redis
    if not redis.configured:
        grid.add_row("State", "not configured")
        grid.add_row("", Text("in-process cache and bus", style="dim"))
        return grid
    grid.add_row("State", Text("up", style="green") if redis.up else Text("down", style="red"))
    grid.add_row("Breaker", redis.breaker_state or "–")
    if redis.reason:
        grid.add_row("Reason", Text(redis.reason, style="yellow"))
    return grid


def service_rows(status: Any) -> list[tuple[str, Text, str, Text]]:
    """Two services a row, so that every service of a daemon fits the panel (details: service_details)."""
    if status is None:
        return []
    cells = [(s.name.removeprefix("auralink.v1."), styled_state(state_name(s.state))) for s in status.services]
    if len(cells) % 2:
        cells.append(("", Text()))
    return [(*cells[i], *cells[i + 1]) for i in range(0, len(cells), 2)]


def service_details(status: Any) -> str:
    """`event_bus: in-process fallback`: the services that say more than their state."""
    if status is None:
        return ""
    return " · ".join(f"{s.name.removeprefix('auralink.v1.')}: {s.detail}" for s in status.services if s.detail)


def event_line(event: Any) -> Text:
    """`23:16:20  mesh.node.state  name=a state=SUSPECT` (UTC, as sent)."""
    when = event.time.ToDatetime().strftime("%H:%M:%S") if event.HasField("time") else "--:--:--"
    data = MessageToDict(event.data) if event.HasField("data") else {}
    fields = " ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in data.items())
    return Text.assemble((when, "dim"), "  ", (event.topic, "bold cyan"), "  ", fields)
