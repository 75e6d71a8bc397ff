"""A CPU-starved compression server steps down within Opus and sheds new sessions; it never sends raw.

The server (the bare servicer over gRPC, without the daemon's guard: bench/compress_capacity.py's
--serve, in its own process) is starved as a container's CPU limit starves it: a cgroup CPU quota of
1 ms per 10 ms period, so whenever it has used its share it is throttled until the period ends, in
the middle of an encode as often as not. Where cgroups cannot be written, it and four busy-loop
processes are pinned to one CPU with taskset instead (a weaker, less regular starvation). The
session's latency budget is the smallest a config takes (1 ms), so a throttled encode breaks it.
Frames go until the session has stepped down (or a cap): the test asserts what happened (a step, no
raw or zstd frame, a refused new session), not how long anything took.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import av
import grpc
import pytest
from google.protobuf import duration_pb2

from auralink.v1 import compression_pb2 as pb
from auralink.v1 import compression_pb2_grpc
from auralinkd.compression.container import CodecId, unpack

pytestmark = pytest.mark.skipif(shutil.which("taskset") is None, reason="needs taskset (util-linux)")

CPU = str(max(os.sched_getaffinity(0)))
BUSY_LOOPS = 4
QUOTA_US, PERIOD_US = 1000, 10_000  # 10 % of one CPU, throttled in 9 ms stretches


def _cpu_quota_group() -> Path | None:
    """A new cgroup (v2 cpu.max, or v1 cfs quota) limited to QUOTA_US per PERIOD_US; None where that fails."""
    for root, v2 in ((Path("/sys/fs/cgroup"), True), (Path("/sys/fs/cgroup/cpu"), False)):
        if not (root / ("cgroup.controllers" if v2 else "cpu.cfs_quota_us")).exists():
            continue
        group = root / f"auralink-starve-{uuid.uuid4().hex[:8]}"
        try:
            group.mkdir()
            if v2:
                (group / "cpu.max").write_text(f"{QUOTA_US} {PERIOD_US}")
            else:
                (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (group / "cpu.cfs_quota_us").write_text(str(QUOTA_US))
            return group
        except OSError:
            if group.exists():
                group.rmdir()
    return None


MAX_FRAMES = 3000
AUDIO16 = pb.StreamFormat(
    audio=pb.AudioFormat(sample_rate=16000, channels=1, frame_duration=duration_pb2.Duration(nanos=20_000_000))
)


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["taskset", "-c", CPU, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def starved_server():  # type: ignore[no-untyped-def]
    path = os.path.join(tempfile.mkdtemp(prefix="alstarve", dir="/tmp"), "s.sock")
    server = _start([sys.executable, "-m", "bench.compress_capacity", "--serve", "auto", path])
    busy: list[subprocess.Popen[bytes]] = []
    group = None
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(path):
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        group = _cpu_quota_group()
        if group is not None:
            (group / "cgroup.procs").write_text(str(server.pid))
        else:
            busy = [_start([sys.executable, "-c", "while True: pass"]) for _ in range(BUSY_LOOPS)]
        yield f"unix://{path}"
    finally:
        for p in [*busy, server]:
            p.kill()
            p.wait()
        if group is not None:
            group.rmdir()


def _opus_decodes(data: bytes) -> bool:
    header, payload = unpack(data)
    if header.codec is not CodecId.OPUS:
        return False
    return sum(f.samples for f in av.CodecContext.create("libopus", "r").decode(av.Packet(payload))) == 960


async def test_a_cpu_starved_server_steps_down_within_opus_and_sheds_new_sessions(starved_server, speech16k):
    frames = [speech16k[i : i + 320].tobytes() for i in range(0, len(speech16k) - 319, 320)]
    config = pb.CompressionConfig(max_latency=duration_pb2.Duration(nanos=1_000_000))  # 1 ms
    request = pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=AUDIO16, config=config)
    async with grpc.aio.insecure_channel(starved_server) as channel:
        stub = compression_pb2_grpc.AICCompressionServiceStub(channel)
        sid = (await stub.StartSession(request)).session_id
        responses: list[pb.CompressFrameResponse] = []
        call = stub.CompressStream()
        for seq in range(MAX_FRAMES):  # one frame in flight at a time: no queue, only the encodes are slow
            await call.write(pb.CompressFrameRequest(session_id=sid, sequence=seq, payload=frames[seq % len(frames)]))
            responses.append(await call.read())
            if seq % 50 == 49:
                listed = (await stub.ListSessions(pb.ListSessionsRequest())).sessions
                if listed[0].degrade_step >= 1:
                    break
        await call.done_writing()
        session = (await stub.ListSessions(pb.ListSessionsRequest())).sessions[0]
        assert session.degrade_step >= 1, f"no stepping in {len(responses)} frames"
        with pytest.raises(grpc.aio.AioRpcError) as refused:  # a running session is degraded
            await stub.StartSession(request)
    # The bare servicer has no guard to map errors to statuses (the daemon's is tested in tests/e2e): the
    # refusal is the domain's ResourceExhausted, which the daemon sends as RESOURCE_EXHAUSTED.
    details = refused.value.details() or ""
    assert "errors.ResourceExhausted" in details and "over capacity" in details
    assert not any(r.HasField("error") for r in responses)
    assert {r.codec for r in responses} == {"opus"}  # never raw, never zstd
    degraded = [r for r in responses if r.fallback]
    assert degraded and all(r.fallback_reason == "latency_over_budget" for r in degraded)
    assert all(_opus_decodes(r.data) for r in degraded[:: max(1, len(degraded) // 50)])
    assert session.fallback_count == len(degraded)
