"""`python -m bench media_soak`: the daemon's RSS under a media server's traffic and bad input (issue #16).

The Node.js interop client (tests/interop/node, `npm ci` there first) runs in rounds against one daemon:
a 25-session CompressBatchStream paced at 20 ms with one bad frame per round (new sessions each round,
ended afterwards), then every bad input of the interop test (wrong frame sizes, unknown sessions, another
user's... here the same user's token, backward sequences, 1025 frames in one batch message). The daemon's
RSS is sampled each second. Baseline: the RSS after the first round (warm-up), so the figure is growth
under load, not start-up; target under 5%. 10 minutes by default (`--seconds 600`); `--quick`: 60 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import start_daemon, stop_daemon, write_results
from bench.load import rss_bytes

NODE_DIR = Path(__file__).resolve().parent.parent / "tests" / "interop" / "node"
ROUND_S = 10


def _node(address: str, token: str, *args: str) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("media_soak needs node (and `npm ci --prefix tests/interop/node`)")
    run = subprocess.run(
        [node, str(NODE_DIR / "client.js"), *args[:1], "--addr", address, "--token", token, *args[1:]],
        capture_output=True,
        text=True,
        timeout=ROUND_S * 6 + 60,
    )
    if run.returncode != 0:
        raise RuntimeError(f"node client.js {args[0]} failed: {run.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench media_soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--quick", action="store_true", help="60 s")
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    seconds = 60.0 if args.quick else args.seconds
    tmp = tempfile.mkdtemp(prefix="al-soak-")
    process, address, token = start_daemon(tmp)
    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    t0 = time.monotonic()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.monotonic() - t0, rss_bytes(process.pid)))
            stop.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rounds: list[dict[str, Any]] = []
    try:
        baseline = 0
        while time.monotonic() - t0 < seconds or len(rounds) < 2:
            batch = _node(address, token, "batch", "--sessions", str(args.sessions), "--seconds", str(ROUND_S))
            bad = _node(address, token, "badinput", "--token2", token)
            keep = ("late_ticks", "ticks", "reply_ms_p99", "max_in_flight")
            rounds.append({**{k: batch[k] for k in keep}, "slot_errors": len(batch["slot_errors"]), "bad": bad})
            if len(rounds) == 1:
                baseline = rss_bytes(process.pid)
        final = rss_bytes(process.pid)
    finally:
        stop.set()
        sampler.join()
        stop_daemon(process)
        shutil.rmtree(tmp, ignore_errors=True)
    peak = max([final, *(r for _, r in samples)])
    mib = 1024 * 1024
    late = sum(r["late_ticks"] for r in rounds)
    ticks = sum(r["ticks"] for r in rounds)
    print(
        f"media soak: {len(rounds)} rounds over {time.monotonic() - t0:.0f} s, {args.sessions} sessions paced at 20 ms "
        f"+ bad input each round; RSS after warm-up {baseline / mib:.1f} MiB -> end {final / mib:.1f} MiB "
        f"({100 * (final / baseline - 1):+.1f}%), peak {peak / mib:.1f} MiB; late ticks {late}/{ticks}; "
        f"max ticks in flight {max(r['max_in_flight'] for r in rounds)}"
    )
    figures = [
        {"name": "rss_end_bytes", "value": final, "baseline": baseline, "unit": "bytes",
         "note": "daemon RSS at the end vs after the first (warm-up) round; target ratio < 1.05"},
        {"name": "rss_peak_bytes", "value": peak, "baseline": baseline, "unit": "bytes"},
        {"name": "late_ticks", "value": late, "baseline": ticks, "unit": "ticks",
         "note": "ticks whose reply came more than 20 ms after they were sent, of all ticks"},
    ]  # fmt: skip
    every = max(1, len(samples) // 60)
    meta = {"seconds": seconds, "sessions": args.sessions, "round_s": ROUND_S, "rounds": len(rounds),
            "rss_samples_mib": [[round(t, 1), round(r / mib, 1)] for t, r in samples[::every]]}  # fmt: skip
    path = write_results("media_soak", figures, meta, args.results_dir)
    print(f"wrote {path}")
    return 0
