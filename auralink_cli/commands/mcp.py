"""`auralink mcp …` (MCPService): connections to MCP tool servers, their tools, tool calls, and `mcp serve`.

Env and header values are sent once and never shown again (only their names). A value written `@NAME`
is read from your environment variable NAME, so secrets need not appear on the command line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.mcp import connection_table, connections_table, content_text, state_name, tools_table

if TYPE_CHECKING:
    from auralink_cli.client import Client

mcp_app = typer.Typer(name="mcp", help="MCP: tool servers, their tools and tool calls.", no_args_is_help=True)
connections_app = typer.Typer(name="connections", help="Connections to MCP servers.", no_args_is_help=True)
mcp_app.add_typer(connections_app, name="connections")
ConnectionArg = Annotated[str, typer.Argument(help="A connection id or name.")]
EnvOption = Annotated[
    list[str] | None, typer.Option("--env", "-e", help="K=V for the server process (repeatable); V may be @NAME.")
]
HeaderOption = Annotated[
    list[str] | None, typer.Option("--header", "-H", help="K=V HTTP header (repeatable); V may be @NAME.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(mcp_app, name="mcp")


def _call(ctx: typer.Context, use: Callable[[Client], Any]) -> dict[str, Any]:
    """`use(client)` on a fresh channel; its response as a dict."""
    return common.to_dict(common.connected(common.settings_of(ctx), use))


def pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """K=V options as a dict; `@NAME` values come from the environment."""
    result: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(USAGE, f"{option}: expected KEY=VALUE, got {item!r}")
        if value.startswith("@"):
            if value[1:] not in os.environ:
                raise CliError(USAGE, f"{option} {key}: environment variable {value[1:]} is not set")
            value = os.environ[value[1:]]
        result[key] = value
    return result


def build_connection(**fields: Any) -> tuple[Any, list[str]]:
    """An MCPConnection with the given (non-None) fields set, and the update_mask paths naming them."""
    from auralink.v1 import mcp_pb2

    message = mcp_pb2.MCPConnection()
    paths: list[str] = []
    for path, value in fields.items():
        if value is None:
            continue
        paths.append(path)
        if path in ("env", "headers"):
            getattr(message, path).update(value)
        elif path == "args":
            message.args[:] = value
        elif path == "timeout":
            message.timeout.FromNanoseconds(int(value * 1e9))
        else:
            setattr(message, path, value)
    return message, paths


@connections_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Connection name, unique in the org.")],
    server_args: Annotated[
        list[str] | None, typer.Argument(help="Arguments of the stdio command, after `--`.", show_default=False)
    ] = None,
    command: Annotated[
        str | None, typer.Option("--command", "-c", help="stdio: a command on the daemon's allow-list.")
    ] = None,
    url: Annotated[str | None, typer.Option("--url", help="Streamable HTTP endpoint.")] = None,
    env: EnvOption = None,
    header: HeaderOption = None,
    timeout_s: Annotated[float | None, typer.Option("--call-timeout", help="Seconds a tool call may take.")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
) -> None:
    """Add a connection: `--command CMD -- ARGS…` (stdio, platform admins) or `--url URL` (streamable HTTP)."""
    from auralink.v1 import mcp_pb2

    if (command is None) == (url is None):
        raise CliError(USAGE, "give exactly one of --command (stdio) or --url (streamable HTTP)")
    message, _ = build_connection(
        name=name, command=command, args=server_args or None, env=pairs(env, "--env") or None,
        url=url, headers=pairs(header, "--header") or None, timeout=timeout_s, description=description,
    )  # fmt: skip
    message.transport = mcp_pb2.MCP_TRANSPORT_STDIO if command is not None else mcp_pb2.MCP_TRANSPORT_STREAMABLE_HTTP
    data = _call(ctx, lambda c: c.mcp.CreateConnection(mcp_pb2.CreateConnectionRequest(connection=message)))
    common.emit(common.settings_of(ctx), data, connection_table)


@connections_app.command("list")
@common.watchable
def list_connections(
    ctx: typer.Context,
    limit: Annotated[int, common.LimitOption] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """The MCP connections of your organization, with their state in this daemon."""
    from auralink.v1 import mcp_pb2

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.mcp.ListConnections(mcp_pb2.ListConnectionsRequest(page_size=size, page_token=token)),
        "connections", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, connections_table, wide=True)


@connections_app.command("show")
def show(ctx: typer.Context, connection: ConnectionArg) -> None:
    """One connection (secret values are never shown, only their names)."""
    from auralink.v1 import mcp_pb2

    data = _call(ctx, lambda c: c.mcp.GetConnection(mcp_pb2.GetConnectionRequest(connection=connection)))
    common.emit(common.settings_of(ctx), data, connection_table)


@connections_app.command("update")
def update(
    ctx: typer.Context,
    connection: ConnectionArg,
    server_args: Annotated[list[str] | None, typer.Argument(help="New stdio arguments, after `--`.")] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    command: Annotated[str | None, typer.Option("--command", "-c")] = None,
    url: Annotated[str | None, typer.Option("--url")] = None,
    env: EnvOption = None,
    header: HeaderOption = None,
    timeout_s: Annotated[float | None, typer.Option("--call-timeout")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    etag: Annotated[str, typer.Option("--etag", help="Fail unless the connection is at this etag.")] = "",
) -> None:
    """Change fields of a connection (only those given); --env / --header replace the whole set."""
    from auralink.v1 import mcp_pb2

    message, paths = build_connection(
        name=name, command=command, args=server_args or None, env=pairs(env, "--env") if env else None,
        url=url, headers=pairs(header, "--header") if header else None, timeout=timeout_s, description=description,
    )  # fmt: skip
    if not paths:
        raise CliError(USAGE, "nothing to update: give at least one option")
    if common.looks_like_uuid(connection):
        message.id = connection
    else:
        message.id = _call(ctx, lambda c: c.mcp.GetConnection(mcp_pb2.GetConnectionRequest(connection=connection)))[
            "id"
        ]
    message.etag = etag
    request = mcp_pb2.UpdateConnectionRequest(connection=message)
    request.update_mask.paths.extend(paths)
    common.emit(common.settings_of(ctx), _call(ctx, lambda c: c.mcp.UpdateConnection(request)), connection_table)


@connections_app.command("rm")
def remove(ctx: typer.Context, connection: ConnectionArg, yes: Annotated[bool, common.YesOption] = False) -> None:
    """Delete a connection; its session (and stdio process) stops."""
    from auralink.v1 import mcp_pb2

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Delete MCP connection {connection!r}?")
    _call(ctx, lambda c: c.mcp.DeleteConnection(mcp_pb2.DeleteConnectionRequest(connection=connection)))
    common.deleted(settings, "mcp_connection", connection, f"deleted MCP connection {connection}")


@connections_app.command("test")
def test(ctx: typer.Context, connection: ConnectionArg) -> None:
    """Start (or ping) the connection's session now; shows the server, latency and tools."""
    from auralink.v1 import mcp_pb2

    data = _call(ctx, lambda c: c.mcp.TestConnection(mcp_pb2.TestConnectionRequest(connection=connection)))

    def table(d: dict[str, Any]) -> Any:
        from rich.console import Group
        from rich.text import Text

        c = d["connection"]
        line = f"{c['name']}: {state_name(c)} in {d['latency'] * 1000:.0f} ms"
        return Group(Text(line), tools_table(d["tools"]))

    common.emit(common.settings_of(ctx), data, table)


