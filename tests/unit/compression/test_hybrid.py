"""model_type hybrid: Opus plus the trained post-filter on decode, through the servicer as the daemon runs it.

The reference for "what plain Opus would have given" is a plain Opus session decoding the very same
frames: its decoder sees the same packets, so any difference is the post-filter's.
"""

from __future__ import annotations

import threading
import time
import uuid

import numpy as np
import pytest
from google.protobuf import duration_pb2

from auralink.v1 import compression_pb2 as pb
from auralinkd.access.principal import Caller, Principal
from auralinkd.api import context as call_context
from auralinkd.api.compression import AICCompressionServicer
from auralinkd.compression import (
    AudioFormat,
    CalibrationTable,
    CompressionConfig,
    CompressionService,
    FrameType,
    ModelType,
)
from auralinkd.compression import postfilter as pf
from auralinkd.compression.container import CodecId, Flag, pack, unpack
from auralinkd.errors import FailedPrecondition

USER, ORG = uuid.uuid4(), uuid.uuid4()
PCM16 = AudioFormat(16000, 1, 20)
HYBRID = CompressionConfig(model_type=ModelType.HYBRID, max_latency_ms=1000)  # no latency fallback on a busy CI
PLAIN = CompressionConfig(model_type=ModelType.OPUS, max_latency_ms=1000)


def _audio_format(rate: int = 16000, channels: int = 1) -> pb.StreamFormat:
    return pb.StreamFormat(
        audio=pb.AudioFormat(
            sample_rate=rate, channels=channels, frame_duration=duration_pb2.Duration(nanos=20_000_000)
        )
    )


@pytest.fixture
def servicer() -> AICCompressionServicer:
    call_context.set_caller(Caller(Principal(USER, ORG, frozenset({"compression:*"}), "test"), "req-1"))
    return AICCompressionServicer(CompressionService(CalibrationTable.load()), _configs(), stopping=lambda: False)


def _configs():  # type: ignore[no-untyped-def]
    from auralinkd.compression.userconfig import UserConfigs

    return UserConfigs(CompressionConfig())


@pytest.fixture(scope="module")
def frames(speech16k: np.ndarray) -> list[bytes]:
    return [speech16k[i : i + 320].tobytes() for i in range(0, len(speech16k) - 319, 320)]


async def _start(servicer: AICCompressionServicer, model_type: str, fmt: pb.StreamFormat | None = None):  # type: ignore[no-untyped-def]
    request = pb.StartSessionRequest(
        frame_type=pb.FRAME_TYPE_AUDIO,
        format=fmt or _audio_format(),
        config=pb.CompressionConfig(model_type=model_type, max_latency=duration_pb2.Duration(seconds=1)),
    )
    return await servicer.StartSession(request, None)


async def _aiter(items):  # type: ignore[no-untyped-def]
    for item in items:
        yield item


def _differs_but_same_length(filtered: list[bytes], plain: list[bytes]) -> None:
    assert [len(f) for f in filtered] == [len(p) for p in plain] == [640] * len(plain)
    a = np.frombuffer(b"".join(filtered), np.int16).astype(np.int64)
    b = np.frombuffer(b"".join(plain), np.int16).astype(np.int64)
    assert np.abs(a - b).max() > 100  # the filter really changed the audio, not by rounding
    assert sum(f != p for f, p in zip(filtered, plain, strict=True)) > len(plain) // 2


async def test_hybrid_round_trips_real_speech_through_compress_and_decompress_frame(servicer, frames) -> None:
    started = await _start(servicer, "hybrid")
    plain = await _start(servicer, "opus")
    assert started.codec == "opus" and started.postfilter and started.quality_metric == "pesq_wb"
    assert not plain.postfilter
    filtered, reference = [], []
    for seq, frame in enumerate(frames):
        c = await servicer.CompressFrame(
            pb.CompressFrameRequest(session_id=started.session_id, sequence=seq, payload=frame), None
        )
        assert c.codec == "opus" and not c.fallback
        # The prediction is the codec's alone: the response says so rather than claim the filter's effect.
        assert c.quality.metric == "pesq_wb" and c.quality.source == "predicted_codec_only"
        for sid, out in ((started.session_id, filtered), (plain.session_id, reference)):
            d = await servicer.DecompressFrame(
                pb.DecompressFrameRequest(session_id=sid, sequence=seq, data=c.data), None
            )
            out.append(d.payload)
    _differs_but_same_length(filtered, reference)
    listed = await servicer.ListSessions(pb.ListSessionsRequest(), None)
    by_id = {s.session_id: s for s in listed.sessions}
    assert by_id[started.session_id].postfilter and by_id[started.session_id].model_type == "hybrid"
    assert not by_id[plain.session_id].postfilter


