"""The benchmark proper: every frame type and mode through CompressionService, each against a
baseline measured in the same run (CBR Opus at equal kbps, JPEG at equal SSIM, zlib), and a
BD-rate-style headline per type: our bitrate against the baseline's over the same quality range.

Used by RunBenchmark (the daemon) and by `python -m bench compression` (the repository's runner).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
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
from auralinkd.compression.benchmark import calibrate as cal
from auralinkd.compression.benchmark.corpus import data as data_corpus
from auralinkd.compression.benchmark.corpus import images, quality, speech, video
from auralinkd.compression.config import MAX_LATENCY_RANGE
from auralinkd.errors import FailedPrecondition

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # auralinkd/compression
CALIBRATION = PACKAGE_DIR / "calibration.json"
MODES = (Mode.CONSERVATIVE, Mode.ADAPTIVE, Mode.AGGRESSIVE, Mode.OFF)
# The quality measures are not daemon dependencies: `pip install 'auralink[bench]'` brings them.
MEASURES = {"pesq": "pesq", "pystoi": "pystoi", "skimage": "scikit-image"}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def require_measures() -> None:
    missing = [pkg for mod, pkg in MEASURES.items() if importlib.util.find_spec(mod) is None]
    if missing:
        raise FailedPrecondition(
            f"the benchmark's quality measures are not installed ({', '.join(missing)}); "
            "install them with `pip install 'auralink[bench]'`"
        )


# -- evaluation through the service ------------------------------------------------------------------


def run_session(
    svc: CompressionService, frame_type: FrameType, fmt: Any, mode: Mode, frames: list[bytes]
) -> dict[str, Any]:
    """The rate and quality of `mode`, measured with the latency fallback out of the way (the largest
    budget a config takes): on a shared machine it fires on the machine's load, and its raw frames
    would then stand in the codec's figures. The fallbacks a session with the default budget has on
    the same frames are counted in a second, compress-only pass and reported beside them."""
    started = svc.start_session(
        "bench", frame_type, fmt, CompressionConfig(mode=mode, max_latency_ms=MAX_LATENCY_RANGE[1])
    )
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
        "fallbacks": default_budget_fallbacks(svc, frame_type, fmt, mode, frames),
        "fallbacks_measured_pass": fallbacks,
        "decoded": decoded,
        "sizes": sizes,
        "target": started.mode_target,
        "target_reachable": started.target_reachable,
    }


def default_budget_fallbacks(
    svc: CompressionService, frame_type: FrameType, fmt: Any, mode: Mode, frames: list[bytes]
) -> int:
    started = svc.start_session("bench", frame_type, fmt, CompressionConfig(mode=mode))
    count = sum(svc.compress(started.session_id, seq, payload).fallback for seq, payload in enumerate(frames))
    svc.end_session(started.session_id)
    return int(count)


def eval_audio(
    svc: CompressionService, signal: np.ndarray, rate: int, modes: tuple[Mode, ...] = MODES
) -> tuple[list[dict[str, Any]], list[tuple[float, float]]]:
    """Rows per mode, and the baseline's (kbps, quality) curve for the headline."""
    fmt = AudioFormat(rate, 1, 20)
    n = fmt.samples_per_frame
    frames = [signal[i : i + n].tobytes() for i in range(0, len(signal) - n + 1, n)]
    ref = np.concatenate([np.frombuffer(f, np.int16) for f in frames])
    seconds = len(frames) * 0.02
    # Baseline curve: CBR Opus, for "kbps the baseline needs for the same PESQ".
    base_curve = []
    for kbps in cal.AUDIO_KBPS[:9:2] if len(ref) < 16000 * 8 else cal.AUDIO_KBPS[:9]:
        deg, sent = cal.opus_roundtrip(ref, rate, kbps * 1000, cbr=True)
        base_curve.append((sent * 8 / seconds / 1000, cal.audio_quality(ref, deg, rate)[0]))
    rows = []
    for mode in modes:
        r = run_session(svc, FrameType.AUDIO, fmt, mode, frames)
        del r["sizes"]
        deg = np.concatenate([np.frombuffer(d, np.int16) for d in r.pop("decoded")])
        score, stoi, metric = cal.audio_quality(ref, deg, rate)
        kbps = r["bytes_out"] * 8 / seconds / 1000
        row = {
            "type": "audio",
            "mode": mode.value,
            **r,
            "kbps": round(kbps, 2),
            "quality": {metric: round(score, 3), "stoi": round(stoi, 3)},
        }
        if mode is not Mode.OFF:
            bdeg, bsent = cal.opus_roundtrip(ref, rate, int(kbps * 1000), cbr=True)
            bscore = cal.audio_quality(ref, bdeg, rate)[0]
            need = _kbps_for(base_curve, score)
            row["baseline"] = {
                "name": "CBR Opus at equal kbps",
                "kbps": round(bsent * 8 / seconds / 1000, 2),
                metric: round(bscore, 3),
                "kbps_for_equal_quality": need,
            }
            row["bitrate_vs_baseline_at_equal_quality"] = round(kbps / need, 3) if need else None
        rows.append(row)
    return rows, base_curve


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
        dec, size = cal.still_roundtrip(img, "JPEG", q)
        s = quality.ssim(img, dec)
        if s >= target:
            best, hi = (size, s), q - 1
        else:
            lo = q + 1
    return best if best else (cal.still_roundtrip(img, "JPEG", 100)[1], 1.0)


