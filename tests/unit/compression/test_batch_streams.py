"""CompressBatchStream / DecompressBatchStream: one message per tick carries many sessions' frames.

They must give exactly what the per-frame streams give (same sessions' state, same order), report a
bad frame in its own slot, and refuse an oversized batch without harming the sessions.
"""

from __future__ import annotations

import time
import uuid

import numpy as np
import pytest
from google.protobuf import duration_pb2, timestamp_pb2

from auralink.v1 import compression_pb2 as pb
from auralinkd.access.principal import Caller, Principal
from auralinkd.api import context as call_context
from auralinkd.api.compression import MAX_BATCH_FRAMES, AICCompressionServicer
from auralinkd.compression import CalibrationTable, CompressionConfig, CompressionService
from auralinkd.compression.scheduler import TICK_SPLIT_MIN_FRAMES
from auralinkd.compression.userconfig import UserConfigs
from auralinkd.errors import InvalidArgument, ResourceExhausted

USER, ORG = uuid.uuid4(), uuid.uuid4()
AUDIO16 = pb.StreamFormat(
    audio=pb.AudioFormat(sample_rate=16000, channels=1, frame_duration=duration_pb2.Duration(nanos=20_000_000))
)


def _servicer(postfilter_batch: bool | None = None) -> AICCompressionServicer:
    call_context.set_caller(Caller(Principal(USER, ORG, frozenset({"compression:*"}), "test"), "req-1"))
    service = CompressionService(CalibrationTable.load(), postfilter_batch=postfilter_batch)
    return AICCompressionServicer(service, UserConfigs(CompressionConfig()), stopping=lambda: False)


@pytest.fixture
def servicer() -> AICCompressionServicer:
    return _servicer()


@pytest.fixture(scope="module")
def frames(speech16k: np.ndarray) -> list[bytes]:
    return [speech16k[i : i + 320].tobytes() for i in range(0, len(speech16k) - 319, 320)][:60]


async def _aiter(items):  # type: ignore[no-untyped-def]
    for item in items:
        yield item


async def _sessions(servicer: AICCompressionServicer, n: int, model_type: str = "opus") -> list[str]:
    config = pb.CompressionConfig(model_type=model_type, max_latency=duration_pb2.Duration(seconds=1))
    request = pb.StartSessionRequest(frame_type=pb.FRAME_TYPE_AUDIO, format=AUDIO16, config=config)
    return [(await servicer.StartSession(request, None)).session_id for _ in range(n)]


def _ticks(sids: list[str], frames: list[bytes]) -> list[pb.CompressBatchRequest]:
    """Tick t carries frame t of every session (each session gets the speech shifted by its index)."""
    return [
        pb.CompressBatchRequest(
            frames=[
                pb.CompressFrameRequest(session_id=sid, sequence=t, payload=frames[(t + k) % len(frames)])
                for k, sid in enumerate(sids)
            ]
        )
        for t in range(len(frames))
    ]


@pytest.mark.parametrize("sessions", [3, TICK_SPLIT_MIN_FRAMES + 3])  # one thread hop; split over threads
async def test_a_batch_stream_codes_exactly_what_per_session_streams_code(servicer, frames, sessions) -> None:
    batched, single = await _sessions(servicer, sessions), await _sessions(servicer, sessions)
    ticks = _ticks(batched, frames)
    out = [r async for r in servicer.CompressBatchStream(_aiter(ticks), None)]
    assert [len(r.frames) for r in out] == [sessions] * len(frames)
    for k, (b_sid, s_sid) in enumerate(zip(batched, single, strict=True)):
        requests = [
            pb.CompressFrameRequest(session_id=s_sid, sequence=t, payload=frames[(t + k) % len(frames)])
            for t in range(len(frames))
        ]
        alone = [r async for r in servicer.CompressStream(_aiter(requests), None)]
        mine = [tick.frames[k] for tick in out]
        assert all(r.session_id == b_sid and not r.HasField("error") for r in mine)
        assert [r.sequence for r in mine] == list(range(len(frames)))
        # Opus is deterministic for the same input and state: the batch changed nothing about coding.
        assert [r.data[6:] for r in mine] == [r.data[6:] for r in alone]

    decode = [
        pb.DecompressBatchRequest(
            frames=[
                pb.DecompressFrameRequest(session_id=r.session_id, sequence=r.sequence, data=r.data)
                for r in tick.frames
            ]
        )
        for tick in out
    ]
    decoded = [r async for r in servicer.DecompressBatchStream(_aiter(decode), None)]
    assert all(len(f.payload) == 640 and not f.HasField("error") for tick in decoded for f in tick.frames)


