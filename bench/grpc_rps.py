"""Ping throughput and latency through the daemon's guard, against a bare grpc.aio server in the same run.

Both servers run as their own processes (a real `auralinkd serve`, and this module with `--serve-bare`); the load
is asyncio tasks on grpc.aio channels in this process. The target: ours/bare >= 0.7 in every cell, i.e. the guard
(auth, permission, request id, error boundary) costs at most 30% of the calls per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import grpc
from google.protobuf import timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from auralink.v1 import system_pb2, system_pb2_grpc
from auralinkd.api.server import server_options
from auralinkd.config import Settings
from bench.common import free_tcp_port, start_daemon, stop_daemon, wait_serving, write_results

AREA = "grpc_rps"
TARGET_RATIO = 0.7
CONCURRENCY = (1, 16, 64)
TRANSPORTS = ("unix", "tcp")
PAYLOAD = b"auralink-bench-ping-0123456789ab"  # 32 bytes
CALL_TIMEOUT_S = 10.0
MAX_CALLS_PER_CELL = 2_000_000  # a bound on memory for the latency samples; far above what 2 cores reach


@dataclass(frozen=True)
class Plan:
    duration_s: float
    warmup_s: float
    rounds: int
    callers_per_channel: int  # 0: every caller shares one channel

    def channels_for(self, concurrency: int) -> int:
        if self.callers_per_channel <= 0:
            return 1
        return max(1, -(-concurrency // self.callers_per_channel))


@dataclass(frozen=True)
class Window:
    """One measured window: calls completed, wall time, and the server process's CPU time (None: unreadable)."""

    calls: int
    elapsed_s: float
    server_cpu_s: float | None


@dataclass
class Sample:
    """One server, transport and concurrency over all rounds: a window per round and every call's latency (ns).

    Throughput and CPU per call are medians over the rounds, so one window slowed by other load on the
    machine does not decide the cell; latencies are pooled.
    """

    windows: list[Window] = field(default_factory=list)
    latencies_ns: list[int] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(w.calls for w in self.windows)

    @property
    def rps(self) -> float:
        return statistics.median(_rps(w) for w in self.windows) if self.windows else 0.0

    @property
    def cpu_us_per_call(self) -> float | None:
        per_call = [_cpu_us(w) for w in self.windows]
        return statistics.median(c for c in per_call if c is not None) if per_call and None not in per_call else None

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_ns)
        if not ordered:
            return 0.0
        rank = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[rank] / 1e6


# -- the bare server (a separate process, like the daemon) -------------------------------------------


class BarePingServicer(system_pb2_grpc.SystemServiceServicer):
    """The daemon's Ping without the guard: echo the payload with the server time."""

    async def Ping(self, request: system_pb2.PingRequest, context: grpc.aio.ServicerContext) -> system_pb2.PingResponse:
        now = timestamp_pb2.Timestamp()
        now.GetCurrentTime()
        return system_pb2.PingResponse(payload=request.payload, server_time=now)


async def serve_bare(unix_path: str, tcp_address: str) -> None:
    """No interceptors; the daemon's channel options; health so the same readiness check works; stops on SIGTERM."""
    defaults = SimpleNamespace(max_message_bytes=Settings.model_fields["max_message_bytes"].default)
    server = grpc.aio.server(options=server_options(cast(Settings, defaults)))
    system_pb2_grpc.add_SystemServiceServicer_to_server(BarePingServicer(), server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    server.add_insecure_port(f"unix://{unix_path}")
    if server.add_insecure_port(tcp_address) == 0:
        raise OSError(f"cannot listen on {tcp_address}")
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(1.0)


def start_bare(tmpdir: Path, tcp_port: int) -> tuple[subprocess.Popen[bytes], str]:
    unix_path = tmpdir / "bare.sock"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.grpc_rps", "--serve-bare", str(unix_path), f"127.0.0.1:{tcp_port}"],
        stdin=subprocess.DEVNULL,
    )
    address = f"unix://{unix_path}"
    try:
        wait_serving(address, 30.0, process)
    except BaseException:
        stop_daemon(process)
        raise
    return process, address


