"""Renderers of the Compression screen: figures per session, per frame type and mode, and benchmark rows."""

from __future__ import annotations

from typing import Any

from tui.state import duration_ms

CHARTS: tuple[tuple[str, str, str], ...] = (
    ("ratio", "ratio", "x"),
    ("quality", "quality", ""),
    ("p50_ms", "latency p50", " ms"),
    ("p99_ms", "latency p99", " ms"),
    ("fallbacks", "fallbacks", ""),
)


def _quality(values: Any) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(values.items())) or "–"


def figures_row(name: str, fig: Any) -> tuple[str, ...]:
    return (
        name,
        str(fig.frames),
        f"{fig.compression_ratio:.2f}x",
        f"{fig.reduction_pct:.1f}%",
        _quality(fig.quality),
        f"{duration_ms(fig.latency_p50):.2f}",
        f"{duration_ms(fig.latency_p99):.2f}",
        str(fig.fallback_count),
    )


def _short(enum: Any, number: int, prefix: str) -> str:
    return str(enum.Name(number)).removeprefix(prefix).lower() if number in enum.values() else str(number)


def mode_row(entry: Any) -> tuple[str, ...]:
    """One ModeFigures: the figures of every session of one frame type in one mode."""
    from auralink.v1 import compression_pb2 as pb

    fig = entry.figures
    return (
        _short(pb.FrameType, entry.frame_type, "FRAME_TYPE_"),
        _short(pb.CompressionMode, entry.mode, "COMPRESSION_MODE_"),
        str(fig.frames),
        f"{fig.compression_ratio:.2f}x",
        _bytes(fig.bandwidth_saved_bytes),
        _quality(fig.quality),
        f"{duration_ms(fig.latency_p50):.2f}",
        f"{duration_ms(fig.latency_p99):.2f}",
        str(fig.fallback_count),
    )


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def bench_row(row: Any) -> tuple[str, ...]:
    from auralink.v1 import compression_pb2 as pb

    kind = pb.FrameType.Name(row.frame_type).removeprefix("FRAME_TYPE_").lower()
    mode = pb.CompressionMode.Name(row.mode).removeprefix("COMPRESSION_MODE_").lower()
    baseline = f"{row.bitrate_vs_baseline:.2f}x {row.baseline.name}" if row.baseline.name else "–"
    return (
        kind,
        mode,
        row.codec,
        f"{row.kbps:.1f}",
        f"{row.reduction_pct:.1f}%",
        _quality(row.quality),
        f"{duration_ms(row.latency_p50):.2f}",
        f"{duration_ms(row.latency_p99):.2f}",
        str(row.fallbacks),
        baseline,
    )