async def test_compact_ticks_name_sessions_by_handle_and_send_descriptive_fields_on_change(servicer, frames) -> None:
    """#23.5: a handle per session on the stream, bound once; codec, quality and bitrate only on change."""
    n, ticks = 25, 20
    sids = await _sessions(servicer, n)
    full_ticks = _ticks(sids, frames[:ticks])
    compact_ticks = []
    for t, tick in enumerate(_ticks(await _sessions(servicer, n), frames[:ticks])):
        for k, f in enumerate(tick.frames):
            f.handle = k + 1
            if t > 0:
                f.session_id = ""  # bound on the first tick
        tick.compact = True
        compact_ticks.append(tick)
    compact_ticks[-1].frames[0].handle = 999  # never bound: NOT_FOUND in its slot only
    requests = {  # per slot, PCM payload included (640 bytes)
        name: sum(r.ByteSize() for r in out[1:]) / ((ticks - 1) * n)
        for name, out in (("full", full_ticks), ("compact", compact_ticks))
    }
    full = [r async for r in servicer.CompressBatchStream(_aiter(full_ticks), None)]
    compact = [r async for r in servicer.CompressBatchStream(_aiter(compact_ticks), None)]
    for t in range(ticks):
        for k in range(n):
            c, f = compact[t].frames[k], full[t].frames[k]
            if t == ticks - 1 and k == 0:
                assert c.error.code == "NOT_FOUND" and c.handle == 999
                continue
            assert c.handle == k + 1 and c.session_id == "" and c.sequence == t
            assert c.data[6:] == f.data[6:]  # the same coding
            assert (c.codec == "opus") == (t == 0 or f.bitrate_bps != full[t - 1].frames[k].bitrate_bps)
            assert not c.HasField("latency") and c.output_bytes == 0
    per_slot = {
        name: sum(r.ByteSize() for r in out[1:]) / ((ticks - 1) * n)
        for name, out in (("full", full), ("compact", compact))
    }
    data = sum(len(f.data) for r in full[1:] for f in r.frames) / ((ticks - 1) * n)
    print(f"\nbytes per slot (data {data:.0f}): responses {per_slot}, requests {requests}")
    assert per_slot["compact"] < per_slot["full"] - 40  # the UUID, codec, source strings and doubles


async def test_a_bad_frame_is_reported_in_its_slot_and_the_rest_of_the_tick_is_coded(servicer, frames) -> None:
    (sid,) = await _sessions(servicer, 1)
    tick = pb.CompressBatchRequest(
        frames=[
            pb.CompressFrameRequest(session_id=sid, sequence=0, payload=frames[0]),
            pb.CompressFrameRequest(session_id=sid, sequence=1, payload=frames[1][:-1]),
            pb.CompressFrameRequest(session_id="nope", sequence=2, payload=frames[2]),
            pb.CompressFrameRequest(session_id=sid, sequence=3, payload=frames[3]),
        ]
    )
    (out,) = [r async for r in servicer.CompressBatchStream(_aiter([tick]), None)]
    assert [f.error.code for f in out.frames] == ["", "INVALID_ARGUMENT", "NOT_FOUND", ""]
    assert [f.sequence for f in out.frames] == [0, 1, 2, 3] and out.frames[3].codec == "opus"

    corrupt = bytearray(out.frames[0].data)
    corrupt[-1] ^= 0xFF
    dtick = pb.DecompressBatchRequest(
        frames=[
            pb.DecompressFrameRequest(session_id=sid, sequence=0, data=bytes(corrupt)),
            pb.DecompressFrameRequest(session_id=sid, sequence=3, data=out.frames[3].data),
        ]
    )
    (decoded,) = [r async for r in servicer.DecompressBatchStream(_aiter([dtick]), None)]
    assert decoded.frames[0].error.code == "INVALID_ARGUMENT" and len(decoded.frames[1].payload) == 640


