"""Live captions: 20 ms frames in, partial and final transcripts out, cut by voice activity.

`Segmenter` is pure (frames in, decisions out): WebRTC's VAD marks each 20 ms frame; speech starts at
the first voiced frame (with 200 ms of audio before it, so first syllables are not clipped) and ends
after `hangover` of silence, or at `max_segment_s`. `CaptionStream` feeds it from the gRPC stream and
runs the transcriptions on a worker task, so reading frames never waits for the model: a partial is
transcribed only when the worker is idle (a newer one supersedes it), a final always is.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from auralinkd.errors import AuralinkError
from auralinkd.speech.audio import MODEL_RATE, pcm16_to_float

FRAME_MS = 20
FRAME_BYTES = MODEL_RATE * FRAME_MS // 1000 * 2  # 640: 20 ms of 16 kHz s16le mono
PREROLL_FRAMES = 10
HANGOVER_FRAMES = 12  # 240 ms of silence ends a segment
MAX_SEGMENT_S = 15.0


@dataclass
class Segment:
    """Speech from `start_frame` on; `last_voiced_at` is when its last voiced frame arrived (monotonic)."""

    start_frame: int
    pcm: bytearray = field(default_factory=bytearray)
    end_frame: int = 0
    last_voiced_at: float = 0.0
    voiced_frames: int = 0

    @property
    def start_s(self) -> float:
        return self.start_frame * FRAME_MS / 1000

    @property
    def end_s(self) -> float:
        return self.end_frame * FRAME_MS / 1000


@dataclass(frozen=True)
class Decision:
    kind: str  # "partial" or "final"
    segment: Segment
    pcm: bytes


class Segmenter:
    def __init__(self, partial_interval_ms: int = 1000, aggressiveness: int = 2) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)
        self._partial_frames = max(1, partial_interval_ms // FRAME_MS)
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self._frames = 0
        self._silent = 0
        self._since_partial = 0
        self.current: Segment | None = None

    def push(self, pcm: bytes, now: float | None = None) -> list[Decision]:
        """One 20 ms frame (640 bytes); the decisions it leads to."""
        now = time.monotonic() if now is None else now
        voiced = self._vad.is_speech(pcm, MODEL_RATE)
        self._frames += 1
        segment = self.current
        if segment is None:
            if not voiced:
                self._preroll.append(pcm)
                return []
            segment = Segment(start_frame=self._frames - 1 - len(self._preroll))
            for earlier in self._preroll:
                segment.pcm += earlier
            self._preroll.clear()
            self.current, self._silent, self._since_partial = segment, 0, 0
        segment.pcm += pcm
        segment.end_frame = self._frames
        if voiced:
            self._silent = 0
            segment.last_voiced_at = now
            segment.voiced_frames += 1
        else:
            self._silent += 1
        too_long = len(segment.pcm) >= MAX_SEGMENT_S * MODEL_RATE * 2
        if self._silent >= HANGOVER_FRAMES or too_long:
            if not too_long:  # the segment ends where the speech did
                segment.end_frame -= self._silent
                del segment.pcm[len(segment.pcm) - self._silent * FRAME_BYTES :]
            self.current = None
            return [Decision("final", segment, bytes(segment.pcm))]
        self._since_partial += 1
        if self._since_partial >= self._partial_frames and self._silent == 0:  # not in a pause: a final may come
            self._since_partial = 0
            return [Decision("partial", segment, bytes(segment.pcm))]
        return []

    def flush(self) -> list[Decision]:
        """The stream ended: what was being said is final now."""
        segment, self.current = self.current, None
        if segment is None or not segment.pcm:
            return []
        if self._silent:
            segment.end_frame -= self._silent
            del segment.pcm[len(segment.pcm) - self._silent * FRAME_BYTES :]
        return [Decision("final", segment, bytes(segment.pcm))] if segment.pcm else []


@dataclass(frozen=True)
class Caption:
    """What CaptionStream yields: a transcript of a segment, or a frame's error."""

    sequence: int
    final: bool = False
    text: str = ""
    start_s: float = 0.0
    end_s: float = 0.0
    confidence: float = 0.0
    memory_id: str = ""
    latency_s: float = 0.0
    error: str = ""


