"""Renderers of `auralink auraid`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    from rich.console import RenderableType


def resolved_table(data: dict[str, Any]) -> RenderableType:
    return common.fields_table(
        [
            ("AuraID", data["aura_id"]),
            ("User", data["user_id"]),
            ("Organization", data["organization_id"]),
            ("Display name", data["display_name"]),
            ("Privacy", data["privacy_level"]),
            ("Cross-app calls", "yes" if data["allow_cross_app_calls"] else "no"),
            ("Federated", common.joined(data["federated_domains"])),
            ("Verified", "yes" if data["verified"] else "no"),
        ]
    )
