"""Renderers of `auralink orgs`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def org_table(org: dict[str, Any]) -> RenderableType:
    return common.fields_table(
        [
            ("ID", org["id"]),
            ("Name", org["name"]),
            ("Slug", org["slug"]),
            ("Active", "yes" if org["active"] else "no"),
            ("Created", common.when(org["create_time"])),
            ("Updated", common.when(org["update_time"])),
            ("Etag", org["etag"]),
        ]
    )


def orgs_table(data: dict[str, Any]) -> list[RenderableType]:
    columns = [
        ("ID", lambda o: o["id"]),
        ("SLUG", lambda o: o["slug"]),
        ("NAME", lambda o: o["name"]),
        ("ACTIVE", lambda o: "yes" if o["active"] else "no"),
        ("CREATED", lambda o: common.when(o["create_time"])),
    ]
    rows = data["organizations"]
    return [common.rows_table(rows, columns, "(no organizations)"), *common.more_note(data["next_page_token"])]


def bootstrap_table(data: dict[str, Any]) -> RenderableType:
    org, admin, key = data["organization"], data["admin"], data["api_key"]
    return common.fields_table(
        [
            ("Organization", f"{org['slug']} ({org['id']})"),
            ("Admin", f"{admin['username']} <{admin['email']}> ({admin['id']})"),
            ("API key", f"{key['prefix']} (name {key['name']})"),
        ]
    )
