"""Memory: the recent memories, recall as you type (debounced) with score components, stats, and evolve
with a dry run (issue 4).

Against a daemon without MemoryService the screen says so, with the gRPC code, instead of failing.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from tui import messages as m
from tui.screens.base import DataScreen, disable_for
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
        if self.state.connection == "connected" and "memory" not in self.state.unavailable:
            self.request(self.source.memory.memory_stats())
            if not self.state.memory_query:
                self.request(self.source.memory.recent())

    def show(self, message: m.DataMessage | None) -> None:
        notice = disable_for(self, "memory", "#memory-notice", "Memory")
        self.query_one("#recall", Input).disabled = notice is not None
        if message is None or isinstance(message, (m.MemoryResults, m.RecentMemories)):
            table = self.query_one("#memories", DataTable)
            table.clear()
            if self.state.memory_query:
                table.border_title = f"Results for “{self.state.memory_query}”"
                for result in self.state.memory_results:
                    table.add_row(*render.result_row(result))
            else:
                table.border_title = "Recent memories (type to recall)"
                for memory in self.state.recent_memories:
                    table.add_row(*render.recent_row(memory))
        if message is None or isinstance(message, m.MemoryStats):
            self.query_one("#memory-stats", Static).update(render.stats_view(self.state.memory_stats))
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
            self._debounce = self.set_timer(DEBOUNCE_S, lambda: self.request(self.source.memory.recall(query)))
        else:
            self.request(self.source.memory.recent())

    @on(GatedButton.Pressed, "#evolve")
    def evolve(self) -> None:
        if not self.refuse(self.query_one("#evolve", GatedButton)):
            self.request(self.source.memory.evolve(dry_run=True))

    def _evolve_preview(self, preview: m.EvolvePreview) -> None:
        if preview.applied:
            return

        def done(ok: bool | None) -> None:
            if ok:
                self.request(self.source.memory.evolve(dry_run=False))

        self.app.push_screen(ConfirmModal(render.evolve_question(preview.preview), "Apply"), done)
