"""MCPService servicer: MCP connections, their tools and tool calls, proto <-> domain."""

from __future__ import annotations

from typing import Any

from google.protobuf import duration_pb2, json_format

from auralink.v1 import mcp_pb2 as pb
from auralink.v1 import mcp_pb2_grpc as pb_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import struct, timestamp
from auralinkd.api.permissions import requires
from auralinkd.errors import InvalidArgument
from auralinkd.mcp.service import Connection, Content, MCPService, Tool, ToolResult
from auralinkd.mcp.sessions import State

_TRANSPORTS = {"stdio": pb.MCP_TRANSPORT_STDIO, "streamable_http": pb.MCP_TRANSPORT_STREAMABLE_HTTP}
_TRANSPORT_NAMES = {v: k for k, v in _TRANSPORTS.items()}
_STATES = {
    State.IDLE: pb.MCP_CONNECTION_STATE_IDLE,
    State.CONNECTING: pb.MCP_CONNECTION_STATE_CONNECTING,
    State.CONNECTED: pb.MCP_CONNECTION_STATE_CONNECTED,
    State.DEGRADED: pb.MCP_CONNECTION_STATE_DEGRADED,
    State.FAILED: pb.MCP_CONNECTION_STATE_FAILED,
}
# Proto field names in an update_mask -> domain field names.
_MASK_FIELDS = {"timeout": "timeout_s"}


def duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def connection_to_proto(c: Connection) -> pb.MCPConnection:
    return pb.MCPConnection(
        id=str(c.id or ""), name=c.name, description=c.description, transport=_TRANSPORTS[c.transport],
        command=c.command, args=list(c.args), env_names=list(c.env_names), url=c.url,
        header_names=list(c.header_names), timeout=duration(c.timeout_s) if c.timeout_s else None,
        state=_STATES[c.health.state], state_reason=c.health.reason, server_name=c.health.server_name,
        server_version=c.health.server_version, tool_count=c.health.tool_count, etag=c.etag,
        created_by=str(c.created_by or ""), create_time=timestamp(c.created_at), update_time=timestamp(c.updated_at),
    )  # fmt: skip


def connection_from_proto(c: pb.MCPConnection, require_transport: bool) -> Connection:
    transport = _TRANSPORT_NAMES.get(c.transport, "")
    if require_transport and not transport:
        raise InvalidArgument.for_field("transport", "must be MCP_TRANSPORT_STDIO or MCP_TRANSPORT_STREAMABLE_HTTP")
    timeout_s = c.timeout.ToNanoseconds() / 1e9 if c.HasField("timeout") else 0.0
    return Connection(
        name=c.name, transport=transport, description=c.description, command=c.command, args=tuple(c.args),
        env=dict(c.env), url=c.url, headers=dict(c.headers), timeout_s=timeout_s,
    )  # fmt: skip


def tool_to_proto(t: Tool) -> pb.MCPTool:
    return pb.MCPTool(
        connection_id=str(t.connection_id), connection_name=t.connection_name, name=t.name, title=t.title,
        description=t.description, input_schema=struct(t.input_schema),
    )  # fmt: skip


def content_to_proto(c: Content) -> pb.MCPContent:
    if c.kind == "text":
        return pb.MCPContent(text=c.text)
    if c.kind == "image":
        return pb.MCPContent(image=pb.MCPBinaryContent(data=c.data, mime_type=c.mime_type))
    if c.kind == "audio":
        return pb.MCPContent(audio=pb.MCPBinaryContent(data=c.data, mime_type=c.mime_type))
    if c.kind == "resource":
        return pb.MCPContent(resource=pb.MCPResourceContent(uri=c.uri, mime_type=c.mime_type, text=c.text, blob=c.data))
    return pb.MCPContent(
        resource_link=pb.MCPResourceLink(uri=c.uri, name=c.name, description=c.description, mime_type=c.mime_type)
    )


def result_to_proto(r: ToolResult) -> pb.CallToolResponse:
    response = pb.CallToolResponse(
        content=[content_to_proto(c) for c in r.content], is_error=r.is_error, duration=duration(r.duration_s)
    )
    if r.structured is not None:
        response.structured_content.CopyFrom(struct(r.structured))
    return response


def plain_json(value: Any) -> Any:
    """Struct values as JSON: protobuf keeps every number as a double, so whole numbers become ints again."""
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


class MCPServicer(pb_grpc.MCPServiceServicer):
    def __init__(self, mcp: MCPService) -> None:
        self._mcp = mcp

    @requires("mcp:create")
    async def CreateConnection(self, request: pb.CreateConnectionRequest, context: Any) -> pb.MCPConnection:
        c = connection_from_proto(request.connection, require_transport=True)
        return connection_to_proto(await self._mcp.create(current_caller(), c, context.time_remaining()))

    @requires("mcp:read")
    async def GetConnection(self, request: pb.GetConnectionRequest, context: Any) -> pb.MCPConnection:
        return connection_to_proto(await self._mcp.get(current_caller(), request.connection))

    @requires("mcp:read")
    async def ListConnections(self, request: pb.ListConnectionsRequest, context: Any) -> pb.ListConnectionsResponse:
        items, token = await self._mcp.list(current_caller(), request.page_size, request.page_token)
        return pb.ListConnectionsResponse(connections=[connection_to_proto(c) for c in items], next_page_token=token)

    @requires("mcp:update")
    async def UpdateConnection(self, request: pb.UpdateConnectionRequest, context: Any) -> pb.MCPConnection:
        c = request.connection
        paths = [_MASK_FIELDS.get(p, p) for p in request.update_mask.paths]
        updated = await self._mcp.update(
            current_caller(), c.id or c.name, connection_from_proto(c, require_transport=False), paths, c.etag
        )
        return connection_to_proto(updated)

    @requires("mcp:delete")
    async def DeleteConnection(self, request: pb.DeleteConnectionRequest, context: Any) -> pb.DeleteConnectionResponse:
        await self._mcp.delete(current_caller(), request.connection)
        return pb.DeleteConnectionResponse()

    @requires("mcp:read")
    async def TestConnection(self, request: pb.TestConnectionRequest, context: Any) -> pb.TestConnectionResponse:
        result = await self._mcp.test(current_caller(), request.connection, context.time_remaining())
        connection = await self._mcp.get(current_caller(), request.connection)  # with the state after the test
        return pb.TestConnectionResponse(
            connection=connection_to_proto(connection), latency=duration(result.latency_s),
            tools=[tool_to_proto(t) for t in result.tools],
        )  # fmt: skip

    @requires("mcp:read")
    async def ListTools(self, request: pb.ListToolsRequest, context: Any) -> pb.ListToolsResponse:
        tools, unavailable = await self._mcp.list_tools(current_caller(), request.connection, context.time_remaining())
        return pb.ListToolsResponse(
            tools=[tool_to_proto(t) for t in tools],
            unavailable=[
                pb.MCPToolsUnavailable(connection_id=str(c.id), connection_name=c.name, reason=reason)
                for c, reason in unavailable
            ],
        )

    @requires("mcp:call")
    async def CallTool(self, request: pb.CallToolRequest, context: Any) -> pb.CallToolResponse:
        arguments = plain_json(json_format.MessageToDict(request.arguments)) if request.HasField("arguments") else {}
        result = await self._mcp.call_tool(
            current_caller(), request.connection, request.tool, arguments, context.time_remaining()
        )
        return result_to_proto(result)
