"""CompressionService: the domain API the servicer calls. Synchronous and fast per frame, so the
servicer may run it in a thread; plain dataclasses in and out; raises auralinkd.errors types only.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from auralinkd.compression import abr
from auralinkd.compression.config import CompressionConfig, resolve_codec, wants_postfilter
from auralinkd.compression.container import CodecId, Flag
from auralinkd.compression.fallback import FallbackPolicy, LoadSignal
from auralinkd.compression.formats import AudioFormat, FrameType, StreamFormat, validate_format
from auralinkd.compression.metrics import MetricsRegistry, MetricsReport
from auralinkd.compression.modes import CalibrationTable, Mode
from auralinkd.compression.pipeline import DecodeFilter, FramePipeline
from auralinkd.compression.rtp import RtpMeta
from auralinkd.compression.session import Session, SessionCursor, SessionInfo, SessionManager
from auralinkd.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, ResourceExhausted

log = logging.getLogger(__name__)

MAX_SEQUENCE = 2**63 - 1
SHED_HOLD_S = 2.0  # new sessions are refused this long after the last sign of overload


class LoadEvent:
    """Names of what the service counts about overload (MetricsRegistry.load_events, Prometheus)."""

    STEP_DOWN = LoadSignal.STEP_DOWN.value
    STEP_UP = LoadSignal.STEP_UP.value
    SHED = "session_shed"
    STALE = "stale_frame_dropped"


class Overload:
    """Whether this replica is over capacity: some session's encodes ran over SHED_SHARE of its budget,
    a session stepped down, or frames went stale, within the last SHED_HOLD_S. (The service also refuses
    new sessions while any running one is stepped down.)"""

    def __init__(self, clock: Callable[[], float], hold_s: float = SHED_HOLD_S) -> None:
        self._clock = clock
        self.hold_s = hold_s
        self._last = float("-inf")
        self.reason = ""

    def note(self, reason: str) -> None:
        self._last, self.reason = self._clock(), reason

    def active(self) -> bool:
        return self._clock() - self._last < self.hold_s


@dataclass(frozen=True)
class SessionStarted:
    session_id: str
    codec: str
    quality_metric: str
    mode_target: float | None  # the mode's quality target on quality_metric's scale
    target_reachable: bool
    bitrate_bps: int
    postfilter: bool = False


@dataclass(frozen=True)
class CompressResult:
    session_id: str
    sequence: int
    data: bytes
    codec: str
    input_bytes: int
    output_bytes: int
    compression_ratio: float  # input / output
    reduction_pct: float  # against the raw input
    quality_score: float | None
    quality_metric: str
    quality_source: str  # "predicted" from the calibration table, or "exact" for lossless frames
    latency_ms: float
    fallback: bool
    fallback_reason: str
    keyframe: bool
    skipped: bool
    bitrate_bps: int
    target_ratio_met: bool | None  # None when the config sets no target
    rtp: RtpMeta | None = None  # the request's RTP metadata, echoed


@dataclass(frozen=True)
class DecompressResult:
    session_id: str
    sequence: int
    payload: bytes
    codec: str
    fallback: bool
    skipped: bool
    latency_ms: float
    # For a lost frame: "fec" or "plc" (see FramePipeline.conceal); empty otherwise.
    concealment: str = ""
    rtp: RtpMeta | None = None  # Opus in: the packet's RTP metadata, echoed


def quality_metric_for(frame_type: FrameType, fmt: StreamFormat, mode: Mode) -> str:
    if mode is Mode.OFF or frame_type is FrameType.DATA:
        return "lossless"
    if frame_type is FrameType.AUDIO:
        assert isinstance(fmt, AudioFormat)
        return "pesq_nb" if fmt.sample_rate == 8000 else "pesq_wb"
    return "ssim"


class CompressionService:
    def __init__(
        self,
        calibration: CalibrationTable,
        *,
        defaults: CompressionConfig | None = None,
        idle_timeout_s: float = 300.0,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        timer: Callable[[], float] = time.perf_counter,
        postfilter_batch: bool | None = None,
    ) -> None:
        """`postfilter_batch`: batch hybrid sessions' post-filter across sessions; None: only on CUDA
        (a test forces it on to run the CUDA code path on the CPU)."""
        self.postfilter_batch = postfilter_batch
        self.calibration = calibration
        self.defaults = (defaults or CompressionConfig()).validate()
        self.clock = clock
        self.timer = timer  # seconds, for encode/decode latency (injectable: see FramePipeline)
        self.metrics = MetricsRegistry()
        self.sessions = SessionManager(idle_timeout_s, max_sessions, clock, self._evicted)
        self.overload = Overload(clock)
        self._ended_lock = threading.Lock()
        self._ended: list[Session] = []  # ended since the recorder last drained them

    # -- configuration ----------------------------------------------------------------------------

    def get_config(self) -> CompressionConfig:
        return self.defaults

    def update_config(self, config: CompressionConfig) -> CompressionConfig:
        """New defaults for sessions started from now on; open sessions keep theirs."""
        self.defaults = config.validate()
        return self.defaults

    # -- sessions ---------------------------------------------------------------------------------

    def start_session(
        self,
        user_id: str,
        frame_type: FrameType,
        fmt: StreamFormat,
        config: CompressionConfig | None = None,
        *,
        org_id: str = "",
    ) -> SessionStarted:
        if not isinstance(frame_type, FrameType):
            raise InvalidArgument.for_field("frame_type", "must be one of " + ", ".join(t.name for t in FrameType))
        config = (config or self.defaults).validate()
        validate_format(frame_type, fmt)
        if self.overload.active() or self._degraded():  # new sessions are shed before running ones degrade
            self.metrics.record_load_event(LoadEvent.SHED)
            raise ResourceExhausted(
                f"this replica is over capacity ({self.overload.reason}); start the session on another replica "
                f"or retry in {self.overload.hold_s:g} s"
            )
        codec = resolve_codec(frame_type, config, fmt)
        codec_name = codec.name.lower() if codec in (CodecId.WEBP, CodecId.AVIF) else ""
        mode = self.calibration.settings(frame_type, config.mode, fmt, codec_name)
        metric = quality_metric_for(frame_type, fmt, config.mode)
        policy = FallbackPolicy(config.min_quality_score, config.max_latency_ms, self.clock)
        session_filter = self._session_filter(config) if wants_postfilter(frame_type, config, codec) else None
        pipeline = FramePipeline(frame_type, fmt, codec, mode, policy, metric, self.timer, session_filter)
        pipeline.decision = abr.initial_decision(frame_type, mode, fmt)
        session = self.sessions.create(user_id, frame_type, fmt, config, pipeline, org_id)
        return SessionStarted(
            session.id,
            codec.name.lower(),
            metric,
            mode.target,
            mode.reachable,
            pipeline.decision.bitrate_bps,
            session_filter is not None,
        )

    async def warm_postfilter(self) -> None:
        """Load the shared post-filter in a thread, so the first hybrid session does not wait for it (~6 s)."""
        from auralinkd.compression import postfilter

        try:
            await asyncio.to_thread(postfilter.shared_postfilter, False)
        except postfilter.PostFilterUnavailable as exc:
            log.info("model_type hybrid is unavailable: %s", exc)

    def _session_filter(self, config: CompressionConfig) -> DecodeFilter:
        """Shared weights (loaded once per device choice, importing torch then), state of this session's own."""
        from auralinkd.compression import postfilter

        try:
            model = postfilter.shared_postfilter(config.use_gpu)
        except postfilter.PostFilterUnavailable as exc:
            raise FailedPrecondition(f"model_type hybrid is not available: {exc}") from None
        return postfilter.SessionFilter(model, batch=self.postfilter_batch)

    def end_session(self, session_id: str, user_id: str | None = None) -> None:
        session = self.sessions.remove(session_id, user_id)
        self.metrics.end_session(session_id)
        self._note_ended(session)

    def list_sessions(
        self,
        user_id: str | None = None,
        *,
        visible: Callable[[Session], bool] | None = None,
        after: SessionCursor | None = None,
        limit: int | None = None,
    ) -> list[SessionInfo]:
        """Live sessions by creation, `user_id`'s only when given, those `visible` accepts, after `after`."""
        return self.sessions.list(user_id, visible=visible, after=after, limit=limit)

    def decode_waits_for_batch(self, session_id: str) -> bool:
        """Whether decoding this session's frames waits for other sessions' (a batched post-filter):
        such calls must not run on the event loop, or no other session could join the batch."""
        session = self.sessions.peek(session_id)
        f = session.pipeline.postfilter if session else None
        return bool(getattr(f, "batched", False))

    def frame_type_of(self, session_id: str) -> FrameType | None:
        """The live session's frame type, without touching it (None when unknown)."""
        session = self.sessions.peek(session_id)
        return session.frame_type if session else None

    def _evicted(self, session: Session) -> None:
        self.metrics.end_session(session.id)
        self._note_ended(session)

    def _note_ended(self, session: Session) -> None:
        with self._ended_lock:
            self._ended.append(session)

    def drain_ended(self) -> list[Session]:
        """Sessions ended or evicted since the last call (for the recorder's session rows)."""
        with self._ended_lock:
            ended, self._ended = self._ended, []
        return ended

    # -- frames -----------------------------------------------------------------------------------

    def drop_stale(self, session_id: str, sequence: int, age_ms: float, bound_ms: float, user_id: str | None) -> None:
        """Refuse a frame older than its client-set bound (real-time media is dropped, never queued): counted,
        and overload is noted, so new sessions are shed while frames go stale. Raises DeadlineExceeded."""
        session = self.sessions.get(session_id, user_id)
        session.stale_dropped += 1
        self.metrics.record_load_event(LoadEvent.STALE)
        self.overload.note("frames went stale")
        raise DeadlineExceeded(
            f"frame {sequence} is {age_ms:.0f} ms old, over the bound of {bound_ms:g} ms: dropped, not coded"
        )

    def compress(
        self, session_id: str, sequence: int, payload: bytes, user_id: str | None = None, *, rtp: RtpMeta | None = None
    ) -> CompressResult:
        """Encode one frame; with `rtp` (the RTP metadata of the packet this frame becomes), in RTP order
        per SSRC, as on decode (rtp.py), and echoed."""
        _check_sequence(sequence)
        session = self.sessions.get(session_id, user_id)
        if rtp is not None:
            rtp.validate()
            session.rtp_encode_order.check(rtp)
        t0 = self.timer()
        frame = session.pipeline.compress(sequence, payload)
        if rtp is not None:
            session.rtp_encode_order.accept(rtp)
        latency = (self.timer() - t0) * 1000
        if frame.load is not LoadSignal.NONE:
            self._note_load(session, frame.load)
        session.frames_in += 1
        session.last_sequence = sequence
        n_in, n_out = len(payload), len(frame.data)
        fallback = bool(frame.flags & Flag.FALLBACK)
        session.bytes_in += n_in
        session.bytes_out += n_out
        session.fallback_count += int(fallback)
        self.metrics.record_frame(
            session.id,
            session.user_id,
            frame_type=session.frame_type,
            mode=session.config.mode,
            bytes_in=n_in,
            bytes_out=n_out,
            quality=frame.quality,
            metric=session.pipeline.metric,
            latency_ms=latency,
            fallback=fallback,
            fallback_reason=frame.fallback_reason.value if fallback else "",
        )
        ratio = n_in / n_out if n_out else 0.0
        target = session.config.target_compression_ratio
        return CompressResult(
            session.id,
            sequence,
            frame.data,
            frame.codec.name.lower(),
            n_in,
            n_out,
            ratio,
            100.0 * (1 - n_out / n_in) if n_in else 0.0,
            frame.quality,
            session.pipeline.metric,
            frame.quality_source,
            latency,
            fallback,
            frame.fallback_reason.value,
            bool(frame.flags & Flag.KEYFRAME),
            bool(frame.flags & Flag.SKIPPED),
            frame.bitrate_bps,
            (ratio >= target) if target else None,
            rtp,
        )

    def _degraded(self) -> bool:
        """Whether a running session is on a cheaper setting (the latency fallback stepped it down)."""
        if any(s.pipeline.policy.step > 0 for s in self.sessions.live()):
            self.overload.reason = self.overload.reason or "a running session is degraded"
            return True
        return False

    def _note_load(self, session: Session, signal: LoadSignal) -> None:
        if signal is LoadSignal.STEP_UP:
            self.metrics.record_load_event(LoadEvent.STEP_UP)
            log.info("compression session %s stepped back up: %s", session.id, session.pipeline.policy.describe())
            return
        self.overload.note("encodes over their latency budget")
        if signal is LoadSignal.STEP_DOWN:
            self.metrics.record_load_event(LoadEvent.STEP_DOWN)
            log.warning("compression session %s stepped down: %s", session.id, session.pipeline.policy.describe())

    def decompress(
        self,
        session_id: str,
        sequence: int,
        data: bytes,
        user_id: str | None = None,
        *,
        lost: bool = False,
        rtp: RtpMeta | None = None,
    ) -> DecompressResult:
        """Decode one frame; with `lost`, conceal a lost one (`data`: empty, or the frame after it); with
        `rtp`, `data` is a bare Opus packet with its RTP metadata (Opus in, see rtp.py)."""
        _check_sequence(sequence)
        session = self.sessions.get(session_id, user_id)
        t0 = self.timer()
        how = ""
        if lost:
            frame, how = session.pipeline.conceal(data)
        elif rtp is not None:  # Opus in: a bare Opus packet, in RTP order per SSRC
            rtp.validate()
            session.rtp_order.check(rtp)
            frame = session.pipeline.decode_opus(data, rtp.sequence)
            session.rtp_order.accept(rtp)
        else:
            frame = session.pipeline.decompress(data)
        session.frames_out += 1
        return DecompressResult(
            session.id,
            sequence,
            frame.payload,
            frame.codec.name.lower(),
            bool(frame.flags & Flag.FALLBACK),
            bool(frame.flags & Flag.SKIPPED),
            (self.timer() - t0) * 1000,
            how,
            rtp,
        )

    # -- network and metrics ----------------------------------------------------------------------

    def update_network_conditions(
        self, session_id: str, conditions: abr.NetworkConditions, user_id: str | None = None
    ) -> abr.AbrDecision:
        conditions.validate()
        session = self.sessions.get(session_id, user_id)
        p = session.pipeline
        channels = session.fmt.channels if isinstance(session.fmt, AudioFormat) else 1
        decision = abr.decide(session.frame_type, p.mode, session.fmt, conditions, channels)
        with p.encode_lock:
            p.decision = decision
        session.network = conditions
        if decision.below_floor:
            session.below_floor_count += 1
            self.metrics.record_below_floor(session.id, session.user_id)
        return decision

    def get_metrics(
        self,
        *,
        session_id: str | None = None,
        user_id: str | None = None,
        reset_window: bool = False,
        visible_users: set[str] | None = None,
        session_owner: str | None = None,
    ) -> MetricsReport:
        """Figures per session, per user and overall; `visible_users` limits them to what a caller may
        see, and a `session_id` filter must name a live session of `session_owner` (when given)."""
        if session_id is not None:
            self.sessions.get(session_id, session_owner)
        return self.metrics.snapshot(
            session_id=session_id, user_id=user_id, reset_window=reset_window, visible_users=visible_users
        )

    def use_calibration(self, table: CalibrationTable) -> None:
        """Sessions started from now on use `table`; open sessions keep their settings."""
        self.calibration = table

    def drain_fallback_log(self) -> list[tuple[str, str, object]]:
        """Rate-limited fallback events of live sessions, for aic_fallback_logs: (session, user, event)."""
        out: list[tuple[str, str, object]] = []
        for session in self.sessions.live():
            out.extend((session.id, session.user_id, e) for e in session.pipeline.policy.drain_log())
        return out


def _check_sequence(sequence: int) -> None:
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise InvalidArgument.for_field("sequence", f"must be between 0 and {MAX_SEQUENCE}, got {sequence}")
