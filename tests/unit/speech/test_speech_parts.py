"""Speech parts without a daemon: espeak-ng missing, voice listing, audio encoding, and the VAD segmenter."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from auralinkd.errors import FailedPrecondition, InvalidArgument
from auralinkd.speech import audio
from auralinkd.speech.streaming import FRAME_BYTES, HANGOVER_FRAMES, Segmenter
from auralinkd.speech.tts import Espeak, _parse_voices

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


async def test_synthesis_without_espeak_ng_is_failed_precondition_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(FailedPrecondition, match="espeak-ng"):
        await Espeak().synthesize("hello", "en-us", 1.0)


def test_voice_listing_keeps_espeak_voices_and_drops_mbrola_ones() -> None:
    listing = """Pty Language       Age/Gender VoiceName          File                 Other Languages
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 3  en-uk           --/M      english-mb-en1     mb/mb-en1            (en-gb 3)(en 2)
 2  en-us           --/F      English_(America)  gmw/en-US            (en 3)
"""
    voices = _parse_voices(listing)
    assert [(v.id, v.name, v.gender) for v in voices] == [
        ("en-gb", "English (Great Britain)", "male"),
        ("en-us", "English (America)", "female"),
    ]


def test_wav_and_ogg_opus_round_trip_through_the_decoder() -> None:
    t = np.arange(22050) / 22050
    pcm = (np.sin(2 * np.pi * 300 * t) * 10000).astype("<i2").tobytes()
    for data in (audio.wav_bytes(pcm, 22050), audio.ogg_opus_bytes(pcm, 22050)):
        decoded = audio.decode_file(data)
        assert decoded.source_rate in (22050, 48000) and abs(decoded.seconds - 1.0) < 0.05
    with pytest.raises(InvalidArgument, match="16000 Hz"):
        audio.from_pcm16(pcm, 22050)


def _speech(text: str) -> bytes:
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", text], capture_output=True, check=True).stdout
    samples = audio.decode_file(wav).samples
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    return pcm + b"\0" * (-len(pcm) % FRAME_BYTES)


@needs_espeak
def test_the_segmenter_cuts_speech_at_pauses_with_partials_in_between() -> None:
    silence = b"\0" * FRAME_BYTES
    stream = [silence] * 20
    for sentence in ("Good morning everyone.", "Let us begin the meeting now."):
        pcm = _speech(sentence)
        stream += [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)] + [silence] * 30
    segmenter = Segmenter(partial_interval_ms=300)
    decisions = [d for n, frame in enumerate(stream) for d in segmenter.push(frame, now=n * 0.02)]
    decisions += segmenter.flush()
    finals = [d for d in decisions if d.kind == "final"]
    assert len(finals) == 2
    assert any(d.kind == "partial" for d in decisions)
    first, second = (f.segment for f in finals)
    assert 0 < first.start_s < first.end_s < second.start_s < second.end_s
    assert len(finals[0].pcm) == (first.end_frame - first.start_frame) * FRAME_BYTES
    # a final ends where the speech did: the hangover of silence is not part of it
    assert abs(first.last_voiced_at - (first.end_frame - 1) * 0.02) < 1e-9
    assert HANGOVER_FRAMES * 0.02 < second.start_s - first.end_s


def test_a_caption_window_keeps_only_the_text_whisper_places_within_the_speech() -> None:
    from types import SimpleNamespace

    from auralinkd.speech.stt import _within

    tokenizer = SimpleNamespace(timestamp_begin=1000, eot=999)
    at = lambda seconds: 1000 + round(seconds / 0.02)  # noqa: E731
    # "we will meet" 0.0-1.9, then the sentence again in the silence after 2.0 s of speech
    tokens = [at(0.0), 1, 2, 3, at(1.9), at(2.0), 1, 2, at(2.8), 999, 7]
    assert _within(tokens, tokenizer, 2.0) == [1, 2, 3]
    assert _within(tokens, tokenizer, 3.0) == [1, 2, 3, 1, 2]
    assert _within([at(0.0), 4, 5], tokenizer, 1.0) == [4, 5]  # a segment the cap cut short still counts
