"""Renderers of the Agents screen's MCP panel: connections with their health, and a connection's tools."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from auralink.v1 import mcp_pb2

STATE_STYLES = {
    "CONNECTED": "bold green",
    "DEGRADED": "bold yellow",
    "FAILED": "bold red",
    "CONNECTING": "cyan",
    "IDLE": "dim",
}


def state_name(connection: Any) -> str:
    return mcp_pb2.MCPConnectionState.Name(connection.state).removeprefix("MCP_CONNECTION_STATE_")


def transport_name(connection: Any) -> str:
    name = mcp_pb2.MCPTransport.Name(connection.transport).removeprefix("MCP_TRANSPORT_")
    return {"STREAMABLE_HTTP": "http", "STDIO": "stdio"}.get(name, name.lower())


def connection_row(connection: Any) -> tuple[Any, ...]:
    state = state_name(connection)
    return (
        connection.name,
        transport_name(connection),
        Text(state, style=STATE_STYLES.get(state, "")),
        str(connection.tool_count) if connection.tool_count else "-",
        connection.state_reason or "",
    )


def tools_view(connection: Any, tools: list[Any] | None) -> Text:
    """The selected connection: where it points, its state and reason, and its tools when listed."""
    if connection is None:
        return Text("no MCP connection", style="dim")
    state = state_name(connection)
    text = Text.assemble((connection.name, "bold"), "  ", (state, STATE_STYLES.get(state, "")))
    if connection.state_reason:
        text.append(f"\n{connection.state_reason}", style="red" if state == "FAILED" else "yellow")
    target = connection.url or " ".join([connection.command, *connection.args])
    text.append(f"\n{transport_name(connection)}: {target}", style="dim")
    if connection.server_name:
        text.append(f"\nserver {connection.server_name} {connection.server_version}".rstrip(), style="dim")
    if tools is None:
        text.append("\nEnter lists its tools; Test starts it and lists them.", style="dim")
        return text
    text.append(f"\n{len(tools)} tools", style="bold")
    for tool in tools:
        text.append(f"\n• {tool.name}", style="bold")
        if tool.description:
            text.append(f"  {tool.description.splitlines()[0][:70]}")
    return text