def eval_images(
    svc: CompressionService, frame_type: FrameType, imgs: list[np.ndarray], fps: int, modes: tuple[Mode, ...] = MODES
) -> list[dict[str, Any]]:
    h, w, _ = imgs[0].shape
    fmt = ImageFormat(w, h, PixelFormat.RGB24, fps)
    frames = [i.tobytes() for i in imgs]
    rows = []
    for mode in modes:
        r = run_session(svc, frame_type, fmt, mode, frames)
        sizes = r.pop("sizes")
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
            sample = range(0, len(imgs), step)
            base = [jpeg_at_ssim(imgs[i], ssims[i])[0] for i in sample]
            ours = [sizes[i] for i in sample]
            row["baseline"] = {
                "name": "JPEG at equal SSIM" + (" (MJPEG)" if frame_type is FrameType.VIDEO else ""),
                "bytes_per_frame": round(float(np.mean(base))),
                "kbps": round(float(np.mean(base)) * 8 * fps / 1000, 1),
            }
            row["bitrate_vs_baseline_at_equal_quality"] = round(float(np.sum(ours) / np.sum(base)), 3)
        rows.append(row)
    return rows


def eval_data(svc: CompressionService, msgs: list[bytes], modes: tuple[Mode, ...] = MODES) -> list[dict[str, Any]]:
    rows = []
    base = sum(len(zlib.compress(m, 6)) for m in msgs)
    for mode in modes:
        r = run_session(svc, FrameType.DATA, DataFormat(), mode, msgs)
        del r["sizes"]
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


# -- the headline ----------------------------------------------------------------------------------


def bd_rate(ours: list[tuple[float, float]], base: list[tuple[float, float]]) -> tuple[float, float, float] | None:
    """Bjøntegaard-style rate difference, in percent (negative: we need fewer bits), with the quality
    range it was averaged over. Log-rate is interpolated piecewise-linearly in quality (the "PCHIP"
    variant, robust with three points); one point of ours is a plain ratio at that quality."""
    o = sorted((q, np.log(r)) for r, q in ours if r > 0)
    b = sorted((q, np.log(r)) for r, q in base if r > 0)
    if not o or len(b) < 1:
        return None
    lo, hi = max(o[0][0], b[0][0]), min(o[-1][0], b[-1][0])
    if lo > hi:
        return None
    qs = np.linspace(lo, hi, 101) if hi > lo else np.array([lo])
    oq, orate = zip(*o, strict=True)
    bq, brate = zip(*b, strict=True)
    diff = np.interp(qs, oq, orate) - np.interp(qs, bq, brate)
    return round(float(np.expm1(np.mean(diff)) * 100), 1), round(float(lo), 4), round(float(hi), 4)


def headline(rows: list[dict[str, Any]], audio_base: list[tuple[float, float]]) -> dict[str, Any]:
    """Per type: ours against the baseline at equal quality over the modes' quality range."""
    out: dict[str, Any] = {}
    for kind in ("audio", "video", "screen", "data"):
        lossy = [r for r in rows if r["type"] == kind and r["mode"] != "off" and r.get("baseline")]
        if not lossy:
            continue
        base_name = lossy[0]["baseline"]["name"]
        if kind == "data":
            ratio = sum(r["bytes_out"] for r in lossy) / sum(r["baseline"]["bytes_out"] for r in lossy)
            out[kind] = {"baseline": base_name, "metric": "lossless", "bd_rate_pct": round((ratio - 1) * 100, 1)}
            continue
        metric = next(iter(lossy[0]["quality"]))
        ours = [(float(r["kbps"]), float(r["quality"][metric])) for r in lossy]
        if kind == "audio":
            base = audio_base
        else:  # JPEG was searched to the same SSIM as each of our modes
            base = [(float(r["baseline"]["kbps"]), float(r["quality"][metric])) for r in lossy]
        found = bd_rate(ours, base)
        out[kind] = {
            "baseline": base_name,
            "metric": metric,
            "bd_rate_pct": found[0] if found else None,
            "quality_range": [found[1], found[2]] if found else None,
            "points": len(ours),
        }
    return out


