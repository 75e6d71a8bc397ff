"""Calibration: sweep each codec's setting over the corpus and measure the quality it gives.

The curves become calibration.json (read by modes.py). The round-trips here are the plain codecs,
outside the service, so the same functions give the baselines (CBR Opus, JPEG) in the evaluation.
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np

from auralinkd.compression.benchmark.corpus import images, quality, speech
from auralinkd.compression.codecs.base import CodecSettings
from auralinkd.compression.formats import AudioFormat, ImageFormat, PixelFormat

AUDIO_KBPS = (6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 64)
# Bits per pixel; the clip's grain makes 0.95 cost real bits, so the sweep reaches 0.7 bpp.
VIDEO_BPP = (0.015, 0.02, 0.03, 0.04, 0.06, 0.09, 0.13, 0.18, 0.25, 0.35, 0.5, 0.7)
IMAGE_Q = (5, 15, 30, 45, 60, 70, 80, 88, 94, 98)
DATA_LEVELS = {"conservative": 1, "adaptive": 3, "aggressive": 9}


def opus_roundtrip(signal: np.ndarray, rate: int, bps: int, *, cbr: bool = False) -> tuple[np.ndarray, int]:
    """Plain libopus through PyAV, one 20 ms packet per frame; returns decoded audio and bytes sent."""
    from auralinkd.compression.codecs.opus import OpusCodec

    fmt = AudioFormat(rate, 1, 20)
    codec = OpusCodec(fmt, CodecSettings(bitrate_bps=bps))
    if cbr:
        codec._open_encoder = _cbr_opener(codec)  # type: ignore[method-assign]
    n, out, sent = fmt.samples_per_frame, [], 0
    for i in range(0, len(signal) - n + 1, n):
        enc = codec.encode(signal[i : i + n].tobytes())
        sent += len(enc.payload)
        out.append(np.frombuffer(codec.decode(enc.payload), np.int16))
    return np.concatenate(out), sent


def _cbr_opener(codec: Any) -> Any:
    original = codec._open_encoder

    def open_cbr() -> Any:
        import av

        enc = av.CodecContext.create("libopus", "w")
        enc.sample_rate, enc.layout, enc.format = codec.fmt.sample_rate, "mono", "s16"
        enc.bit_rate = codec._settings.bitrate_bps
        from fractions import Fraction

        enc.time_base = Fraction(1, codec.fmt.sample_rate)
        enc.options = {"application": "audio", "vbr": "off", "frame_duration": "20"}
        enc.open()
        return enc

    del original
    return open_cbr


def audio_quality(ref: np.ndarray, deg: np.ndarray, rate: int) -> tuple[float, float, str]:
    r, d = quality.align(ref, deg, rate // 50)
    score, metric = quality.pesq_score(r, d, rate)
    return score, quality.stoi_score(r, d, rate), metric


def calibrate_audio(
    rates: tuple[int, ...], voices: tuple[str, ...], progress: Any, sweep: tuple[int, ...] = AUDIO_KBPS
) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for rate in rates:
        signal = speech.corpus(rate, voices, sentences=1)
        points = []
        for kbps in sweep:
            deg, _ = opus_roundtrip(signal, rate, kbps * 1000)
            score, _, metric = audio_quality(signal, deg, rate)
            points.append([kbps * 1000, round(score, 3)])
        table[str(rate)] = {"metric": metric, "curve": points, "source": speech.speech_source(), "voices": list(voices)}
        progress(f"calibrated audio {rate} Hz")
    return table


def vp8_roundtrip(frames: list[np.ndarray], bps: int, fps: int = 30) -> tuple[list[np.ndarray], int, list[float]]:
    from auralinkd.compression.codecs.vp8 import Vp8Codec

    h, w, _ = frames[0].shape
    fmt = ImageFormat(w, h, PixelFormat.RGB24, fps)
    codec = Vp8Codec(fmt, CodecSettings(bitrate_bps=bps))
    out, sent, times = [], 0, []
    for f in frames:
        t0 = time.perf_counter()
        enc = codec.encode(f.tobytes())
        times.append((time.perf_counter() - t0) * 1000)
        sent += len(enc.payload)
        out.append(np.frombuffer(codec.decode(enc.payload), np.uint8).reshape(h, w, 3))
    return out, sent, times


def calibrate_video(frames: list[np.ndarray], progress: Any) -> dict[str, Any]:
    h, w, _ = frames[0].shape
    points = []
    for bpp in VIDEO_BPP:
        out, _, _ = vp8_roundtrip(frames, int(bpp * w * h * 30))
        points.append([bpp, round(float(np.mean([quality.ssim(a, b) for a, b in zip(frames, out, strict=True)])), 4)])
    progress("calibrated video")
    return {
        "vp8": {
            "metric": "ssim",
            "curve": points,
            "clip": f"synthetic {w}x{h} {len(frames)} frames (pan, zoom, moving textures, grain)",
        }
    }


def still_roundtrip(img: np.ndarray, fmt_name: str, q: int) -> tuple[np.ndarray, int]:
    from PIL import Image

    buf = io.BytesIO()
    args: dict[str, Any] = {"quality": q}
    if fmt_name == "WEBP":
        args["method"] = 0
    elif fmt_name == "AVIF":
        args["speed"] = 10
    Image.fromarray(img).save(buf, format=fmt_name, **args)
    data = buf.getvalue()
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), len(data)


def calibrate_screen(photos: list[np.ndarray], progress: Any, sweep: tuple[int, ...] = IMAGE_Q) -> dict[str, Any]:
    table = {}
    for name in ("WEBP", "AVIF"):
        points = []
        for q in sweep:
            scores = [quality.ssim(p, still_roundtrip(p, name, q)[0]) for p in photos]
            points.append([q, round(float(np.mean(scores)), 4)])
        table[name.lower()] = {"metric": "ssim", "curve": points, "images": list(images.PHOTOS[: len(photos)])}
        progress(f"calibrated screen {name}")
    return table
