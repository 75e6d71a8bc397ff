"""RunBenchmark's domain side: runs the evaluation (evaluation.py) and returns typed rows.

The corpus (corpus/: generated speech, sample images, synthetic video, JSON messages; nothing is
downloaded) and the evaluation ship with the daemon, so an installed daemon benchmarks itself; the
repository's `python -m bench compression` is a thin runner over the same code. The quality
measures (pesq, pystoi, scikit-image) are the `bench` extra: without them, FAILED_PRECONDITION says
which to install. Synchronous and CPU-heavy: runner.py runs it in a thread, and `progress` may
raise `Cancelled` to stop it between steps.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auralinkd.compression.formats import FrameType
from auralinkd.compression.modes import Mode


class Cancelled(Exception):
    """The caller went away; the benchmark stops at its next step."""


@dataclass(frozen=True)
class BenchmarkRow:
    frame_type: FrameType
    mode: Mode
    codec: str
    kbps: float
    reduction_pct: float
    quality: dict[str, float]
    latency_p50_ms: float
    latency_p99_ms: float
    fallbacks: int
    baseline_name: str = ""
    baseline_kbps: float = 0.0
    baseline_quality: dict[str, float] = field(default_factory=dict)
    bitrate_vs_baseline: float | None = None  # ours over the baseline's at equal quality (below 1 is better)


@dataclass(frozen=True)
class BenchmarkResult:
    rows: list[BenchmarkRow]
    commit: str
    wall_s: float


QUALITY_KEYS = frozenset({"pesq_wb", "pesq_nb", "stoi", "ssim", "psnr_db", "lossless"})
FPS = {"video": 30, "screen": 5}  # the frame rates evaluation.py evaluates at


def row_from_report(r: dict[str, Any]) -> BenchmarkRow:
    """One row of the evaluation's report (a dict) as a BenchmarkRow."""
    base = r.get("baseline") or {}
    kbps = float(base.get("kbps", 0.0) or 0.0)
    if not kbps and "bytes_per_frame" in base and r["type"] in FPS:
        kbps = round(float(base["bytes_per_frame"]) * 8 * FPS[r["type"]] / 1000, 1)
    return BenchmarkRow(
        frame_type=FrameType(r["type"]), mode=Mode(r["mode"]), codec=str(r["codec"]), kbps=float(r.get("kbps", 0.0)),
        reduction_pct=float(r["reduction_pct"]), quality={k: float(v) for k, v in r["quality"].items()},
        latency_p50_ms=float(r["latency_p50_ms"]), latency_p99_ms=float(r["latency_p99_ms"]),
        fallbacks=int(r["fallbacks"]), baseline_name=str(base.get("name", "")), baseline_kbps=kbps,
        baseline_quality={k: float(v) for k, v in base.items() if k in QUALITY_KEYS},
        bitrate_vs_baseline=r.get("bitrate_vs_baseline_at_equal_quality"),
    )  # fmt: skip


def results_path() -> Path:
    """Where the daemon stores its last benchmark report: <data dir>/bench/compression.json (the
    repository's committed bench/results are written by `python -m bench compression` only)."""
    from auralinkd.config import default_data_dir

    return Path(os.environ.get("AURALINK_DATA_DIR") or default_data_dir()) / "bench" / "compression.json"


def run(
    types: list[FrameType],
    modes: list[Mode],
    *,
    quick: bool,
    calibrate: bool,
    progress: Callable[[float, str], None],
    results: Path | None = None,
    calibration_path: Path | None = None,
) -> BenchmarkResult:
    """`calibration_path`: the table to evaluate against and, with `calibrate`, to rewrite (the
    deployment's work file, see runner.py); None evaluates against the package's table, read only."""
    from auralinkd.compression.benchmark import evaluation

    if calibrate and calibration_path is None:
        raise ValueError("calibrate needs a calibration_path outside the package")
    extra = {"calibration_path": calibration_path} if calibration_path is not None else {}
    report = evaluation.evaluate(
        {t.value for t in types},
        quick=quick,
        calibrate=calibrate,
        modes=tuple(modes),
        progress=progress,
        results_path=results or results_path(),
        **extra,
    )
    return BenchmarkResult([row_from_report(r) for r in report["rows"]], report["commit"], report["wall_s"])
