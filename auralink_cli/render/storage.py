"""Renderers of `auralink storage`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import Any

from auralink_cli import output
from auralink_cli.render import tables as common


def object_table(data: dict[str, Any]) -> Any:
    return output.key_values(data)


def objects_table(d: dict[str, Any]) -> Any:
    columns = [
        ("KEY", lambda o: o["key"]),
        ("SIZE", lambda o: o.get("size_bytes", 0)),
        ("TYPE", lambda o: o["content_type"]),
        ("UPDATED", lambda o: common.when(o.get("update_time"))),
    ]
    return common.rows_table(d["objects"], columns, "no objects")
