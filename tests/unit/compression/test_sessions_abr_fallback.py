"""Session eviction, ABR decisions, fallback marking and metrics."""

from __future__ import annotations

import numpy as np
import pytest

from auralinkd.compression import (
    AudioFormat,
    CalibrationTable,
    CompressionConfig,
    CompressionService,
    DataFormat,
    FrameType,
    ImageFormat,
    Mode,
    NetworkConditions,
    PixelFormat,
)
from auralinkd.compression.container import CodecId, Flag, unpack
from auralinkd.compression.fallback import DEGRADE_STEPS, LATENCY_COOLDOWN_FRAMES, RECOVER_FRAMES
from auralinkd.compression.metrics import Reservoir
from auralinkd.compression.service import SHED_HOLD_S, LoadEvent
from auralinkd.errors import InvalidArgument, NotFound, ResourceExhausted

PCM16 = AudioFormat(16000, 1, 20)


def test_idle_sessions_are_evicted_and_then_not_found(service, clock):
    sid = service.start_session("u1", FrameType.DATA, DataFormat()).session_id
    clock.now += 30
    service.compress(sid, 0, b"hello")  # touch
    clock.now += 59
    service.compress(sid, 1, b"hello")
    clock.now += 61
    with pytest.raises(NotFound):
        service.compress(sid, 2, b"hello")
    assert service.list_sessions() == []


def test_a_muted_participants_session_is_kept_by_its_metrics_call_as_keepalive(service, clock):
    """docs/media-server.md: GetCompressionMetrics naming the session is the read-only keepalive."""
    sid = service.start_session("u1", FrameType.AUDIO, PCM16).session_id
    for _ in range(5):  # 5 minutes without a frame, idle timeout 60 s
        clock.now += 59
        service.get_metrics(session_id=sid, session_owner="u1")
    assert [s.id for s in service.list_sessions()] == [sid]
    service.compress(sid, 0, bytes(PCM16.frame_bytes))
    clock.now += 61
    with pytest.raises(NotFound):
        service.get_metrics(session_id=sid, session_owner="u1")


def test_end_session_closes_it(service):
    sid = service.start_session("u1", FrameType.DATA, DataFormat()).session_id
    service.end_session(sid)
    with pytest.raises(NotFound):
        service.end_session(sid)


def test_abr_stays_at_the_floor_and_records_when_bandwidth_is_too_low(service):
    s = service.start_session("u1", FrameType.AUDIO, PCM16, CompressionConfig(mode=Mode.CONSERVATIVE))
    low = service.update_network_conditions(s.session_id, NetworkConditions(4, 0, 50))
    assert low.below_floor and low.bitrate_bps >= s.bitrate_bps
    high = service.update_network_conditions(s.session_id, NetworkConditions(500, 0, 50))
    assert not high.below_floor and high.bitrate_bps >= low.bitrate_bps
    assert service.get_metrics(session_id=s.session_id).per_session[s.session_id].below_floor_count == 1


def test_abr_turns_fec_on_under_loss_and_marks_frames(service):
    s = service.start_session("u1", FrameType.AUDIO, PCM16)
    d = service.update_network_conditions(s.session_id, NetworkConditions(100, 8, 80))
    assert d.fec and d.packet_loss_pct == 8
    r = service.compress(s.session_id, 0, bytes(640))
    assert unpack(r.data)[0].flags & Flag.FEC


def test_abr_lowers_video_frame_rate_then_resolution(service):
    fmt = ImageFormat(1280, 720, PixelFormat.RGB24, 30)
    s = service.start_session("u1", FrameType.VIDEO, fmt)
    full = service.update_network_conditions(s.session_id, NetworkConditions(50_000))
    assert (full.scale, full.frame_rate) == (1.0, 30)
    low = service.update_network_conditions(s.session_id, NetworkConditions(300))
    assert low.frame_rate < 30 or low.scale < 1.0


def test_invalid_network_conditions_are_invalid_argument(service):
    s = service.start_session("u1", FrameType.AUDIO, PCM16)
    with pytest.raises(InvalidArgument, match="loss_pct"):
        service.update_network_conditions(s.session_id, NetworkConditions(100, 150, 10))


def test_quality_below_min_score_takes_the_safe_path_and_is_marked(service):
    cfg = CompressionConfig(mode=Mode.AGGRESSIVE, min_quality_score=4.64)  # PESQ-WB's ceiling
    s = service.start_session("u1", FrameType.AUDIO, PCM16, cfg)
    frame = bytes(range(256)) * 2 + bytes(128)
    r = service.compress(s.session_id, 0, frame)
    assert r.fallback and r.fallback_reason == "quality_below_min"
    # A higher bitrate: the one the calibration predicts meets it, or Opus's best when none does.
    assert r.bitrate_bps > s.bitrate_bps and r.codec == "opus" and _opus_decodable(r.data)
    assert len(service.decompress(s.session_id, 0, r.data).payload) == len(frame)
    assert service.get_metrics().global_.fallback_count == 1


