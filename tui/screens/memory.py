"""Memory: recall as you type (debounced) with score components, stats, evolve with a dry run (issue 4).

Against a daemon without MemoryService the screen says so, with the gRPC code, instead of failing.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from tui import messages as m
from tui.screens.base import DataScreen, unavailable_text
from tui.widgets.common.gated import GatedButton
from tui.widgets.common.modals import ConfirmModal
from tui.widgets.memory import render

DEBOUNCE_S = 0.3


class MemoryScreen(DataScreen):
    AREA = "memory"
    _debounce: Timer | None = None

    DEFAULT_CSS = """
    MemoryScreen #memory-body { height: 1fr; }
    MemoryScreen #memories { width: 3fr; height: 1fr; }
    MemoryScreen #memory-stats { width: 1fr; }
    MemoryScreen .buttons { height: auto; }
    MemoryScreen #recall { width: 1fr; }
    """

    def compose_body(self) -> ComposeResult:
        yield Static(id="memory-notice", classes="notice")
        with Horizontal(classes="buttons"):
            yield Input(placeholder="recall: type to search memories", id="recall")
            yield GatedButton("Evolve (dry run)…", "memory.evolve", id="evolve")
        with Horizontal(id="memory-body"):
            table: DataTable[object] = DataTable(id="memories", cursor_type="row", zebra_stripes=True)
            table.border_title = "Results"
            table.add_class("panel")
            yield table
            stats = Static(id="memory-stats", classes="panel")
            stats.border_title = "Stats"
            yield stats

    def on_mount(self) -> None:
        self.query_one("#memories", DataTable).add_columns(
            "Memory", "Score", "Semantic", "Keyword", "Recency", "Importance"
        )
        super().on_mount()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.store.connection == "connected" and "memory" not in self.store.unavailable:
            self.request(self.source.memory_stats())

    def show(self, message: m.DataMessage | None) -> None:
        notice = unavailable_text(self.store, "memory")
        box = self.query_one("#memory-notice", Static)
        box.display = notice is not None
        self.query_one("#recall", Input).disabled = notice is not None
        if notice is not None:
            box.update(Text.assemble("Memory: ", notice))
            button = self.query_one("#evolve", GatedButton)
            button.disabled = True
            button.tooltip = notice.plain
        if message is None or isinstance(message, m.MemoryResults):
            table = self.query_one("#memories", DataTable)
            table.clear()
            table.border_title = f"Results for “{self.store.memory_query}”" if self.store.memory_query else "Results"
            for result in self.store.memory_results:
                table.add_row(*render.result_row(result))
        if message is None or isinstance(message, m.MemoryStats):
            self.query_one("#memory-stats", Static).update(render.stats_view(self.store.memory_stats))
        if isinstance(message, m.EvolvePreview):
            self._evolve_preview(message)

    def action_filter(self) -> None:
        """`/` on this screen is the recall box."""
        self.query_one("#recall", Input).focus()

    @on(Input.Changed, "#recall")
    def _typed(self, event: Input.Changed) -> None:
        """Recall as you type, once the typing pauses (debounced)."""
        if self._debounce is not None:
            self._debounce.stop()
        query = event.value.strip()
        if query:
            self._debounce = self.set_timer(DEBOUNCE_S, lambda: self.request(self.source.recall(query)))

    @on(GatedButton.Pressed, "#evolve")
    def evolve(self) -> None:
        if not self.refuse(self.query_one("#evolve", GatedButton)):
            self.request(self.source.evolve(dry_run=True))

    def _evolve_preview(self, preview: m.EvolvePreview) -> None:
        if preview.applied:
            return

        def done(ok: bool | None) -> None:
            if ok:
                self.request(self.source.evolve(dry_run=False))

        self.app.push_screen(ConfirmModal(render.evolve_question(preview.preview), "Apply"), done)
