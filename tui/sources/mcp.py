"""MCP data for the Agents screen: connections with their health (state and reason), tools, a test."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from auralink.v1 import mcp_pb2 as pb
from tui import messages as m
from tui.sources.link import UNARY_TIMEOUT_S, Area, Link

SERVICE = "auralink.v1.MCPService"
# Testing starts the server (a stdio process, or an HTTP session) and lists its tools.
TEST_TIMEOUT_S = 30.0


class McpSource(Area):
    NAME = "mcp"

    def __init__(self, link: Link, *, interval_s: float = 5.0) -> None:
        super().__init__(link)
        self.interval_s = interval_s

    def background(self) -> list[Awaitable[Any]]:
        # Health changes (a server that died, one restarted) have no stream: poll while connected.
        return [self.link.poll(self.interval_s, SERVICE, self.load_connections)]

    async def on_connect(self) -> None:
        if self.link.unavailable_unless(self.NAME, SERVICE):
            await self.load_connections()

    async def load_connections(self) -> None:
        """The connections as the answering daemon sees them; listing starts no server."""
        resp = await self.link.act(
            "mcp.list",
            lambda: self.client.mcp.ListConnections(
                pb.ListConnectionsRequest(page_size=200), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
            self.NAME,
        )
        if resp is not None:
            self.post(m.McpConnectionsLoaded(list(resp.connections)))

    async def load_tools(self, connection: str) -> None:
        """One connection's tools (starts its session when there is none yet)."""
        request = pb.ListToolsRequest(connection=connection)
        resp = await self.link.act(
            "mcp.tools",
            lambda: self.client.mcp.ListTools(request, metadata=self.md(), timeout=TEST_TIMEOUT_S),
            self.NAME,
        )
        if resp is not None:
            self.post(m.McpToolsLoaded(connection, list(resp.tools)))
        await self.load_connections()  # the session's state changed with it

    async def test_connection(self, connection: str) -> None:
        request = pb.TestConnectionRequest(connection=connection)
        resp = await self.link.act(
            "mcp.test",
            lambda: self.client.mcp.TestConnection(request, metadata=self.md(), timeout=TEST_TIMEOUT_S),
            self.NAME,
        )
        if resp is None:
            await self.load_connections()
            return
        conn = resp.connection
        latency_ms = resp.latency.seconds * 1000 + resp.latency.nanos / 1e6
        self.post(m.McpToolsLoaded(conn.name, list(resp.tools)))
        self.post(m.ActionDone("mcp.test", f"{conn.name}: {len(resp.tools)} tools in {latency_ms:.0f} ms"))
        await self.load_connections()
