"""`python -m bench postfilter [--quick]`: PESQ-WB of Opus with and without the neural post-filter.

Held-out espeak-ng voices (never seen in training) at 6, 8 and 12 kbps, each against plain Opus in the same
run, and the filter's cost per 20 ms frame on one thread. Writes bench/results/postfilter.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.corpus import quality, speech

RATE, FRAME = 16000, 320
BITRATES_KBPS = (6, 8, 12)
MAX_LAG = 400  # Opus + decimator delay is about 112 samples at 16 kHz


def opus_roundtrip(x: np.ndarray, kbps: float) -> tuple[np.ndarray, list[bytes]]:
    """Encode and decode `x` (int16, 16 kHz mono) frame by frame with the project's Opus codec."""
    from auralinkd.compression.codecs.base import CodecSettings
    from auralinkd.compression.codecs.opus import OpusCodec
    from auralinkd.compression.formats import AudioFormat

    codec = OpusCodec(AudioFormat(RATE, 1, 20))
    codec.configure(CodecSettings(bitrate_bps=int(kbps * 1000)))
    n = len(x) // FRAME * FRAME
    packets, out = [], []
    for i in range(0, n, FRAME):
        packet = codec.encode(x[i : i + FRAME].tobytes()).payload
        packets.append(packet)
        out.append(np.frombuffer(codec.decode(packet), dtype=np.int16))
    codec.close()
    return np.concatenate(out), packets


def apply_filter(postfilter: Any, decoded: np.ndarray, packets: list[bytes]) -> np.ndarray:
    """Run one fresh session of the post-filter over a decoded signal, frame by frame."""
    from auralinkd.compression.postfilter import SessionFilter

    session = SessionFilter(postfilter, batch=False)
    frames = [session.process(decoded[i * FRAME : (i + 1) * FRAME].tobytes(), p) for i, p in enumerate(packets)]
    return np.frombuffer(b"".join(frames), dtype=np.int16)


def pesq_wb(clean: np.ndarray, degraded: np.ndarray) -> float:
    ref, deg = quality.align(clean, degraded, MAX_LAG)
    return quality.pesq_score(ref, deg, RATE)[0]


def held_out_clips(sentences: int) -> dict[str, np.ndarray]:
    return {v: speech.corpus(RATE, (v,), sentences=sentences) for v in speech.HELD_OUT_VOICES}


def evaluate(postfilter: Any, clips: dict[str, np.ndarray], bitrates: tuple[float, ...] = BITRATES_KBPS) -> dict:
    """Mean PESQ-WB over the clips, plain Opus and filtered, per bitrate (with the per-voice figures)."""
    out: dict[str, Any] = {}
    for kbps in bitrates:
        plain, filtered = {}, {}
        for voice, clip in clips.items():
            decoded, packets = opus_roundtrip(clip, kbps)
            n = len(decoded)
            plain[voice] = pesq_wb(clip[:n], decoded)
            filtered[voice] = pesq_wb(clip[:n], apply_filter(postfilter, decoded, packets))
        out[f"{kbps:g}"] = {
            "plain": float(np.mean(list(plain.values()))),
            "filtered": float(np.mean(list(filtered.values()))),
            "per_voice": {v: {"plain": plain[v], "filtered": filtered[v]} for v in clips},
        }
    return out


def cost_per_frame_ms(postfilter: Any, frames: int) -> dict[str, float]:
    """Time of one session's filter call per 20 ms frame on one thread (torch limited to one; the CPU engine
    is numpy, whose batch-of-one products stay on the calling thread). CPU time too: the wall time on a
    shared machine includes waiting for a core."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        clip = speech.corpus(RATE, speech.HELD_OUT_VOICES[:1], sentences=1)
        decoded, packets = opus_roundtrip(clip, 8)
        from auralinkd.compression.postfilter import SessionFilter

        session = SessionFilter(postfilter, batch=False)
        wall, cpu = [], []
        for i in range(frames):
            k = i % len(packets)
            pcm = decoded[k * FRAME : (k + 1) * FRAME].tobytes()
            t0, c0 = time.perf_counter(), time.thread_time()
            session.process(pcm, packets[k])
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
        wall, cpu = wall[len(wall) // 10 :], cpu[len(cpu) // 10 :]  # drop the warm-up
        return {
            "p50": float(np.percentile(wall, 50)),
            "p99": float(np.percentile(wall, 99)),
            "mean": float(np.mean(wall)),
            "cpu_mean": float(np.mean(cpu)),
        }
    finally:
        torch.set_num_threads(threads)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench postfilter", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one sentence per voice, fewer timed frames")
    parser.add_argument("--weights", type=Path, default=None, help="weights to measure (default: the shipped ones)")
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)

    from auralinkd.compression import postfilter as pf

    weights = args.weights or pf.WEIGHTS_PATH
    reason = pf.unavailable_reason(weights)
    if reason:
        print(f"postfilter: skipped, {reason}", file=sys.stderr)
        return 0
    model = pf.PostFilter(weights)
    clips = held_out_clips(1 if args.quick else 4)
    scores = evaluate(model, clips)
    cost = cost_per_frame_ms(model, 500 if args.quick else 3000)

    figures: list[dict[str, Any]] = []
    print(f"{'kbps':>5} {'opus':>7} {'+filter':>8} {'gain':>7}   (PESQ-WB, held-out voices)")
    for kbps, s in scores.items():
        gain = s["filtered"] - s["plain"]
        print(f"{kbps:>5} {s['plain']:7.3f} {s['filtered']:8.3f} {gain:+7.3f}")
        figures.append(
            {
                "name": f"pesq_wb_{kbps}kbps",
                "value": s["filtered"],
                "baseline": s["plain"],
                "gain": gain,
                "per_voice": s["per_voice"],
                "unit": "PESQ-WB",
            }
        )
    print(
        f"cost per 20 ms frame, one thread: p50 {cost['p50']:.3f} ms, p99 {cost['p99']:.3f} ms wall, "
        f"{cost['cpu_mean']:.3f} ms CPU (budget 1 ms)"
    )
    figures.append(
        {
            "name": "cost_per_frame_ms_p50",
            "value": cost["p50"],
            "baseline": 1.0,
            "unit": "ms",
            "note": "baseline is the issue's budget per 20 ms frame",
            "p99": cost["p99"],
            "cpu_mean": cost["cpu_mean"],
        }
    )
    from bench.common import write_results

    meta = {
        "voices": list(speech.HELD_OUT_VOICES),
        "speech_source": speech.speech_source(),
        "quick": args.quick,
        "weights": str(weights.name),
        "weights_bytes": weights.stat().st_size,
        "model": model.meta,
        "on_by_default": pf.ON_BY_DEFAULT,
    }
    path = write_results("postfilter", figures, meta, args.results_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
