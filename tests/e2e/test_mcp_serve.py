"""`auralink mcp serve` driven by the MCP SDK's own client over stdio, as any outside MCP client would."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from auralink.v1 import access_pb2, access_pb2_grpc
from tests.support import BIN, Daemon, bearer


def serve_params(daemon: Daemon, token: str) -> StdioServerParameters:
    env = {**daemon.env, "AURALINK_ADDRESS": daemon.address, "AURALINK_TOKEN": token, "AURALINK_TIMEOUT": "120"}
    return StdioServerParameters(command=str(BIN / "auralink"), args=["mcp", "serve"], env=env)


async def session_calls(
    params: StdioServerParameters, calls: list[tuple[str, dict[str, Any]]]
) -> tuple[set[str], list]:  # type: ignore[type-arg]
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        names = {t.name for t in (await session.list_tools()).tools}
        results = [await session.call_tool(name, arguments) for name, arguments in calls]
    return names, results


def test_an_mcp_client_stores_and_recalls_memories_through_mcp_serve(daemon: Daemon) -> None:
    names, results = asyncio.run(
        session_calls(
            serve_params(daemon, daemon.token),
            [
                ("memory_store", {"content": "The launch code word is heliotrope.", "tags": ["mcp"]}),
                ("memory_recall", {"query": "what is the launch code word?", "limit": 3}),
                ("agents_list", {}),
            ],
        )
    )
    assert {"memory_recall", "memory_store", "agents_list", "agent_chat", "mesh_route"} <= names
    stored, recalled, agents = results
    assert not stored.isError and stored.structuredContent["outcome"] == "stored"
    assert not recalled.isError
    memories = recalled.structuredContent["memories"]
    assert memories[0]["content"] == "The launch code word is heliotrope." and memories[0]["tags"] == ["mcp"]
    assert not agents.isError and agents.structuredContent["agents"] == []


def test_mcp_serve_acts_with_the_callers_permissions(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        narrow = access_pb2_grpc.CredentialServiceStub(channel).IssueToken(
            access_pb2.IssueTokenRequest(scopes=["agents:read"]), metadata=bearer(daemon.token), timeout=10
        )
    _, (recall, listed) = asyncio.run(
        session_calls(serve_params(daemon, narrow.token), [("memory_recall", {"query": "x"}), ("agents_list", {})])
    )
    assert recall.isError and "memories:read" in json.dumps(recall.model_dump(mode="json"))
    assert not listed.isError
