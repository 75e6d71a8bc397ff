"""The bottom line of every screen: connection state, address, identity, daemon state, mode."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from auralink_cli.render.system import STATE_STYLES
from tui.state import DashboardState

CONNECTION_STYLES = {
    "connected": ("●", "green"),
    "connecting": ("◌", "yellow"),
    "reconnecting": ("◌", "yellow"),
    "unauthenticated": ("✗", "red"),
}


def status_line(state: DashboardState, read_only: bool) -> Text:
    mark, style = CONNECTION_STYLES.get(state.connection, ("?", "red"))
    text = Text()
    label = state.connection + ("…" if state.connection in ("connecting", "reconnecting") else "")
    text.append(f"{mark} {label}", style=f"bold {style}")
    if state.connection != "connected" and state.connection_detail:
        text.append(" ")
        text.append(f"({state.connection_detail})", style=style)
    text.append("  ")
    text.append(state.address, style="dim")
    who = state.whoami
    if who is not None:
        org = who.organization.name or who.organization.id
        text.append(f"  {who.user.email or who.user.id} · {org}")
    if state.status is not None and state.connection == "connected":
        from auralink.v1 import common_pb2

        serving = common_pb2.ServingState.Name(state.status.state).removeprefix("SERVING_STATE_")
        text.append("  ")
        text.append(serving, style=f"bold {STATE_STYLES.get(serving, 'red')}")
    if read_only:
        text.append("  ")
        text.append("READ-ONLY", style="bold reverse")
    return text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; padding: 0 1; }
    """

    def show(self, state: DashboardState, read_only: bool) -> None:
        self.update(status_line(state, read_only))
