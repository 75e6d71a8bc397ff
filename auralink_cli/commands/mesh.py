"""`auralink mesh`: nodes (list, show, register, deregister), heartbeat, route, status (MeshRoutingService)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.profiles import GlobalOptions, Settings, resolve_settings
from auralink_cli.render.mesh import nodes_table, route_table

if TYPE_CHECKING:
    from auralink_cli.client import Client

mesh_app = typer.Typer(name="mesh", help="Mesh nodes, heartbeats, routes and network status.", no_args_is_help=True)
nodes_app = typer.Typer(name="nodes", help="Register, list, show and deregister mesh nodes.", no_args_is_help=True)
mesh_app.add_typer(nodes_app)


def register(app: typer.Typer) -> None:
    app.add_typer(mesh_app)


def _settings(ctx: typer.Context) -> Settings:
    return resolve_settings(ctx.ensure_object(GlobalOptions))


def _call(settings: Settings, use: Callable[[Client], Any]) -> Any:
    return common.connected(settings, use)


def _dict(message: Any) -> dict[str, Any]:
    from auralink_cli.shapes import message_to_dict

    return message_to_dict(message)


@nodes_app.command("list")
@common.watchable
def list_nodes(
    ctx: typer.Context,
    state: Annotated[str, typer.Option(help="alive, suspect or offline.")] = "",
    region: Annotated[str, typer.Option(help="Only this region.")] = "",
    quarantined: Annotated[bool, typer.Option(help="Only quarantined nodes.")] = False,
    page_size: Annotated[
        int, typer.Option("--limit", "--page-size", min=0, max=500, help="At most N items (0: the default page).")
    ] = 0,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """List the org's mesh nodes."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    states = {"": 0, "alive": 1, "suspect": 2, "offline": 3}
    if state not in states:
        raise CliError(USAGE, f"--state must be alive, suspect or offline, got {state!r}")
    request = mesh_pb2.ListNodesRequest(
        state=states[state], region=region, quarantined_only=quarantined, page_size=page_size, page_token=page_token
    )
    data = _dict(_call(settings, lambda c: c.mesh.ListNodes(request)))
    output.emit(data, settings.output, table=nodes_table, no_color=settings.no_color, wide=True)


@nodes_app.command("show")
def show(ctx: typer.Context, node: Annotated[str, typer.Argument(help="Node id or name.")]) -> None:
    """One node, with its live state."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    output.emit(
        _dict(_call(settings, lambda c: c.mesh.GetNode(mesh_pb2.GetNodeRequest(node=node)))),
        settings.output,
        no_color=settings.no_color,
    )


@nodes_app.command("register")
def register_node(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    address: Annotated[str, typer.Option(help="host:port or URL.")],
    region: Annotated[str, typer.Option()] = "",
    node_type: Annotated[str, typer.Option("--type", help="peer, relay, edge or server.")] = "peer",
    capacity: Annotated[int, typer.Option(min=0)] = 0,
    public_key: Annotated[str, typer.Option()] = "",
    interval: Annotated[float, typer.Option(help="Heartbeat interval in seconds (default 2).")] = 0.0,
    anchor: Annotated[bool, typer.Option(help="Pre-trusted anchor (org admins).")] = False,
) -> None:
    """Register a node; prints its node token once (keep it: the node heartbeats with it)."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    types = {"peer": 1, "relay": 2, "edge": 3, "server": 4}
    if node_type not in types:
        raise CliError(USAGE, f"--type must be one of {', '.join(types)}, got {node_type!r}")
    request = mesh_pb2.RegisterNodeRequest(
        name=name,
        address=address,
        region=region,
        node_type=types[node_type],
        capacity=capacity,
        public_key=public_key,
        anchor=anchor,
    )
    if interval:
        request.heartbeat_interval.FromNanoseconds(int(interval * 1e9))
    output.emit(
        _dict(_call(settings, lambda c: c.mesh.RegisterNode(request))), settings.output, no_color=settings.no_color
    )


