"""AIC compression benchmark: per frame type and mode, what we send and what it sounds/looks like,
each against a baseline measured in the same run, plus the calibration table modes.py reads.

    python -m bench compression [--quick] [--type audio|video|screen|data] [--mode …] [--no-calibrate]

Writes bench/results/compression.json and auralinkd/compression/calibration.json, prints a table.
Baselines: fixed-bitrate (CBR) Opus, JPEG at equal SSIM (stills and MJPEG for video), zlib level 6.
The corpus and the evaluation live in auralinkd.compression.benchmark (the daemon's RunBenchmark
runs the same code); this module is the repository's runner.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from auralinkd.compression import FrameType, Mode
from auralinkd.compression.benchmark.evaluation import CALIBRATION, MODES, evaluate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "compression.json"
__all__ = ["CALIBRATION", "RESULTS", "main", "print_table"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small corpus, the committed calibration; under a minute")
    ap.add_argument("--type", choices=[t.value for t in FrameType], action="append")
    ap.add_argument("--mode", choices=[m.value for m in Mode], action="append")
    ap.add_argument("--no-calibrate", action="store_true", help="evaluate with the committed table")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where to write the report (default: %(default)s)")
    args = ap.parse_args(argv)
    types = set(args.type or [t.value for t in FrameType])
    modes = tuple(Mode(m) for m in args.mode) if args.mode else MODES
    report = evaluate(types, quick=args.quick, calibrate=not args.no_calibrate, modes=modes, results_path=args.results)
    print_table(report["rows"])
    print_headline(report.get("headline", {}))
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


def print_headline(headline: dict[str, Any]) -> None:
    """BD-rate style: our bitrate against the baseline's at equal quality, over the modes' range."""
    for kind, h in headline.items():
        rng = h.get("quality_range")
        over = f" over {h['metric']} {rng[0]}–{rng[1]}" if rng else ""
        rate = "n/a" if h["bd_rate_pct"] is None else f"{h['bd_rate_pct']:+.1f}%"
        print(f"headline {kind:7} BD-rate vs {h['baseline']}: {rate}{over}")


if __name__ == "__main__":
    raise SystemExit(main())
