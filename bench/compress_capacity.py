"""Capacity: concurrent real-time audio streams through CompressStream with frame round-trip p99 < 20 ms.

    python -m bench compress_capacity [--quick] [--pin] [--inprocess] [--offload auto|inline|thread|compare]

Each stream sends a 20 ms, 16 kHz mono speech frame every 20 ms (50/s) on its own CompressStream
(ADAPTIVE, Opus) and times each frame from send to response. The stream count doubles from 1 until
a trial fails (p99 >= 20 ms, a frame lost, or the sender itself more than 1 % late), then is
bisected; a failed level is tried once more before it counts, since one hiccup of another process
on a shared machine can fail a trial. The first 0.5 s of each trial (stream set-up) is not counted.

The physical anchor, measured in the same run: plain Opus encode cost per 20 ms frame (OpusCodec:
libopus through ctypes, as the daemon encodes; the PyAV/FFmpeg encode is recorded beside it)
-> streams one core could encode (20 ms / cost), times the cores. Ours against it is the ratio.
A second view that noise hurts less: the daemon's CPU time per frame (from /proc, over the trials
that passed) against the anchor's encode cost -- the per-frame overhead of gRPC, auth and the
service around the codec. And the gRPC floor: the CPU per frame of an echo CompressStream (grpc.aio,
no codec, no service) in a child process, at a fixed 8 streams, and of an echo CompressBatchStream at
64; encode + floor is the least a frame can cost the server, so the floor bounds capacity too (the
"ceiling" figures: the server's cores x 20 ms / (anchor + floor), against the anchor).

The load generator is this process: one asyncio loop (grpc.aio), outside the daemon, so it does not
share the daemon's GIL; it does share the machine's CPUs, and its CPU per frame is recorded per trial
beside the daemon's (their sum is the machine's CPU per frame). --pin separates the two: the server
(and everything it starts) runs on the first CPU this process may use, the load generator on the
others, and the anchor is the server's cores only.
By default it measures a real `auralinkd serve` over its unix socket. --inprocess serves the bare
servicer in a child process instead (no auth, no guard), which is also how --offload compares running
the codecs inline on the event loop against asyncio.to_thread.
Writes bench/results/compress_capacity.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import numpy as np

from auralink.v1 import compression_pb2 as pb
from auralink.v1 import compression_pb2_grpc
from auralinkd.compression.benchmark.corpus import speech
from bench.common import start_daemon, stop_daemon, write_results

FRAME_MS = 20
BUDGET_MS = 20.0
RATE = 16000
SAMPLES = RATE * FRAME_MS // 1000
WARMUP_S = 0.5
ECHO_STREAMS = 8
ECHO_BATCH_STREAMS = 64
LATE_SHARE = 0.01


def anchor_ms_per_frame(signal: np.ndarray, frames: int = 1500) -> tuple[float, float]:
    """Plain Opus (OpusCodec: libopus, VoIP, 16 kbps) encode cost per 20 ms frame, median of 3 passes:
    (CPU ms, wall ms). The anchor is the CPU time: on a shared machine the wall time also counts
    the time the scheduler gave to other processes, which is not what one core can encode."""
    from auralinkd.compression.codecs.base import CodecSettings
    from auralinkd.compression.codecs.opus import OpusCodec
    from auralinkd.compression.formats import AudioFormat

    chunks = [signal[i : i + SAMPLES].tobytes() for i in range(0, len(signal) - SAMPLES + 1, SAMPLES)]
    cpu, wall = [], []
    for _ in range(3):
        codec = OpusCodec(AudioFormat(RATE, 1, FRAME_MS), CodecSettings(bitrate_bps=16000))
        codec.configure(CodecSettings(bitrate_bps=16000))
        c0, t0 = time.thread_time(), time.perf_counter()
        for i in range(frames):
            codec.encode(chunks[i % len(chunks)])
        cpu.append((time.thread_time() - c0) * 1000 / frames)
        wall.append((time.perf_counter() - t0) * 1000 / frames)
    return statistics.median(cpu), statistics.median(wall)


def pyav_ms_per_frame(signal: np.ndarray, frames: int = 1500) -> float:
    """The same encode through PyAV's FFmpeg wrapper (what the daemon used before it called libopus
    directly), CPU ms per frame: for comparing with runs measured against that anchor."""
    from fractions import Fraction

    import av

    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate, enc.layout, enc.format, enc.bit_rate = RATE, "mono", "s16", 16000
    enc.time_base = Fraction(1, RATE)
    enc.options = {"application": "voip", "frame_duration": str(FRAME_MS), "vbr": "on"}
    enc.open()
    chunks = [signal[i : i + SAMPLES].reshape(1, -1) for i in range(0, len(signal) - SAMPLES + 1, SAMPLES)]
    c0 = time.thread_time()
    for i in range(frames):
        f = av.AudioFrame.from_ndarray(chunks[i % len(chunks)], format="s16", layout="mono")
        f.sample_rate, f.pts = RATE, i * SAMPLES
        enc.encode(f)
    return (time.thread_time() - c0) * 1000 / frames


@contextlib.contextmanager
def spawning_on(cpus: set[int]) -> Iterator[None]:
    """Processes started inside run on `cpus` (a child inherits its parent thread's affinity, and so do the
    threads and processes it starts); this thread's own affinity is put back after."""
    own = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, own)