Transcriber = Callable[[Any, bool], Awaitable[tuple[str, float]]]  # (samples, final) -> (text, confidence)
Remember = Callable[[str, float, float], Awaitable[str]]  # (text, start_s, end_s) -> memory id


def window_transcriber(whisper: Any, language: str) -> Transcriber:
    """What live captions transcribe with: Whisper.transcribe_window, greedy for partials, beam 5 for finals
    (with the short window the encoder no longer dominates, and beam 5 costs little: bench/speech.py)."""

    async def transcribe(samples: Any, final: bool) -> tuple[str, float]:
        return await whisper.transcribe_window(samples, language, beam_size=5 if final else 1)

    return transcribe


SPEECH_FRAMES = 8  # 160 ms of voiced frames in a segment: someone is speaking (not a click or a cough)


class CaptionStream:
    def __init__(
        self,
        frames: AsyncIterator[tuple[int, bytes | None, str]],
        segmenter: Segmenter,
        transcribe: Transcriber,
        remember: Remember | None = None,
        on_speech: Callable[[], None] | None = None,
    ) -> None:
        self._frames = frames  # (sequence, pcm or None, error)
        self._segmenter = segmenter
        self._transcribe = transcribe
        self._remember = remember
        self._on_speech = on_speech  # called once a segment has SPEECH_FRAMES voiced frames
        self._out: asyncio.Queue[Caption | None] = asyncio.Queue()
        self._jobs: asyncio.Queue[tuple[int, Decision] | None] = asyncio.Queue()
        self._busy = False

    async def run(self) -> AsyncIterator[Caption]:
        reader = asyncio.create_task(self._read())
        worker = asyncio.create_task(self._work())
        try:
            while (caption := await self._out.get()) is not None:
                yield caption
            await worker  # re-raises a transcription error
            await reader  # re-raises a reading error (a second config, a client that went away)
        finally:
            for task in (reader, worker):
                task.cancel()

    async def _read(self) -> None:
        sequence = 0
        heard: Segment | None = None  # the last segment on_speech was called for
        try:
            async for sequence, pcm, error in self._frames:
                if pcm is None:
                    await self._out.put(Caption(sequence, error=error))
                    continue
                for decision in self._segmenter.push(pcm):
                    if decision.kind == "final" or (not self._busy and self._jobs.empty()):
                        await self._jobs.put((sequence, decision))
                current = self._segmenter.current
                if current is not None and current is not heard and current.voiced_frames >= SPEECH_FRAMES:
                    heard = current
                    if self._on_speech is not None:
                        self._on_speech()
            for decision in self._segmenter.flush():
                await self._jobs.put((sequence, decision))
        finally:
            await self._jobs.put(None)

    async def _work(self) -> None:
        try:
            while (job := await self._jobs.get()) is not None:
                sequence, decision = job
                final = decision.kind == "final"
                self._busy = True
                try:
                    text, confidence = await self._transcribe(pcm16_to_float(decision.pcm), final)
                finally:
                    self._busy = False
                segment = decision.segment
                latency = time.monotonic() - segment.last_voiced_at if final else 0.0  # before storing it
                if not text and not final:
                    continue
                memory_id = ""
                if final and text and self._remember is not None:
                    try:
                        memory_id = await self._remember(text, segment.start_s, segment.end_s)
                    except AuralinkError as exc:  # the caption still goes out; the stream goes on
                        await self._out.put(Caption(sequence, error=f"transcript not stored: {exc.message}"))
                await self._out.put(
                    Caption(sequence, final, text, segment.start_s, segment.end_s, confidence, memory_id, latency)
                )
        finally:
            await self._out.put(None)
