"""Renderers of `auralink tokens`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def issued_table(data: dict[str, Any]) -> RenderableType:
    """The details; the token itself follows on a plain line (see `issue`)."""
    return common.fields_table(
        [
            ("Token ID", data["token_id"]),
            ("Expires", common.when(data["expire_time"])),
            ("Scopes", common.joined(data["scopes"], "(all of the holder's permissions)")),
        ]
    )


def tokens_table(data: dict[str, Any]) -> list[RenderableType]:
    columns = [
        ("TOKEN ID", lambda t: t["token_id"]),
        ("USER", lambda t: t["user_id"]),
        ("SCOPES", lambda t: common.joined(t["scopes"], "(all)")),
        ("DESCRIPTION", lambda t: t["description"]),
        ("CREATED", lambda t: common.when(t["create_time"])),
        ("EXPIRES", lambda t: common.when(t["expire_time"])),
        ("REVOKED", lambda t: common.when(t["revoke_time"])),
    ]
    return [common.rows_table(data["tokens"], columns, "(no tokens)"), *common.more_note(data["next_page_token"])]
