"""MCP tool-call overhead: CallTool through the daemon against the SDK client calling the same server directly.

Both sides call `get_current_time` on the real `mcp-server-time` over stdio, in the same run, in alternating
blocks (so drift of a shared machine hits both): the baseline is this process's own `mcp.ClientSession`, ours
is a grpc.aio CallTool on the daemon's unix socket (auth, RLS look-up of the connection, schema validation, the
call on the daemon's kept-alive session; the audit row is written just after the reply). The target: at most
2 ms added at the median. A `SystemService/Ping` on the same channel, in the same blocks, is the floor of
any RPC through the daemon (the gRPC hop and the guard), so the figures also say how much of the added time
is the MCP path itself. On a loaded shared machine every process hop costs scheduler time: compare the
added time with the Ping, not with the target alone.

Also the `auralink mcp serve` recall tool (an MCP client driving the CLI's server, which calls RecallMemories)
against a direct RecallMemories on the same daemon.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc

from auralink.v1 import mcp_pb2, mcp_pb2_grpc, memory_pb2, memory_pb2_grpc, system_pb2, system_pb2_grpc
from bench.common import start_daemon, stop_daemon, write_results

AREA = "mcp"
TARGET_ADDED_MS = 2.0
BIN = Path(sys.executable).parent
TIME_SERVER = str(BIN / "mcp-server-time")
ARGUMENTS = {"timezone": "UTC"}


async def timed(work: Callable[[], Awaitable[Any]], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def tool_calls(
    address: str, token: str, blocks: int, per_block: int
) -> tuple[list[float], list[float], list[float]]:
    from google.protobuf import struct_pb2
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    md = (("authorization", f"Bearer {token}"),)
    arguments = struct_pb2.Struct()
    arguments.update(ARGUMENTS)
    ours: list[float] = []
    direct: list[float] = []
    pings: list[float] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub = mcp_pb2_grpc.MCPServiceStub(channel)
        system = system_pb2_grpc.SystemServiceStub(channel)
        ping = system_pb2.PingRequest(payload=b"x" * 16)

        async def rpc_floor() -> None:
            await system.Ping(ping, metadata=md, timeout=30)

        await stub.CreateConnection(
            mcp_pb2.CreateConnectionRequest(
                connection=mcp_pb2.MCPConnection(
                    name="time", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=TIME_SERVER
                )
            ),
            metadata=md,
            timeout=30,
        )
        request = mcp_pb2.CallToolRequest(connection="time", tool="get_current_time", arguments=arguments)

        async def through_daemon() -> None:
            await stub.CallTool(request, metadata=md, timeout=30)

        params = StdioServerParameters(command=TIME_SERVER, args=[])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.list_tools()  # as the daemon does: output schemas cached before the first call

            async def sdk_direct() -> None:
                await session.call_tool("get_current_time", ARGUMENTS)

            await timed(through_daemon, 20)  # warm-up: session start, caches, grpc channel
            await timed(sdk_direct, 20)
            await timed(rpc_floor, 20)
            for _ in range(blocks):
                ours += await timed(through_daemon, per_block)
                direct += await timed(sdk_direct, per_block)
                pings += await timed(rpc_floor, per_block)
    return ours, direct, pings


async def recall_calls(address: str, token: str, count: int) -> tuple[list[float], list[float]]:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    md = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.insecure_channel(address) as channel:
        memory = memory_pb2_grpc.MemoryServiceStub(channel)
        await memory.StoreMemory(
            memory_pb2.StoreMemoryRequest(memory=memory_pb2.MemoryInput(content="The bench word is heliotrope.")),
            metadata=md,
            timeout=120,
        )
        request = memory_pb2.RecallMemoriesRequest(query="bench word", limit=3)

        async def direct() -> None:
            await memory.RecallMemories(request, metadata=md, timeout=30)

        env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
        env.update(AURALINK_ADDRESS=address, AURALINK_TOKEN=token, AURALINK_TIMEOUT="60")
        params = StdioServerParameters(command=str(BIN / "auralink"), args=["mcp", "serve"], env=env)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()

            async def through_serve() -> None:
                result = await session.call_tool("memory_recall", {"query": "bench word", "limit": 3})
                assert not result.isError, result

            await timed(direct, 5)
            await timed(through_serve, 5)
            return await timed(through_serve, count), await timed(direct, count)


def figures(name: str, ours: list[float], base: list[float]) -> list[dict[str, Any]]:
    (om, o95), (bm, b95) = summary(ours), summary(base)
    return [
        {"name": f"{name}_median_ms", "value": round(om, 3), "baseline": round(bm, 3), "unit": "ms"},
        {"name": f"{name}_p95_ms", "value": round(o95, 3), "baseline": round(b95, 3), "unit": "ms"},
        {"name": f"{name}_added_median_ms", "value": round(om - bm, 3), "baseline": None, "unit": "ms"},
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mcp", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (seconds), for checks, not for figures")
    parser.add_argument("--results-dir", default=None)
    parser.add_argument("--no-recall", action="store_true", help="skip the mcp serve recall comparison")
    args = parser.parse_args(argv)
    blocks, per_block, recalls = (3, 20, 10) if args.quick else (10, 100, 50)
    with tempfile.TemporaryDirectory(prefix="albm", dir="/tmp") as tmp:
        process, address, token = start_daemon(
            tmp, {"AURALINK_MCP_STDIO_COMMANDS": TIME_SERVER, "AURALINK_WARM_MODELS_ON_START": "false"}
        )
        try:
            ours, direct, pings = asyncio.run(tool_calls(address, token, blocks, per_block))
            results = figures("call_tool", ours, direct)
            added = summary(ours)[0] - summary(direct)[0]
            floor = summary(pings)[0]
            results += [
                {"name": "ping_median_ms", "value": round(floor, 3), "baseline": None, "unit": "ms"},
                {"name": "call_tool_added_beyond_ping_median_ms", "value": round(added - floor, 3), "baseline": None,
                 "unit": "ms"},
            ]  # fmt: skip
            if not args.no_recall:
                served, recalled = asyncio.run(recall_calls(address, token, recalls))
                results += figures("serve_recall", served, recalled)
        finally:
            stop_daemon(process)
    added = next(f["value"] for f in results if f["name"] == "call_tool_added_median_ms")
    meta = {
        "load_average": list(os.getloadavg()),
        "quick": args.quick, "calls_per_side": len(ours), "target_added_median_ms": TARGET_ADDED_MS,
        "tool": "mcp-server-time get_current_time over stdio",
    }  # fmt: skip
    path = write_results(AREA, results, meta, args.results_dir)
    print(f"{'figure':34} {'ours':>10} {'baseline':>10}")
    for f in results:
        baseline = "" if f["baseline"] is None else f"{f['baseline']:10.3f}"
        print(f"{f['name']:34} {f['value']:10.3f} {baseline:>10}")
    verdict = "meets" if added <= TARGET_ADDED_MS else "misses"
    print(f"CallTool adds {added:.3f} ms at the median ({verdict} the {TARGET_ADDED_MS:g} ms target); wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
