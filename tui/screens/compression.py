"""Compression: live figures from WatchMetrics as charts, per frame type and mode, per session, and the
benchmark runner."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, ProgressBar, Static

from tui import messages as m
from tui.screens.base import DataScreen, panel_table, unavailable_text
from tui.widgets.common.charts import LabeledSparkline
from tui.widgets.common.gated import GatedButton
from tui.widgets.compression import render

FIGURE_COLUMNS = ("Session", "Frames", "Ratio", "Reduction", "Quality", "p50 ms", "p99 ms", "Fallbacks")
MODE_COLUMNS = ("Type", "Mode", "Frames", "Ratio", "Saved", "Quality", "p50 ms", "p99 ms", "Fallbacks")
BENCH_COLUMNS = (
    "Type",
    "Mode",
    "Codec",
    "kbit/s",
    "Reduction",
    "Quality",
    "p50 ms",
    "p99 ms",
    "Fallbacks",
    "vs baseline",
)


class CompressionScreen(DataScreen):
    AREA = "compression"

    DEFAULT_CSS = """
    CompressionScreen #charts { height: auto; }
    CompressionScreen #charts > LabeledSparkline { width: 1fr; }
    CompressionScreen #modes { height: auto; max-height: 9; }
    CompressionScreen #sessions { height: 1fr; min-height: 5; }
    CompressionScreen #bench-bar { height: auto; }
    CompressionScreen #bench-bar > * { margin-right: 2; }
    CompressionScreen #bench-progress { width: 40; margin-top: 1; }
    CompressionScreen #bench-step { width: 1fr; padding-top: 1; }
    CompressionScreen #bench-rows { height: 1fr; min-height: 6; }
    """

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter sessions and benchmark rows", id="filter")
        with Horizontal(id="charts", classes="panel") as charts:
            charts.border_title = "All sessions (WatchMetrics)"
            for key, title, unit in render.CHARTS:
                yield LabeledSparkline(title, unit, id=f"chart-{key}")
        yield panel_table("modes", "Per frame type and mode")
        yield panel_table("sessions", "Per session")
        with Horizontal(id="bench-bar"):
            yield GatedButton("Run benchmark (quick)", "compression.bench", id="bench-run", variant="primary")
            yield ProgressBar(total=1.0, show_eta=False, id="bench-progress")
            yield Static(id="bench-step")
        yield panel_table("bench-rows", "Benchmark results")

    def on_mount(self) -> None:
        self.query_one("#sessions", DataTable).add_columns(*FIGURE_COLUMNS)
        self.query_one("#modes", DataTable).add_columns(*MODE_COLUMNS)
        self.query_one("#bench-rows", DataTable).add_columns(*BENCH_COLUMNS)
        super().on_mount()

    def show(self, message: m.DataMessage | None) -> None:
        everything = message is None
        if everything or isinstance(message, m.CompressionMetrics | m.ServiceUnavailable):
            self._show_metrics()
        if everything or isinstance(message, m.BenchmarkProgress | m.BenchmarkRow | m.BenchmarkDone | m.ActionFailed):
            self._show_bench()

    def _show_metrics(self) -> None:
        state = self.state
        for key, _title, _unit in render.CHARTS:
            self.query_one(f"#chart-{key}", LabeledSparkline).show(state.metric_history.get(key, ()))
        table = self.query_one("#sessions", DataTable)
        modes = self.query_one("#modes", DataTable)
        notice = unavailable_text(state, "compression")
        table.border_subtitle = notice.plain if notice is not None else ""
        table.clear()
        modes.clear()
        if state.metrics is None:
            return
        wanted = self.filter_text
        for entry in state.metrics.per_mode:
            cells = render.mode_row(entry)
            if not wanted or wanted in " ".join(cells[:2]):
                modes.add_row(*cells)
        table.add_row(*render.figures_row("all", getattr(state.metrics, "global")))
        for session, fig in sorted(state.metrics.per_session.items()):
            if not wanted or wanted in session.lower():
                table.add_row(*render.figures_row(session, fig))

    def _show_bench(self) -> None:
        state = self.state
        self.query_one("#bench-progress", ProgressBar).update(progress=state.bench_fraction)
        step = state.bench_step
        if state.bench_done is not None:
            step = f"done in {state.bench_done.wall_time.seconds}s (commit {state.bench_done.git_commit[:8] or '?'})"
        self.query_one("#bench-step", Static).update(step)
        # A label, not `loading`: the loading indicator animates, and snapshots must be stable.
        button = self.query_one("#bench-run", GatedButton)
        button.label = "Benchmark running…" if state.bench_running else "Run benchmark (quick)"
        table = self.query_one("#bench-rows", DataTable)
        table.clear()
        wanted = self.filter_text
        for row in state.bench_rows:
            cells = render.bench_row(row)
            if not wanted or wanted in " ".join(cells).lower():
                table.add_row(*cells)

    @on(GatedButton.Pressed, "#bench-run")
    def run_benchmark(self) -> None:
        if self.refuse(self.query_one("#bench-run", GatedButton)) or self.state.bench_running:
            return
        self.state.bench_running = True
        self.state.bench_rows, self.state.bench_done, self.state.bench_fraction = [], None, 0.0
        self.state.bench_step = "starting…"
        self._show_bench()
        self.request(self.source.compression.run_benchmark(quick=True))
