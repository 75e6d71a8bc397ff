"""A titled sparkline with its latest value: the TUI's chart (no plotting dependency needed)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Sparkline


class LabeledSparkline(Vertical):
    DEFAULT_CSS = """
    LabeledSparkline { height: 3; min-width: 16; }
    LabeledSparkline > Label { width: 100%; color: $text-muted; }
    LabeledSparkline > Sparkline { height: 2; }
    """

    def __init__(self, title: str, unit: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.unit = unit

    def compose(self) -> ComposeResult:
        yield Label(f"{self.title}: –")
        yield Sparkline([], summary_function=max)

    def show(self, values: Sequence[float]) -> None:
        data = list(values)
        latest = f"{data[-1]:.2f}{self.unit}" if data else "–"
        self.query_one(Label).update(f"{self.title}: {latest}")
        self.query_one(Sparkline).data = data