@mcp_app.command("tools")
def tools(
    ctx: typer.Context,
    connection: Annotated[str, typer.Argument(help="A connection (all when omitted).")] = "",
) -> None:
    """The tools of one connection, or of every connection ([name]: optional argument)."""
    from auralink.v1 import mcp_pb2

    data = _call(ctx, lambda c: c.mcp.ListTools(mcp_pb2.ListToolsRequest(connection=connection)))

    def table(d: dict[str, Any]) -> Any:
        from rich.console import Group
        from rich.text import Text

        notes = [Text(f"({u['connection_name']}: {u['reason']})", style="dim") for u in d["unavailable"]]
        return Group(tools_table(d["tools"]), *notes)

    common.emit(common.settings_of(ctx), data, table, wide=True)


def parse_arguments(args: list[str] | None, json_text: str | None) -> dict[str, Any]:
    """--arg k=v pairs (v parsed as JSON when it is JSON, else kept as text), or one --json object."""
    if args and json_text is not None:
        raise CliError(USAGE, "give --arg or --json, not both")
    if json_text is not None:
        try:
            value = json.loads(json_text)
        except json.JSONDecodeError as exc:
            raise CliError(USAGE, f"--json: not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise CliError(USAGE, "--json: must be a JSON object")
        return value
    result: dict[str, Any] = {}
    for item in args or []:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise CliError(USAGE, f"--arg: expected NAME=VALUE, got {item!r}")
        try:
            result[key] = json.loads(text)
        except json.JSONDecodeError:
            result[key] = text
    return result


@mcp_app.command("call")
def call_tool(
    ctx: typer.Context,
    connection: ConnectionArg,
    tool: Annotated[str, typer.Argument(help="The tool's name (see `auralink mcp tools`).")],
    arg: Annotated[list[str] | None, typer.Option("--arg", "-a", help="NAME=VALUE (repeatable; JSON values).")] = None,
    json_text: Annotated[str | None, typer.Option("--json", help="All arguments as one JSON object.")] = None,
) -> None:
    """Call a tool; a tool's own error is printed as its result (JSON: is_error), not a failure of the call."""
    from google.protobuf import struct_pb2

    from auralink.v1 import mcp_pb2

    arguments = struct_pb2.Struct()
    arguments.update(parse_arguments(arg, json_text))
    data = _call(
        ctx, lambda c: c.mcp.CallTool(mcp_pb2.CallToolRequest(connection=connection, tool=tool, arguments=arguments))
    )
    settings = common.settings_of(ctx)
    if settings.output != "table":
        common.emit(settings, data)
        return
    for item in data["content"]:
        output.plain(content_text(item))
    if data["is_error"]:
        output.info("(the tool reported an error)")


@mcp_app.command("serve")
def serve(ctx: typer.Context) -> None:
    """Serve AuraLink as an MCP server on stdio (memory recall/store, agents list/chat, mesh route).

    Each tool call is a gRPC call made with your token (--token, AURALINK_TOKEN or the profile's), so your
    permissions apply. Point an MCP client at: auralink [--token …] mcp serve
    """
    from auralink_cli.mcp_server import serve as run

    run(common.settings_of(ctx))