class FakeTimer:
    """perf_counter stand-in: time moves only when a (fake) codec says it spent some."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowEncoder:
    """Wraps a real encoder; each encode "takes" `ms` on the fake timer."""

    def __init__(self, inner, timer: FakeTimer, ms: float) -> None:
        self.inner, self.timer, self.ms = inner, timer, ms
        self.codec_id = inner.codec_id

    def configure(self, settings) -> None:
        self.inner.configure(settings)

    def encode(self, frame, *, keyframe=False):
        self.timer.now += self.ms / 1000
        return self.inner.encode(frame, keyframe=keyframe)

    def close(self) -> None:
        self.inner.close()


def _timed_audio_session(clock, encode_ms: float, max_latency_ms: float):
    timer = FakeTimer()
    svc = CompressionService(CalibrationTable.load(), clock=clock, timer=timer)
    sid = svc.start_session("u1", FrameType.AUDIO, PCM16, CompressionConfig(max_latency_ms=max_latency_ms)).session_id
    pipeline = svc.sessions.get(sid).pipeline
    pipeline._encoder = SlowEncoder(pipeline._get_encoder(), timer, encode_ms)
    return svc, sid


def _opus_decodable(data: bytes) -> bool:
    """What a WebRTC peer does with the frame: a standard Opus decoder (libopus via PyAV) decodes its payload."""
    import av

    header, payload = unpack(data)
    if header.codec is not CodecId.OPUS:
        return False
    decoder = av.CodecContext.create("libopus", "r")
    return sum(f.samples for f in decoder.decode(av.Packet(payload))) == 960  # 20 ms at 48 kHz


def test_encode_over_the_latency_budget_steps_down_within_opus_complexity_first(clock):
    svc, sid = _timed_audio_session(clock, encode_ms=80, max_latency_ms=20)
    frame = (np.sin(np.arange(320) / 5) * 8000).astype(np.int16).tobytes()
    first = svc.compress(sid, 0, frame)  # the average (0.3 x 80 ms) breaks the budget with this frame
    assert not first.fallback and first.codec == "opus"
    policy = svc.sessions.get(sid).pipeline.policy
    assert policy.step == 1 and DEGRADE_STEPS[1].bitrate_scale == 1.0  # complexity first, same bitrate
    frames = [svc.compress(sid, seq, frame) for seq in range(1, 1 + len(DEGRADE_STEPS) * LATENCY_COOLDOWN_FRAMES)]
    assert all(r.codec == "opus" and _opus_decodable(r.data) for r in frames)  # never raw or zstd
    assert all(r.fallback and r.fallback_reason == "latency_over_budget" for r in frames)
    assert policy.step == len(DEGRADE_STEPS) - 1  # one step per cooldown, then the bottom of the ladder
    assert frames[-1].bitrate_bps < first.bitrate_bps  # the last steps lower the bitrate
    assert frames[LATENCY_COOLDOWN_FRAMES - 2].bitrate_bps == first.bitrate_bps  # ... not the first ones
    events = svc.metrics.load_events()
    assert events[LoadEvent.STEP_DOWN] == len(DEGRADE_STEPS) - 1
    logged = [e.detail for e in policy.drain_log()]
    assert sum("step" in d for d in logged) >= len(DEGRADE_STEPS) - 1


def test_overload_sheds_new_sessions_before_running_ones_degrade(clock):
    svc, sid = _timed_audio_session(clock, encode_ms=12, max_latency_ms=20)  # over half the budget, under it
    frame = bytes(640)
    for seq in range(10):
        r = svc.compress(sid, seq, frame)
        assert not r.fallback
    assert svc.sessions.get(sid).pipeline.policy.step == 0  # the running session is not degraded ...
    with pytest.raises(ResourceExhausted, match="over capacity"):  # ... but a new one is refused
        svc.start_session("u2", FrameType.AUDIO, PCM16)
    assert svc.metrics.load_events()[LoadEvent.SHED] == 1
    clock.now += SHED_HOLD_S + 0.1  # the pressure has not come back since
    svc.start_session("u2", FrameType.AUDIO, PCM16)


def test_a_degraded_session_steps_back_up_after_calm_frames(clock):
    svc, sid = _timed_audio_session(clock, encode_ms=80, max_latency_ms=20)
    frame = bytes(640)
    svc.compress(sid, 0, frame)
    pipeline = svc.sessions.get(sid).pipeline
    assert pipeline.policy.step == 1
    pipeline._encoder.ms = 0.5
    for seq in range(1, 1 + RECOVER_FRAMES + 10):
        svc.compress(sid, seq, frame)
    assert pipeline.policy.step == 0 and svc.metrics.load_events()[LoadEvent.STEP_UP] == 1
    assert not svc.compress(sid, RECOVER_FRAMES + 20, frame).fallback


def test_encodes_within_the_budget_never_fall_back(clock):
    svc, sid = _timed_audio_session(clock, encode_ms=15, max_latency_ms=20)
    frame = bytes(640)
    assert not any(svc.compress(sid, seq, frame).fallback for seq in range(100))


def test_metrics_aggregate_per_session_user_and_globally(service):
    a = service.start_session("alice", FrameType.DATA, DataFormat()).session_id
    b = service.start_session("bob", FrameType.DATA, DataFormat()).session_id
    for i in range(10):
        service.compress(a, i, b'{"type":"chat","text":"hello hello hello hello"}' * 4)
        service.compress(b, i, b"z" * 100)
    report = service.get_metrics()
    assert report.global_.frames == 20
    assert report.per_user["alice"].frames == 10
    assert report.per_session[a].compression_ratio > 1
    assert report.global_.bandwidth_saved_bytes > 0
    assert report.per_user["bob"].quality == {"lossless": 1.0}


def test_reservoir_is_bounded():
    r = Reservoir(size=100)
    for i in range(10_000):
        r.add(float(i))
    assert len(r.values) == 100 and 3000 < r.percentile(50) < 7000
