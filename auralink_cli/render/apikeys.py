"""Renderers of `auralink apikeys`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def key_pairs(key: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("ID", key["id"]),
        ("Name", key["name"]),
        ("Prefix", key["prefix"]),
        ("User", key["user_id"]),
        ("Scopes", common.joined(key["scopes"], "(all of the holder's permissions)")),
        ("Created", common.when(key["create_time"])),
        ("Expires", common.when(key["expire_time"]) if key["expire_time"] else "never"),
    ]


def created_table(data: dict[str, Any]) -> RenderableType:
    """The key's details; the key itself follows on a plain line (see `create`)."""
    return common.fields_table(key_pairs(data["api_key"]))


def keys_table(data: dict[str, Any]) -> list[RenderableType]:
    columns = [
        ("ID", lambda k: k["id"]),
        ("PREFIX", lambda k: k["prefix"]),
        ("NAME", lambda k: k["name"]),
        ("SCOPES", lambda k: common.joined(k["scopes"], "(all)")),
        ("CREATED", lambda k: common.when(k["create_time"])),
        ("EXPIRES", lambda k: common.when(k["expire_time"]) if k["expire_time"] else "never"),
        ("LAST USED", lambda k: common.when(k["last_use_time"])),
        ("REVOKED", lambda k: common.when(k["revoke_time"])),
    ]
    return [common.rows_table(data["api_keys"], columns, "(no API keys)"), *common.more_note(data["next_page_token"])]
