"""What a screen shows, as plain text: the Pilot tests' way to read widgets."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import DataTable, RichLog, Static

from tui.app import AuraLinkApp


def text_of(app: AuraLinkApp, selector: str) -> str:
    """The plain text of a Static, whatever it holds (a string, rich Text or a rich Table)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    console = Console(width=200, color_system=None, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def log_text(app: AuraLinkApp, selector: str) -> str:
    return "\n".join(strip.text for strip in app.screen.query_one(selector, RichLog).lines)


def table_column(app: AuraLinkApp, selector: str, column: int = 0) -> list[str]:
    table = app.screen.query_one(selector, DataTable)
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]
