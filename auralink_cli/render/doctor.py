"""Renderers of `auralink doctor`: tables and text for people, from the dicts that `-o json` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType


def doctor_table(data: dict[str, Any]) -> RenderableType:
    from rich.markup import escape
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column()
    grid.add_column(style="bold")
    grid.add_column()
    for check in data["checks"]:
        mark = "[green]ok[/]" if check["ok"] else "[red]FAIL[/]"
        detail = escape(check["detail"])
        if check["hint"]:
            detail += f"\n[dim]hint: {escape(check['hint'])}[/]"
        grid.add_row(mark, check["name"], detail)
    return grid
