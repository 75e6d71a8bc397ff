"""The Textual app: modes (one per area), key bindings, themes, and the routing of data messages.

The data source posts DataMessages to the app; the app folds each into the DashboardState and forwards it
to the screen in front. Nothing here talks gRPC.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui import messages as m
from tui.screens import AREAS
from tui.screens.base import DataScreen
from tui.state import DashboardState
from tui.themes import DEFAULT_THEME, THEMES, other_theme


def _modes() -> dict[str, Any]:
    from tui.screens.access import AccessScreen
    from tui.screens.agents import AgentsScreen
    from tui.screens.compression import CompressionScreen
    from tui.screens.memory import MemoryScreen
    from tui.screens.mesh import MeshScreen
    from tui.screens.overview import OverviewScreen
    from tui.screens.workflows import WorkflowsScreen

    return {
        "overview": OverviewScreen,
        "agents": AgentsScreen,
        "memory": MemoryScreen,
        "mesh": MeshScreen,
        "access": AccessScreen,
        "compression": CompressionScreen,
        "workflows": WorkflowsScreen,
    }


class AuraLinkApp(App[None]):
    TITLE = "AuraLink"
    MODES = _modes()
    BINDINGS = [
        *(
            Binding(str(i), f"switch_mode('{area}')", title, show=False)
            for i, (area, title) in enumerate(AREAS, start=1)
        ),
        Binding("slash", "filter", "Filter"),
        Binding("question_mark", "help", "Help"),
        Binding("t", "toggle_theme", "Theme"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, source: Any, *, read_only: bool = False, theme: str | None = None) -> None:
        super().__init__()
        self.source = source
        self.read_only = read_only
        self.state = DashboardState(address=source.address)
        self._initial_theme = theme or DEFAULT_THEME

    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = self._initial_theme
        self.switch_mode("overview")
        self.source.start(self.post_message)

    async def on_unmount(self) -> None:
        await self.source.stop()

    @on(m.DataMessage)
    def _route(self, message: m.DataMessage) -> None:
        self.state.apply(message)
        if isinstance(message, m.ActionFailed) and message.action not in ("whoami",):
            self.notify(message.message, title=f"{message.action}: {message.code}", severity="error", timeout=8)
        elif isinstance(message, m.ActionDone):
            self.notify(message.detail or message.action, title="done")
        if not self.screen_stack:  # shutting down: nothing to draw on
            return
        screen = self.screen
        if isinstance(screen, DataScreen):
            screen.post_message(message)

    # --- actions ---------------------------------------------------------------------------

    def action_filter(self) -> None:
        if isinstance(self.screen, DataScreen):
            self.screen.action_filter()

    def action_help(self) -> None:
        from tui.widgets.common.modals import HelpScreen  # Markdown is slow to import: not at start-up

        self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = other_theme(self.theme)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for area, title in AREAS:
            yield SystemCommand(f"Go to {title}", f"Switch to the {title} screen", self._switcher(area))
        yield SystemCommand("Toggle light/dark theme", "Switch between the two themes", self.action_toggle_theme)
        yield SystemCommand("Help", "Keys and behaviour", self.action_help)
        yield SystemCommand("Quit", "Leave the dashboard", self.exit)

    def _switcher(self, area: str) -> Any:
        return lambda: self.switch_mode(area)
