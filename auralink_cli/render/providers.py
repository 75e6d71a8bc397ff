"""Renderers of `auralink providers`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import Any

from auralink_cli.render import tables as common


def type_name(value: str) -> str:
    return value.removeprefix("PROVIDER_TYPE_").lower() if value else ""


def provider_table(p: dict[str, Any]) -> Any:
    return common.fields_table(
        [
            ("ID", p["id"] or "(built-in)"),
            ("Name", p["name"]),
            ("Type", type_name(p["type"])),
            ("Base URL", p["base_url"]),
            ("Default model", p["default_model"]),
            ("Models", common.joined(p["models"])),
            ("Priority", p["priority"]),
            ("Enabled", "yes" if p["enabled"] else "no"),
            ("Key", "yes" if p["has_key"] or type_name(p["type"]) in ("local", "ollama") else "no"),
            ("Etag", p["etag"]),
        ]
    )


def providers_table(data: dict[str, Any]) -> Any:
    columns = [
        ("NAME", lambda p: p["name"]),
        ("TYPE", lambda p: type_name(p["type"])),
        ("MODELS", lambda p: common.joined(p["models"])),
        ("PRIORITY", lambda p: p["priority"]),
        ("ENABLED", lambda p: "yes" if p["enabled"] else "no"),
        ("KEY", lambda p: "yes" if p["has_key"] or type_name(p["type"]) in ("local", "ollama") else "no"),
    ]
    return [common.rows_table(data["providers"], columns, "(no providers)"), *common.more_note(data["next_page_token"])]


def keys_table(d: dict[str, Any]) -> Any:
    columns = [
        ("ID", lambda k: k["id"]),
        ("PROVIDER", lambda k: k["provider"]),
        ("SCOPE", lambda k: k["scope"]),
        ("LABEL", lambda k: k["label"]),
        ("FINGERPRINT", lambda k: k["fingerprint"]),
    ]
    return common.rows_table(d["keys"], columns, "(no keys)")
