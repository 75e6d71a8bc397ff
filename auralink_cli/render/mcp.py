"""Renderers of `auralink mcp`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    pass


def state_name(c: dict[str, Any]) -> str:
    state = str(c.get("state") or "").lower()
    return f"{state}: {c['state_reason']}" if c.get("state_reason") else state


def connection_table(c: dict[str, Any]) -> Any:
    stdio = c["transport"] == "STDIO"
    return common.fields_table(
        [
            ("ID", c["id"]),
            ("Name", c["name"]),
            ("Description", c["description"]),
            ("Transport", "stdio" if stdio else "streamable HTTP"),
            ("Command" if stdio else "URL", " ".join([c["command"], *c["args"]]) if stdio else c["url"]),
            ("Env" if stdio else "Headers", common.joined(c["env_names"] if stdio else c["header_names"])),
            ("Timeout", f"{c['timeout']:g}s" if c.get("timeout") else "default"),
            ("State", state_name(c)),
            ("Server", " ".join(v for v in (c["server_name"], c["server_version"]) if v)),
            ("Tools", c["tool_count"] or "-"),
            ("Created", common.when(c["create_time"])),
        ]
    )


def tools_table(tools: list[dict[str, Any]]) -> Any:
    columns = [
        ("CONNECTION", lambda t: t["connection_name"]),
        ("TOOL", lambda t: t["name"]),
        ("ARGUMENTS", lambda t: ", ".join(argument_names(t["input_schema"])) or "-"),
        ("DESCRIPTION", lambda t: (t["description"] or "").strip().splitlines()[0] if t["description"] else ""),
    ]
    return common.rows_table(tools, columns, "(no tools)")


def argument_names(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required") or ())
    return [n if n in required else f"[{n}]" for n in (schema.get("properties") or {})]


def content_text(item: dict[str, Any]) -> str:
    if item.get("text") is not None:
        return str(item["text"])
    for kind in ("image", "audio"):
        if item.get(kind) and item[kind].get("mime_type"):
            size = len(item[kind]["data"]) * 3 // 4
            return f"[{kind} {item[kind]['mime_type']}, about {size} bytes]"
    resource = item.get("resource") or {}
    if resource.get("uri"):
        return resource.get("text") or f"[resource {resource['uri']}]"
    link = item.get("resource_link") or {}
    return f"[link {link.get('uri', '')}]"


def connections_table(d: dict[str, Any]) -> Any:
    columns = [
        ("NAME", lambda c: c["name"]),
        ("TRANSPORT", lambda c: "stdio" if c["transport"] == "STDIO" else "http"),
        ("TARGET", lambda c: c["command"] or c["url"]),
        ("STATE", state_name),
        ("TOOLS", lambda c: c["tool_count"] or "-"),
    ]
    return [common.rows_table(d["connections"], columns, "(no connections)"), *common.more_note(d["next_page_token"])]
