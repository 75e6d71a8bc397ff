"""Renderers of `auralink usage`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import Any

from auralink_cli.render import tables as common


def _speech_used(r: dict[str, Any]) -> str:
    if r.get("audio_seconds"):
        return f"{float(r['audio_seconds']):.1f} s"
    return f"{int(r['characters'])} chars" if r.get("characters") else "-"


def usage_table(data: dict[str, Any]) -> list[Any]:
    from rich.text import Text

    columns = [
        ("AGENT", lambda r: r["agent_id"] or "-"),
        ("USER", lambda r: r["user_id"] or "-"),
        ("PROVIDER", lambda r: r["provider"]),
        ("MODEL", lambda r: r["model"]),
        ("OPERATION", lambda r: r.get("operation") or "-"),
        ("CALLS", lambda r: r["calls"]),
        ("TOKENS", lambda r: int(r["prompt_tokens"]) + int(r["completion_tokens"])),
        ("SPEECH", _speech_used),
        ("COST $", lambda r: f"{r['cost_usd']:.6f}"),
        ("FAILOVERS", lambda r: r["failovers"]),
    ]
    return [
        common.rows_table(data["rows"], columns, "(no usage)"),
        Text(f"total: ${data['total_cost_usd']:.6f}, {data['total_tokens']} tokens"),
    ]


def budgets_table(d: dict[str, Any]) -> Any:
    columns = [
        ("ID", lambda b: b["id"]),
        ("SCOPE", lambda b: b["scope"]),
        ("SUBJECT", lambda b: b["subject_id"] or "-"),
        ("PERIOD", lambda b: b["period"]),
        ("LIMIT $", lambda b: b["limit_usd"]),
        ("SPENT $", lambda b: f"{b['spent_usd']:.6f}"),
    ]
    return common.rows_table(d["budgets"], columns, "(no budgets)")
