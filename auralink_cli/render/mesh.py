"""Renderers of `auralink mesh`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli import output
from auralink_cli.render import tables as common

if TYPE_CHECKING:
    pass


def nodes_table(data: dict[str, Any]) -> Any:
    table = output.table("NAME", "ID", "STATE", "REGION", "LOAD", "LINKS", "TRUST", "QUARANTINED")
    for n in data["nodes"]:
        table.add_row(
            n["name"],
            n["id"],
            n["state"],
            n["region"] or "-",
            f"{n['current_load']}/{n['capacity']}",
            str(n["link_count"]),
            f"{n['trust']:.2f} {n['trust_band']}",
            "yes" if n["quarantined"] else "",
        )
    return [table, *common.more_note(data["next_page_token"])]


def route_table(data: dict[str, Any]) -> Any:
    lines: list[Any] = []
    for i, path in enumerate(data["paths"]):
        label = "primary" if i == 0 else f"alternative {i}"
        lines.append(
            f"{label}: {' -> '.join(path['names'])}  ({len(path['hops'])} hops, "
            f"{path['latency_ms']:.1f} ms, bottleneck {path['bottleneck_bandwidth_kbps']:.0f} kbit/s, "
            f"cost {path['cost']:.2f})"
        )
    if data["reason"]:
        lines.append(data["reason"])
    if data["route_id"]:
        lines.append(f"stored route {data['route_id']}")
    return lines or ["no path"]
