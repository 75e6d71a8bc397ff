"""Renderers of `auralink translate`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import Any

from auralink_cli.render import tables as common


def languages_table(d: dict[str, Any]) -> Any:
    columns = [
        ("CODE", lambda lang: lang["code"]),
        ("NAME", lambda lang: lang["name"]),
        ("NATIVE", lambda lang: lang["native_name"]),
    ]
    return common.rows_table(d["languages"], columns, "-")
