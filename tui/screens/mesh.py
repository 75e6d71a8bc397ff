"""Mesh: nodes coloured by state, the route finder (hop by hop), link RTTs, partitions, reputation."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from tui import messages as m
from tui.screens.base import DataScreen, refill, unavailable_text
from tui.widgets.common.charts import LabeledSparkline
from tui.widgets.common.gated import GatedButton
from tui.widgets.mesh import render


class MeshScreen(DataScreen):
    AREA = "mesh"

    DEFAULT_CSS = """
    MeshScreen #mesh-body { height: 1fr; }
    MeshScreen #mesh-left { width: 3fr; }
    MeshScreen #mesh-right { width: 2fr; }
    MeshScreen #nodes { height: 1fr; min-height: 6; }
    MeshScreen #network { height: auto; }
    MeshScreen #rtt { height: auto; }
    MeshScreen #rtt > LabeledSparkline { width: 1fr; }
    MeshScreen #route-form { height: auto; }
    MeshScreen #route-form Input { width: 1fr; }
    MeshScreen #route-k { max-width: 8; }
    MeshScreen #route { height: 1fr; min-height: 6; }
    MeshScreen #reputations { height: auto; max-height: 10; }
    MeshScreen #explain { height: auto; max-height: 12; }
    """

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter nodes by name, state, region or type", id="filter")
        with Horizontal(id="mesh-body"):
            with Vertical(id="mesh-left"):
                nodes: DataTable[object] = DataTable(id="nodes", cursor_type="row", zebra_stripes=True)
                nodes.border_title = "Nodes"
                nodes.add_class("panel")
                yield nodes
                yield self._panel(Static(id="network"), "Network · partitions")
                with Horizontal(id="rtt", classes="panel") as rtt:
                    rtt.border_title = "Link RTT"
                    yield LabeledSparkline("mean", " ms", id="rtt-mean")
                    yield LabeledSparkline("p95", " ms", id="rtt-p95")
            with Vertical(id="mesh-right"):
                with Horizontal(id="route-form"):
                    yield Input(placeholder="source", id="route-src")
                    yield Input(placeholder="destination", id="route-dst")
                    yield Input(value="3", placeholder="k", id="route-k", type="integer")
                    yield GatedButton("Find route", "mesh.route", id="route-find", variant="primary")
                yield self._panel(VerticalScroll(Static(id="route-view"), id="route"), "Route")
                reps: DataTable[object] = DataTable(id="reputations", cursor_type="row")
                reps.border_title = "Reputation (Enter: explain)"
                reps.add_class("panel")
                yield reps
                yield self._panel(Static(id="explain"), "Explain")

    @staticmethod
    def _panel(widget: object, title: str) -> object:
        widget.border_title = title  # type: ignore[attr-defined]
        widget.add_class("panel")  # type: ignore[attr-defined]
        return widget

    def on_mount(self) -> None:
        self.query_one("#nodes", DataTable).add_columns("Name", "State", "Region", "Type", "Load", "Trust", "Links")
        self.query_one("#reputations", DataTable).add_columns("Node", "Trust", "Band", "Relays ok/failed", "")
        super().on_mount()

    def show(self, message: m.DataMessage | None) -> None:
        everything = message is None
        if everything or isinstance(message, m.MeshNodes | m.ServiceUnavailable):
            self._show_nodes()
        if everything or isinstance(message, m.NetworkStatusReceived):
            self.query_one("#network", Static).update(render.network_view(self.state.network))
            self.query_one("#rtt-mean", LabeledSparkline).show(self.state.rtt_mean)
            self.query_one("#rtt-p95", LabeledSparkline).show(self.state.rtt_p95)
        if everything or isinstance(message, m.RouteFound):
            self.query_one("#route-view", Static).update(render.route_view(self.state.route))
        if everything or isinstance(message, m.Reputations):
            self._show_reputations()
        if everything or isinstance(message, m.ReputationExplained):
            self.query_one("#explain", Static).update(render.explanation_view(self.state.explanation))

    def _show_nodes(self) -> None:
        table = self.query_one("#nodes", DataTable)
        notice = unavailable_text(self.state, "mesh")
        table.border_subtitle = notice.plain if notice is not None else ""
        wanted = self.filter_text
        rows = [(node.id, render.node_row(node)) for node in self.state.nodes]
        refill(table, [(key, row) for key, row in rows if not wanted or wanted in " ".join(map(str, row)).lower()])

    def _show_reputations(self) -> None:
        rows = [(rep.node, render.reputation_row(rep)) for rep in self.state.reputations]
        refill(self.query_one("#reputations", DataTable), rows)

    # --- actions ---------------------------------------------------------------------------

    @on(GatedButton.Pressed, "#route-find")
    @on(Input.Submitted, "#route-src, #route-dst, #route-k")
    def find_route(self) -> None:
        button = self.query_one("#route-find", GatedButton)
        if self.refuse(button):
            return
        src = self.query_one("#route-src", Input).value.strip()
        dst = self.query_one("#route-dst", Input).value.strip()
        if not src or not dst:
            self.notify("a source and a destination are needed", severity="warning")
            return
        k_text = self.query_one("#route-k", Input).value.strip()
        k = max(1, min(5, int(k_text))) if k_text.isdigit() else 3
        self.query_one("#route-view", Static).update(f"finding a route from {src} to {dst}…")
        self.request(self.source.mesh.find_route(src, dst, k))

    @on(DataTable.RowSelected, "#reputations")
    def explain(self, event: DataTable.RowSelected) -> None:
        if not self.state.permissions.can("reputation.explain"):
            self.notify(self.state.permissions.why_not("reputation.explain"), severity="warning")
            return
        node = event.row_key.value
        if node:
            self.request(self.source.mesh.explain_reputation(node))

    @on(DataTable.RowSelected, "#nodes")
    def pick_node(self, event: DataTable.RowSelected) -> None:
        """Enter on a node fills the route form: source first, then destination."""
        name = next((n.name for n in self.state.nodes if n.id == event.row_key.value), "")
        src = self.query_one("#route-src", Input)
        target = src if not src.value else self.query_one("#route-dst", Input)
        target.value = name