# -- the load -------------------------------------------------------------------------------------------


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of `pid` so far (all its threads), from /proc; None where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the fields after the command name; utime and stime are 14 and 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(
    stubs: Sequence[system_pb2_grpc.SystemServiceStub],
    metadata: tuple[tuple[str, str], ...],
    concurrency: int,
    duration_s: float,
    sample: Sample | None,
    server_pid: int,
) -> None:
    """`concurrency` callers, round-robin over the stubs, each calling Ping back to back until the deadline."""
    request = system_pb2.PingRequest(payload=PAYLOAD)
    deadline = time.perf_counter() + duration_s
    latencies: list[int] = sample.latencies_ns if sample is not None else []

    async def caller(stub: system_pb2_grpc.SystemServiceStub) -> int:
        done = 0
        clock = time.perf_counter_ns
        while time.perf_counter() < deadline and len(latencies) < MAX_CALLS_PER_CELL:
            started = clock()
            await stub.Ping(request, metadata=metadata, timeout=CALL_TIMEOUT_S)
            latencies.append(clock() - started)
            done += 1
        return done

    began, cpu_before = time.perf_counter(), process_cpu_s(server_pid)
    counts = await asyncio.gather(*(caller(stubs[i % len(stubs)]) for i in range(concurrency)))
    elapsed, cpu_after = time.perf_counter() - began, process_cpu_s(server_pid)
    if sample is not None:
        cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        sample.windows.append(Window(sum(counts), elapsed, cpu))


@dataclass(frozen=True)
class Target:
    address: str
    token: str
    pid: int  # the server process, whose CPU time the measured window is charged


async def measure_cell(pair: dict[str, Target], concurrency: int, plan: Plan) -> dict[str, Sample]:
    """One cell for every server in `pair`: warm each up, then alternate their windows back to back.

    Adjacent windows see the same load from the rest of the machine, so their ratio is steadier than either
    figure. Separate channels get separate connections (no shared subchannel pool).
    """
    options = [("grpc.use_local_subchannel_pool", 1)]
    channels = {
        server: [grpc.aio.insecure_channel(t.address, options=options) for _ in range(plan.channels_for(concurrency))]
        for server, t in pair.items()
    }
    try:
        stubs = {server: [system_pb2_grpc.SystemServiceStub(c) for c in chans] for server, chans in channels.items()}
        metadata = {server: (("authorization", f"Bearer {t.token}"),) for server, t in pair.items()}
        for server, target in pair.items():
            await _drive(stubs[server], metadata[server], concurrency, plan.warmup_s, None, target.pid)
        samples = {server: Sample() for server in pair}
        servers = list(pair)
        for round_no in range(plan.rounds):
            for server in servers if round_no % 2 == 0 else reversed(servers):
                target = pair[server]
                await _drive(stubs[server], metadata[server], concurrency, plan.duration_s, samples[server], target.pid)
        return samples
    finally:
        for chans in channels.values():
            for channel in chans:
                await channel.close()


async def run_matrix(targets: dict[str, dict[str, Target]], plan: Plan) -> dict[tuple[str, str, int], Sample]:
    """targets[server][transport] -> samples[(server, transport, concurrency)]."""
    samples: dict[tuple[str, str, int], Sample] = {}
    for transport in TRANSPORTS:
        for concurrency in CONCURRENCY:
            pair = {server: by_transport[transport] for server, by_transport in targets.items()}
            for server, sample in (await measure_cell(pair, concurrency, plan)).items():
                samples[(server, transport, concurrency)] = sample
    return samples


def paired_ratio(ours: Sample, bare: Sample, figure: Callable[[Window], float | None]) -> float | None:
    """Median over rounds of ours/bare for windows measured back to back."""
    ratios = []
    for mine, theirs in zip(ours.windows, bare.windows, strict=True):
        a, b = figure(mine), figure(theirs)
        if a is None or b is None or not b:
            return None
        ratios.append(a / b)
    return statistics.median(ratios) if ratios else None


def _rps(window: Window) -> float:
    return window.calls / window.elapsed_s if window.elapsed_s else 0.0


def _cpu_us(window: Window) -> float | None:
    return window.server_cpu_s / window.calls * 1e6 if window.server_cpu_s is not None and window.calls else None