def pin_own_threads(cpus: set[int]) -> None:
    """Every thread of this process (gRPC's included) on `cpus`; threads started later inherit it."""
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(tid), cpus)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def paced(n: int, t_first: float, lag: list, frames_per_step: int = 1) -> Any:
    """Sequence numbers 0..n-1 at real time, one per frame interval; when the sender itself falls behind,
    how late (ms) goes to `lag`, once per frame of that step."""
    for seq in range(n):
        delay = t_first + seq * FRAME_MS / 1000 - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lag.extend([-delay * 1000] * frames_per_step)
        yield seq


SHED_RETRIES = 5


async def start_session(stub: Any, request: Any, md: Any) -> str:
    """StartSession, waiting out the daemon's load shedding (RESOURCE_EXHAUSTED for about 2 s after it
    saw overload, e.g. the previous trial's) rather than failing the trial on it."""
    for attempt in range(SHED_RETRIES):
        try:
            return (await stub.StartSession(request, metadata=md)).session_id
        except grpc.aio.AioRpcError as exc:
            if exc.code() is not grpc.StatusCode.RESOURCE_EXHAUSTED or attempt == SHED_RETRIES - 1:
                raise
            await asyncio.sleep(2.1)
    raise AssertionError("unreachable")


async def one_stream(
    stub: Any, md: Any, frames: list[bytes], n: int, start_at: float, count_from: float, out: list[float], lag: list
) -> int:
    """One real-time stream; appends counted round trips to `out`; returns the responses received."""
    fmt = pb.StreamFormat(audio=pb.AudioFormat(sample_rate=RATE, channels=1))
    fmt.audio.frame_duration.FromMilliseconds(FRAME_MS)
    sid = await start_session(
        stub,
        pb.StartSessionRequest(
            frame_type=pb.FRAME_TYPE_AUDIO, format=fmt, config=pb.CompressionConfig(mode=pb.COMPRESSION_MODE_ADAPTIVE)
        ),
        md,
    )
    sent_at: dict[int, float] = {}
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    t_first = time.perf_counter()

    async def requests():  # type: ignore[no-untyped-def]
        async for seq in paced(n, t_first, lag):
            sent_at[seq] = time.perf_counter()
            yield pb.CompressFrameRequest(session_id=sid, sequence=seq, payload=frames[seq % len(frames)])

    received = 0
    async for response in stub.CompressStream(requests(), metadata=md):
        sent = sent_at.pop(response.sequence)
        received += 1 if not response.HasField("error") else 0
        if sent >= count_from:
            out.append((time.perf_counter() - sent) * 1000)
    await stub.EndSession(pb.EndSessionRequest(session_id=sid), metadata=md)
    return received


