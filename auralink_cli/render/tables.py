"""The table helpers every renderer uses: timestamps, lists, one row per item, label/value pairs, paging hint."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from auralink_cli import output

if TYPE_CHECKING:
    from rich.console import RenderableType


def when(value: str | None) -> str:
    """A Timestamp string for people: "2024-05-01 12:00:00Z"; "-" when unset."""
    if not value:
        return "-"
    text = value.replace("T", " ")
    return re.sub(r"\.\d+Z$", "Z", text)


def joined(values: Iterable[str], empty: str = "-") -> str:
    items = [str(v) for v in values]
    return ", ".join(items) if items else empty


def rows_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, Callable[[dict[str, Any]], Any]]], empty: str
) -> RenderableType:
    """A plain table (no box) with one row per item, or the `empty` note when there are none."""
    from rich.markup import escape
    from rich.text import Text

    if not rows:
        return Text(empty)
    table = output.table(*(header for header, _ in columns))
    for row in rows:
        table.add_row(*(escape(str(cell(row))) for _, cell in columns))
    return table


def fields_table(pairs: Sequence[tuple[str, Any]]) -> RenderableType:
    """Two columns, label and value, for one resource."""
    from rich.markup import escape
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for label, value in pairs:
        grid.add_row(label, escape("-" if value in (None, "") else str(value)))
    return grid


def more_note(next_page_token: str) -> list[RenderableType]:
    """The hint under a truncated table (JSON has next_page_token instead)."""
    from rich.text import Text

    if not next_page_token:
        return []
    return [Text(f"(more: --page-token {next_page_token})", style="dim")]