async def test_hybrid_round_trips_real_speech_through_compress_and_decompress_stream(servicer, frames) -> None:
    started = await _start(servicer, "hybrid")
    plain = await _start(servicer, "opus")
    requests = [
        pb.CompressFrameRequest(session_id=started.session_id, sequence=i, payload=f) for i, f in enumerate(frames)
    ]
    compressed = [r async for r in servicer.CompressStream(_aiter(requests), None)]
    assert all(not r.HasField("error") and r.codec == "opus" for r in compressed)

    async def decode(sid: str) -> list[bytes]:
        reqs = [pb.DecompressFrameRequest(session_id=sid, sequence=r.sequence, data=r.data) for r in compressed]
        out = [r async for r in servicer.DecompressStream(_aiter(reqs), None)]
        assert all(not r.HasField("error") for r in out)
        return [r.payload for r in out]

    _differs_but_same_length(await decode(started.session_id), await decode(plain.session_id))


async def test_get_config_lists_hybrid_for_audio_only(servicer) -> None:
    available = (await servicer.GetConfig(pb.GetConfigRequest(), None)).available_model_types
    assert available["audio"] == "opus,raw,hybrid"
    assert "hybrid" not in available["video"] + available["screen"] + available["data"]


@pytest.mark.parametrize("rate,channels", [(48000, 1), (8000, 1), (16000, 2)])
async def test_hybrid_outside_its_trained_format_is_failed_precondition(servicer, rate, channels) -> None:
    with pytest.raises(FailedPrecondition, match="hybrid serves only 16000 Hz, mono, 20 ms"):
        await _start(servicer, "hybrid", _audio_format(rate, channels))


@pytest.mark.parametrize("model", ["lyra", "maxine", "encodec"])
async def test_lyra_maxine_encodec_stay_refused_naming_what_is_available(servicer, model) -> None:
    with pytest.raises(FailedPrecondition, match=f"model_type {model} is not available.*opus, raw, hybrid"):
        await _start(servicer, model)


def test_other_model_types_get_no_post_filter() -> None:
    assert pf.ON_BY_DEFAULT is False
    service = CompressionService(CalibrationTable.load())
    for config in (CompressionConfig(), PLAIN):
        sid = service.start_session("u", FrameType.AUDIO, PCM16, config).session_id
        assert service.sessions.peek(sid).pipeline.postfilter is None  # type: ignore[union-attr]


def _encoded(service: CompressionService, frames: list[bytes]) -> list[bytes]:
    sid = service.start_session("enc", FrameType.AUDIO, PCM16, PLAIN).session_id
    return [service.compress(sid, i, f).data for i, f in enumerate(frames)]


def test_a_zstd_or_raw_frame_or_a_lost_frame_resets_the_filter_state(frames) -> None:
    service = CompressionService(CalibrationTable.load())
    encoded = _encoded(service, frames[:60])
    # Frame 30 goes by the lossless path (as a fallback would send it); frame 45 is lost.
    raw_frame = pack(CodecId.RAW, Flag.RAW | Flag.FALLBACK, 30, frames[30])
    stream = [*encoded[:30], raw_frame, *encoded[31:45], *encoded[46:]]
    hybrid = service.start_session("u", FrameType.AUDIO, PCM16, HYBRID).session_id
    plain = service.start_session("u", FrameType.AUDIO, PCM16, PLAIN).session_id
    pipeline = service.sessions.peek(hybrid).pipeline  # type: ignore[union-attr]
    out = {sid: [service.decompress(sid, i, d).payload for i, d in enumerate(stream)] for sid in (hybrid, plain)}
    assert pipeline.postfilter_resets == 2
    assert out[hybrid][30] == frames[30]  # the raw frame is passed through as sent, unfiltered
    # Right after each reset the filter behaves as a fresh one on what plain Opus decoded.
    shared = pf.shared_postfilter(False)
    for index in (31, 45):  # the frame after the raw one; the first after the gap
        packet = unpack(stream[index])[1]
        assert out[hybrid][index] == pf.SessionFilter(shared, batch=False).process(out[plain][index], packet)
    # ... and carries its state otherwise: a fresh filter would give another frame.
    packet = unpack(stream[40])[1]
    assert out[hybrid][40] != pf.SessionFilter(shared, batch=False).process(out[plain][40], packet)


