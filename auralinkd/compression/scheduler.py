"""Where and when frames are coded: on the event loop or in worker threads, a tick's frames split by
session over threads, and the client's staleness bound checked just before each frame is coded.

Audio and data frames are coded inline on the event loop, video and screen frames (and data frames
over 64 KiB) in a worker thread: an Opus frame costs about what a hop to the default executor and
back costs, and inline keeps one stream's frames in order without a queue, while a VP8 or WebP
frame costs several to tens of ms, which inline would add to every other stream's round trip (PyAV
and Pillow release the GIL while they code). `bench/compress_capacity.py --offload compare` measures
the three policies (auto, inline, thread). A hybrid session's decode adds the post-filter's step and
stays inline, except where the post-filter batches across sessions (CUDA): a call there waits for
others to join its batch, so it runs in a thread.

A batch tick goes to worker threads, split by session (a session's frames stay in order in one
thread) over as many threads as the CPUs this process may run on; a small tick takes one hop. Each
frame of a tick fails or succeeds alone: its result is the coded frame or the AuralinkError of its
own slot.

Nothing here knows gRPC: the servicer (or any other front end) hands in FrameIn values.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from auralinkd.compression.formats import MAX_PAYLOAD_BYTES, FrameType
from auralinkd.compression.rtp import RtpMeta
from auralinkd.compression.service import CompressionService, CompressResult, DecompressResult
from auralinkd.errors import AuralinkError, ResourceExhausted

T = TypeVar("T")

INLINE_TYPES = frozenset({FrameType.AUDIO, FrameType.DATA})
INLINE_MAX_BYTES = 64 * 1024
TICK_WORKERS = len(os.sched_getaffinity(0))  # the CPUs this process may run on, not the machine's
TICK_SPLIT_MIN_FRAMES = 8  # below this, one thread hop for the whole tick
OFFLOAD_POLICIES = ("auto", "inline", "thread")


@dataclass(frozen=True)
class FrameIn:
    """One frame to code: raw input (compress) or a coded frame (decompress).

    `captured_at` (seconds since the epoch, the client's clock) and `max_age_ms` are the client's
    staleness bound: a frame older than it when its turn comes is dropped, not coded."""

    session_id: str
    sequence: int
    data: bytes
    captured_at: float | None = None
    max_age_ms: float | None = None
    lost: bool = False  # decompress: conceal a lost frame (`data` empty, or the frame after it)
    # decompress: `data` is a bare Opus packet with its RTP metadata (Opus in); compress: the metadata of
    # the packet this frame becomes, checked for order and echoed
    rtp: RtpMeta | None = None


class FrameScheduler:
    def __init__(
        self, service: CompressionService, *, offload: str = "auto", wall: Callable[[], float] = time.time
    ) -> None:
        """`offload`: "auto" (see the module docstring), "inline" or "thread" (for the measurement);
        `wall`: the clock staleness is measured on (seconds since the epoch)."""
        if offload not in OFFLOAD_POLICIES:
            raise ValueError(f"offload must be auto, inline or thread, got {offload!r}")
        self.service = service
        self.offload = offload
        self.wall = wall

    # -- one frame ----------------------------------------------------------------------------------

    async def compress(self, frame: FrameIn, user: str, field: str = "payload") -> CompressResult:
        return await self._run(frame, self._compress_one, user, field, decode=False)

    async def decompress(self, frame: FrameIn, user: str, field: str = "data") -> DecompressResult:
        return await self._run(frame, self._decompress_one, user, field, decode=True)

    async def _run(
        self, frame: FrameIn, code: Callable[[FrameIn, str, str], T], user: str, field: str, *, decode: bool
    ) -> T:
        service = self.service
        if decode and service.decode_waits_for_batch(frame.session_id):
            return await asyncio.to_thread(code, frame, user, field)
        if self.offload == "inline" or (
            self.offload == "auto"
            and service.frame_type_of(frame.session_id) in INLINE_TYPES
            and len(frame.data) <= INLINE_MAX_BYTES
        ):
            return code(frame, user, field)
        return await asyncio.to_thread(code, frame, user, field)

    def _compress_one(self, frame: FrameIn, user: str, field: str = "payload") -> CompressResult:
        self._check(frame, user, field)
        return self.service.compress(frame.session_id, frame.sequence, frame.data, user, rtp=frame.rtp)

    def _decompress_one(self, frame: FrameIn, user: str, field: str = "data") -> DecompressResult:
        self._check(frame, user, field)
        return self.service.decompress(
            frame.session_id, frame.sequence, frame.data, user, lost=frame.lost, rtp=frame.rtp
        )

    def _check(self, frame: FrameIn, user: str, field: str) -> None:
        if len(frame.data) > MAX_PAYLOAD_BYTES:
            raise ResourceExhausted(f"{field} is {len(frame.data)} bytes, over the {MAX_PAYLOAD_BYTES} byte limit")
        if frame.max_age_ms is not None and frame.captured_at is not None:
            age_ms = (self.wall() - frame.captured_at) * 1000
            if age_ms > frame.max_age_ms:
                self.service.drop_stale(frame.session_id, frame.sequence, age_ms, frame.max_age_ms, user)

    # -- a tick ---------------------------------------------------------------------------------------

    async def compress_tick(self, frames: Sequence[FrameIn], user: str) -> list[CompressResult | AuralinkError]:
        return await self._tick(frames, self._compress_one, user, per_session=False)

    async def decompress_tick(self, frames: Sequence[FrameIn], user: str) -> list[DecompressResult | AuralinkError]:
        # Where the post-filter batches across sessions (CUDA), each session decodes in its own
        # thread, so their frames meet in one batch instead of each waiting for partners alone.
        per_session = any(self.service.decode_waits_for_batch(f.session_id) for f in frames)
        return await self._tick(frames, self._decompress_one, user, per_session=per_session)

    async def _tick(
        self, frames: Sequence[FrameIn], code: Callable[[FrameIn, str], T], user: str, per_session: bool
    ) -> list[T | AuralinkError]:
        def run(part: Sequence[FrameIn]) -> list[T | AuralinkError]:
            out: list[T | AuralinkError] = []
            for f in part:
                try:
                    out.append(code(f, user))
                except AuralinkError as exc:  # this frame's slot only; the tick goes on
                    out.append(exc)
            return out

        if not per_session and len(frames) < TICK_SPLIT_MIN_FRAMES:
            return await asyncio.to_thread(run, frames)
        workers = len(frames) if per_session else TICK_WORKERS
        groups: dict[int, list[int]] = {}
        slot_of: dict[str, int] = {}
        for i, f in enumerate(frames):
            slot = slot_of.setdefault(f.session_id, len(slot_of) % workers)
            groups.setdefault(slot, []).append(i)
        if len(groups) == 1:
            return await asyncio.to_thread(run, frames)
        parts = list(groups.values())
        coded = await asyncio.gather(*(asyncio.to_thread(run, [frames[i] for i in part]) for part in parts))
        out: list[Any] = [None] * len(frames)
        for part, results in zip(parts, coded, strict=True):
            for i, result in zip(part, results, strict=True):
                out[i] = result
        return out
