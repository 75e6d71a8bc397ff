"""`python -m bench load`: a mixed load from many callers against one daemon (issue #17 item 6).

64 callers for 60 s by default, each looping over a weighted mix of Ping, GetStatus, StoreMemory,
RecallMemories and ListUsers on its own admin-authenticated stub. Reports errors by status code, p50
and p99 per method (baseline: Ping's p50 in the same run) and the daemon's RSS before and after (baseline:
the RSS after a warm-up phase, so the figure is growth under load, not start-up). Targets: 0 errors and
RSS growth under 5%. `--quick`: 8 callers for 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import grpc

from auralink.v1 import (
    access_pb2,
    access_pb2_grpc,
    memory_pb2,
    memory_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
)
from bench.common import start_daemon, stop_daemon, write_results

MIX = {"Ping": 3, "GetStatus": 2, "StoreMemory": 2, "RecallMemories": 2, "ListUsers": 1}
WORDS = "river mountain signal packet memory agent voice route latency cache budget token orbit garden".split()
CALL_TIMEOUT_S = 30.0


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))


class _Callers:
    def __init__(self, address: str, token: str) -> None:
        self.channel = grpc.aio.insecure_channel(address)
        self.metadata = (("authorization", f"Bearer {token}"),)
        self.system = system_pb2_grpc.SystemServiceStub(self.channel)
        self.memory = memory_pb2_grpc.MemoryServiceStub(self.channel)
        self.users = access_pb2_grpc.UserServiceStub(self.channel)
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.codes: dict[str, Counter[str]] = defaultdict(Counter)

    def request(self, method: str, rng: random.Random, serial: int) -> Any:
        if method == "Ping":
            return self.system.Ping(
                system_pb2.PingRequest(payload=b"x" * 32), metadata=self.metadata, timeout=CALL_TIMEOUT_S
            )
        if method == "GetStatus":
            return self.system.GetStatus(system_pb2.GetStatusRequest(), metadata=self.metadata, timeout=CALL_TIMEOUT_S)
        if method == "StoreMemory":
            memory = memory_pb2.MemoryInput(content=f"{_sentence(rng)} #{serial}", tags=[rng.choice(WORDS)])
            request = memory_pb2.StoreMemoryRequest(memory=memory)
            return self.memory.StoreMemory(request, metadata=self.metadata, timeout=CALL_TIMEOUT_S)
        if method == "RecallMemories":
            request = memory_pb2.RecallMemoriesRequest(query=_sentence(rng), limit=5)
            return self.memory.RecallMemories(request, metadata=self.metadata, timeout=CALL_TIMEOUT_S)
        return self.users.ListUsers(
            access_pb2.ListUsersRequest(page_size=20), metadata=self.metadata, timeout=CALL_TIMEOUT_S
        )

    async def caller(self, index: int, until: float, record: bool) -> None:
        rng = random.Random(index)
        names, weights = list(MIX), list(MIX.values())
        serial = 0
        while time.monotonic() < until:
            method = rng.choices(names, weights)[0]
            serial += 1
            started = time.perf_counter()
            try:
                await self.request(method, rng, index * 1_000_000 + serial)
                code = "OK"
            except grpc.aio.AioRpcError as exc:
                code = exc.code().name
            if record:
                self.latencies[method].append(time.perf_counter() - started)
                self.codes[method][code] += 1

    async def run(self, callers: int, seconds: float, record: bool) -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(*(self.caller(i, until, record) for i in range(callers)))


def _quantile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


async def _measure(address: str, token: str, pid: int, callers: int, seconds: float, warmup: float) -> dict[str, Any]:
    load = _Callers(address, token)
    await load.run(min(callers, 8), warmup, record=False)  # model, caches and pools warm before the baseline
    rss_before = rss_bytes(pid)
    started = time.monotonic()
    await load.run(callers, seconds, record=True)
    elapsed = time.monotonic() - started
    await asyncio.sleep(1.0)
    rss_after = rss_bytes(pid)
    await load.channel.close()
    return {"load": load, "rss_before": rss_before, "rss_after": rss_after, "elapsed": elapsed}


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="8 callers for 10 s")
    parser.add_argument("--callers", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load before the RSS baseline")
    parser.add_argument("--results-dir", default=None)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    callers, seconds, warmup = (8, 10.0, 5.0) if args.quick else (args.callers, args.seconds, args.warmup)
    tmp = Path(tempfile.mkdtemp(prefix="alld", dir="/tmp"))
    process, address, token = start_daemon(tmp)
    try:
        result = asyncio.run(_measure(address, token, process.pid, callers, seconds, warmup))
    finally:
        stop_daemon(process)
        shutil.rmtree(tmp, ignore_errors=True)
    load: _Callers = result["load"]
    ping_p50 = _quantile(load.latencies["Ping"], 0.5) or 1e-9
    calls = sum(sum(c.values()) for c in load.codes.values())
    errors = Counter[str]()
    print(f"{callers} callers, {seconds:g} s: {calls} calls ({calls / result['elapsed']:.0f}/s)")
    print(f"{'method':16s} {'calls':>7s} {'p50 ms':>8s} {'p99 ms':>8s}  codes")
    figures: list[dict[str, Any]] = []
    for method in MIX:
        values = load.latencies[method]
        p50, p99 = _quantile(values, 0.5), _quantile(values, 0.99)
        codes = load.codes[method]
        errors.update({k: v for k, v in codes.items() if k != "OK"})
        print(f"{method:16s} {len(values):7d} {p50 * 1e3:8.2f} {p99 * 1e3:8.2f}  {dict(codes)}")
        figures += [
            {"name": f"p50_ms/{method}", "value": p50 * 1e3, "baseline": ping_p50 * 1e3},
            {"name": f"p99_ms/{method}", "value": p99 * 1e3, "baseline": ping_p50 * 1e3},
        ]
    before, after = result["rss_before"], result["rss_after"]
    growth = (after - before) / before if before else 0.0
    print(f"errors by code: {dict(errors) or 'none'}")
    print(f"daemon RSS: {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB ({growth:+.1%})")
    figures += [
        {"name": "errors", "value": sum(errors.values()), "baseline": calls, "pass": not errors},
        {"name": "rss_bytes", "value": after, "baseline": before, "pass": growth < 0.05},
    ]
    write_results(
        "load",
        figures,
        meta={"callers": callers, "seconds": seconds, "warmup_s": warmup, "errors_by_code": dict(errors),
              "rss_growth": growth, "mix": MIX},
        directory=args.results_dir,
    )  # fmt: skip
    return 0 if not errors and growth < 0.05 else 1
