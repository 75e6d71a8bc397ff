"""AIC compression benchmark: per frame type and mode, what we send and what it sounds/looks like,
each against a baseline measured in the same run, plus the calibration table modes.py reads.

    python -m bench.compression [--quick] [--type audio|video|screen|data] [--no-calibrate]

Writes bench/results/compression.json and auralinkd/compression/calibration.json, prints a table.
Baselines: fixed-bitrate (CBR) Opus, JPEG at equal SSIM (stills and MJPEG for video), zlib level 6.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from auralinkd.compression import (
    AudioFormat,
    CalibrationTable,
    CompressionConfig,
    CompressionService,
    DataFormat,
    FrameType,
    ImageFormat,
    Mode,
    PixelFormat,
)
from auralinkd.compression.codecs.base import CodecSettings
from bench.corpus import data as data_corpus
from bench.corpus import images, quality, speech, video

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "compression.json"
CALIBRATION = ROOT / "auralinkd" / "compression" / "calibration.json"
MODES = (Mode.CONSERVATIVE, Mode.ADAPTIVE, Mode.AGGRESSIVE, Mode.OFF)
AUDIO_KBPS = (6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 64)
VIDEO_BPP = (0.02, 0.04, 0.06, 0.09, 0.13, 0.18, 0.25, 0.35)
IMAGE_Q = (5, 15, 30, 45, 60, 70, 80, 88, 94, 98)
DATA_LEVELS = {"conservative": 1, "adaptive": 3, "aggressive": 9}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


# -- calibration ------------------------------------------------------------------------------------


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
    return {"vp8": {"metric": "ssim", "curve": points, "clip": f"synthetic {w}x{h} {len(frames)} frames"}}


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


# -- evaluation through the service ------------------------------------------------------------------


def run_session(
    svc: CompressionService, frame_type: FrameType, fmt: Any, mode: Mode, frames: list[bytes]
) -> dict[str, Any]:
    started = svc.start_session("bench", frame_type, fmt, CompressionConfig(mode=mode))
    sizes, lat, dlat, decoded, fallbacks = [], [], [], [], 0
    for seq, payload in enumerate(frames):
        res = svc.compress(started.session_id, seq, payload)
        sizes.append(res.output_bytes)
        lat.append(res.latency_ms)
        fallbacks += res.fallback
        t0 = time.perf_counter()
        decoded.append(svc.decompress(started.session_id, seq, res.data).payload)
        dlat.append((time.perf_counter() - t0) * 1000)
    svc.end_session(started.session_id)
    raw = sum(len(f) for f in frames)
    return {
        "codec": started.codec,
        "bytes_out": sum(sizes),
        "bytes_in": raw,
        "reduction_pct": round(100 * (1 - sum(sizes) / raw), 2) if raw else 0.0,
        "latency_p50_ms": round(pct(lat, 50), 3),
        "latency_p99_ms": round(pct(lat, 99), 3),
        "decode_p50_ms": round(pct(dlat, 50), 3),
        "fallbacks": fallbacks,
        "decoded": decoded,
        "target": started.mode_target,
        "target_reachable": started.target_reachable,
    }


def eval_audio(
    svc: CompressionService, signal: np.ndarray, rate: int, modes: tuple[Mode, ...] = MODES
) -> list[dict[str, Any]]:
    fmt = AudioFormat(rate, 1, 20)
    n = fmt.samples_per_frame
    frames = [signal[i : i + n].tobytes() for i in range(0, len(signal) - n + 1, n)]
    ref = np.concatenate([np.frombuffer(f, np.int16) for f in frames])
    seconds = len(frames) * 0.02
    # Baseline curve: CBR Opus, for "kbps the baseline needs for the same PESQ".
    base_curve = []
    for kbps in AUDIO_KBPS[:9:2] if len(ref) < 16000 * 8 else AUDIO_KBPS[:9]:
        deg, sent = opus_roundtrip(ref, rate, kbps * 1000, cbr=True)
        base_curve.append((sent * 8 / seconds / 1000, audio_quality(ref, deg, rate)[0]))
    rows = []
    for mode in modes:
        r = run_session(svc, FrameType.AUDIO, fmt, mode, frames)
        deg = np.concatenate([np.frombuffer(d, np.int16) for d in r.pop("decoded")])
        score, stoi, metric = audio_quality(ref, deg, rate)
        kbps = r["bytes_out"] * 8 / seconds / 1000
        row = {
            "type": "audio",
            "mode": mode.value,
            **r,
            "kbps": round(kbps, 2),
            "quality": {metric: round(score, 3), "stoi": round(stoi, 3)},
        }
        if mode is not Mode.OFF:
            bdeg, bsent = opus_roundtrip(ref, rate, int(kbps * 1000), cbr=True)
            bscore = audio_quality(ref, bdeg, rate)[0]
            need = _kbps_for(base_curve, score)
            row["baseline"] = {
                "name": "CBR Opus at equal kbps",
                "kbps": round(bsent * 8 / seconds / 1000, 2),
                metric: round(bscore, 3),
                "kbps_for_equal_quality": need,
            }
            row["bitrate_vs_baseline_at_equal_quality"] = round(kbps / need, 3) if need else None
        rows.append(row)
    return rows


def _kbps_for(curve: list[tuple[float, float]], target: float) -> float | None:
    pts = sorted(curve)
    for (k0, q0), (k1, q1) in zip(pts, pts[1:], strict=False):
        if q0 <= target <= q1 and q1 > q0:
            return round(k0 + (k1 - k0) * (target - q0) / (q1 - q0), 2)
    return None


def jpeg_at_ssim(img: np.ndarray, target: float) -> tuple[int, float]:
    """Smallest JPEG (bisect over quality) whose SSIM reaches `target`: bytes and SSIM."""
    lo, hi, best = 1, 100, None
    while lo <= hi:
        q = (lo + hi) // 2
        dec, size = still_roundtrip(img, "JPEG", q)
        s = quality.ssim(img, dec)
        if s >= target:
            best, hi = (size, s), q - 1
        else:
            lo = q + 1
    return best if best else (still_roundtrip(img, "JPEG", 100)[1], 1.0)


def eval_images(
    svc: CompressionService, frame_type: FrameType, imgs: list[np.ndarray], fps: int, modes: tuple[Mode, ...] = MODES
) -> list[dict[str, Any]]:
    h, w, _ = imgs[0].shape
    fmt = ImageFormat(w, h, PixelFormat.RGB24, fps)
    frames = [i.tobytes() for i in imgs]
    rows = []
    for mode in modes:
        r = run_session(svc, frame_type, fmt, mode, frames)
        dec = [np.frombuffer(d, np.uint8).reshape(h, w, 3) for d in r.pop("decoded")]
        ssims = [quality.ssim(a, b) for a, b in zip(imgs, dec, strict=True)]
        row = {
            "type": frame_type.value,
            "mode": mode.value,
            **r,
            "kbps": round(r["bytes_out"] * 8 * fps / len(frames) / 1000, 1),
            "quality": {
                "ssim": round(float(np.mean(ssims)), 4),
                "psnr_db": round(float(np.mean([quality.psnr(a, b) for a, b in zip(imgs, dec, strict=True)])), 2),
            },
        }
        if mode is not Mode.OFF:
            step = max(1, len(imgs) // 8)  # JPEG search on a sample of frames keeps --quick quick
            base = [jpeg_at_ssim(imgs[i], ssims[i])[0] for i in range(0, len(imgs), step)]
            ours = [r_len for r_len in _frame_sizes(svc, frame_type, fmt, mode, frames)[::step]]
            row["baseline"] = {
                "name": "JPEG at equal SSIM" + (" (MJPEG)" if frame_type is FrameType.VIDEO else ""),
                "bytes_per_frame": round(float(np.mean(base))),
            }
            row["bitrate_vs_baseline_at_equal_quality"] = round(float(np.sum(ours) / np.sum(base)), 3)
        rows.append(row)
    return rows


def _frame_sizes(
    svc: CompressionService, frame_type: FrameType, fmt: Any, mode: Mode, frames: list[bytes]
) -> list[int]:
    started = svc.start_session("bench", frame_type, fmt, CompressionConfig(mode=mode))
    sizes = [len(svc.compress(started.session_id, i, f).data) for i, f in enumerate(frames)]
    svc.end_session(started.session_id)
    return sizes


def eval_data(svc: CompressionService, msgs: list[bytes], modes: tuple[Mode, ...] = MODES) -> list[dict[str, Any]]:
    rows = []
    base = sum(len(zlib.compress(m, 6)) for m in msgs)
    for mode in modes:
        r = run_session(svc, FrameType.DATA, DataFormat(), mode, msgs)
        assert r.pop("decoded") == msgs, "data must round-trip exactly"
        r.update(
            type="data",
            mode=mode.value,
            quality={"lossless": 1.0},
            baseline={"name": "zlib level 6 per message", "bytes_out": base},
            bitrate_vs_baseline_at_equal_quality=round(r["bytes_out"] / base, 3),
        )
        rows.append(r)
    return rows


# -- main ---------------------------------------------------------------------------------------------


def _git_commit() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "uncommitted"
        )
    except OSError:
        return "unknown"


def evaluate(
    types: set[str],
    *,
    quick: bool,
    calibrate: bool = True,
    modes: tuple[Mode, ...] = MODES,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Run the benchmark (and, unless told not to, the calibration); returns the report and writes
    bench/results/compression.json. `progress(fraction, step)` is called between steps."""
    t_start = time.perf_counter()
    steps = _plan(types, quick, calibrate)
    done: list[str] = []

    def step(msg: str) -> None:
        done.append(msg)
        print(f"[{time.perf_counter() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)
        if progress:
            progress(min(1.0, len(done) / steps), msg)

    if progress:
        progress(0.0, "preparing the corpus")
    voices = speech.TRAIN_VOICES[:1] if quick else speech.TRAIN_VOICES
    clip = video.clip(20 if quick else 90)
    photos = images.photos(names=images.PHOTOS[:3] if quick else images.PHOTOS)
    if _calibrates(quick, calibrate):
        table = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else {}
        rates = (16000,) if quick else (8000, 16000, 24000, 48000)
        if "audio" in types or not table:
            table.setdefault("audio", {}).update(
                calibrate_audio(rates, voices, step, AUDIO_KBPS[::2] if quick else AUDIO_KBPS)
            )
        if "video" in types or "video" not in table:
            table["video"] = calibrate_video(clip[:12] if quick else clip[:45], step)
        if "screen" in types or "screen" not in table:
            table["screen"] = calibrate_screen(photos, step, IMAGE_Q[1::2] if quick else IMAGE_Q)
        table["data"] = {"zstd_level": DATA_LEVELS}
        table["meta"] = {
            "generated_by": "bench/compression.py" + (" --quick" if quick else ""),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": _git_commit(),
        }
        CALIBRATION.write_text(json.dumps(table, indent=1) + "\n")
    svc = CompressionService(CalibrationTable.load(CALIBRATION))
    rows: list[dict[str, Any]] = []
    if "audio" in types:
        held = speech.corpus(16000, speech.HELD_OUT_VOICES[:1] if quick else speech.HELD_OUT_VOICES, 1)
        rows += eval_audio(svc, held, 16000, modes)
        step("audio evaluated (held-out voices)")
    if "video" in types:
        rows += eval_images(svc, FrameType.VIDEO, clip, 30, modes)
        step("video evaluated")
    if "screen" in types:
        screens = photos + [images.text_screen((640, 360), seed=s) for s in range(2 if quick else 6)]
        rows += eval_images(svc, FrameType.SCREEN, screens, 5, modes)
        step("screen evaluated")
    if "data" in types:
        rows += eval_data(svc, data_corpus.messages(200 if quick else 2000), modes)
        step("data evaluated")
    report = {
        "area": "compression",
        "quick": quick,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "speech_source": speech.speech_source(),
        "rows": rows,
        "wall_s": round(time.perf_counter() - t_start, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1, default=str) + "\n")
    return report


def _calibrates(quick: bool, calibrate: bool) -> bool:
    # --quick evaluates against the committed table; a full run re-measures it (and rewrites it).
    return calibrate and not (quick and CALIBRATION.exists())


def _plan(types: set[str], quick: bool, calibrate: bool) -> int:
    n = len(types)
    if _calibrates(quick, calibrate):
        n += (1 if quick else 4) + 1 + 2  # audio rates, video, screen (WebP and AVIF)
    return max(1, n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small corpus, the committed calibration; under a minute")
    ap.add_argument("--type", choices=[t.value for t in FrameType], action="append")
    ap.add_argument("--mode", choices=[m.value for m in Mode], action="append")
    ap.add_argument("--no-calibrate", action="store_true", help="evaluate with the committed table")
    args = ap.parse_args(argv)
    types = set(args.type or [t.value for t in FrameType])
    modes = tuple(Mode(m) for m in args.mode) if args.mode else MODES
    report = evaluate(types, quick=args.quick, calibrate=not args.no_calibrate, modes=modes)
    print_table(report["rows"])
    return 0


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'type':7} {'mode':13} {'codec':6} {'kbps':>9} {'reduct%':>8} {'quality':>26} {'p50ms':>7} "
        f"{'p99ms':>7} {'fb':>3}  baseline / ours vs baseline at equal quality"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        q = " ".join(f"{k}={v}" for k, v in r["quality"].items())
        b = r.get("baseline")
        base = f"{b['name']}: ×{r.get('bitrate_vs_baseline_at_equal_quality')}" if b else ""
        print(
            f"{r['type']:7} {r['mode']:13} {r['codec']:6} {r.get('kbps', 0):>9} {r['reduction_pct']:>8} {q:>26} "
            f"{r['latency_p50_ms']:>7} {r['latency_p99_ms']:>7} {r['fallbacks']:>3}  {base}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
