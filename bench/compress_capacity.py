"""Capacity: concurrent real-time audio streams through CompressStream with frame round-trip p99 < 20 ms.

    python -m bench compress_capacity [--quick] [--inprocess] [--offload auto|inline|thread]

Each stream sends a 20 ms, 16 kHz mono speech frame every 20 ms (50/s) on its own CompressStream and
times each frame from send to response. The stream count grows until p99 breaks 20 ms (or frames
fall behind), then is bisected. The physical anchor, measured in the same run: plain Opus encode
cost per frame through PyAV -> streams one core could encode (20 ms / cost), times the cores.
The load generator runs on the same machine, so it takes part of the CPUs it measures.

By default it measures a real `auralinkd serve` over its unix socket. --inprocess serves the
servicer in this process instead (no auth, no guard), which is also how --offload compares running
the codecs inline on the event loop against asyncio.to_thread.
Writes bench/results/compress_capacity.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import grpc
import numpy as np

from auralink.v1 import compression_pb2 as pb
from auralink.v1 import compression_pb2_grpc
from bench.common import start_daemon, stop_daemon, write_results
from bench.corpus import speech

FRAME_MS = 20
BUDGET_MS = 20.0
RATE = 16000
SAMPLES = RATE * FRAME_MS // 1000


def anchor_ms_per_frame(signal: np.ndarray, frames: int = 1500) -> float:
    """Plain Opus (PyAV libopus, VoIP, 16 kbps) encode cost per 20 ms frame, median of 3 passes."""
    from auralinkd.compression.codecs.base import CodecSettings
    from auralinkd.compression.codecs.opus import OpusCodec
    from auralinkd.compression.formats import AudioFormat

    chunks = [signal[i : i + SAMPLES].tobytes() for i in range(0, len(signal) - SAMPLES + 1, SAMPLES)]
    passes = []
    for _ in range(3):
        codec = OpusCodec(AudioFormat(RATE, 1, FRAME_MS), CodecSettings(bitrate_bps=16000))
        codec.configure(CodecSettings(bitrate_bps=16000))
        t0 = time.perf_counter()
        for i in range(frames):
            codec.encode(chunks[i % len(chunks)])
        passes.append((time.perf_counter() - t0) * 1000 / frames)
    return statistics.median(passes)


async def one_stream(
    stub: Any, md: Any, frames: list[bytes], seconds: float, start_at: float, out: list[float], lag: list[float]
) -> None:
    fmt = pb.StreamFormat(audio=pb.AudioFormat(sample_rate=RATE, channels=1))
    fmt.audio.frame_duration.FromMilliseconds(FRAME_MS)
    started = await stub.StartSession(
        pb.StartSessionRequest(
            frame_type=pb.FRAME_TYPE_AUDIO,
            format=fmt,
            config=pb.CompressionConfig(mode=pb.COMPRESSION_MODE_ADAPTIVE),
        ),
        metadata=md,
    )
    sid = started.session_id
    n = int(seconds * 1000 / FRAME_MS)
    sent_at: dict[int, float] = {}
    await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
    t_first = time.perf_counter()

    async def requests():  # type: ignore[no-untyped-def]
        for seq in range(n):
            due = t_first + seq * FRAME_MS / 1000
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lag.append(-delay * 1000)  # the sender itself fell behind real time
            sent_at[seq] = time.perf_counter()
            yield pb.CompressFrameRequest(session_id=sid, sequence=seq, payload=frames[seq % len(frames)])

    call = stub.CompressStream(requests(), metadata=md)
    async for response in call:
        out.append((time.perf_counter() - sent_at.pop(response.sequence)) * 1000)
    await stub.EndSession(pb.EndSessionRequest(session_id=sid), metadata=md)


async def trial(address: str, md: Any, streams: int, seconds: float, frames: list[bytes]) -> dict[str, Any]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = compression_pb2_grpc.AICCompressionServiceStub(channel)
        out: list[float] = []
        lag: list[float] = []
        start_at = time.perf_counter() + 0.5
        # Streams start spread over one frame interval, as independent calls would.
        await asyncio.gather(
            *(
                one_stream(stub, md, frames, seconds, start_at + i * FRAME_MS / 1000 / streams, out, lag)
                for i in range(streams)
            )
        )
    expected = streams * int(seconds * 1000 / FRAME_MS)
    return {
        "streams": streams,
        "frames": len(out),
        "expected_frames": expected,
        "p50_ms": round(float(np.percentile(out, 50)), 3) if out else None,
        "p99_ms": round(float(np.percentile(out, 99)), 3) if out else None,
        "sender_late_frames": sum(1 for x in lag if x > FRAME_MS),
    }


def ok(result: dict[str, Any]) -> bool:
    return (
        result["p99_ms"] is not None
        and result["p99_ms"] < BUDGET_MS
        and result["frames"] == result["expected_frames"]
        and result["sender_late_frames"] <= result["expected_frames"] * 0.01
    )


async def find_capacity(address: str, md: Any, seconds: float, frames: list[bytes], limit: int) -> tuple[int, list]:
    trials = []
    good, bad, n = 0, None, 2
    while n <= limit:
        r = await trial(address, md, n, seconds, frames)
        trials.append(r)
        print(f"  {n:4d} streams: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, ok={ok(r)}", file=sys.stderr, flush=True)
        if not ok(r):
            bad = n
            break
        good, n = n, n * 2
    hi = bad if bad is not None else good
    while bad is not None and hi - good > max(2, good // 10):
        mid = (good + hi) // 2
        r = await trial(address, md, mid, seconds, frames)
        trials.append(r)
        print(
            f"  {mid:4d} streams: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, ok={ok(r)}", file=sys.stderr, flush=True
        )
        good, hi = (mid, hi) if ok(r) else (good, mid)
    return good, trials


def serve_forever(offload: str, path: str) -> None:
    """The --inprocess server: the servicer alone (no auth), in its own process so that the load
    generator does not share its event loop or GIL."""
    from auralinkd.access.principal import Caller, Principal
    from auralinkd.api import context as call_context
    from auralinkd.api.compression import AICCompressionServicer
    from auralinkd.compression import CalibrationTable, CompressionConfig, CompressionService
    from auralinkd.compression.userconfig import UserConfigs

    async def serve() -> None:
        # The caller the guard would set; the server's tasks inherit this context.
        principal = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"compression:*"}), "bench")
        call_context.set_caller(Caller(principal, "bench"))
        servicer = AICCompressionServicer(
            CompressionService(CalibrationTable.load()),
            UserConfigs(CompressionConfig()),
            stopping=lambda: False,
            offload=offload,
        )
        server = grpc.aio.server()
        compression_pb2_grpc.add_AICCompressionServiceServicer_to_server(servicer, server)
        server.add_insecure_port(f"unix://{path}")
        await server.start()
        await server.wait_for_termination()

    asyncio.run(serve())


def start_inprocess(offload: str) -> tuple[subprocess.Popen[bytes], str]:
    path = os.path.join(tempfile.mkdtemp(prefix="alcap", dir="/tmp"), "s.sock")
    process = subprocess.Popen([sys.executable, "-m", "bench.compress_capacity", "--serve", offload, path])
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("the in-process compression server did not start")
        time.sleep(0.1)
    return process, f"unix://{path}"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    signal = speech.corpus(RATE, speech.HELD_OUT_VOICES[:1], sentences=1)
    frames = [signal[i : i + SAMPLES].tobytes() for i in range(0, len(signal) - SAMPLES + 1, SAMPLES)]
    anchor = anchor_ms_per_frame(signal, 500 if args.quick else 1500)
    cores = os.cpu_count() or 1
    print(f"anchor: plain Opus encode {anchor:.3f} ms/frame -> {20 / anchor:.0f} streams/core", file=sys.stderr)
    seconds = 2.0 if args.quick else 6.0
    limit = 64 if args.quick else 1024
    results: dict[str, Any] = {"anchor_ms_per_frame": anchor, "cores": cores}
    modes = ["auto", "inline", "thread"] if args.offload == "compare" else [args.offload]
    for offload in modes:
        if args.inprocess or offload != "auto":
            daemon, address = start_inprocess(offload)
            token = ""
            where = f"bare servicer process, offload={offload}"
        else:
            tmp = tempfile.mkdtemp(prefix="alcap", dir="/tmp")
            daemon, address, token = start_daemon(tmp)
            where = "auralinkd over its unix socket"
        md = (("authorization", f"Bearer {token}"),) if token else ()
        print(f"measuring: {where}", file=sys.stderr, flush=True)
        try:
            capacity, trials = await find_capacity(address, md, seconds, frames, limit)
        finally:
            stop_daemon(daemon)
        results[offload] = {"where": where, "streams": capacity, "trials": trials}
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short trials, at most 64 streams")
    ap.add_argument("--inprocess", action="store_true", help="serve the servicer in this process (no daemon)")
    ap.add_argument("--offload", choices=["auto", "inline", "thread", "compare"], default="auto")
    ap.add_argument("--serve", nargs=2, metavar=("OFFLOAD", "SOCKET"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve_forever(*args.serve)
        return 0
    results = asyncio.run(run(args))
    anchor = results["anchor_ms_per_frame"]
    per_core = BUDGET_MS / anchor
    cores = results["cores"]
    figures = []
    for offload in ("auto", "inline", "thread"):
        if offload in results:
            got = results[offload]["streams"]
            figures.append(
                {
                    "name": f"audio streams at p99 < 20 ms ({results[offload]['where']})",
                    "value": got,
                    "baseline": round(per_core * cores),
                    "unit": "streams",
                    "baseline_name": f"plain Opus encode only: {anchor:.3f} ms/frame x {cores} cores",
                }
            )
            print(
                f"{results[offload]['where']}: {got} streams (anchor {per_core:.0f}/core, "
                f"{per_core * cores:.0f} on {cores} cores; ours {got / cores:.0f}/core)"
            )
    path = write_results(
        "compress_capacity",
        figures,
        meta={
            "quick": args.quick,
            "anchor_ms_per_frame": anchor,
            "load_average_at_start": os.getloadavg(),
            "runs": {k: results[k] for k in ("auto", "inline", "thread") if k in results},
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
