"""Compression sessions: per-session codec state, kept in memory and evicted when idle.

Sessions survive neither a daemon restart nor a move to another replica: the caller (the WebRTC
server) re-opens one on NOT_FOUND and its stream goes on, starting with a key frame.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from auralinkd.compression.abr import NetworkConditions
from auralinkd.compression.config import CompressionConfig
from auralinkd.compression.formats import FrameType, StreamFormat
from auralinkd.compression.pipeline import FramePipeline
from auralinkd.compression.rtp import RtpOrder
from auralinkd.errors import NotFound, ResourceExhausted

DEFAULT_IDLE_TIMEOUT_S = 300.0
DEFAULT_MAX_SESSIONS = 10_000
SWEEP_INTERVAL_S = 1.0


@dataclass
class Session:
    id: str
    user_id: str
    frame_type: FrameType
    fmt: StreamFormat
    config: CompressionConfig
    pipeline: FramePipeline
    created_at: float
    last_used: float
    frames_in: int = 0
    frames_out: int = 0
    last_sequence: int | None = None
    network: NetworkConditions | None = None
    below_floor_count: int = 0
    org_id: str = ""
    ended_at: float | None = None
    end_status: str = ""  # "completed" (EndSession) or "evicted" (idle), once ended
    bytes_in: int = 0
    bytes_out: int = 0
    fallback_count: int = 0
    rtp_order: RtpOrder = field(default_factory=RtpOrder)  # Opus in: accepted RTP sequences per SSRC
    rtp_encode_order: RtpOrder = field(default_factory=RtpOrder)  # the same for frames to encode
    stale_dropped: int = 0  # frames refused as older than their client-set bound
    created_wall: float = field(default_factory=time.time)  # for people; created_at orders and times


@dataclass(frozen=True)
class SessionCursor:
    """Where a listing page ends: sessions are listed by (created_at, id)."""

    created_at: float
    id: str


@dataclass(frozen=True)
class SessionInfo:
    id: str
    user_id: str
    frame_type: FrameType
    fmt: StreamFormat
    config: CompressionConfig
    codec: str
    idle_s: float
    frames_in: int
    frames_out: int
    created_at: float = 0.0  # the manager's clock, for ordering and paging
    created_wall: float = 0.0  # seconds since the epoch
    last_used_wall: float = 0.0
    bytes_in: int = 0
    bytes_out: int = 0
    fallback_count: int = 0
    org_id: str = ""
    postfilter: bool = False
    stale_dropped: int = 0
    degrade_step: int = 0  # the latency fallback's step (fallback.DEGRADE_STEPS); 0 is normal

    @property
    def cursor(self) -> SessionCursor:
        return SessionCursor(self.created_at, self.id)


class SessionManager:
    """Thread-safe map of live sessions; sweeps idle ones at most once a second on access."""

    def __init__(
        self,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
        on_evict: Callable[[Session], None] | None = None,
    ) -> None:
        self.idle_timeout_s = idle_timeout_s
        self.max_sessions = max_sessions
        self.clock = clock
        self._on_evict = on_evict
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._last_sweep = float("-inf")

    def create(
        self,
        user_id: str,
        frame_type: FrameType,
        fmt: StreamFormat,
        config: CompressionConfig,
        pipeline: FramePipeline,
        org_id: str = "",
    ) -> Session:
        self.sweep()
        now = self.clock()
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise ResourceExhausted(f"at most {self.max_sessions} compression sessions may be open at once")
            session = Session(str(uuid.uuid4()), user_id, frame_type, fmt, config, pipeline, now, now, org_id=org_id)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str, user_id: str | None = None) -> Session:
        """The live session, touched; NOT_FOUND when unknown, expired or another user's."""
        self.sweep()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or (user_id is not None and session.user_id != user_id):
                raise NotFound(f"compression session {session_id!r} does not exist or has expired")
            session.last_used = self.clock()
            return session

    def remove(self, session_id: str, user_id: str | None = None) -> Session:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or (user_id is not None and session.user_id != user_id):
                raise NotFound(f"compression session {session_id!r} does not exist or has expired")
            del self._sessions[session_id]
        session.ended_at, session.end_status = self.clock(), "completed"
        session.pipeline.close()
        return session

    def sweep(self, force: bool = False) -> list[Session]:
        now = self.clock()
        if not force and now - self._last_sweep < SWEEP_INTERVAL_S:
            return []
        with self._lock:
            self._last_sweep = now
            expired = [s for s in self._sessions.values() if now - s.last_used > self.idle_timeout_s]
            for s in expired:
                del self._sessions[s.id]
        for s in expired:
            s.ended_at, s.end_status = now, "evicted"
            s.pipeline.close()
            if self._on_evict:
                self._on_evict(s)
        return expired

    def list(
        self,
        user_id: str | None = None,
        *,
        visible: Callable[[Session], bool] | None = None,
        after: SessionCursor | None = None,
        limit: int | None = None,
    ) -> list[SessionInfo]:
        """Live sessions ordered by (created_at, id); `after` and `limit` page through them."""
        self.sweep()
        now, wall = self.clock(), time.time()
        with self._lock:
            sessions = [
                s
                for s in self._sessions.values()
                if (user_id is None or s.user_id == user_id)
                and (visible is None or visible(s))
                and (after is None or (s.created_at, s.id) > (after.created_at, after.id))
            ]
        sessions.sort(key=lambda s: (s.created_at, s.id))
        if limit is not None:
            sessions = sessions[:limit]
        return [
            SessionInfo(
                s.id,
                s.user_id,
                s.frame_type,
                s.fmt,
                s.config,
                s.pipeline.codec_id.name.lower(),
                now - s.last_used,
                s.frames_in,
                s.frames_out,
                s.created_at,
                s.created_wall,
                wall - (now - s.last_used),
                s.bytes_in,
                s.bytes_out,
                s.fallback_count,
                s.org_id,
                s.pipeline.postfilter is not None,
                s.stale_dropped,
                s.pipeline.policy.step,
            )
            for s in sessions
        ]

    def peek(self, session_id: str) -> Session | None:
        """The live session without touching it or sweeping (cheap; for routing decisions)."""
        return self._sessions.get(session_id)

    def live(self) -> list[Session]:
        """Every open session, without touching them (for flushers)."""
        with self._lock:
            return list(self._sessions.values())

    def __len__(self) -> int:
        return len(self._sessions)
