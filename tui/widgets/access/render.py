"""Renderers of the Access screen: role rows, permissions, assignments, audit lines, chain status."""

from __future__ import annotations

from typing import Any

from rich.text import Text


def role_row(role: Any) -> tuple[Any, ...]:
    kind = Text("system", style="dim") if role.system else Text("custom", style="cyan")
    return (role.name, kind, str(len(role.permissions)), role.description)


def assignment_row(assignment: Any) -> tuple[Any, ...]:
    since = assignment.create_time.ToDatetime().strftime("%Y-%m-%d") if assignment.HasField("create_time") else ""
    how = Text("implicit (base role)", style="dim") if assignment.implicit else Text("assigned")
    return (assignment.role_name or assignment.role_id, how, assignment.granted_by or "–", since)


OUTCOME_STYLES = {"success": "green", "failure": "red", "denied": "yellow"}


def audit_line(entry: Any) -> Text:
    when = entry.create_time.ToDatetime().strftime("%H:%M:%S") if entry.HasField("create_time") else "--:--:--"
    resource = f"{entry.resource_type}/{entry.resource_id}" if entry.resource_id else entry.resource_type
    return Text.assemble(
        (f"#{entry.id:<5}", "dim"),
        " ",
        (when, "dim"),
        " ",
        (f"{entry.outcome:<7}", OUTCOME_STYLES.get(entry.outcome, "")),
        " ",
        (entry.action, "bold"),
        " ",
        resource,
        " ",
        (
            f"by {entry.actor_type}:{entry.actor_user_id[:8]}" if entry.actor_user_id else f"by {entry.actor_type}",
            "dim",
        ),
    )


def chain_view(result: Any, live_rows: int) -> Text:
    if result is None:
        return Text("chain not verified yet", style="dim")
    if result.ok:
        return Text.assemble(
            ("✓ hash chain intact", "bold green"),
            f"  {result.rows_checked} rows checked",
            (f" · {live_rows} live", "dim"),
        )
    return Text.assemble(("✗ hash chain BROKEN", "bold red"), f" at row #{result.first_broken_id}: {result.reason}")
