"""Renderers of `auralink rooms`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli.render import tables as common

if TYPE_CHECKING:
    pass


def short(value: Any) -> str:
    """An enum's short name ("MEETING") for people: "meeting"."""
    return value.lower() if isinstance(value, str) else str(value)


def room_table(r: dict[str, Any]) -> Any:
    return common.fields_table(
        [
            ("ID", r["id"]),
            ("Name", r["name"]),
            ("Type", short(r["type"])),
            ("State", short(r["state"])),
            ("Description", r["description"]),
            ("Private", "yes" if r["private"] else "no"),
            ("Participants", f"{r['participant_count']}/{r['max_participants']}"),
            ("Call", r["call_id"]),
            ("AIC", "on" if r["aic_enabled"] else "off"),
            ("Recording", "on" if r["recording_enabled"] else "off"),
            ("Created", common.when(r["create_time"])),
            ("Closed", common.when(r["close_time"])),
        ]
    )


def participant_columns() -> list[tuple[str, Any]]:
    return [
        ("ID", lambda p: p["id"]),
        ("KIND", lambda p: short(p["kind"])),
        ("NAME", lambda p: p["display_name"]),
        ("USER/AGENT", lambda p: p["user_id"] or p["agent_id"] or "-"),
        ("ROLE", lambda p: p["role"]),
        ("JOINED", lambda p: common.when(p["join_time"])),
        ("LEFT", lambda p: common.when(p["leave_time"])),
    ]


def rooms_table(d: dict[str, Any]) -> Any:
    columns = [
        ("ID", lambda r: r["id"]),
        ("NAME", lambda r: r["name"]),
        ("TYPE", lambda r: short(r["type"])),
        ("STATE", lambda r: short(r["state"])),
        ("PARTICIPANTS", lambda r: f"{r['participant_count']}/{r['max_participants']}"),
        ("CREATED", lambda r: common.when(r["create_time"])),
    ]
    return [common.rows_table(d["rooms"], columns, "(no rooms)"), *common.more_note(d["next_page_token"])]