# -- the run ---------------------------------------------------------------------------------------


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        return "unknown"
    return out or "unknown"


def evaluate(
    types: set[str],
    *,
    quick: bool,
    calibrate: bool = True,
    modes: tuple[Mode, ...] = MODES,
    progress: Callable[[float, str], None] | None = None,
    results_path: Path | None = None,
    calibration_path: Path = CALIBRATION,
) -> dict[str, Any]:
    """Run the benchmark (and, unless told not to, the calibration); returns the report and writes it
    to `results_path` when given. `progress(fraction, step)` is called between steps."""
    require_measures()
    t_start = time.perf_counter()
    steps = _plan(types, quick, calibrate, calibration_path)
    done: list[str] = []

    def step(msg: str) -> None:
        done.append(msg)
        print(f"[{time.perf_counter() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)
        if progress:
            progress(min(1.0, len(done) / steps), msg)

    if progress:
        progress(0.0, "preparing the corpus")
    voices = speech.TRAIN_VOICES[:1] if quick else speech.TRAIN_VOICES
    clip = (
        video.camera_clip(20 if quick else 90)
        if "video" in types or _calibrates(quick, calibrate, calibration_path)
        else []
    )
    photos = images.photos(names=images.PHOTOS[:3] if quick else images.PHOTOS)
    if _calibrates(quick, calibrate, calibration_path):
        _calibrate(types, quick, voices, clip, photos, step, calibration_path)
    svc = CompressionService(CalibrationTable.load(calibration_path))
    rows: list[dict[str, Any]] = []
    audio_base: list[tuple[float, float]] = []
    if "audio" in types:
        held = speech.corpus(16000, speech.HELD_OUT_VOICES[:1] if quick else speech.HELD_OUT_VOICES, 1)
        audio_rows, audio_base = eval_audio(svc, held, 16000, modes)
        rows += audio_rows
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
        "commit": git_commit(),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "speech_source": speech.speech_source(),
        "headline": headline(rows, audio_base),
        "rows": rows,
        "wall_s": round(time.perf_counter() - t_start, 1),
    }
    if results_path is not None:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    return report


def _calibrate(
    types: set[str],
    quick: bool,
    voices: tuple[str, ...],
    clip: list[np.ndarray],
    photos: list[np.ndarray],
    step: Callable[[str], None],
    path: Path,
) -> None:
    table = json.loads(path.read_text()) if path.exists() else {}
    rates = (16000,) if quick else (8000, 16000, 24000, 48000)
    if "audio" in types or "audio" not in table:
        kept = table.get("audio", {}).get("16000", {}).get("source")
        if speech.speech_source() != "espeak-ng" and kept == "espeak-ng":
            # A synthetic voice must not replace curves measured on speech.
            step("kept the committed audio calibration: espeak-ng is not installed")
        else:
            sweep = cal.AUDIO_KBPS[::2] if quick else cal.AUDIO_KBPS
            table.setdefault("audio", {}).update(cal.calibrate_audio(rates, voices, step, sweep))
    if "video" in types or "video" not in table:
        table["video"] = cal.calibrate_video(clip[:12] if quick else clip, step)  # the clip evaluated
    if "screen" in types or "screen" not in table:
        table["screen"] = cal.calibrate_screen(photos, step, cal.IMAGE_Q[1::2] if quick else cal.IMAGE_Q)
    table["data"] = {"zstd_level": cal.DATA_LEVELS}
    table["meta"] = {
        "generated_by": "auralinkd.compression.benchmark" + (" (quick)" if quick else ""),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
    }
    try:
        path.write_text(json.dumps(table, indent=1) + "\n")
    except OSError as exc:
        raise FailedPrecondition(f"cannot write the calibration table {path}: {exc}") from None


def _calibrates(quick: bool, calibrate: bool, path: Path) -> bool:
    # --quick evaluates against the committed table; a full run re-measures it (and rewrites it).
    return calibrate and not (quick and path.exists())


def _plan(types: set[str], quick: bool, calibrate: bool, path: Path) -> int:
    n = len(types)
    if _calibrates(quick, calibrate, path):
        n += (1 if quick else 4) + 1 + 2  # audio rates, video, screen (WebP and AVIF)
    return max(1, n)
