"""Renderers of `auralink auth`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def whoami_table(data: dict[str, Any]) -> RenderableType:
    user, org = data["user"], data["organization"]
    name = user["username"] + (f" <{user['email']}>" if user["email"] else "")
    return common.fields_table(
        [
            ("User", f"{name} ({user['id']})" if user["id"] else "-"),
            ("Base role", user["base_role"] if user["id"] else "-"),
            ("Organization", f"{org['name']} ({org['id']})" if org["id"] else "-"),
            ("Credential", f"{data['credential_type']} {data['credential_id']}".strip()),
            ("Expires", common.when(data["expire_time"]) if data["expire_time"] else "-"),
            ("Permissions", "\n".join(data["permissions"]) or "(none)"),
        ]
    )


def login_table(data: dict[str, Any]) -> RenderableType:
    return common.fields_table(
        [
            ("Logged in as", data["username"] or data["user_id"] or "-"),
            ("Organization", data["organization_id"] or "-"),
            ("Credential", f"{data['credential_type']} {data['credential_id']}".strip()),
            ("Expires", common.when(data["expire_time"]) if data["expire_time"] else "-"),
            ("Profile", f"{data['profile']} ({data['config_path']})"),
        ]
    )
