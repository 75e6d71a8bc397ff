"""RunBenchmark's domain side: runs bench/compression.py's evaluation and returns typed rows.

The corpus and the evaluation live in the repository's bench/ package (generated speech, sample
images, synthetic video, JSON messages; nothing is downloaded). A daemon installed without bench/
says so with FAILED_PRECONDITION rather than pretending. Synchronous and CPU-heavy: the servicer
runs it in a thread, and `progress` may raise `Cancelled` to stop it between steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auralinkd.compression.formats import FrameType
from auralinkd.compression.modes import Mode
from auralinkd.errors import FailedPrecondition


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
FPS = {"video": 30, "screen": 5}  # the frame rates bench/compression.py evaluates at


def row_from_report(r: dict[str, Any]) -> BenchmarkRow:
    """One row of bench/compression.py's report (a dict) as a BenchmarkRow."""
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


def run(
    types: list[FrameType],
    modes: list[Mode],
    *,
    quick: bool,
    calibrate: bool,
    progress: Callable[[float, str], None],
) -> BenchmarkResult:
    try:
        from bench import compression as bench_compression
    except ImportError as exc:
        raise FailedPrecondition(
            f"the benchmark corpus is not installed with this daemon (bench/ missing: {exc}); "
            "run auralinkd from a source checkout"
        ) from None
    report = bench_compression.evaluate(
        {t.value for t in types}, quick=quick, calibrate=calibrate, modes=tuple(modes), progress=progress
    )
    return BenchmarkResult([row_from_report(r) for r in report["rows"]], report["commit"], report["wall_s"])