async def test_an_oversized_batch_is_invalid_argument_and_the_session_stays_usable(servicer, frames) -> None:
    (sid,) = await _sessions(servicer, 1)
    too_many = pb.CompressBatchRequest(
        frames=[
            pb.CompressFrameRequest(session_id=sid, sequence=i, payload=frames[0]) for i in range(MAX_BATCH_FRAMES + 1)
        ]
    )
    with pytest.raises(InvalidArgument, match=str(MAX_BATCH_FRAMES)):
        _ = [r async for r in servicer.CompressBatchStream(_aiter([too_many]), None)]
    ok = await servicer.CompressFrame(pb.CompressFrameRequest(session_id=sid, sequence=0, payload=frames[0]), None)
    assert ok.codec == "opus" and ok.data


async def test_hybrid_sessions_batched_on_the_post_filter_meet_in_one_tick_the_cuda_path_on_the_cpu(frames) -> None:
    servicer = _servicer(postfilter_batch=True)  # the CUDA policy, forced on the CPU
    sids = await _sessions(servicer, 4, "hybrid")
    out = [r async for r in servicer.CompressBatchStream(_aiter(_ticks(sids, frames[:20])), None)]
    decode = [
        pb.DecompressBatchRequest(
            frames=[
                pb.DecompressFrameRequest(session_id=r.session_id, sequence=r.sequence, data=r.data)
                for r in tick.frames
            ]
        )
        for tick in out
    ]
    decoded = [r async for r in servicer.DecompressBatchStream(_aiter(decode), None)]
    assert [[f.session_id for f in tick.frames] for tick in decoded] == [sids] * 20
    assert all(len(f.payload) == 640 and not f.HasField("error") for tick in decoded for f in tick.frames)


def _captured(seconds_ago: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int((time.time() - seconds_ago) * 1e9))
    return stamp


async def test_stale_frames_are_dropped_per_slot_never_coded(servicer, frames):
    """A tick older than its bound (the tick's own, or a frame's, which wins) is dropped and reported in
    each slot; fresh ticks of the same sessions are coded; ListSessions counts the drops; new sessions are
    refused while frames go stale."""
    sids = await _sessions(servicer, 3)
    bound = duration_pb2.Duration(nanos=60_000_000)  # 60 ms
    fresh = pb.CompressBatchRequest(frames=_ticks(sids, frames)[0].frames, capture_time=_captured(0), max_age=bound)
    stale = pb.CompressBatchRequest(frames=_ticks(sids, frames)[1].frames, capture_time=_captured(5), max_age=bound)
    # a frame's own bound wins over its tick's: this one is fresh in a stale tick
    stale.frames[2].capture_time.CopyFrom(_captured(0))
    stale.frames[2].max_age.CopyFrom(bound)
    out = [r async for r in servicer.CompressBatchStream(_aiter([fresh, stale]), None)]
    assert [f.HasField("error") for f in out[0].frames] == [False] * 3
    assert [f.error.code for f in out[1].frames[:2]] == ["DEADLINE_EXCEEDED"] * 2
    assert "over the bound of 60 ms" in out[1].frames[0].error.message and not out[1].frames[0].data
    assert not out[1].frames[2].HasField("error") and out[1].frames[2].data
    listed = {s.session_id: s for s in (await servicer.ListSessions(pb.ListSessionsRequest(), None)).sessions}
    assert [listed[sid].stale_dropped for sid in sids] == [1, 1, 0]
    assert [listed[sid].frames_in for sid in sids] == [1, 1, 2]
    with pytest.raises(ResourceExhausted, match="over capacity"):
        await _sessions(servicer, 1)


async def test_a_stale_frame_on_compress_stream_is_dropped_in_its_own_response(servicer, frames):
    (sid,) = await _sessions(servicer, 1)
    bound = duration_pb2.Duration(nanos=60_000_000)
    requests = [
        pb.CompressFrameRequest(
            session_id=sid, sequence=0, payload=frames[0], capture_time=_captured(1), max_age=bound
        ),
        pb.CompressFrameRequest(session_id=sid, sequence=1, payload=frames[1]),  # no bound: coded
    ]
    out = [r async for r in servicer.CompressStream(_aiter(requests), None)]
    assert out[0].error.code == "DEADLINE_EXCEEDED" and not out[1].HasField("error") and out[1].codec == "opus"
