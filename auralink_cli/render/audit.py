"""Renderers of `auralink audit`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def entry_text(entry: dict[str, Any]) -> str:
    """One line per entry for people: time, id, action, outcome, actor and resource."""
    actor = f"{entry['actor_type']}:{entry['actor_user_id']}" if entry["actor_user_id"] else entry["actor_type"]
    resource = "/".join(p for p in (entry["resource_type"], entry["resource_id"]) if p)
    when = common.when(entry["create_time"])
    return f"{when} #{entry['id']} {entry['action']} {entry['outcome']} {actor} {resource}".rstrip()


def entries_table(data: dict[str, Any]) -> list[RenderableType]:
    columns = [
        ("ID", lambda e: e["id"]),
        ("TIME", lambda e: common.when(e["create_time"])),
        ("ACTOR", lambda e: e["actor_user_id"] or e["actor_type"]),
        ("ACTION", lambda e: e["action"]),
        ("RESOURCE", lambda e: "/".join(p for p in (e["resource_type"], e["resource_id"]) if p) or "-"),
        ("OUTCOME", lambda e: e["outcome"]),
    ]
    return [common.rows_table(data["entries"], columns, "(no entries)"), *common.more_note(data["next_page_token"])]


def verify_text(result: dict[str, Any]) -> str:
    if result["ok"]:
        text = f"audit chain ok: {result['rows_checked']} rows checked"
        if result.get("checkpoint"):
            text += f"\ncheckpoint: {result['checkpoint']}"
        return text
    return (
        f"audit chain BROKEN at row {result['first_broken_id']}: {result['reason'] or 'hash mismatch'} "
        f"({result['rows_checked']} rows checked)"
    )