def test_sessions_share_the_model_and_keep_their_own_state(frames) -> None:
    service = CompressionService(CalibrationTable.load())
    encoded = _encoded(service, frames[:20])
    a, b = (service.start_session("u", FrameType.AUDIO, PCM16, HYBRID).session_id for _ in range(2))
    fa = service.sessions.peek(a).pipeline.postfilter  # type: ignore[union-attr]
    fb = service.sessions.peek(b).pipeline.postfilter  # type: ignore[union-attr]
    assert fa.postfilter is fb.postfilter and fa.state is not fb.state  # type: ignore[union-attr]
    out_a = [service.decompress(a, i, d).payload for i, d in enumerate(encoded)]
    out_b = [service.decompress(b, i, d).payload for i, d in enumerate(encoded)]
    assert out_a == out_b  # interleaving with nothing else: one session's frames never touch another's state


def test_use_gpu_batches_sessions_across_threads_the_cuda_path_run_on_the_cpu(frames) -> None:
    encoded = _encoded(CompressionService(CalibrationTable.load()), frames[:40])
    alone = CompressionService(CalibrationTable.load(), postfilter_batch=False)
    sid = alone.start_session("u", FrameType.AUDIO, PCM16, HYBRID).session_id
    expected = np.frombuffer(b"".join(alone.decompress(sid, i, d).payload for i, d in enumerate(encoded)), np.int16)

    batched = CompressionService(CalibrationTable.load(), postfilter_batch=True)
    gpu = CompressionConfig(model_type=ModelType.HYBRID, max_latency_ms=1000, use_gpu=True)
    sessions = [batched.start_session("u", FrameType.AUDIO, PCM16, gpu).session_id for _ in range(3)]
    assert all(batched.decode_waits_for_batch(s) for s in sessions)
    got: dict[str, bytes] = {}

    def decode(s: str) -> None:
        got[s] = b"".join(batched.decompress(s, i, d).payload for i, d in enumerate(encoded))

    threads = [threading.Thread(target=decode, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in sessions:
        diff = np.abs(np.frombuffer(got[s], np.int16).astype(int) - expected.astype(int))
        assert diff.max() <= 1  # float rounding in a batch may move a sample by one LSB


def test_post_filter_cost_per_frame_in_the_decode_path_is_reported(frames, record_property, capsys) -> None:
    """A measurement, not a check: the machine running tests is shared, so no bound is asserted."""
    service = CompressionService(CalibrationTable.load())
    encoded = _encoded(service, frames)
    cost = {}
    for name, config in (("opus", PLAIN), ("hybrid", HYBRID)):
        sid = service.start_session("u", FrameType.AUDIO, PCM16, config).session_id
        service.decompress(sid, 0, encoded[0])  # warm up (decoder open, first numpy call)
        t0 = time.perf_counter()
        for i, data in enumerate(encoded[1:], start=1):
            service.decompress(sid, i, data)
        cost[name] = (time.perf_counter() - t0) * 1000 / (len(encoded) - 1)
    record_property("decode_ms_per_frame", cost)
    with capsys.disabled():
        print(
            f"\ndecode per 20 ms frame: opus {cost['opus']:.3f} ms, hybrid {cost['hybrid']:.3f} ms, "
            f"post-filter {cost['hybrid'] - cost['opus']:.3f} ms ({cost['hybrid'] / cost['opus']:.1f}x)"
        )


async def test_warming_loads_the_shared_post_filter_the_first_hybrid_session_then_reuses() -> None:
    pf._shared.pop(False, None)
    service = CompressionService(CalibrationTable.load())
    await service.warm_postfilter()
    warmed = pf._shared[False]
    started = service.start_session("u1", FrameType.AUDIO, PCM16, HYBRID)
    assert pf.shared_postfilter(False) is warmed
    assert service.decode_waits_for_batch(started.session_id) is False  # a CPU session filters inline
    assert service.sessions.get(started.session_id).pipeline.postfilter is not None