# -- report ---------------------------------------------------------------------------------------------


def figures_for(samples: dict[tuple[str, str, int], Sample]) -> list[dict[str, Any]]:
    """Per cell: calls/s (the target), p50 and p99 latency, and server CPU per call (higher is worse for those)."""
    figures: list[dict[str, Any]] = []
    for transport in TRANSPORTS:
        for concurrency in CONCURRENCY:
            ours, bare = samples[("ours", transport, concurrency)], samples[("bare", transport, concurrency)]
            cell = {"transport": transport, "concurrency": concurrency}
            ratio = paired_ratio(ours, bare, _rps) or 0.0
            figures.append(
                {
                    "name": f"ping_rps/{transport}/c{concurrency}",
                    **cell,
                    "unit": "calls/s",
                    "value": round(ours.rps, 1),
                    "baseline": round(bare.rps, 1),
                    "ratio": round(ratio, 3),
                    "target_ratio": TARGET_RATIO,
                    "pass": ratio >= TARGET_RATIO,
                    "calls": ours.calls,
                    "baseline_calls": bare.calls,
                }
            )
            lower_is_better = [(f"ping_p{q}_ms", "ms", ours.percentile_ms(q), bare.percentile_ms(q)) for q in (50, 99)]
            cpu_ratio = paired_ratio(ours, bare, _cpu_us)
            if ours.cpu_us_per_call is not None and bare.cpu_us_per_call is not None and cpu_ratio is not None:
                lower_is_better.append(("server_cpu_us_per_call", "us", ours.cpu_us_per_call, bare.cpu_us_per_call))
            for name, unit, value, baseline in lower_is_better:
                ratio_of = cpu_ratio if name == "server_cpu_us_per_call" else (value / baseline if baseline else None)
                figures.append(
                    {
                        "name": f"{name}/{transport}/c{concurrency}",
                        **cell,
                        "unit": unit,
                        "value": round(value, 3),
                        "baseline": round(baseline, 3),
                        "ratio": round(ratio_of, 3) if ratio_of is not None else None,
                    }
                )
    return figures


def print_table(figures: list[dict[str, Any]], plan: Plan) -> None:
    by_name = {f["name"]: f for f in figures}
    header = (
        f"{'transport':<9} {'conc':>4} {'ours rps':>9} {'bare rps':>9} {'ratio':>6}  {'':<4} "
        f"{'ours p50/p99 ms':>16} {'bare p50/p99 ms':>16} {'CPU us/call ours/bare':>22}"
    )
    print(header)
    print("-" * len(header))
    for transport in TRANSPORTS:
        for concurrency in CONCURRENCY:
            key = f"{transport}/c{concurrency}"
            rps, p50, p99 = by_name[f"ping_rps/{key}"], by_name[f"ping_p50_ms/{key}"], by_name[f"ping_p99_ms/{key}"]
            cpu = by_name.get(f"server_cpu_us_per_call/{key}")
            verdict = "PASS" if rps["pass"] else "FAIL"
            ours_lat = f"{p50['value']:.2f}/{p99['value']:.2f}"
            bare_lat = f"{p50['baseline']:.2f}/{p99['baseline']:.2f}"
            cpu_cell = f"{cpu['value']:.0f}/{cpu['baseline']:.0f}" if cpu else "n/a"
            print(
                f"{transport:<9} {concurrency:>4} {rps['value']:>9.0f} {rps['baseline']:>9.0f} "
                f"{rps['ratio']:>6.2f}  {verdict:<4} {ours_lat:>16} {bare_lat:>16} {cpu_cell:>22}"
            )
    print(
        f"\ntarget: ours/bare calls/s >= {TARGET_RATIO} per cell (a miss is reported, not an error). "
        f"Each cell: {plan.warmup_s:g} s warm-up, then {plan.rounds} windows of {plan.duration_s:g} s per server, "
        "ours and bare back to back;\nfigures are medians over the windows, ratios the median of the paired "
        "windows' ratios; "
        f"{_channel_words(plan)}.\n"
        f"note: client, daemon and bare server share this machine's {os.cpu_count()} cores and the load generator "
        "is Python grpc.aio too,\nso calls/s are bounded by the client as much as the server and move with other "
        "load on the machine;\nserver CPU us/call (from /proc, charged to each server process) is the steadier "
        "measure of what the guard costs."
    )


