"""Renderers of `auralink reputation`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auralink_cli import output
from auralink_cli.render import tables as common

if TYPE_CHECKING:
    pass


def reputations_table(data: dict[str, Any]) -> Any:
    table = output.table("NAME", "NODE", "TRUST", "BAND", "RELAYS OK/FAILED", "ANCHOR", "QUARANTINED", "REASON")
    for r in data["reputations"]:
        table.add_row(
            r["name"],
            r["node"],
            f"{r['trust']:.3f}",
            r["band"],
            f"{r.get('successful_relays', 0)}/{r.get('failed_relays', 0)}",
            "yes" if r["anchor"] else "",
            "yes" if r["quarantined"] else "",
            r.get("quarantine_reason") or "",
        )
    return [table, *common.more_note(data.get("next_page_token", ""))]


def explain_table(data: dict[str, Any]) -> Any:
    table = output.table("WHEN", "KIND", "REPORTER", "REPORTER TRUST", "WEIGHT", "IMPACT")
    for c in data["contributions"]:
        table.add_row(
            c["time"] or "",
            c["kind"],
            c["reporter_name"] or c["reporter"],
            f"{c['reporter_trust']:.3f}",
            f"{c['decayed_weight']:+.3f}",
            f"{c['impact']:+.3f}",
        )
    return [*data["summary"], table]