async def batch_streams(
    stub: Any,
    md: Any,
    frames: list[bytes],
    streams: int,
    n: int,
    start_at: float,
    count_from: float,
    out: list[float],
    lag: list,
) -> int:
    """`streams` real-time streams carried as a media server would: one CompressBatchStream message per
    20 ms tick with a frame of every session. Each frame's round trip is its tick's."""
    fmt = pb.StreamFormat(audio=pb.AudioFormat(sample_rate=RATE, channels=1))
    fmt.audio.frame_duration.FromMilliseconds(FRAME_MS)
    request = pb.StartSessionRequest(
        frame_type=pb.FRAME_TYPE_AUDIO, format=fmt, config=pb.CompressionConfig(mode=pb.COMPRESSION_MODE_ADAPTIVE)
    )
    sids = [await start_session(stub, request, md) for _ in range(streams)]
    sent_at: dict[int, float] = {}
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    t_first = time.perf_counter()

    async def ticks():  # type: ignore[no-untyped-def]
        async for seq in paced(n, t_first, lag, frames_per_step=streams):
            payload = frames[seq % len(frames)]
            sent_at[seq] = time.perf_counter()
            yield pb.CompressBatchRequest(
                frames=[pb.CompressFrameRequest(session_id=sid, sequence=seq, payload=payload) for sid in sids]
            )

    received = 0
    async for response in stub.CompressBatchStream(ticks(), metadata=md):
        seq = response.frames[0].sequence
        sent = sent_at.pop(seq)
        received += sum(1 for f in response.frames if not f.HasField("error"))
        if sent >= count_from:
            out.extend([(time.perf_counter() - sent) * 1000] * len(response.frames))
    for sid in sids:
        await stub.EndSession(pb.EndSessionRequest(session_id=sid), metadata=md)
    return received


