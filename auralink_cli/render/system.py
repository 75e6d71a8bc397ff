"""Renderers of `auralink system`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType


STATE_STYLES = {"SERVING": "green", "DEGRADED": "yellow", "STARTING": "cyan", "STOPPING": "cyan"}


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


def state_markup(state: str) -> str:
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
    grid.add_row("State", state_markup(data["state"]))
    for reason in data["reasons"]:
        grid.add_row("", f"- {escape(reason)}")
    grid.add_row("Version", escape(data["version"] or "?"))
    since = f" (since {data['started_at']})" if data["started_at"] else ""
    grid.add_row("Uptime", format_duration(data["uptime"]) + since)
    if data["replica_id"]:
        grid.add_row("Replica", escape(data["replica_id"]))
    grid.add_row("Database", database_line(escaped(data["database"])))
    grid.add_row("Redis", redis_line(escaped(data["redis"])))
    label = "Services"
    for svc in data["services"]:
        detail = f"  {escape(svc['detail'])}" if svc["detail"] else ""
        grid.add_row(label, f"{escape(svc['name'])}: {state_markup(svc['state'])}{detail}")
        label = ""
    rpc = data["rpc"]
    grid.add_row("RPC", f"{rpc['calls_total']} calls, {rpc['errors_total']} errors")
    return grid


def escaped(values: dict[str, Any]) -> dict[str, Any]:
    from rich.markup import escape

    return {k: escape(v) if isinstance(v, str) else v for k, v in values.items()}


def event_text(data: dict[str, Any]) -> str:
    payload = json.dumps(data["data"], ensure_ascii=False, separators=(",", ":")) if data["data"] else ""
    replica = f" [{data['replica_id']}]" if data["replica_id"] else ""
    return f"{data['time'] or '-'} {data['topic']}{replica} {payload}".rstrip()
