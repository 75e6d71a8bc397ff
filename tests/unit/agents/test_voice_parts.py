"""Voice agents' pure parts: cutting a streaming reply into sentences to speak, and the caption stream's
speech-start signal that barge-in hangs on (real espeak-ng speech through WebRTC's VAD)."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import pytest

from auralinkd.agents.voice import MAX_SENTENCE_CHARS, split_sentences
from auralinkd.speech.streaming import FRAME_BYTES, SPEECH_FRAMES, CaptionStream, Segmenter


def test_a_streaming_reply_is_cut_into_sentences_as_they_complete() -> None:
    assert split_sentences("Hello there. How are") == (["Hello there."], "How are")
    assert split_sentences("One! Two? Three;\nfour") == (["One!", "Two?", "Three;"], "four")
    assert split_sentences("3.5 is a number") == ([], "3.5 is a number")  # no space after the dot
    done, rest = split_sentences("word " * 200)
    assert done and all(len(s) <= MAX_SENTENCE_CHARS for s in done) and len(rest) <= MAX_SENTENCE_CHARS


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
async def test_the_caption_stream_signals_speech_once_per_utterance() -> None:
    from tests.unit.speech.test_speech_parts import _speech

    silence = b"\0" * FRAME_BYTES
    stream = [silence] * 10
    for sentence in ("Good morning everyone.", "Let us begin."):
        pcm = _speech(sentence)
        stream += [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)] + [silence] * 30
    happened: list[str] = []

    async def frames() -> Any:
        for n, frame in enumerate(stream):
            yield n, frame, ""

    async def transcribe(samples: Any, final: bool) -> tuple[str, float]:
        happened.append("final" if final else "partial")
        return "words", 1.0

    captions = CaptionStream(frames(), Segmenter(60_000), transcribe, on_speech=lambda: happened.append("speech"))
    finals = [c async for c in captions.run() if c.final]
    await asyncio.sleep(0)
    assert len(finals) == 2 and happened.count("speech") == 2 and happened.count("final") == 2
    assert happened[0] == "speech"  # frames are read ahead of the model: the signal never waits for it
    assert SPEECH_FRAMES * 20 <= 200  # barge-in reacts within 200 ms of voiced audio