def _channel_words(plan: Plan) -> str:
    if plan.callers_per_channel <= 0:
        return "all callers on one grpc.aio channel"
    return f"one grpc.aio channel (own connection) per {plan.callers_per_channel} callers"


# -- entry point ----------------------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench grpc_rps", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 s per cell in 4 rounds: under a minute in all")
    parser.add_argument("--duration", type=float, help="seconds measured per cell, over all rounds (3; quick 1)")
    parser.add_argument("--rounds", type=int, help="windows each cell's time is split into, interleaved (10; quick 4)")
    parser.add_argument(
        "--callers-per-channel", type=int, default=0, help="open one channel per N callers (default 0: one channel)"
    )
    parser.add_argument("--results-dir", help="where to write grpc_rps.json (default bench/results)")
    parser.add_argument(
        "--daemon-env", action="append", default=[], metavar="NAME=VALUE",
        help="an extra variable for the daemon, e.g. AURALINK_HTTP_ADDRESS=127.0.0.1:9464 to measure with metrics on",
    )  # fmt: skip
    parser.add_argument("--serve-bare", nargs=2, metavar=("UNIX_PATH", "TCP_ADDRESS"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _parse(argv)
    if args.serve_bare:
        asyncio.run(serve_bare(*args.serve_bare))
        return 0
    total_s = min(args.duration or (1.0 if args.quick else 3.0), 60.0)
    rounds = max(1, min(args.rounds or (4 if args.quick else 10), 50))
    plan = Plan(
        duration_s=total_s / rounds,
        warmup_s=min(0.5, total_s / 5),
        rounds=rounds,
        callers_per_channel=max(0, args.callers_per_channel),
    )
    load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="auralink-bench-") as tmp:
        tmpdir = Path(tmp)
        ours_port, bare_port = free_tcp_port(), free_tcp_port()
        started = time.monotonic()
        extra = dict(item.split("=", 1) for item in args.daemon_env)
        daemon, ours_unix, token = start_daemon(tmpdir, {"AURALINK_TCP_ADDRESS": f"127.0.0.1:{ours_port}", **extra})
        try:
            bare, bare_unix = start_bare(tmpdir, bare_port)
            try:
                print(f"servers ready in {time.monotonic() - started:.1f} s; measuring Ping", flush=True)
                targets = {
                    "ours": {
                        "unix": Target(ours_unix, token, daemon.pid),
                        "tcp": Target(f"127.0.0.1:{ours_port}", token, daemon.pid),
                    },
                    "bare": {
                        "unix": Target(bare_unix, token, bare.pid),
                        "tcp": Target(f"127.0.0.1:{bare_port}", token, bare.pid),
                    },
                }
                samples = asyncio.run(run_matrix(targets, plan))
            finally:
                stop_daemon(bare)
        finally:
            stop_daemon(daemon)
    figures = figures_for(samples)
    print_table(figures, plan)
    meta = {
        "rpc": "auralink.v1.SystemService/Ping",
        "payload_bytes": len(PAYLOAD),
        "quick": args.quick,
        "window_s": plan.duration_s,
        "warmup_s": plan.warmup_s,
        "rounds": plan.rounds,
        "statistic": (
            "value/baseline: calls/s and server CPU per call are medians over the windows, latency percentiles pool "
            "all calls; ratio of calls/s and CPU: median over rounds of ours/bare for windows run back to back"
        ),
        "daemon_env": sorted(args.daemon_env),
        "callers_per_channel": plan.callers_per_channel,
        "channels": _channel_words(plan),
        "baseline": "bare grpc.aio server, no interceptors, same Ping and channel options, own process",
        "target_ratio": TARGET_RATIO,
        "note": f"client, daemon and bare server share {os.cpu_count()} cores; the client is Python grpc.aio",
        "load_average_1m": {"start": load_at_start, "end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
    }
    path = write_results(AREA, figures, meta, args.results_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
