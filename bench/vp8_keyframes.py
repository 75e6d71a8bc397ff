"""VP8 key frames: peak-to-mean frame size with libvpx's key-frame cap (max-intra-rate) off and on.

    python -m bench vp8_keyframes [--quick]

Encodes the synthetic clip (corpus/video.py, 640x360 at 30 fps) through the daemon's Vp8Codec at 1 Mbit/s,
with a key frame forced every `--every` frames (what a receiver's picture-loss requests cause), twice: with
max-intra-rate 0 (libvpx's default, uncapped) and with the codec's MAX_INTRA_RATE_PCT. Reports the largest
frame over the mean frame, the key frames' mean over the other frames' mean, and the SSIM of each run.
Writes bench/results/vp8_keyframes.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any

import numpy as np

from bench.common import write_results


def encode_run(frames: list[np.ndarray], max_intra: int, every: int) -> dict[str, Any]:
    from auralinkd.compression.benchmark.corpus import quality
    from auralinkd.compression.codecs import vp8
    from auralinkd.compression.codecs.base import CodecSettings
    from auralinkd.compression.formats import ImageFormat, PixelFormat

    h, w = frames[0].shape[:2]
    fmt = ImageFormat(w, h, PixelFormat.RGB24, 30)
    saved, vp8.MAX_INTRA_RATE_PCT = vp8.MAX_INTRA_RATE_PCT, max_intra
    try:
        enc, dec = vp8.Vp8Codec(fmt), vp8.Vp8Codec(fmt)
        enc.configure(CodecSettings(bitrate_bps=1_000_000))
        sizes, keys, ssims = [], [], []
        for i, f in enumerate(frames):
            out = enc.encode(f.tobytes(), keyframe=i % every == 0)
            sizes.append(len(out.payload))
            keys.append(out.keyframe)
            back = np.frombuffer(dec.decode(out.payload), np.uint8).reshape(f.shape)
            ssims.append(quality.ssim(f, back))
    finally:
        vp8.MAX_INTRA_RATE_PCT = saved
    key_sizes = [s for s, k in zip(sizes, keys, strict=True) if k]
    other = [s for s, k in zip(sizes, keys, strict=True) if not k]
    return {
        "max_intra_rate_pct": max_intra,
        "frames": len(sizes),
        "keyframes": len(key_sizes),
        "mean_bytes": round(statistics.mean(sizes), 1),
        "peak_bytes": max(sizes),
        "peak_to_mean": round(max(sizes) / statistics.mean(sizes), 2),
        "keyframe_to_delta_mean": round(statistics.mean(key_sizes) / statistics.mean(other), 2) if other else None,
        "kbps": round(sum(sizes) * 8 * 30 / len(sizes) / 1000, 1),
        "ssim_mean": round(float(np.mean(ssims)), 4),
        "ssim_keyframes": round(float(np.mean([s for s, k in zip(ssims, keys, strict=True) if k])), 4),
    }


def main(argv: list[str] | None = None) -> int:
    from auralinkd.compression.benchmark.corpus import video
    from auralinkd.compression.codecs.vp8 import MAX_INTRA_RATE_PCT

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="60 frames instead of 240")
    ap.add_argument("--every", type=int, default=30, help="force a key frame every N frames (default 30)")
    ap.add_argument("--results-dir")
    args = ap.parse_args(argv)
    frames = video.clip(60 if args.quick else 240)
    load = [round(x, 2) for x in os.getloadavg()]
    before = encode_run(frames, 0, args.every)
    after = encode_run(frames, MAX_INTRA_RATE_PCT, args.every)
    for r in (before, after):
        print(r, file=sys.stderr)
    figures = [
        {
            "name": "VP8 peak-to-mean frame size, key frames capped (max-intra-rate)",
            "value": after["peak_to_mean"],
            "baseline": before["peak_to_mean"],
            "unit": "x",
            "baseline_name": "libvpx default (max-intra-rate 0, uncapped), same clip and bitrate",
        },
        {
            "name": "VP8 key frame / delta frame mean size, key frames capped",
            "value": after["keyframe_to_delta_mean"],
            "baseline": before["keyframe_to_delta_mean"],
            "unit": "x",
            "baseline_name": "uncapped",
        },
        {
            "name": "VP8 mean SSIM of key frames, capped",
            "value": after["ssim_keyframes"],
            "baseline": before["ssim_keyframes"],
            "unit": "ssim",
            "baseline_name": "uncapped",
        },
    ]
    path = write_results(
        "vp8_keyframes",
        figures,
        meta={"quick": args.quick, "keyframe_every": args.every, "load_average_at_start": load,
              "runs": {"uncapped": before, "capped": after}},
        directory=args.results_dir,
    )  # fmt: skip
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
