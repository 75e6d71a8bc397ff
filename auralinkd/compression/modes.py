"""Modes are quality targets; the calibration table (measured by bench/compression.py) turns each
target into codec settings, and predicts the quality of a setting the controllers choose.

The table is data: the deployment's own (RunBenchmark(calibrate=true) stores it in the database,
see calibration.py), or else the default `calibration.json` beside this module, committed with the
bench results that produced it and only ever read. Nothing here is guessed at run time: a target
the curve never reaches is reported as unreachable, and the setting falls back to the best the
curve knows.
"""

from __future__ import annotations

import bisect
import enum
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from auralinkd.compression.formats import AudioFormat, FrameType, ImageFormat, StreamFormat
from auralinkd.errors import FailedPrecondition


class Mode(enum.Enum):
    CONSERVATIVE = "conservative"
    ADAPTIVE = "adaptive"
    AGGRESSIVE = "aggressive"
    OFF = "off"


# The targets: audio PESQ-WB, video and screen SSIM.
QUALITY_TARGETS: dict[FrameType, dict[Mode, float]] = {
    FrameType.AUDIO: {Mode.CONSERVATIVE: 4.0, Mode.ADAPTIVE: 3.4, Mode.AGGRESSIVE: 2.7},
    FrameType.VIDEO: {Mode.CONSERVATIVE: 0.95, Mode.ADAPTIVE: 0.90, Mode.AGGRESSIVE: 0.85},
    FrameType.SCREEN: {Mode.CONSERVATIVE: 0.95, Mode.ADAPTIVE: 0.90, Mode.AGGRESSIVE: 0.85},
}
# A setting is looked up this far above its target: the curve is interpolated between measured
# points, and VP8 (rate control in quantizer steps) sits below the straight line in places -- the
# aggressive video floor once came out at SSIM 0.8486 for 0.85. Audio needs none: the modes are
# calibrated on training voices and clear their floors on held-out ones by 0.15 PESQ or more.
LOOKUP_MARGIN: dict[FrameType, float] = {FrameType.AUDIO: 0.0, FrameType.VIDEO: 0.003, FrameType.SCREEN: 0.003}
_HIGHER = {Mode.AGGRESSIVE: Mode.ADAPTIVE, Mode.ADAPTIVE: Mode.CONSERVATIVE}
CONSERVATIVE_HEADROOM = 1.5  # the ceiling above the CONSERVATIVE floor, when bandwidth allows

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class Curve:
    """Measured (setting, quality) points; quality is made non-decreasing in the setting."""

    points: tuple[tuple[float, float], ...]
    metric: str

    @classmethod
    def from_points(cls, points: list[list[float]], metric: str) -> Curve:
        pts = sorted((float(x), float(y)) for x, y in points)
        best, mono = float("-inf"), []
        for x, y in pts:
            best = max(best, y)
            mono.append((x, best))
        return cls(tuple(mono), metric)

    def predict(self, x: float) -> float:
        xs = [p[0] for p in self.points]
        if x <= xs[0]:
            return self.points[0][1]
        if x >= xs[-1]:
            return self.points[-1][1]
        i = bisect.bisect_right(xs, x)
        (x0, y0), (x1, y1) = self.points[i - 1], self.points[i]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def inverse(self, target: float) -> float | None:
        """Smallest setting predicted to reach `target`, or None when the curve never does."""
        prev = None
        for x, y in self.points:
            if y >= target:
                if prev is None or y == prev[1]:
                    return x
                x0, y0 = prev
                return x0 + (x - x0) * (target - y0) / (y - y0)
            prev = (x, y)
        return None

    @property
    def max_x(self) -> float:
        return self.points[-1][0]


@dataclass(frozen=True)
class ModeSettings:
    """What a mode means for one session's format: the floor and ceiling of the codec setting."""

    mode: Mode
    metric: str
    target: float | None
    floor: float  # bitrate (audio bps), bits per pixel (video), quality 0-100 (screen), zstd level (data)
    ceiling: float
    reachable: bool  # False when the calibration never measured the target being met
    curve: Curve | None

    def predict(self, setting: float) -> float | None:
        return self.curve.predict(setting) if self.curve else None


class CalibrationTable:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def load(cls, path: Path | None = None) -> CalibrationTable:
        try:
            if path is None:
                text = resources.files("auralinkd.compression").joinpath(CALIBRATION_FILE).read_text()
            else:
                text = path.read_text()
            return cls(json.loads(text))
        except (OSError, ValueError) as exc:
            raise FailedPrecondition(
                f"compression calibration table unreadable ({exc}); run `python -m bench.compression`"
            ) from None

    @staticmethod
    def check(data: dict[str, Any]) -> None:
        """FailedPrecondition unless `data` has the curves and levels every session type reads."""
        try:
            for rate, entry in data["audio"].items():
                int(rate)
                Curve.from_points(entry["curve"], entry["metric"])
            Curve.from_points(data["video"]["vp8"]["curve"], data["video"]["vp8"]["metric"])
            for entry in data["screen"].values():
                Curve.from_points(entry["curve"], entry["metric"])
            for mode in (Mode.CONSERVATIVE, Mode.ADAPTIVE, Mode.AGGRESSIVE):
                float(data["data"]["zstd_level"][mode.value])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FailedPrecondition(f"the calibration table is incomplete or malformed ({exc!r})") from None

    def curve(self, frame_type: FrameType, fmt: StreamFormat, codec: str = "") -> Curve:
        if frame_type is FrameType.AUDIO:
            assert isinstance(fmt, AudioFormat)
            entry = self.data["audio"][str(fmt.sample_rate)]
        elif frame_type is FrameType.VIDEO:
            entry = self.data["video"]["vp8"]
        else:
            entry = self.data["screen"][codec or "webp"]
        return Curve.from_points(entry["curve"], entry["metric"])

    def settings(self, frame_type: FrameType, mode: Mode, fmt: StreamFormat, codec: str = "") -> ModeSettings:
        if mode is Mode.OFF:
            return ModeSettings(mode, "lossless", None, 0, 0, True, None)
        if frame_type is FrameType.DATA:
            level = float(self.data["data"]["zstd_level"][mode.value])
            return ModeSettings(mode, "lossless", None, level, level, True, None)
        curve = self.curve(frame_type, fmt, codec)
        target = QUALITY_TARGETS[frame_type][mode]
        margin = LOOKUP_MARGIN[frame_type]
        found = curve.inverse(target + margin)
        if found is None:  # reached, but without the margin: the top of the curve
            found = curve.inverse(target)
        floor = found if found is not None else curve.max_x
        higher = _HIGHER.get(mode)
        up = curve.inverse(QUALITY_TARGETS[frame_type][higher] + margin) if higher else None
        ceiling = up if up is not None else min(curve.max_x, floor * CONSERVATIVE_HEADROOM)
        if frame_type is FrameType.SCREEN:
            floor, ceiling = round(floor), round(max(floor, ceiling))
        return ModeSettings(mode, curve.metric, target, floor, max(floor, ceiling), found is not None, curve)


def video_bitrate(fmt: ImageFormat, bits_per_pixel: float, scale: float = 1.0, fps: float | None = None) -> int:
    w, h = fmt.width * scale, fmt.height * scale
    return int(bits_per_pixel * w * h * (fps if fps is not None else fmt.frame_rate))
