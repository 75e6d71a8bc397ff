"""Renderers of `auralink storage`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import Any

from auralink_cli import output


def object_table(data: dict[str, Any]) -> Any:
    return output.key_values(data)