async def trial(
    address: str, md: Any, streams: int, seconds: float, frames: list[bytes], daemon_pid: int, batch: bool = False
) -> dict[str, Any]:
    n = int(seconds * 1000 / FRAME_MS)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = compression_pb2_grpc.AICCompressionServiceStub(channel)
        out: list[float] = []
        lag: list[float] = []
        start_at = time.perf_counter() + 0.3 + streams * 0.002  # every stream's StartSession is done by then
        cpu0, own0, wall0 = cpu_seconds(daemon_pid), time.process_time(), time.perf_counter()
        if batch:
            received = [await batch_streams(stub, md, frames, streams, n, start_at, start_at + WARMUP_S, out, lag)]
        else:  # streams start spread over one frame interval, as independent calls would
            received = await asyncio.gather(
                *(
                    one_stream(
                        stub, md, frames, n, start_at + i * FRAME_MS / 1000 / streams, start_at + WARMUP_S, out, lag
                    )
                    for i in range(streams)
                )
            )
        cpu1, own1, wall1 = cpu_seconds(daemon_pid), time.process_time(), time.perf_counter()
    expected = streams * n
    return {
        "streams": streams,
        "frames": sum(received),
        "expected_frames": expected,
        "counted_frames": len(out),
        "p50_ms": round(float(np.percentile(out, 50)), 3) if out else None,
        "p99_ms": round(float(np.percentile(out, 99)), 3) if out else None,
        "max_ms": round(float(np.max(out)), 3) if out else None,
        "sender_late_frames": sum(1 for x in lag if x > FRAME_MS),
        "daemon_cpu_ms_per_frame": round((cpu1 - cpu0) * 1000 / max(1, sum(received)), 4),
        "daemon_cpu_share": round((cpu1 - cpu0) / (wall1 - wall0), 3),
        "loadgen_cpu_share": round((own1 - own0) / (wall1 - wall0), 3),
        "loadgen_cpu_ms_per_frame": round((own1 - own0) * 1000 / max(1, sum(received)), 4),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def ok(result: dict[str, Any]) -> bool:
    return (
        result["p99_ms"] is not None
        and result["p99_ms"] < BUDGET_MS
        and result["frames"] == result["expected_frames"]
        and result["sender_late_frames"] <= result["expected_frames"] * LATE_SHARE
    )


async def find_capacity(
    address: str, md: Any, seconds: float, frames: list[bytes], limit: int, pid: int, batch: bool = False
) -> tuple[int, list[dict[str, Any]]]:
    trials: list[dict[str, Any]] = []

    async def passes(n: int) -> bool:
        for attempt in (1, 2):  # a failed level is tried once more: one hiccup is not a capacity
            r = await trial(address, md, n, seconds, frames, pid, batch)
            r["attempt"] = attempt
            r["ok"] = ok(r)
            trials.append(r)
            print(
                f"  {n:4d} streams: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, frames {r['frames']}/"
                f"{r['expected_frames']}, late {r['sender_late_frames']}, daemon cpu {r['daemon_cpu_share']}, "
                f"loadgen cpu {r['loadgen_cpu_share']}, load {r['load_average_1m']} -> ok={r['ok']}",
                file=sys.stderr,
                flush=True,
            )
            if r["ok"]:
                return True
        return False

    good, bad, n = 0, None, 1
    while n <= limit:
        if not await passes(n):
            bad = n
            break
        good, n = n, n * 2
    while bad is not None and bad - good > max(1, good // 10):
        mid = (good + bad) // 2
        good, bad = (mid, bad) if await passes(mid) else (good, mid)
    return good, trials


class EchoServicer(compression_pb2_grpc.AICCompressionServiceServicer):
    """The gRPC floor: CompressStream answers each frame with its own payload, no codec, no service.
    Its CPU per frame is what grpc.aio streaming alone costs on this machine."""

    async def StartSession(self, request: Any, context: Any) -> Any:
        return pb.StartSessionResponse(session_id=uuid.uuid4().hex, codec="echo")

    async def EndSession(self, request: Any, context: Any) -> Any:
        return pb.EndSessionResponse()

    async def CompressStream(self, request_iterator: Any, context: Any) -> Any:
        async for r in request_iterator:
            yield pb.CompressFrameResponse(session_id=r.session_id, sequence=r.sequence, data=r.payload)

    async def CompressBatchStream(self, request_iterator: Any, context: Any) -> Any:
        async for batch in request_iterator:
            yield pb.CompressBatchResponse(
                frames=[
                    pb.CompressFrameResponse(session_id=r.session_id, sequence=r.sequence, data=r.payload)
                    for r in batch.frames
                ]
            )


def serve_forever(offload: str, path: str, profile: str | None = None) -> None:
    """The --inprocess server: the servicer alone (no auth), in its own process so that the load
    generator does not share its event loop or GIL. With `profile`, cProfile's stats of the whole
    serving go there when it is stopped (SIGTERM)."""
    import cProfile
    import signal as signals

    from auralinkd.access.principal import Caller, Principal
    from auralinkd.api import context as call_context
    from auralinkd.api.compression import AICCompressionServicer
    from auralinkd.compression import CalibrationTable, CompressionConfig, CompressionService
    from auralinkd.compression.scheduler import FrameScheduler
    from auralinkd.compression.userconfig import UserConfigs

    async def serve() -> None:
        # The caller the guard would set; the server's tasks inherit this context.
        principal = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"compression:*"}), "bench")
        service = CompressionService(CalibrationTable.load())
        call_context.set_caller(Caller(principal, "bench"))
        servicer = (
            EchoServicer()
            if offload == "echo"
            else AICCompressionServicer(
                service,
                UserConfigs(CompressionConfig()),
                stopping=lambda: False,
                scheduler=FrameScheduler(service, offload=offload),
            )
        )
        server = grpc.aio.server()
        compression_pb2_grpc.add_AICCompressionServiceServicer_to_server(servicer, server)
        server.add_insecure_port(f"unix://{path}")
        await server.start()
        asyncio.get_running_loop().add_signal_handler(signals.SIGTERM, lambda: asyncio.ensure_future(server.stop(0)))
        await server.wait_for_termination()

    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    asyncio.run(serve())
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)


