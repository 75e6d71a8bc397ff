"""Renderers of `auralink agents`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    pass


def agent_table(a: dict[str, Any]) -> Any:
    p = a.get("personality") or {}
    return common.fields_table(
        [
            ("ID", a["id"]),
            ("Name", a["name"]),
            ("Model", a["model"]),
            ("Temperature", a["temperature"]),
            ("Memory", "on" if a["memory_enabled"] else "off"),
            ("Voice", "on" if a["voice_enabled"] else "off"),
            ("System prompt", a["system_prompt"]),
            ("Traits", common.joined(p.get("traits") or [])),
            ("Style", p.get("style") or ""),
            ("Max tokens", a["max_tokens"] or "-"),
            ("Tools", common.joined(a.get("tools") or [])),
            ("Version", a["version"]),
            ("Created", common.when(a["create_time"])),
        ]
    )


def agents_table(d: dict[str, Any]) -> Any:
    columns = [
        ("ID", lambda a: a["id"]),
        ("NAME", lambda a: a["name"]),
        ("MODEL", lambda a: a["model"]),
        ("MEMORY", lambda a: "on" if a["memory_enabled"] else "off"),
        ("VERSION", lambda a: a["version"]),
    ]
    return [common.rows_table(d["agents"], columns, "(no agents)"), *common.more_note(d["next_page_token"])]


def conversations_table(d: dict[str, Any]) -> Any:
    columns = [
        ("ID", lambda c: c["id"]),
        ("MESSAGES", lambda c: c["message_count"]),
        ("TITLE", lambda c: c["title"]),
        ("LAST", lambda c: common.when(c.get("last_message_time"))),
    ]
    return common.rows_table(d["conversations"], columns, "(no conversations)")


def messages_table(d: dict[str, Any]) -> Any:
    columns = [("ROLE", lambda m: m["role"]), ("MESSAGE", lambda m: m["content"])]
    return common.rows_table(d["messages"], columns, "(empty)")


def assignments_table(d: dict[str, Any]) -> Any:
    columns = [
        ("AGENT", lambda a: a["agent_name"]),
        ("ROOM", lambda a: a["room_id"]),
        ("ROLE", lambda a: a["role"]),
        ("AUTO JOIN", lambda a: "yes" if a["auto_join"] else "no"),
    ]
    return common.rows_table(d["assignments"], columns, "(none)")
