"""`auralink mcp serve`: AuraLink's memory, agents and mesh as MCP tools, over stdio.

It is a client of the daemon's gRPC API like every other command: each tool call is one RPC made with the
caller's own token or API key (the profile's, --token or AURALINK_TOKEN), so RBAC and RLS apply exactly as
in the CLI. The SDK's FastMCP speaks MCP on stdin/stdout; nothing else may write to stdout. One gRPC channel
serves every tool call of the server's life (a channel per call cost about 20 ms per recall).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from auralink_cli.exit_codes import CliError
from auralink_cli.profiles import Settings

if TYPE_CHECKING:
    from auralink_cli.client import Client


class ToolFailed(Exception):
    """An RPC refused or failed: FastMCP reports it to the MCP client as the tool's error (isError)."""


class _Channel:
    """The server's one channel to the daemon, opened on the first tool call (gRPC reconnects by itself)."""

    def __init__(self, settings: Settings) -> None:
        from auralink_cli.client import Client

        self._client = Client(settings)
        self._lock = threading.Lock()
        self._open = False

    def client(self) -> Client:
        with self._lock:
            if not self._open:
                self._client.__enter__()  # checks the socket first: CliError, a tool error, when absent
                self._open = True
        return self._client

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._client.__exit__(None, None, None)
                self._open = False


def build_server(settings: Settings, channel: _Channel | None = None) -> Any:
    import anyio
    from mcp.server.fastmcp import FastMCP

    channel = channel or _Channel(settings)

    server = FastMCP(
        "auralink",
        instructions="AuraLink: recall and store memories, chat with agents, find mesh routes. "
        "Every call acts as the user whose token this server was started with.",
    )

    async def rpc(work: Callable[[], Any]) -> Any:
        def run() -> Any:
            try:
                return work()
            except CliError as exc:  # the CLI's translation of the gRPC status: one clear line
                raise ToolFailed(exc.message) from None

        return await anyio.to_thread.run_sync(run)

    def unary(use: Callable[[Client], Any]) -> Any:
        return use(channel.client())

    @server.tool()
    async def memory_recall(query: str, limit: int = 5, tags: list[str] | None = None) -> dict[str, Any]:
        """Recall your memories most relevant to `query` (hybrid semantic, keyword and recency ranking)."""
        from auralink.v1 import memory_pb2

        request = memory_pb2.RecallMemoriesRequest(query=query, limit=limit, tags=tags or [])
        response = await rpc(lambda: unary(lambda c: c.memory.RecallMemories(request)))
        return {
            "memories": [
                {
                    "id": r.memory.id, "content": r.memory.content, "score": round(r.score.score, 4),
                    "tags": list(r.memory.tags),
                }
                for r in response.results
            ]
        }  # fmt: skip

    @server.tool()
    async def memory_store(
        content: str, tags: list[str] | None = None, importance: float | None = None
    ) -> dict[str, Any]:
        """Store a memory for yourself; a near-duplicate of an existing one is reported, not stored twice."""
        from auralink.v1 import memory_pb2

        memory = memory_pb2.MemoryInput(content=content, tags=tags or [])
        if importance is not None:
            memory.importance = importance
        response = await rpc(
            lambda: unary(lambda c: c.memory.StoreMemory(memory_pb2.StoreMemoryRequest(memory=memory)))
        )
        outcome = memory_pb2.StoreOutcome.Name(response.result.outcome).removeprefix("STORE_OUTCOME_").lower()
        return {"outcome": outcome, "memory_id": response.result.memory_id, "reason": response.result.reason}

    @server.tool()
    async def agents_list() -> dict[str, Any]:
        """The AI agents of your organization."""
        from auralink.v1 import agents_pb2

        response = await rpc(lambda: unary(lambda c: c.agents.ListAgents(agents_pb2.ListAgentsRequest(page_size=500))))
        return {
            "agents": [
                {"id": a.id, "name": a.name, "model": a.model, "description": a.description, "tools": list(a.tools)}
                for a in response.agents
            ]
        }

    @server.tool()
    async def agent_chat(agent: str, message: str, conversation_id: str = "") -> dict[str, Any]:
        """Send one message to an agent (id or name) and return its reply; pass conversation_id to continue."""
        from auralink.v1 import agents_pb2

        request = agents_pb2.ChatRequest(agent=agent, message=message, conversation_id=conversation_id)

        def chat() -> dict[str, Any]:
            parts: list[str] = []
            conversation = ""
            tools: list[str] = []
            for response in channel.client().agents.Chat(request, timeout=settings.timeout):
                conversation = response.conversation_id or conversation
                parts.append(response.delta)
                if response.HasField("tool_call"):
                    tools.append(f"{response.tool_call.connection}/{response.tool_call.tool}")
            return {"reply": "".join(parts), "conversation_id": conversation, "tool_calls": tools}

        return await rpc(chat)  # type: ignore[no-any-return]

    @server.tool()
    async def mesh_route(source: str, destination: str) -> dict[str, Any]:
        """The best route through the AuraLink mesh between two nodes (ids or names)."""
        from auralink.v1 import mesh_pb2
        from auralink_cli.shapes import message_to_dict

        request = mesh_pb2.FindOptimalRouteRequest(source=source, destination=destination)
        response = await rpc(lambda: unary(lambda c: c.mesh.FindOptimalRoute(request)))
        return message_to_dict(response)

    return server


def serve(settings: Settings) -> None:
    """Serve MCP on stdin/stdout until the client closes stdin."""
    channel = _Channel(settings)
    try:
        build_server(settings, channel).run(transport="stdio")
    finally:
        channel.close()