def start_inprocess(offload: str, profile: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    path = os.path.join(tempfile.mkdtemp(prefix="alcap", dir="/tmp"), "s.sock")
    extra = ["--profile", profile] if profile else []
    process = subprocess.Popen([sys.executable, "-m", "bench.compress_capacity", "--serve", offload, path, *extra])
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the in-process compression server did not start")
        time.sleep(0.1)
    return process, f"unix://{path}"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    load_start = [round(x, 2) for x in os.getloadavg()]
    signal = speech.corpus(RATE, speech.HELD_OUT_VOICES[:1], sentences=1)
    frames = [signal[i : i + SAMPLES].tobytes() for i in range(0, len(signal) - SAMPLES + 1, SAMPLES)]
    allowed = sorted(os.sched_getaffinity(0))
    if args.pin and len(allowed) < 2:
        raise SystemExit("--pin needs two CPUs: one for the server, the rest for the load generator")
    server_cpus, client_cpus = ({allowed[0]}, set(allowed[1:])) if args.pin else (set(allowed), set(allowed))
    pin_own_threads(client_cpus)
    cores = len(server_cpus)  # the anchor's cores: those the server may use
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    limit = args.limit or (32 if args.quick else 2048)
    results: dict[str, Any] = {
        "cores": cores,
        "pinned": args.pin,
        "server_cpus": sorted(server_cpus),
        "client_cpus": sorted(client_cpus),
        "load_average_at_start": load_start,
    }
    anchors = [anchor_ms_per_frame(signal, 500 if args.quick else 1500)]
    results["pyav_encode_ms_per_frame"] = round(pyav_ms_per_frame(signal, 500 if args.quick else 1500), 4)
    print(
        f"anchor: plain Opus encode {anchors[0][0]:.3f} ms CPU/frame ({anchors[0][1]:.3f} ms wall) "
        f"-> {20 / anchors[0][0]:.0f} streams/core",
        file=sys.stderr,
    )
    modes = ["auto", "inline", "thread"] if args.offload == "compare" else [args.offload]
    if args.transport in ("batch", "both"):
        modes = ([] if args.transport == "batch" else modes) + ["batch"]
    for key in modes:
        batch = key == "batch"
        offload = "auto" if batch else key
        with spawning_on(server_cpus):
            if args.inprocess or offload != "auto":
                daemon, address = start_inprocess(offload, args.profile)
                token = ""
                where = f"bare servicer process, offload={offload}"
            else:
                tmp = tempfile.mkdtemp(prefix="alcap", dir="/tmp")
                daemon, address, token = start_daemon(tmp)
                where = "auralinkd over its unix socket"
        pin_own_threads(client_cpus)  # gRPC threads the start-up checks made
        if batch:
            where += ", CompressBatchStream (one message per 20 ms tick)"
        md = (("authorization", f"Bearer {token}"),) if token else ()
        print(f"measuring: {where} (load average {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
        try:
            if args.streams:  # one fixed load (profiling), not a capacity search
                r = await trial(address, md, args.streams, seconds, frames, daemon.pid, batch)
                r["ok"] = ok(r)
                print(f"  {args.streams} streams: {r}", file=sys.stderr, flush=True)
                capacity, trials = (args.streams if r["ok"] else 0), [r]
            else:
                capacity, trials = await find_capacity(address, md, seconds, frames, limit, daemon.pid, batch)
        finally:
            stop_daemon(daemon)
        passed = [t for t in trials if t["ok"]]
        best = max(passed, key=lambda t: t["streams"]) if passed else None
        # With --streams the one trial's CPU per frame is what each frame cost, whether or not its p99
        # kept under the budget (on a busy machine other work decides the p99, not the cost).
        costed = best or (trials[-1] if args.streams else None)
        # The marginal CPU of one more frame: the slope of the daemon's CPU share against the frame
        # rate over the trials that kept up; the intercept is its idle background (flushers, sweeps).
        rates = [t["streams"] * 1000 / FRAME_MS for t in passed]
        slope = intercept = None
        if len(set(rates)) >= 2:
            slope_s, intercept = np.polyfit(rates, [t["daemon_cpu_share"] for t in passed], 1)
            slope, intercept = round(float(slope_s) * 1000, 4), round(float(intercept), 3)
        results[key] = {
            "where": where,
            "streams": capacity,
            "p99_ms_at_capacity": best["p99_ms"] if best else None,
            "p50_ms_at_capacity": best["p50_ms"] if best else None,
            # CPU per frame at the busiest passing level (fixed costs amortised the most), or --streams' trial
            "cpu_measured_at_streams": costed["streams"] if costed else None,
            "daemon_cpu_ms_per_frame": costed["daemon_cpu_ms_per_frame"] if costed else None,
            "loadgen_cpu_ms_per_frame": costed["loadgen_cpu_ms_per_frame"] if costed else None,
            "machine_cpu_ms_per_frame": (
                round(costed["daemon_cpu_ms_per_frame"] + costed["loadgen_cpu_ms_per_frame"], 4) if costed else None
            ),
            "daemon_marginal_cpu_ms_per_frame": slope,
            "daemon_idle_cpu_share": intercept,
            "trials": trials,
        }
    if not args.no_echo:
        # The gRPC floor at a load every run passed: CPU per frame of an echo CompressStream, and of an
        # echo CompressBatchStream when the batch transport was measured.
        floors = [("grpc_echo", ECHO_STREAMS, False)]
        if "batch" in modes:
            floors.append(("grpc_echo_batch", ECHO_BATCH_STREAMS, True))
        for name, streams, batch in floors:
            with spawning_on(server_cpus):
                echo, address = start_inprocess("echo")
            pin_own_threads(client_cpus)
            try:
                r = await trial(address, (), streams, seconds, frames, echo.pid, batch)
            finally:
                stop_daemon(echo)
            print(f"  {name} floor at {streams} streams: {r}", file=sys.stderr, flush=True)
            results[name] = r
    # The anchor again after the trials: the machine's load moves, so the figure uses the median.
    anchors += [anchor_ms_per_frame(signal, 500 if args.quick else 1500)]
    results["anchor_ms_per_frame"] = statistics.median(a[0] for a in anchors)
    results["anchor_samples_ms"] = [{"cpu": round(c, 4), "wall": round(w, 4)} for c, w in anchors]
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short trials, at most 32 streams")
    ap.add_argument("--inprocess", action="store_true", help="serve the bare servicer in a child process")
    ap.add_argument("--offload", choices=["auto", "inline", "thread", "compare"], default="auto")
    ap.add_argument(
        "--transport", choices=["stream", "batch", "both"], default="both",
        help="a CompressStream per stream, one CompressBatchStream carrying every stream's tick, or both",
    )  # fmt: skip
    ap.add_argument("--results-dir", help="where to write compress_capacity.json (default bench/results)")
    ap.add_argument("--profile", help="with --inprocess: write the server's cProfile stats to this file")
    ap.add_argument("--streams", type=int, help="one trial at this many streams (its CPU counts even if it fails)")
    ap.add_argument("--seconds", type=float, help="length of each trial (default 2 with --quick, else 5)")
    ap.add_argument("--limit", type=int, help="the most streams the search tries (default 32 with --quick)")
    ap.add_argument("--no-echo", action="store_true", help="skip the gRPC echo floor")
    ap.add_argument(
        "--pin", action="store_true",
        help="server on the first CPU, load generator on the others; the anchor counts the server's CPU only",
    )  # fmt: skip
    ap.add_argument("--serve", nargs=2, metavar=("OFFLOAD", "SOCKET"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve_forever(*args.serve, args.profile)
        return 0
    results = asyncio.run(run(args))
    anchor = results["anchor_ms_per_frame"]
    per_core = BUDGET_MS / anchor
    cores = results["cores"]
    all_cpus = len(set(results["server_cpus"]) | set(results["client_cpus"]))
    figures = []
    where_cpus = f"server on CPU {results['server_cpus']}, load generator on {results['client_cpus']}"
    print(f"anchor: plain Opus encode {anchor:.3f} ms/frame -> {per_core:.0f} streams/core, {per_core * cores:.0f} on "
          f"{cores} cores ({where_cpus}; load average at start {results['load_average_at_start']})")  # fmt: skip
    for key in ("auto", "inline", "thread", "batch"):
        if key not in results:
            continue
        run_ = results[key]
        got, cpu = run_["streams"], run_["daemon_cpu_ms_per_frame"]
        figures.append(
            {
                "name": f"audio streams at p99 < 20 ms ({run_['where']})",
                "value": got,
                "baseline": round(per_core * cores),
                "unit": "streams",
                "baseline_name": f"plain Opus encode only: {anchor:.3f} ms/frame x {cores} cores",
                "p99_ms": run_["p99_ms_at_capacity"],
                "p50_ms": run_["p50_ms_at_capacity"],
            }
        )
        if cpu:
            figures.append(
                {
                    "name": f"daemon CPU ms per frame ({run_['where']})",
                    "value": cpu,
                    "baseline": round(anchor, 4),
                    "unit": "ms",
                    "baseline_name": "plain Opus encode cost per frame",
                    "streams_per_core_at_this_cost": round(BUDGET_MS / cpu, 1),
                    "at_streams": run_["cpu_measured_at_streams"],
                }
            )
            # The load generator's CPU per frame, and the machine's (both): where the two share the
            # CPUs, cores x 20 ms over the machine's cost per frame bounds the streams.
            machine = run_["machine_cpu_ms_per_frame"]
            figures.append(
                {
                    "name": f"load generator CPU ms per frame ({run_['where']})",
                    "value": run_["loadgen_cpu_ms_per_frame"],
                    "baseline": round(anchor, 4),
                    "unit": "ms",
                    "baseline_name": "plain Opus encode cost per frame",
                }
            )
            figures.append(
                {
                    "name": f"machine CPU ms per frame, daemon + load generator ({run_['where']})",
                    "value": machine,
                    "baseline": round(anchor, 4),
                    "unit": "ms",
                    "baseline_name": "plain Opus encode cost per frame",
                    "streams_at_this_cost_on_all_cpus": round(BUDGET_MS * all_cpus / machine, 1),
                }
            )
        marginal = run_["daemon_marginal_cpu_ms_per_frame"]
        if marginal:
            figures.append(
                {
                    "name": f"daemon marginal CPU ms per frame ({run_['where']})",
                    "value": marginal,
                    "baseline": round(anchor, 4),
                    "unit": "ms",
                    "baseline_name": "plain Opus encode cost per frame",
                    "idle_cpu_share": run_["daemon_idle_cpu_share"],
                }
            )
        print(
            f"{run_['where']}: {got} streams at p99 {run_['p99_ms_at_capacity']} ms "
            f"= {got / (per_core * cores):.3f} of the anchor; daemon CPU {cpu} ms/frame "
            f"({(cpu or 0) / anchor:.1f}x the encode alone; marginal {run_['daemon_marginal_cpu_ms_per_frame']} ms, "
            f"idle {run_['daemon_idle_cpu_share']} of a core); load generator {run_['loadgen_cpu_ms_per_frame']} "
            f"ms/frame, machine {run_['machine_cpu_ms_per_frame']} ms/frame"
        )
    for name, streams, rpc in (("grpc_echo", ECHO_STREAMS, "CompressStream"),
                               ("grpc_echo_batch", ECHO_BATCH_STREAMS, "CompressBatchStream")):  # fmt: skip
        echo = results.get(name)
        if not echo:
            continue
        floor = echo["daemon_cpu_ms_per_frame"]
        figures.append(
            {
                "name": f"gRPC echo CPU ms per frame (grpc.aio {rpc}, no codec, {streams} streams)",
                "value": floor,
                "baseline": round(anchor, 4),
                "unit": "ms",
                "baseline_name": "plain Opus encode cost per frame",
                "p99_ms": echo["p99_ms"],
                "loadgen_cpu_ms_per_frame": echo["loadgen_cpu_ms_per_frame"],
            }
        )
        # The most streams the server's cores could carry if the service around the codec cost nothing:
        # each frame costs at least the encode plus this floor.
        ceiling = BUDGET_MS * cores / (anchor + floor)
        figures.append(
            {
                "name": f"{rpc} ceiling: streams at encode + echo floor on the server's {cores} core(s)",
                "value": round(ceiling, 1),
                "baseline": round(per_core * cores),
                "unit": "streams",
                "baseline_name": f"plain Opus encode only: {anchor:.3f} ms/frame x {cores} cores",
            }
        )
        print(f"gRPC floor: an echo {rpc} costs {floor} ms CPU per frame -> at most {ceiling:.0f} streams "
              f"= {ceiling / (per_core * cores):.2f} of the anchor with a free service")  # fmt: skip
    path = write_results(
        "compress_capacity",
        figures,
        meta={
            "quick": args.quick,
            "anchor_ms_per_frame": anchor,
            "anchor_samples_ms": results["anchor_samples_ms"],
            "load_average_at_start": results["load_average_at_start"],
            "load_average_at_end": results["load_average_at_end"],
            "conditions": (
                f"server on CPU {results['server_cpus']}, load generator (one asyncio process) on "
                f"{results['client_cpus']}; other work on the machine shares them"
            ),
            "pinned": results["pinned"],
            "runs": {k: results[k] for k in ("auto", "inline", "thread", "batch") if k in results},
            "pyav_encode_ms_per_frame": results["pyav_encode_ms_per_frame"],
            "grpc_echo": results.get("grpc_echo"),
            "grpc_echo_batch": results.get("grpc_echo_batch"),
        },
        directory=args.results_dir,
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
