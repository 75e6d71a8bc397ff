"""`auralink reputation`: list, show, report, explain, quarantine and release (ReputationService)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.profiles import GlobalOptions, Settings, resolve_settings
from auralink_cli.render.reputation import explain_table, reputations_table

if TYPE_CHECKING:
    from auralink_cli.client import Client

reputation_app = typer.Typer(
    name="reputation", help="Node trust: evidence, EigenTrust, quarantine.", no_args_is_help=True
)
KINDS = {"relay-success": 1, "relay-failure": 2, "uptime": 3, "misbehavior": 4}
BANDS = {"": 0, "untrusted": 1, "low": 2, "medium": 3, "high": 4}


def register(app: typer.Typer) -> None:
    app.add_typer(reputation_app)


def _settings(ctx: typer.Context) -> Settings:
    return resolve_settings(ctx.ensure_object(GlobalOptions))


def _call(settings: Settings, use: Callable[[Client], Any]) -> dict[str, Any]:
    """`use(client)` on a fresh channel; its response as a dict."""
    return common.to_dict(common.connected(settings, use))


@reputation_app.command("list")
@common.watchable
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
        _call(settings, lambda c: c.reputation.ListReputations(request)),
        settings.output,
        table=reputations_table,
        no_color=settings.no_color,
        wide=True,
    )


@reputation_app.command()
def show(ctx: typer.Context, node: Annotated[str, typer.Argument()]) -> None:
    """One node's trust."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    output.emit(
        _call(settings, lambda c: c.reputation.GetReputation(mesh_pb2.GetReputationRequest(node=node))),
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
    output.emit(
        _call(settings, lambda c: c.reputation.ReportEvidence(request)), settings.output, no_color=settings.no_color
    )


@reputation_app.command()
def explain(
    ctx: typer.Context,
    node: Annotated[str, typer.Argument()],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
) -> None:
    """Which evidence moved the node's score."""
    from auralink.v1 import mesh_pb2

    settings = _settings(ctx)
    data = _call(
        settings, lambda c: c.reputation.ExplainReputation(mesh_pb2.ExplainReputationRequest(node=node, limit=limit))
    )
    output.emit(data, settings.output, table=explain_table, no_color=settings.no_color)


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
        data = _call(settings, lambda c: c.reputation.ReleaseNode(mesh_pb2.ReleaseNodeRequest(node=node)))
    else:
        request = mesh_pb2.QuarantineNodeRequest(node=node, reason=reason)
        if duration:
            request.duration.FromNanoseconds(int(duration * 1e9))
        data = _call(settings, lambda c: c.reputation.QuarantineNode(request))
    output.emit(data, settings.output, no_color=settings.no_color)
