"""Renderers of `auralink speech`: tables for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import Any

from auralink_cli.render import tables as common


def voices_table(d: dict[str, Any]) -> Any:
    columns = [
        ("ID", lambda v: v["id"]),
        ("NAME", lambda v: v["name"]),
        ("GENDER", lambda v: v["gender"] or "-"),
        ("MODEL", lambda v: v["model"]),
    ]
    return common.rows_table(d["voices"], columns, "no voices")
