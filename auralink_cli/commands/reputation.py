"""`auralink reputation`: list, show, report, explain, quarantine and release (ReputationService)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.profiles import GlobalOptions, Settings, resolve_settings

reputation_app = typer.Typer(
    name="reputation", help="Node trust: evidence, EigenTrust, quarantine.", no_args_is_help=True
)
KINDS = {"relay-success": 1, "relay-failure": 2, "uptime": 3, "misbehavior": 4}
BANDS = {"": 0, "untrusted": 1, "low": 2, "medium": 3, "high": 4}


def register(app: typer.Typer) -> None:
    app.add_typer(reputation_app)


def _settings(ctx: typer.Context) -> Settings:
    return resolve_settings(ctx.ensure_object(GlobalOptions))


def _call(settings: Settings, method: str, request: Any) -> dict[str, Any]:
    from auralink.v1 import mesh_pb2_grpc
    from auralink_cli.client import Client
    from auralink_cli.shapes import message_to_dict

    with Client(settings) as client:
        stub = mesh_pb2_grpc.ReputationServiceStub(client.channel)
        return message_to_dict(client.call(getattr(stub, method), request))


@reputation_app.command("list")
def list_reputations(
    ctx: typer.Context,
    band: Annotated[str, typer.Option(help="untrusted, low, medium or high.")] = "",
    page_size: Annotated[
        int, typer.Option("--limit", "--page-size", min=0, max=500, help="At most N items (0: the default page).")
    ] = 0,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """Nodes by trust, highest first."""
    from auralink.v1 import mesh_pb2

    if band not in BANDS:
        raise CliError(USAGE, f"--band must be one of {', '.join(b for b in BANDS if b)}, got {band!r}")
    settings = _settings(ctx)
    request = mesh_pb2.ListReputationsRequest(band=BANDS[band], page_size=page_size, page_token=page_token)
    output.emit(
        _call(settings, "ListReputations", request),
        settings.output,
        table=_table,
        no_color=settings.no_color,
        wide=True,
    )


def _table(data: dict[str, Any]) -> Any:
    table = output.table("NAME", "NODE", "TRUST", "BAND", "RELAYS OK/FAILED", "ANCHOR", "QUARANTINED", "REASON")
    for r in data["reputations"]:
        table.add_row(
            r["name"],
            r["node"],
            f"{r['trust']:.3f}",
            r["band"],
            f"{r.get('successful_relays', 0)}/{r.get('failed_relays', 0)}",
            "yes" if r["anchor"] else "",
            "yes" if r["quarantined"] else "",
            r.get("quarantine_reason") or "",
        )
    return [table, *common.more_note(data.get("next_page_token", ""))]


@reputation_app.command()
def show(ctx: typer.Context, node: Annotated[str, typer.Argument()]) -> None:
    """One node's trust."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    output.emit(
        _call(settings, "GetReputation", mesh_pb2.GetReputationRequest(node=node)),
        settings.output,
        no_color=settings.no_color,
    )


@reputation_app.command()
def report(
    ctx: typer.Context,
    node: Annotated[str, typer.Argument(help="The node the evidence is about.")],
    kind: Annotated[str, typer.Argument(help="relay-success, relay-failure, uptime or misbehavior.")],
    value: Annotated[float, typer.Option(help="Count (default 1), or the uptime ratio.")] = 0.0,
    reporter: Annotated[str, typer.Option(help="Reporting node (a node token's own by default).")] = "",
    evidence: Annotated[str, typer.Option(help="JSON object; required for misbehavior.")] = "",
) -> None:
    """Report evidence about a node."""
    from google.protobuf import struct_pb2

    from auralink.v1 import mesh_pb2

    if kind not in KINDS:
        raise CliError(USAGE, f"KIND must be one of {', '.join(KINDS)}, got {kind!r}")
    details = struct_pb2.Struct()
    if evidence:
        try:
            details.update(json.loads(evidence))
        except (ValueError, AttributeError):
            raise CliError(USAGE, "--evidence must be a JSON object") from None
    settings = _settings(ctx)
    request = mesh_pb2.ReportEvidenceRequest(
        node=node, kind=KINDS[kind], value=value, reporter=reporter, evidence=details
    )
    output.emit(_call(settings, "ReportEvidence", request), settings.output, no_color=settings.no_color)


@reputation_app.command()
def explain(
    ctx: typer.Context,
    node: Annotated[str, typer.Argument()],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
) -> None:
    """Which evidence moved the node's score."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    data = _call(settings, "ExplainReputation", mesh_pb2.ExplainReputationRequest(node=node, limit=limit))
    output.emit(data, settings.output, table=_explain_table, no_color=settings.no_color)


def _explain_table(data: dict[str, Any]) -> Any:
    table = output.table("WHEN", "KIND", "REPORTER", "REPORTER TRUST", "WEIGHT", "IMPACT")
    for c in data["contributions"]:
        table.add_row(
            c["time"] or "",
            c["kind"],
            c["reporter_name"] or c["reporter"],
            f"{c['reporter_trust']:.3f}",
            f"{c['decayed_weight']:+.3f}",
            f"{c['impact']:+.3f}",
        )
    return [*data["summary"], table]


@reputation_app.command()
def quarantine(
    ctx: typer.Context,
    node: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option(help="Why (required).")],
    duration: Annotated[float, typer.Option(help="Seconds (default 3600).")] = 0.0,
    release: Annotated[bool, typer.Option(help="Release the node instead.")] = False,
) -> None:
    """Exclude a node from relaying until the expiry (or --release it)."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    if release:
        data = _call(settings, "ReleaseNode", mesh_pb2.ReleaseNodeRequest(node=node))
    else:
        request = mesh_pb2.QuarantineNodeRequest(node=node, reason=reason)
        if duration:
            request.duration.FromNanoseconds(int(duration * 1e9))
        data = _call(settings, "QuarantineNode", request)
    output.emit(data, settings.output, no_color=settings.no_color)
