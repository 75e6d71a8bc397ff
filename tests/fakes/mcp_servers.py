"""Real MCP servers built with the SDK's own FastMCP, for the faults the PyPI servers cannot show.

`python tests/fakes/mcp_servers.py` serves over stdio (a server that can exit or hang mid-call);
`HttpServer` runs the same tools over streamable HTTP on loopback, in a thread, for one test module.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time
from typing import Any

from mcp.server.fastmcp import Context, FastMCP


def build(name: str = "fakes") -> FastMCP:
    server = FastMCP(name)

    @server.tool()
    def add(a: int, b: int) -> str:
        """Add two integers."""
        return str(a + b)

    @server.tool()
    def fail(message: str) -> str:
        """Raise: the result comes back with isError set."""
        raise ValueError(message)

    @server.tool()
    def exit_now() -> str:
        """The server process exits in the middle of the call."""
        os._exit(3)

    @server.tool()
    def env_value(variable: str) -> str:
        """The value of one of this process's environment variables (a sealed connection env reaches it)."""
        return os.environ.get(variable, "")

    @server.tool()
    async def hang(seconds: float = 3600) -> str:
        """Never answers in time."""
        await asyncio.sleep(seconds)
        return "woke up"

    @server.tool()
    def picture() -> Any:
        """An image and a resource, to check content mapping."""
        from mcp.types import EmbeddedResource, ImageContent, TextResourceContents

        return [
            ImageContent(type="image", data="iVBORw0KGgo=", mimeType="image/png"),
            EmbeddedResource(
                type="resource",
                resource=TextResourceContents(uri="file:///notes.txt", mimeType="text/plain", text="a note"),
            ),
        ]

    @server.tool()
    async def grow(tool_name: str, ctx: Context) -> str:
        """Add a tool named `tool_name`, then tell the client its tool list changed."""

        def extra() -> str:
            return f"I am {tool_name}"

        server.add_tool(extra, name=tool_name, description="added at run time")
        await ctx.session.send_tool_list_changed()
        return "grown"

    return server


class HttpServer:
    """The fake tools over streamable HTTP on 127.0.0.1 (uvicorn in a daemon thread)."""

    def __init__(self, port: int) -> None:
        import uvicorn

        self.port = port
        self.url = f"http://127.0.0.1:{port}/mcp"
        app = build("fakes-http").streamable_http_app()
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> HttpServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("the fake MCP HTTP server did not start")

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)


if __name__ == "__main__":
    build().run(transport="stdio")
    sys.exit(0)
