"""Overview: version and uptime, health per service, database, Redis, RPC rates, live events."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, RichLog, Static

from tui import messages as m
from tui.screens.base import DataScreen
from tui.widgets.common.charts import LabeledSparkline
from tui.widgets.overview import panels


class OverviewScreen(DataScreen):
    AREA = "overview"
    _shown_seq = 0

    DEFAULT_CSS = """
    OverviewScreen #top { height: auto; max-height: 10; }
    OverviewScreen #top > Static { width: 1fr; height: auto; min-height: 8; }
    OverviewScreen #middle { height: auto; }
    OverviewScreen #services { width: 2fr; height: auto; }
    OverviewScreen #rates { width: 1fr; height: auto; }
    OverviewScreen #events { height: 1fr; min-height: 5; }
    """

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield self._panel("daemon", "Daemon")
            yield self._panel("database", "Database")
            yield self._panel("redis", "Redis")
        with Horizontal(id="middle"):
            table: DataTable[object] = DataTable(id="services", cursor_type="row", zebra_stripes=True)
            table.border_title = "Services"
            table.add_class("panel")
            yield table
            with Vertical(id="rates", classes="panel") as rates:
                rates.border_title = "RPC"
                yield LabeledSparkline("calls/s", id="rpc-rate")
                yield LabeledSparkline("errors/s", id="error-rate")
        log = RichLog(id="events", max_lines=500, wrap=False, markup=False)
        log.border_title = "Events (WatchEvents)"
        log.add_class("panel")
        yield Input(placeholder="filter events by topic or content", id="filter")
        yield log

    @staticmethod
    def _panel(name: str, title: str) -> Static:
        panel = Static(id=name, classes="panel")
        panel.border_title = title
        return panel

    def on_mount(self) -> None:
        table = self.query_one("#services", DataTable)
        table.add_columns("Service", "State", "Service", "State")
        super().on_mount()

    def show(self, message: m.DataMessage | None) -> None:
        if message is None or isinstance(message, m.StatusReceived):
            self._show_status()
        if message is None or isinstance(message, m.ConnectionChanged):
            self._show_status()
        if message is None:
            self._show_events()
        elif isinstance(message, m.EventReceived):
            self._append_events()

    def _show_status(self) -> None:
        status = self.state.status
        stale = self.state.connection != "connected"
        self.query_one("#daemon", Static).update(panels.daemon_panel(status, stale=stale))
        self.query_one("#database", Static).update(panels.database_panel(status))
        self.query_one("#redis", Static).update(panels.redis_panel(status))
        table = self.query_one("#services", DataTable)
        rows = panels.service_rows(status)
        table.border_subtitle = panels.service_details(status)
        table.clear()
        for row in rows:
            table.add_row(*row)
        self.query_one("#rpc-rate", LabeledSparkline).show(self.state.rpc_rate)
        self.query_one("#error-rate", LabeledSparkline).show(self.state.error_rate)

    def _matches(self, event: object) -> bool:
        wanted = self.filter_text
        return not wanted or wanted in panels.event_line(event).plain.lower()

    def _show_events(self) -> None:
        self.query_one("#events", RichLog).clear()
        self._shown_seq = 0
        self._append_events()

    def _append_events(self) -> None:
        """Write the events newer than the last one shown (a redraw may already have shown some)."""
        log = self.query_one("#events", RichLog)
        for seq, event in self.state.events:
            if seq > self._shown_seq and self._matches(event):
                log.write(panels.event_line(event))
        self._shown_seq = self.state.event_seq