@nodes_app.command("deregister")
def deregister(
    ctx: typer.Context,
    node: Annotated[str, typer.Argument(help="Node id or name.")],
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Remove a node, its links and its stored routes."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    common.require_confirmation(yes, f"Deregister node {node}, its links and its stored routes?")
    resp = _call(settings, lambda c: c.mesh.DeregisterNode(mesh_pb2.DeregisterNodeRequest(node=node)))
    common.deleted(settings, "node", resp.id or node, f"node {node} deregistered", name=node)


def parse_link(text: str) -> Any:
    """NEIGHBOR:RTT_MS:BANDWIDTH_KBPS:LOSS_PCT[:COST]."""
    from auralink.v1 import mesh_pb2

    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise CliError(USAGE, f"--link must be NEIGHBOR:RTT_MS:BANDWIDTH_KBPS:LOSS_PCT[:COST], got {text!r}")
    try:
        numbers = [float(p) for p in parts[1:]]
    except ValueError:
        raise CliError(USAGE, f"--link metrics must be numbers, got {text!r}") from None
    link = mesh_pb2.LinkReport(neighbor=parts[0], rtt_ms=numbers[0], bandwidth_kbps=numbers[1], loss_pct=numbers[2])
    if len(numbers) == 4:
        link.cost = numbers[3]
    return link


@mesh_app.command()
def heartbeat(
    ctx: typer.Context,
    node: Annotated[str, typer.Argument(help="Node id or name.")],
    load: Annotated[int, typer.Option(min=0)] = 0,
    link: Annotated[list[str] | None, typer.Option(help="NEIGHBOR:RTT_MS:BANDWIDTH_KBPS:LOSS_PCT[:COST]")] = None,
) -> None:
    """Send one heartbeat (for scripting)."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    request = mesh_pb2.HeartbeatRequest(node=node, load=load, links=[parse_link(x) for x in link or []])
    output.emit(
        _dict(_call(settings, lambda c: c.mesh.Heartbeat(request))), settings.output, no_color=settings.no_color
    )


def parse_weights(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        if key not in ("latency", "bandwidth", "reliability", "cost"):
            raise CliError(USAGE, f"--weights keys are latency, bandwidth, reliability, cost; got {key!r}")
        try:
            weights[key] = float(value)
        except ValueError:
            raise CliError(USAGE, f"--weights {key} must be a number, got {value!r}") from None
    return weights


@mesh_app.command()
def route(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument()],
    destination: Annotated[str, typer.Argument()],
    k: Annotated[int, typer.Option("--k", help="Paths to return (1..5).")] = 1,
    max_hops: Annotated[int, typer.Option(min=0)] = 0,
    min_bandwidth: Annotated[float, typer.Option(help="kbit/s on every hop.")] = 0.0,
    max_latency: Annotated[float, typer.Option(help="ms in total.")] = 0.0,
    exclude: Annotated[list[str] | None, typer.Option(help="Node to avoid (repeatable).")] = None,
    min_trust: Annotated[float, typer.Option(help="Minimum relay trust 0..1.")] = 0.0,
    weights: Annotated[str, typer.Option(help="latency=1,bandwidth=0.2,reliability=0.5,cost=0")] = "",
    store: Annotated[bool, typer.Option(help="Keep the primary path as a stored route.")] = False,
) -> None:
    """The best route and up to k-1 alternatives."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    request = mesh_pb2.FindOptimalRouteRequest(
        source=source,
        destination=destination,
        k=k,
        store=store,
        constraints=mesh_pb2.RouteConstraints(
            max_hops=max_hops,
            min_bandwidth_kbps=min_bandwidth,
            max_latency_ms=max_latency,
            excluded_nodes=exclude or [],
            min_relay_trust=min_trust,
        ),
    )
    if weights:
        defaults = {"latency": 1.0, "bandwidth": 0.2, "reliability": 0.5, "cost": 0.0}
        request.weights.CopyFrom(mesh_pb2.RouteWeights(**{**defaults, **parse_weights(weights)}))
    output.emit(
        _dict(_call(settings, lambda c: c.mesh.FindOptimalRoute(request))),
        settings.output,
        table=route_table,
        no_color=settings.no_color,
    )


@mesh_app.command()
def status(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option(help="Follow the status (Ctrl-C exits).")] = False,
    interval: Annotated[float, typer.Option(min=1, max=60)] = 5.0,
) -> None:
    """Nodes by state, links, RTTs, partitions, central relays, route stretch, prediction error."""
    from auralink.v1 import mesh_pb2
    from auralink_cli.client import Client

    settings = _settings(ctx)
    if not watch:
        data = _dict(_call(settings, lambda c: c.mesh.GetNetworkStatus(mesh_pb2.GetNetworkStatusRequest())))
        output.emit(data, settings.output, no_color=settings.no_color)
        return
    request = mesh_pb2.WatchNetworkStatusRequest()
    request.interval.FromNanoseconds(int(interval * 1e9))
    try:
        with Client(settings) as client:
            stub = client.mesh
            for message in stub.WatchNetworkStatus(request):
                data = _dict(message)
                text = (
                    f"{time.strftime('%H:%M:%S')} nodes {data['nodes_by_state']} links {data['link_count']} "
                    f"rtt {data['mean_link_rtt_ms']:.1f}/{data['p95_link_rtt_ms']:.1f} ms "
                    f"components {data['components']} stretch {data['mean_route_stretch']:.2f}"
                )
                output.emit_line(data, text, settings.output, settings.no_color)
    except KeyboardInterrupt:
        return
