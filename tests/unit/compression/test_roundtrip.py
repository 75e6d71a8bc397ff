"""Round trips per frame type on real content, with measured quality (no timing assertions).

Sessions here get the largest latency budget, so the latency fallback (tested on its own with an
injected timer) can never move a frame to the safe path on a loaded machine.
"""

from __future__ import annotations

import numpy as np
import pytest

from auralinkd.compression import (
    AudioFormat,
    CompressionConfig,
    DataFormat,
    FrameType,
    ImageFormat,
    Mode,
    PixelFormat,
)
from auralinkd.compression.container import HEADER_SIZE
from bench.corpus import data as data_corpus
from bench.corpus import images, quality, video

NO_LATENCY_FALLBACK = 1000.0  # ms, the largest max_latency_ms a config takes


def _frames(signal: np.ndarray, n: int) -> list[bytes]:
    return [signal[i : i + n].tobytes() for i in range(0, len(signal) - n + 1, n)]


@pytest.mark.parametrize("mode,min_pesq", [(Mode.CONSERVATIVE, 3.0), (Mode.ADAPTIVE, 2.8), (Mode.AGGRESSIVE, 2.2)])
def test_speech_round_trip_keeps_measured_pesq_wb_for_the_mode(service, speech16k, mode, min_pesq):
    fmt = AudioFormat(16000, 1, 20)
    config = CompressionConfig(mode=mode, max_latency_ms=NO_LATENCY_FALLBACK)
    s = service.start_session("u1", FrameType.AUDIO, fmt, config)
    frames = _frames(speech16k, fmt.samples_per_frame)
    out, sent = [], 0
    for seq, f in enumerate(frames):
        r = service.compress(s.session_id, seq, f)
        assert r.codec == "opus" and not r.fallback
        assert r.quality_metric == "pesq_wb"
        sent += r.output_bytes
        out.append(np.frombuffer(service.decompress(s.session_id, seq, r.data).payload, np.int16))
    ref = np.concatenate([np.frombuffer(f, np.int16) for f in frames])
    r_al, d_al = quality.align(ref, np.concatenate(out), 320)
    score, metric = quality.pesq_score(r_al, d_al, 16000)
    assert metric == "pesq_wb"
    assert score > min_pesq
    assert sent < 0.1 * len(frames) * fmt.frame_bytes  # Opus frames are more than 90% smaller than PCM


def test_stereo_48k_audio_round_trips_at_the_declared_size(service):
    fmt = AudioFormat(48000, 2, 10)
    s = service.start_session("u1", FrameType.AUDIO, fmt)
    t = np.arange(fmt.samples_per_frame * 20) / 48000
    tone = (np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)], axis=1) * 8000).astype(np.int16)
    for seq, f in enumerate(_frames(tone.reshape(-1), fmt.samples_per_frame * 2)):
        r = service.compress(s.session_id, seq, f)
        assert len(service.decompress(s.session_id, seq, r.data).payload) == fmt.frame_bytes


def test_video_clip_round_trips_with_ssim_above_the_aggressive_floor(service):
    clip = video.clip(15, (320, 180))
    fmt = ImageFormat(320, 180, PixelFormat.RGB24, 30)
    config = CompressionConfig(mode=Mode.ADAPTIVE, max_latency_ms=NO_LATENCY_FALLBACK)
    s = service.start_session("u1", FrameType.VIDEO, fmt, config)
    scores = []
    for seq, frame in enumerate(clip):
        r = service.compress(s.session_id, seq, frame.tobytes())
        assert r.codec == "vp8" and not r.fallback
        assert r.output_bytes < frame.nbytes / 10
        dec = np.frombuffer(service.decompress(s.session_id, seq, r.data).payload, np.uint8).reshape(180, 320, 3)
        scores.append(quality.ssim(frame, dec))
    assert np.mean(scores[3:]) > 0.8


def test_i420_video_round_trips_at_the_declared_size(service):
    fmt = ImageFormat(64, 48, PixelFormat.I420, 15)
    s = service.start_session("u1", FrameType.VIDEO, fmt)
    frame = np.random.default_rng(1).integers(0, 255, fmt.frame_bytes, dtype=np.uint8).tobytes()
    r = service.compress(s.session_id, 0, frame)
    assert len(service.decompress(s.session_id, 0, r.data).payload) == fmt.frame_bytes


def test_text_screen_goes_lossless_and_photo_screen_keeps_ssim(service):
    screen = images.text_screen((640, 360))
    fmt = ImageFormat(640, 360, PixelFormat.RGB24, 5)
    config = CompressionConfig(mode=Mode.AGGRESSIVE, max_latency_ms=NO_LATENCY_FALLBACK)
    s = service.start_session("u1", FrameType.SCREEN, fmt, config)
    r = service.compress(s.session_id, 0, screen.tobytes())
    assert r.quality_source == "exact" and r.reduction_pct > 90
    assert service.decompress(s.session_id, 0, r.data).payload == screen.tobytes()
    photos = images.photos((640, 360), ("astronaut",))
    if photos:
        r = service.compress(s.session_id, 1, photos[0].tobytes())
        assert r.codec == "webp" and r.quality_source == "predicted"
        dec = np.frombuffer(service.decompress(s.session_id, 1, r.data).payload, np.uint8).reshape(360, 640, 3)
        assert quality.ssim(photos[0], dec) > 0.8


def test_data_round_trips_exactly_and_never_expands_beyond_the_header(service):
    s = service.start_session("u1", FrameType.DATA, DataFormat())
    rng = np.random.default_rng(0)
    payloads = data_corpus.messages(50) + [rng.bytes(n) for n in (0, 1, 100, 5000)]
    for seq, p in enumerate(payloads):
        r = service.compress(s.session_id, seq, p)
        assert r.output_bytes <= len(p) + HEADER_SIZE
        assert service.decompress(s.session_id, seq, r.data).payload == p


def test_mode_off_sends_raw(service):
    s = service.start_session("u1", FrameType.DATA, DataFormat(), CompressionConfig(mode=Mode.OFF))
    r = service.compress(s.session_id, 0, b"x" * 1000)
    assert r.codec == "raw" and r.output_bytes == 1000 + HEADER_SIZE
