"""Renderers of `auralink users`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def aura_text(user: dict[str, Any]) -> str:
    return user["aura_id"]["aura_id"] or "-"


def user_table(user: dict[str, Any]) -> RenderableType:
    aura = user["aura_id"]
    pairs: list[tuple[str, Any]] = [
        ("ID", user["id"]),
        ("Username", user["username"]),
        ("Email", user["email"]),
        ("Display name", user["display_name"]),
        ("Base role", user["base_role"]),
        ("Organization", user["organization_id"]),
        ("Active", "yes" if user["active"] else "no"),
        ("AuraID", aura["aura_id"]),
    ]
    if aura["aura_id"]:
        pairs += [
            ("  privacy", aura["privacy_level"]),
            ("  cross-app calls", "yes" if aura["allow_cross_app_calls"] else "no"),
            ("  federated", common.joined(aura["federated_domains"])),
            ("  verified", "yes" if aura["verified"] else "no"),
        ]
    pairs += [("Created", common.when(user["create_time"])), ("Updated", common.when(user["update_time"]))]
    pairs.append(("Etag", user["etag"]))
    return common.fields_table(pairs)


def users_table(data: dict[str, Any]) -> list[RenderableType]:
    columns = [
        ("ID", lambda u: u["id"]),
        ("USERNAME", lambda u: u["username"]),
        ("EMAIL", lambda u: u["email"]),
        ("ROLE", lambda u: u["base_role"]),
        ("AURA ID", aura_text),
        ("ACTIVE", lambda u: "yes" if u["active"] else "no"),
    ]
    return [common.rows_table(data["users"], columns, "(no users)"), *common.more_note(data["next_page_token"])]
