"""When the normal path cannot be trusted with a frame, pick a safe one, and say why.

Three triggers, per the issue:
- QUALITY: the predicted quality of the chosen setting is below the session's min_quality_score,
  so the frame goes at the setting the calibration says meets it (a higher bitrate or quality), or
  losslessly when no setting does;
- CODEC_ERROR: the codec failed on this frame, so it goes raw;
- LATENCY: encodes take longer than max_latency_ms (a moving average, so one scheduling hiccup does
  not count); the frame that tipped it is already made and is sent, but the next `cooldown_frames`
  frames take the fast safe path (raw, zstd-packed where it is smaller).
Every fallback frame is marked in its header and counted; the log of reasons is rate-limited.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from auralinkd.compression.modes import ModeSettings

LATENCY_COOLDOWN_FRAMES = 25
LATENCY_EWMA_ALPHA = 0.3
LOG_INTERVAL_S = 10.0


class FallbackReason(enum.Enum):
    NONE = "none"
    QUALITY = "quality_below_min"
    CODEC_ERROR = "codec_error"
    LATENCY = "latency_over_budget"


@dataclass(frozen=True)
class QualityPlan:
    setting: float
    predicted: float | None
    reason: FallbackReason = FallbackReason.NONE
    lossless: bool = False


@dataclass(frozen=True)
class FallbackEvent:
    """One row for aic_fallback_logs (written by the flusher, at most one per interval per session)."""

    at: float
    reason: FallbackReason
    detail: str
    suppressed: int  # events of this session since the last logged one that were not logged


@dataclass
class FallbackPolicy:
    min_quality_score: float
    max_latency_ms: float
    clock: Callable[[], float]
    cooldown_frames: int = LATENCY_COOLDOWN_FRAMES
    counts: dict[FallbackReason, int] = field(default_factory=dict)
    pending_log: list[FallbackEvent] = field(default_factory=list)
    _cooldown: int = 0
    _latency_ewma: float = 0.0
    _last_logged: float = float("-inf")
    _suppressed: int = 0

    def plan_quality(self, mode: ModeSettings, setting: float, codec_max: float) -> QualityPlan:
        """Check the setting ABR chose against min_quality_score before encoding."""
        predicted = mode.predict(setting)
        if predicted is None or self.min_quality_score <= 0 or predicted >= self.min_quality_score:
            return QualityPlan(setting, predicted)
        assert mode.curve is not None
        needed = mode.curve.inverse(self.min_quality_score)
        if needed is None or needed > codec_max:
            return QualityPlan(setting, None, FallbackReason.QUALITY, lossless=True)
        return QualityPlan(needed, mode.curve.predict(needed), FallbackReason.QUALITY)

    def in_latency_cooldown(self) -> bool:
        if self._cooldown > 0:
            self._cooldown -= 1
            return True
        return False

    def observe_encode(self, elapsed_ms: float) -> bool:
        """Record an encode's duration; True when the average broke the budget (and starts the cooldown)."""
        self._latency_ewma += LATENCY_EWMA_ALPHA * (elapsed_ms - self._latency_ewma)
        if self._latency_ewma > self.max_latency_ms:
            self._cooldown = self.cooldown_frames
            self._latency_ewma = 0.0
            return True
        return False

    def record(self, reason: FallbackReason, detail: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        now = self.clock()
        if now - self._last_logged >= LOG_INTERVAL_S:
            self.pending_log.append(FallbackEvent(now, reason, detail, self._suppressed))
            self._last_logged, self._suppressed = now, 0
        else:
            self._suppressed += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def drain_log(self) -> list[FallbackEvent]:
        events, self.pending_log = self.pending_log, []
        return events
