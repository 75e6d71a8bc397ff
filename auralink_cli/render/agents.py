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
