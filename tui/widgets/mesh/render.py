"""Renderers of the Mesh screen: node rows coloured by state, routes hop by hop, network, explain."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

STATE_STYLES = {"ALIVE": "green", "SUSPECT": "yellow", "OFFLINE": "red", "QUARANTINED": "magenta"}


def node_state(node: Any) -> str:
    from auralink.v1 import mesh_pb2

    if node.quarantined:
        return "QUARANTINED"
    return mesh_pb2.NodeState.Name(node.state).removeprefix("NODE_STATE_")


def band_name(value: int) -> str:
    from auralink.v1 import mesh_pb2

    return mesh_pb2.TrustBand.Name(value).removeprefix("TRUST_BAND_")


def node_row(node: Any) -> tuple[Any, ...]:
    from auralink.v1 import mesh_pb2

    state = node_state(node)
    style = STATE_STYLES.get(state, "")
    kind = mesh_pb2.NodeType.Name(node.node_type).removeprefix("NODE_TYPE_").lower()
    return (
        Text(node.name, style=style),
        Text(state, style=f"bold {style}"),
        node.region,
        kind,
        f"{node.current_load}/{node.capacity}",
        f"{node.trust:.2f} {band_name(node.trust_band).lower()}",
        str(node.link_count),
    )


def route_view(found: Any) -> Group | Text:
    """The primary path then the alternatives, each hop with its latency, bandwidth, loss and trust."""
    if found is None:
        return Text("Enter a source and a destination, then Find route.", style="dim")
    resp = found.response
    if not resp.paths:
        return Text(f"no path from {found.source} to {found.destination}: {resp.reason or 'unreachable'}", style="red")
    parts: list[Any] = []
    for index, path in enumerate(resp.paths):
        title = "primary" if index == 0 else f"alternative {index}"
        head = Text.assemble(
            (f"{title}: ", "bold green" if index == 0 else "bold"),
            " → ".join(path.names or path.nodes),
            (f"  {len(path.hops)} hops, {path.latency_ms:.1f} ms, ", "dim"),
            (f"bottleneck {path.bottleneck_bandwidth_kbps:.0f} kbit/s, cost {path.cost:.2f}", "dim"),
        )
        parts.append(head)
        hops = Table(box=None, padding=(0, 1), show_header=index == 0, header_style="dim")
        for column in ("hop", "to", "ms", "kbit/s", "loss %", "trust"):
            hops.add_column(column, justify="right" if column not in ("hop", "to") else "left")
        for n, hop in enumerate(path.hops, start=1):
            hops.add_row(
                f"  {n}",
                hop.to_name or hop.to_node,
                f"{hop.latency_ms:.1f}",
                f"{hop.bandwidth_kbps:.0f}",
                f"{hop.loss_pct:.1f}",
                f"{hop.relay_trust:.2f}",
            )
        parts.append(hops)
    if resp.reason:
        parts.append(Text(resp.reason, style="yellow"))
    return Group(*parts)


def network_view(status: Any) -> Text:
    if status is None:
        return Text("waiting for WatchNetworkStatus…", style="dim")
    by_state = ", ".join(
        f"{k.removeprefix('NODE_STATE_').lower()} {v}" for k, v in sorted(status.nodes_by_state.items())
    )
    partitions = (
        Text("no partition", style="green")
        if status.components <= 1
        else Text(f"PARTITIONED: {status.components} components", style="bold red")
    )
    relays = ", ".join(f"{r.name or r.node} {r.betweenness:.2f}" for r in status.central_relays[:3]) or "–"
    return Text.assemble(
        ("Partitions ", "bold"),
        partitions,
        ("\nNodes      ", "bold"),
        by_state or "none",
        f", quarantined {status.quarantined}",
        ("\nLinks      ", "bold"),
        f"{status.link_count}, RTT mean {status.mean_link_rtt_ms:.1f} ms, p95 {status.p95_link_rtt_ms:.1f} ms",
        ("\nRelays     ", "bold"),
        relays,
    )


def reputation_row(rep: Any) -> tuple[Any, ...]:
    band = band_name(rep.band)
    style = {"HIGH": "green", "MEDIUM": "", "LOW": "yellow", "UNTRUSTED": "red"}.get(band, "")
    flags = "quarantined" if rep.quarantined else ("anchor" if rep.anchor else "")
    return (
        rep.name or rep.node,
        Text(f"{rep.trust:.2f}", style=style),
        Text(band.lower(), style=style),
        f"{rep.successful_relays}/{rep.failed_relays}",
        Text(flags, style="magenta" if rep.quarantined else "dim"),
    )


def explanation_view(explanation: Any) -> Text:
    if explanation is None:
        return Text("Select a node in the reputation table (Enter) to see why it has its trust.", style="dim")
    rep = explanation.reputation
    text = Text.assemble(
        (f"{rep.name or rep.node}", "bold"), f": trust {rep.trust:.2f} ({band_name(rep.band).lower()})"
    )
    for line in explanation.summary:
        text.append(f"\n  {line}")
    for c in explanation.contributions[:8]:
        from auralink.v1 import mesh_pb2

        kind = mesh_pb2.EvidenceKind.Name(c.kind).removeprefix("EVIDENCE_KIND_").lower()
        style = "green" if c.impact >= 0 else "red"
        text.append(f"\n  {kind:<14} by {c.reporter_name or c.reporter or 'operator':<10} ")
        text.append(f"impact {c.impact:+.3f}", style=style)
    return text
