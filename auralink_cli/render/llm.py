"""Renderers of `auralink llm`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import Any

from auralink_cli.render import tables as common


def selection_table(d: dict[str, Any]) -> list[Any]:
    from rich.text import Text

    columns = [
        ("MODEL", lambda c: c["model"]),
        ("TIER", lambda c: c["tier"]),
        ("$/1K TOKENS", lambda c: f"{c['cost_per_1k_tokens_usd']:.5f}"),
        ("LATENCY", lambda c: c.get("observed_latency") or "-"),
        ("NOTE", lambda c: c["note"]),
    ]
    return [
        Text(f"chosen: {d['model']} (score {d['score']:.2f}, tier {d['tier']})"),
        Text("\n".join(f"  {r}" for r in d["reasons"])),
        common.rows_table(d["candidates"], columns, "(no candidates)"),
    ]
