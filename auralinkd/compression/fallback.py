"""When the normal path cannot be trusted with a frame, pick a safe one, and say why.

Three triggers:
- QUALITY: the predicted quality of the chosen setting is below the session's min_quality_score,
  so the frame goes at the setting the calibration says meets it (a higher bitrate or quality), or,
  when no setting does, at the codec's best (audio stays Opus) or losslessly (video, screen);
- CODEC_ERROR: the codec failed on this frame; video and screen frames go lossless, an audio frame
  is an error in its own slot (every audio frame a peer receives is Opus);
- LATENCY: encodes take longer than max_latency_ms (a moving average, so one scheduling hiccup does
  not count). Audio and video step down within their codec: lower complexity first (DEGRADE_STEPS),
  then lower bitrate, one step per `cooldown_frames` at most, and back up one step after
  RECOVER_FRAMES calm frames. Before any step, an average over SHED_SHARE of the budget is pressure:
  the service refuses new sessions (RESOURCE_EXHAUSTED) while it lasts, so running sessions are the
  last to degrade. Screen frames, whose codecs have no cheaper setting, take the lossless path for
  `cooldown_frames` frames.
Every fallback frame is marked in its header and counted; each step is logged and counted; the log
of reasons is rate-limited.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from auralinkd.compression.modes import ModeSettings

LATENCY_COOLDOWN_FRAMES = 25
RECOVER_FRAMES = 250  # 5 s of 20 ms frames under SHED_SHARE of the budget before stepping back up
SHED_SHARE = 0.5
LATENCY_EWMA_ALPHA = 0.3
LOG_INTERVAL_S = 10.0


class FallbackReason(enum.Enum):
    NONE = "none"
    QUALITY = "quality_below_min"
    CODEC_ERROR = "codec_error"
    LATENCY = "latency_over_budget"


@dataclass(frozen=True)
class DegradeStep:
    speed: int  # CodecSettings.speed: 0 the codec's normal effort, higher is cheaper
    bitrate_scale: float  # of the setting ABR chose


# The latency fallback's ladder: complexity first, then bitrate. Step 0 is normal operation.
DEGRADE_STEPS = (
    DegradeStep(0, 1.0),
    DegradeStep(1, 1.0),
    DegradeStep(2, 1.0),
    DegradeStep(2, 0.75),
    DegradeStep(2, 0.5),
)


class LoadSignal(enum.Enum):
    NONE = ""
    PRESSURE = "pressure"  # over SHED_SHARE of the budget: refuse new sessions
    STEP_DOWN = "degrade_step_down"
    STEP_UP = "degrade_step_up"


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
    _hold: int = 0
    _calm: int = 0
    step: int = 0  # index into DEGRADE_STEPS
    steps_taken: int = 0
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
        """Record an encode's duration for a codec without cheaper settings; True when the average broke
        the budget (and starts the lossless cooldown)."""
        self._latency_ewma += LATENCY_EWMA_ALPHA * (elapsed_ms - self._latency_ewma)
        if self._latency_ewma > self.max_latency_ms:
            self._cooldown = self.cooldown_frames
            self._latency_ewma = 0.0
            return True
        return False

    def observe_stepped(self, elapsed_ms: float) -> LoadSignal:
        """Record an encode's duration for a codec with cheaper settings; say whether to shed new
        sessions, step down (the average broke the budget) or step back up (RECOVER_FRAMES calm frames)."""
        self._latency_ewma += LATENCY_EWMA_ALPHA * (elapsed_ms - self._latency_ewma)
        self._hold = max(0, self._hold - 1)
        if self._latency_ewma > self.max_latency_ms:
            self._calm = 0
            if self._hold == 0 and self.step < len(DEGRADE_STEPS) - 1:
                self.step += 1
                self.steps_taken += 1
                self._hold = self.cooldown_frames
                detail = (
                    f"encode average {self._latency_ewma:.1f} ms over {self.max_latency_ms:g} ms: {self.describe()}"
                )
                self._log(FallbackReason.LATENCY, detail, always=True)
                return LoadSignal.STEP_DOWN
            return LoadSignal.PRESSURE
        if self._latency_ewma > SHED_SHARE * self.max_latency_ms:
            self._calm = 0
            return LoadSignal.PRESSURE
        if self.step > 0:
            self._calm += 1
            if self._calm >= RECOVER_FRAMES:
                self.step -= 1
                self._calm = 0
                self.steps_taken += 1
                return LoadSignal.STEP_UP
        return LoadSignal.NONE

    @property
    def degrade(self) -> DegradeStep:
        return DEGRADE_STEPS[self.step]

    def describe(self) -> str:
        d = self.degrade
        return f"step {self.step} of {len(DEGRADE_STEPS) - 1} (speed {d.speed}, bitrate x{d.bitrate_scale:g})"

    def record(self, reason: FallbackReason, detail: str) -> None:
        """A frame sent on a fallback path: counted, and logged at most once per LOG_INTERVAL_S."""
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self._log(reason, detail)

    def _log(self, reason: FallbackReason, detail: str, always: bool = False) -> None:
        now = self.clock()
        if always or now - self._last_logged >= LOG_INTERVAL_S:
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
