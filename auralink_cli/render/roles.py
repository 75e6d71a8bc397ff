"""Renderers of `auralink roles`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def role_table(role: dict[str, Any]) -> RenderableType:
    return common.fields_table(
        [
            ("ID", role["id"]),
            ("Name", role["name"]),
            ("Description", role["description"]),
            ("System", "yes" if role["system"] else "no"),
            ("Organization", role["organization_id"] or "(system)"),
            ("Permissions", "\n".join(role["permissions"]) or "-"),
            ("Created", common.when(role["create_time"])),
            ("Updated", common.when(role["update_time"])),
            ("Etag", role["etag"]),
        ]
    )


def roles_table(data: dict[str, Any]) -> list[RenderableType]:
    columns = [
        ("ID", lambda r: r["id"]),
        ("NAME", lambda r: r["name"]),
        ("SYSTEM", lambda r: "yes" if r["system"] else "no"),
        ("PERMISSIONS", lambda r: len(r["permissions"])),
        ("DESCRIPTION", lambda r: r["description"]),
    ]
    return [common.rows_table(data["roles"], columns, "(no roles)"), *common.more_note(data["next_page_token"])]


def permissions_table(data: dict[str, Any]) -> RenderableType:
    columns = [("PERMISSION", lambda p: p["name"]), ("DESCRIPTION", lambda p: p["description"])]
    return common.rows_table(data["permissions"], columns, "(no permissions)")


def assignment_table(data: dict[str, Any]) -> RenderableType:
    a = data["assignment"]
    return common.fields_table(
        [
            ("Assignment", a["id"]),
            ("User", a["user_id"]),
            ("Role", f"{a['role_name']} ({a['role_id']})"),
            ("Granted by", a["granted_by"]),
            ("Created", common.when(a["create_time"])),
        ]
    )


def effective_table(data: dict[str, Any]) -> list[RenderableType]:
    from rich.text import Text

    columns = [
        ("ROLE", lambda a: a["role_name"]),
        ("ROLE ID", lambda a: a["role_id"]),
        ("GRANTED BY", lambda a: "(base role)" if a["implicit"] else a["granted_by"] or "-"),
        ("SINCE", lambda a: common.when(a["create_time"])),
    ]
    return [
        common.fields_table([("User", data["user_id"])]),
        common.rows_table(data["assignments"], columns, "(no roles)"),
        Text("Permissions: " + common.joined(data["permissions"], "(none)")),
    ]
