"""`auralink audit list|verify|watch` (AuditService): the tamper-evident, hash-chained audit log.

`verify` exits 0 when the chain is intact and 1 when it is broken (naming the first broken row).
`verify --watch` re-verifies every --interval seconds and prints new entries as they are written;
it exits 1 as soon as the chain breaks. Streams end with Ctrl-C (exit 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import exit_codes, output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import CliError
from auralink_cli.render.audit import entries_table, entry_text, verify_text

if TYPE_CHECKING:
    from auralink.v1 import access_pb2
    from auralink_cli.client import Client
    from auralink_cli.profiles import Settings

audit_app = typer.Typer(name="audit", help="The audit log: list, verify the hash chain, watch.", no_args_is_help=True)

DEFAULT_LIMIT = 50
BROKEN = 1  # `verify` exit code for a broken chain


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


# --- request building ------------------------------------------------------------------------


def list_request(
    actor: str = "",
    action: str = "",
    resource_type: str = "",
    resource_id: str = "",
    outcome: str = "",
    since: str | None = None,
    until: str | None = None,
) -> access_pb2.ListAuditLogsRequest:
    """The filters of ListAuditLogs; --since/--until are a duration ago (1h) or an ISO 8601 time."""
    from auralink.v1 import access_pb2

    request = access_pb2.ListAuditLogsRequest(
        actor_user_id=actor, action=action, resource_type=resource_type, resource_id=resource_id, outcome=outcome
    )
    if since is not None:
        request.start_time.CopyFrom(common.timestamp(common.parse_time(since, "--since")))
    if until is not None:
        request.end_time.CopyFrom(common.timestamp(common.parse_time(until, "--until")))
    return request


# --- output ----------------------------------------------------------------------------------


def report_verification(settings: Settings, result: dict[str, Any]) -> None:
    """The result on stdout; a broken chain also gets the one `error:` line on stderr."""
    if settings.output == "table":
        output.plain(verify_text(result))
    else:
        common.emit(settings, result)
    if not result["ok"]:
        output.error(verify_text(result))


# --- commands --------------------------------------------------------------------------------


@audit_app.command("list")
@common.watchable
def list_entries(
    ctx: typer.Context,
    actor: Annotated[str, typer.Option("--actor", help="Actor user id.")] = "",
    action: Annotated[str, typer.Option("--action", help='Action, or a prefix ending in "*" ("RoleService/*").')] = "",
    resource_type: Annotated[str, typer.Option("--resource-type", help="Resource type (role, user, api_key…).")] = "",
    resource_id: Annotated[str, typer.Option("--resource-id", help="Resource id.")] = "",
    outcome: Annotated[str, typer.Option("--outcome", help="success, failure or denied.")] = "",
    since: Annotated[str | None, typer.Option("--since", help="From: a duration ago (1h, 2d) or an ISO time.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Until: a duration ago or an ISO time.")] = None,
    limit: Annotated[int, common.LimitOption] = DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """List audit entries, newest first, with filters."""
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    base = list_request(actor, action, resource_type, resource_id, outcome, since, until)
    with Client(settings) as client:
        audit = client.audit

        def fetch(size: int, token: str) -> tuple[list[Any], str]:
            request = type(base)()
            request.CopyFrom(base)
            request.page_size, request.page_token = size, token
            resp = audit.ListAuditLogs(request)
            return list(resp.entries), resp.next_page_token

        items, next_token = common.paginate(fetch, limit, page_token)
    data = {"entries": [common.to_dict(e) for e in items], "next_page_token": next_token}
    common.emit(settings, data, entries_table, wide=True)


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option("--watch", help="Keep verifying, and print new entries meanwhile.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between verifications with --watch.")
    ] = 10.0,
    checkpoint: Annotated[
        str,
        typer.Option(
            "--checkpoint",
            help="A checkpoint printed by an earlier verify: its row must still be there, unchanged "
            "(catches rows deleted from the end).",
        ),
    ] = "",
) -> None:
    """Recompute the org's hash chain. Exit 0 when intact, 1 when broken (first broken row and reason).

    An intact chain also prints a signed checkpoint of its head; keep it outside the database and pass
    it back with --checkpoint to prove that nothing written before it was deleted since.

    With --watch, -o json prints JSON lines: {"kind": "verify", "result": {…}} after each verification
    whose result changed, and {"kind": "entry", "entry": {…}} for each new entry.
    """
    from auralink.v1 import access_pb2

    settings = common.settings_of(ctx)
    if not watch:
        request = access_pb2.VerifyAuditChainRequest(checkpoint=checkpoint)
        resp = common.connected(settings, lambda c: c.audit.VerifyAuditChain(request))
        result = common.to_dict(resp)
        report_verification(settings, result)
        raise typer.Exit(exit_codes.OK if result["ok"] else BROKEN)
    try:
        watch_and_verify(settings, interval)
    except KeyboardInterrupt:
        raise typer.Exit(exit_codes.OK) from None


@audit_app.command("watch")
def watch_entries(
    ctx: typer.Context,
    since_id: Annotated[int, typer.Option("--since-id", min=0, help="Start after this entry id (default: now).")] = 0,
) -> None:
    """Print new audit entries as they are written (JSON lines with -o json). Ctrl-C exits 0."""
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    try:
        with Client(settings) as client:
            for entry in new_entries(client, since_id):
                data = common.to_dict(entry)
                output.emit_line(data, entry_text(data), settings.output, no_color=settings.no_color)
    except KeyboardInterrupt:
        raise typer.Exit(exit_codes.OK) from None


def new_entries(client: Client, since_id: int = 0) -> Iterator[access_pb2.AuditEntry]:
    """WatchAudit without its heartbeats."""
    from auralink.v1 import access_pb2

    audit = client.audit
    for entry in audit.WatchAudit(access_pb2.WatchAuditRequest(since_id=since_id)):
        if not entry.heartbeat:
            yield entry


def watch_and_verify(settings: Settings, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
    """Verify every `interval` seconds while a thread relays WatchAudit; raise Exit(1) on a broken chain."""
    import queue
    import threading

    from auralink.v1 import access_pb2
    from auralink_cli.client import Client

    items: queue.Queue[Any] = queue.Queue()
    ended = object()

    with Client(settings) as client:

        def relay() -> None:
            try:
                for entry in new_entries(client):
                    items.put(entry)
                items.put(ended)
            except BaseException as exc:  # CliError, or the channel closing under it at exit
                items.put(exc)

        threading.Thread(target=relay, name="audit-watch", daemon=True).start()
        audit = client.audit
        last: dict[str, Any] | None = None
        while True:
            result = common.to_dict(audit.VerifyAuditChain(access_pb2.VerifyAuditChainRequest()))
            if result != last:
                _emit_watch(settings, "verify", result, verify_text(result))
                last = result
            if not result["ok"]:
                output.error(verify_text(result))
                raise typer.Exit(BROKEN)
            deadline = clock() + interval
            while (left := deadline - clock()) > 0:
                try:
                    item = items.get(timeout=left)
                except queue.Empty:
                    break
                if item is ended:
                    raise CliError(exit_codes.UNREACHABLE, "the daemon ended the audit stream")
                if isinstance(item, BaseException):
                    raise item
                data = common.to_dict(item)
                _emit_watch(settings, "entry", data, entry_text(data))


def _emit_watch(settings: Settings, kind: str, data: dict[str, Any], text: str) -> None:
    key = "result" if kind == "verify" else "entry"
    output.emit_line({"kind": kind, key: data}, text, settings.output, no_color=settings.no_color)
