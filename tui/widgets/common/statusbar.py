"""The bottom line of every screen: connection state, address, identity, daemon state, mode."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.store import Store

CONNECTION_STYLES = {
    "connected": ("●", "green"),
    "connecting": ("◌", "yellow"),
    "reconnecting": ("◌", "yellow"),
    "unauthenticated": ("✗", "red"),
}
STATE_STYLES = {"SERVING": "green", "DEGRADED": "yellow", "STARTING": "cyan", "STOPPING": "cyan"}


def status_line(store: Store, read_only: bool) -> Text:
    mark, style = CONNECTION_STYLES.get(store.connection, ("?", "red"))
    text = Text()
    label = store.connection + ("…" if store.connection in ("connecting", "reconnecting") else "")
    text.append(f"{mark} {label}", style=f"bold {style}")
    if store.connection != "connected" and store.connection_detail:
        text.append(" ")
        text.append(f"({store.connection_detail})", style=style)
    text.append("  ")
    text.append(store.address, style="dim")
    who = store.whoami
    if who is not None:
        org = who.organization.name or who.organization.id
        text.append(f"  {who.user.email or who.user.id} · {org}")
    if store.status is not None and store.connection == "connected":
        from auralink.v1 import common_pb2

        state = common_pb2.ServingState.Name(store.status.state).removeprefix("SERVING_STATE_")
        text.append("  ")
        text.append(state, style=f"bold {STATE_STYLES.get(state, 'red')}")
    if read_only:
        text.append("  ")
        text.append("READ-ONLY", style="bold reverse")
    return text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; padding: 0 1; }
    """

    def show(self, store: Store, read_only: bool) -> None:
        self.update(status_line(store, read_only))
