"""What every area screen shares: the navigation line, the status bar, data routing and gating.

A screen renders from the app's DashboardState. It redraws everything when it comes to the front, and
only what a message changed while it is in front. It never calls gRPC: actions go through
`self.request(self.source.<area>.<action>(...))`, whose outcome arrives as messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tui import messages as m
from tui.screens import AREAS
from tui.state import DashboardState
from tui.widgets.common.gated import GatedButton
from tui.widgets.common.statusbar import StatusBar

if TYPE_CHECKING:
    from tui.app import AuraLinkApp


class NavBar(Static):
    """`1 Overview  2 Agents …`, the current area highlighted; each name is clickable."""

    DEFAULT_CSS = "NavBar { dock: top; height: 1; background: $panel; padding: 0 1; }"

    def __init__(self, current: str) -> None:
        super().__init__(self._content(current))

    @staticmethod
    def _content(current: str) -> str:
        parts = ["[b]AuraLink[/b] "]
        for index, (area, title) in enumerate(AREAS, start=1):
            style = "reverse bold" if area == current else ""
            label = f" {index} {title} "
            parts.append(f"[@click=app.switch_mode('{area}')]" + (f"[{style}]{label}[/]" if style else label) + "[/]")
        return "".join(parts)


class DataScreen(Screen[None]):
    AREA = ""
    # Focus the main table, not a text box: digit keys must keep switching screens.
    AUTO_FOCUS = "DataTable"
    BINDINGS = [Binding("escape", "leave_input", "Back to the table", show=False)]
    _pending: dict[type[m.DataMessage], m.DataMessage]

    DEFAULT_CSS = """
    DataScreen .panel { border: round $primary 40%; border-title-color: $primary; padding: 0 1; }
    DataScreen #filter { dock: top; display: none; }
    DataScreen #filter.visible { display: block; }
    DataScreen .notice { color: $warning; text-style: bold; padding: 1 2; }
    DataScreen.-stale .panel { text-opacity: 45%; border: round $error 40%; }
    """

    @property
    def aura(self) -> AuraLinkApp:
        return self.app  # type: ignore[return-value]

    @property
    def state(self) -> DashboardState:
        return self.aura.state

    @property
    def source(self) -> Any:
        return self.aura.source

    def __init__(self) -> None:
        super().__init__()
        self._pending = {}

    def compose(self) -> ComposeResult:
        yield NavBar(self.AREA)
        yield from self.compose_body()
        yield StatusBar()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.redraw()

    def on_screen_resume(self) -> None:
        self.redraw()

    @on(m.DataMessage)
    def _on_data(self, message: m.DataMessage) -> None:
        """Coalesce: a burst of messages (a reconnect, a replay) is drawn once, after the burst."""
        if not self._pending:
            self.call_next(self._flush)
        self._pending[type(message)] = message

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        self._show_connection()
        if m.IdentityLoaded in pending or m.ConnectionChanged in pending:
            self.apply_gates()
        for message in pending.values():
            self.show(message)

    def _show_connection(self) -> None:
        """The status bar, and stale data greyed out while the daemon is away."""
        self.set_class(self.state.connection != "connected", "-stale")
        self.query_one(StatusBar).show(self.state, self.aura.read_only)

    def redraw(self) -> None:
        self._show_connection()
        self.apply_gates()
        self.show(None)

    def show(self, message: m.DataMessage | None) -> None:
        """Render what `message` changed; None means everything (from the state)."""

    def apply_gates(self) -> None:
        for button in self.query(GatedButton):
            button.apply(self.state.permissions, self.aura.read_only)

    def request(self, work: Awaitable[Any]) -> None:
        """Hand an action of the data source to a worker; its outcome comes back as messages."""
        self.run_worker(work, group="requests")  # type: ignore[arg-type]

    def refuse(self, button: GatedButton) -> bool:
        """True (and a notice) when a gated action may not run; buttons are disabled anyway."""
        if button.disabled or not button.display:
            self.notify(button.reason or "not available in read-only mode", severity="warning")
            return True
        return False

    def action_leave_input(self) -> None:
        """Escape clears and closes the `/` filter, and leaves a text box (digit keys switch screens again)."""
        box = self.query("#filter")
        if box and isinstance(box.first(), Input) and (box.first().value or box.first().has_class("visible")):
            box.first().value = ""
            box.first().remove_class("visible")
            self.show(None)
        tables = self.query("DataTable")
        if tables:
            tables.first().focus()

    # --- filtering (`/`) -------------------------------------------------------------------

    def action_filter(self) -> None:
        try:
            box = self.query_one("#filter", Input)
        except Exception:
            self.notify("nothing to filter on this screen")
            return
        box.add_class("visible")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.show(None)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.remove_class("visible")
        self.focus_next()

    @property
    def filter_text(self) -> str:
        try:
            return self.query_one("#filter", Input).value.strip().lower()
        except Exception:
            return ""


def panel_table(name: str, title: str) -> DataTable[Any]:
    """A row-cursor table in a titled panel."""
    table: DataTable[Any] = DataTable(id=name, cursor_type="row", zebra_stripes=True)
    table.border_title = title
    table.add_class("panel")
    return table


def refill(table: DataTable[Any], rows: Iterable[tuple[str, Sequence[Any]]]) -> None:
    """Replace a table's rows, (key, cells) each, keeping the cursor where it was."""
    cursor = table.cursor_row
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if table.row_count:
        table.move_cursor(row=min(cursor, table.row_count - 1))


def disable_for(screen: DataScreen, area: str, notice_id: str, title: str) -> Text | None:
    """Against a daemon without the area's service: the notice says so and every action is disabled."""
    notice = unavailable_text(screen.state, area)
    box = screen.query_one(notice_id, Static)
    box.display = notice is not None
    if notice is not None:
        box.update(Text.assemble(f"{title}: ", notice))
        for button in screen.query(GatedButton):
            button.disabled = True
            button.tooltip = notice.plain
    return notice


def unavailable_text(state: DashboardState, area: str) -> Text | None:
    """The notice an area shows when the daemon lacks its service, else None."""
    if area not in state.unavailable:
        return None
    code, detail = state.unavailable[area]
    return Text(f"{detail or code}", style="bold")
