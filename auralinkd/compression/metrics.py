"""In-memory aggregation of compression figures per session, per user, per frame type and mode, and globally.

Bounded memory: counters plus a fixed-size reservoir per scope for latency percentiles (Vitter's
algorithm R, restarted at each flush window; percentiles cover the current window and the last one
that had frames, so a flush never reads as 0 ms). `snapshot()` is what the 10 s flusher and
GetCompressionMetrics read; nothing is written per frame. Per-mode figures are kept per user too, so
a caller who may see only some users gets a breakdown of exactly their traffic.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import TypeVar

from auralinkd.compression.formats import FrameType
from auralinkd.compression.modes import Mode

K = TypeVar("K")

RESERVOIR_SIZE = 1024
ModeKey = tuple[FrameType, Mode]


class Reservoir:
    """A uniform sample of at most `size` values from a stream, for percentiles."""

    def __init__(self, size: int = RESERVOIR_SIZE, seed: int = 0) -> None:
        self.size = size
        self.seen = 0
        self.values: list[float] = []
        self.last: list[float] = []  # the sample of the last window that had values
        self._rng = random.Random(seed)

    def add(self, value: float) -> None:
        self.seen += 1
        if len(self.values) < self.size:
            self.values.append(value)
        else:
            j = int(self._rng.random() * self.seen)  # uniform in [0, seen), half the cost of randrange
            if j < self.size:
                self.values[j] = value

    def samples(self) -> list[float]:
        """The current window's sample and the last full window's: what percentiles are taken over."""
        return self.values + self.last

    def percentile(self, q: float) -> float:
        """0.0 with no sample at all (see `samples()`; MetricsSnapshot.latency_samples says so)."""
        ordered = sorted(self.samples())
        if not ordered:
            return 0.0
        k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
        return ordered[k]

    def reset(self) -> None:
        """A new window; the one ending is kept as the last full window when it had values."""
        if self.values:
            self.last = self.values
        self.seen = 0
        self.values = []


@dataclass(frozen=True)
class MetricsSnapshot:
    frames: int
    bytes_in: int
    bytes_out: int
    compression_ratio: float  # bytes_in / bytes_out (higher is better); 1.0 with no frames
    reduction_pct: float  # 100 * (1 - bytes_out / bytes_in)
    bandwidth_saved_bytes: int
    quality: dict[str, float]  # metric name ("pesq_wb", "ssim", ...) -> mean per-frame score
    latency_p50_ms: float
    latency_p99_ms: float
    fallback_count: int
    below_floor_count: int
    latency_mean_ms: float = 0.0
    latency_samples: int = 0  # behind the percentiles; 0: no latency data yet (p50/p99 are then 0.0)


@dataclass
class Aggregate:
    frames: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    quality_sums: dict[str, list[float]] = field(default_factory=dict)  # metric -> [sum, count]
    fallback_count: int = 0
    below_floor_count: int = 0
    latency: Reservoir = field(default_factory=Reservoir)
    latency_total_ms: float = 0.0

    def add(
        self, bytes_in: int, bytes_out: int, quality: float | None, metric: str, latency_ms: float, fallback: bool
    ) -> None:
        self.frames += 1
        self.bytes_in += bytes_in
        self.bytes_out += bytes_out
        if quality is not None:
            acc = self.quality_sums.setdefault(metric, [0.0, 0])
            acc[0] += quality
            acc[1] += 1
        self.fallback_count += int(fallback)
        self.latency.add(latency_ms)
        self.latency_total_ms += latency_ms

    def snapshot(self) -> MetricsSnapshot:
        ratio = self.bytes_in / self.bytes_out if self.bytes_out else 1.0
        reduction = 100.0 * (1 - self.bytes_out / self.bytes_in) if self.bytes_in else 0.0
        quality = {m: total / n for m, (total, n) in sorted(self.quality_sums.items()) if n}
        return MetricsSnapshot(
            self.frames,
            self.bytes_in,
            self.bytes_out,
            ratio,
            reduction,
            max(0, self.bytes_in - self.bytes_out),
            quality,
            self.latency.percentile(50),
            self.latency.percentile(99),
            self.fallback_count,
            self.below_floor_count,
            self.latency_total_ms / self.frames if self.frames else 0.0,
            len(self.latency.values) + len(self.latency.last),
        )


def mode_order(key: ModeKey) -> tuple[int, int]:
    return list(FrameType).index(key[0]), list(Mode).index(key[1])


def merged(aggregates: list[Aggregate]) -> Aggregate:
    """One aggregate over several (a caller's own users): counters summed, latency samples pooled."""
    out = Aggregate(latency=Reservoir(size=RESERVOIR_SIZE * max(1, len(aggregates))))
    for agg in aggregates:
        out.frames += agg.frames
        out.bytes_in += agg.bytes_in
        out.bytes_out += agg.bytes_out
        out.fallback_count += agg.fallback_count
        out.below_floor_count += agg.below_floor_count
        out.latency_total_ms += agg.latency_total_ms
        for metric, (total, n) in agg.quality_sums.items():
            acc = out.quality_sums.setdefault(metric, [0.0, 0])
            acc[0] += total
            acc[1] += n
        out.latency.values.extend(agg.latency.values)
        out.latency.last.extend(agg.latency.last)
    return out


@dataclass(frozen=True)
class MetricsReport:
    global_: MetricsSnapshot
    per_user: dict[str, MetricsSnapshot]
    per_session: dict[str, MetricsSnapshot]
    # Per frame type and mode, over the same users as global_, ordered by frame type then mode.
    per_mode: dict[ModeKey, MetricsSnapshot] = field(default_factory=dict)


class MetricsRegistry:
    """Thread-safe: the servicer may compress on several threads at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._global = Aggregate()
        self._users: dict[str, Aggregate] = {}
        self._sessions: dict[str, Aggregate] = {}
        self._ended: set[str] = set()  # kept until the next flush window, so their last figures go out
        self._owner: dict[str, str] = {}  # session -> user
        self._window: dict[str, Aggregate] = {}  # per session, since the recorder's last drain
        self._global_modes: dict[ModeKey, Aggregate] = {}
        self._user_modes: dict[str, dict[ModeKey, Aggregate]] = {}
        self._mode_of: dict[str, ModeKey] = {}  # session -> its frame type and mode
        self._fallback_reasons: dict[str, int] = {}  # reason -> frames since start (for Prometheus)
        self._load_events: dict[str, int] = {}  # overload handling (LoadEvent values) -> count since start

    def record_load_event(self, event: str, n: int = 1) -> None:
        """A degrade step, a shed session or dropped stale frames (for Prometheus)."""
        with self._lock:
            self._load_events[event] = self._load_events.get(event, 0) + n

    def load_events(self) -> dict[str, int]:
        with self._lock:
            return dict(self._load_events)

    def drain_window(self) -> dict[str, tuple[str, MetricsSnapshot]]:
        """Per session with frames since the last drain: (user, figures of those frames only)."""
        with self._lock:
            window, self._window = self._window, {}
            return {sid: (self._owner.get(sid, ""), agg.snapshot()) for sid, agg in window.items() if agg.frames}

    def record_frame(
        self,
        session_id: str,
        user_id: str,
        *,
        bytes_in: int,
        bytes_out: int,
        quality: float | None,
        metric: str,
        latency_ms: float,
        fallback: bool,
        frame_type: FrameType | None = None,
        mode: Mode | None = None,
        fallback_reason: str = "",
    ) -> None:
        with self._lock:
            self._owner[session_id] = user_id
            if fallback_reason:
                self._fallback_reasons[fallback_reason] = self._fallback_reasons.get(fallback_reason, 0) + 1
            aggregates = [
                self._global,
                _entry(self._users, user_id),
                _entry(self._sessions, session_id),
                _entry(self._window, session_id),
            ]
            if frame_type is not None and mode is not None:
                key = self._mode_of[session_id] = (frame_type, mode)
                aggregates += self._mode_aggregates(user_id, key)
            for agg in aggregates:
                agg.add(bytes_in, bytes_out, quality, metric, latency_ms, fallback)

    def _mode_aggregates(self, user_id: str, key: ModeKey) -> list[Aggregate]:
        return [
            _entry(self._global_modes, key),
            _entry(self._user_modes.setdefault(user_id, {}), key),
        ]

    def totals(self) -> tuple[dict[tuple[str, str], tuple[int, int, int]], dict[str, int]]:
        """Since start: (frames, bytes in, bytes out) per (frame type, mode), and fallback frames per reason."""
        with self._lock:
            by_mode = {
                (key[0].value, key[1].value): (agg.frames, agg.bytes_in, agg.bytes_out)
                for key, agg in self._global_modes.items()
            }
            return by_mode, dict(self._fallback_reasons)

    def record_below_floor(self, session_id: str, user_id: str) -> None:
        with self._lock:
            self._owner[session_id] = user_id
            aggregates = [
                self._global,
                _entry(self._users, user_id),
                _entry(self._sessions, session_id),
            ]
            if session_id in self._mode_of:
                aggregates += self._mode_aggregates(user_id, self._mode_of[session_id])
            for agg in aggregates:
                agg.below_floor_count += 1

    def end_session(self, session_id: str) -> None:
        with self._lock:
            if session_id in self._sessions:
                self._ended.add(session_id)

    def snapshot(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        reset_window: bool = False,
        visible_users: set[str] | None = None,
    ) -> MetricsReport:
        """Totals since start; latency percentiles over the window since the last reset.

        With `visible_users`, only those users' figures and sessions appear, and `global_` is their
        combined figure rather than the daemon's (a member never sees other tenants' traffic).
        """
        with self._lock:
            users = {
                u: a
                for u, a in self._users.items()
                if (user_id is None or u == user_id) and (visible_users is None or u in visible_users)
            }
            sessions = {
                s: a
                for s, a in self._sessions.items()
                if (session_id is None or s == session_id)
                and (visible_users is None or self._owner.get(s) in visible_users)
            }
            overall = self._global if visible_users is None else merged(list(users.values()))
            if visible_users is None:
                modes = self._global_modes
            else:
                by_key: dict[ModeKey, list[Aggregate]] = {}
                for u in users:
                    for key, agg in self._user_modes.get(u, {}).items():
                        by_key.setdefault(key, []).append(agg)
                modes = {key: merged(aggs) for key, aggs in by_key.items()}
            report = MetricsReport(
                overall.snapshot(),
                {u: a.snapshot() for u, a in users.items()},
                {s: a.snapshot() for s, a in sessions.items()},
                {key: modes[key].snapshot() for key in sorted(modes, key=mode_order) if modes[key].frames},
            )
            if reset_window:
                per_user_modes = [a for m in self._user_modes.values() for a in m.values()]
                for agg in (
                    self._global,
                    *self._users.values(),
                    *self._sessions.values(),
                    *self._global_modes.values(),
                    *per_user_modes,
                ):
                    agg.latency.reset()
                for sid in self._ended:
                    self._sessions.pop(sid, None)
                    self._owner.pop(sid, None)
                    self._mode_of.pop(sid, None)
                self._ended.clear()
            return report


def _entry(table: dict[K, Aggregate], key: K) -> Aggregate:
    """table[key], created on first use (not setdefault: building an unused Aggregate seeds a RNG, ~7 us)."""
    agg = table.get(key)
    if agg is None:
        agg = table[key] = Aggregate()
    return agg
