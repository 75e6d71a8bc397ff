"""Speech rendered by espeak-ng (several voices; some held out for the post-filter's evaluation).

Without espeak-ng, a synthetic voiced signal (glottal pulse train through formant resonators) stands
in, and `speech_source()` says so, so no figure is reported as speech that was not.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

SENTENCES = (
    "The quick brown fox jumps over the lazy dog while the stream keeps going.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "A real time codec must finish every frame well inside twenty milliseconds.",
    "Seven slim sisters sang softly by the shore of the quiet northern lake.",
)
TRAIN_VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029")
HELD_OUT_VOICES = ("en-gb-x-rp", "en-us+f3")


def speech_source() -> str:
    return "espeak-ng" if shutil.which("espeak-ng") else "synthetic-voiced"


def _resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(src, dst)
    return resample_poly(x.astype(np.float64), dst // g, src // g)


def render(text: str, voice: str, rate: int) -> np.ndarray:
    """Mono int16 at `rate`."""
    if speech_source() != "espeak-ng":
        return synthetic_voiced(3.0, rate, seed=hash(voice) % 1000)
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "160", "--stdout", text], check=True, capture_output=True, timeout=60
    ).stdout
    with wave.open(io.BytesIO(wav)) as w:
        src = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    y = _resample(x, src, rate) * 0.9
    return np.clip(np.rint(y), -32768, 32767).astype(np.int16)


def synthetic_voiced(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = np.cumsum(f0 / rate)
    pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(float)
    x = pulses + 0.02 * rng.standard_normal(n)
    for fc, bw in ((700, 130), (1220, 70), (2600, 160)):
        if fc < rate / 2:
            r = np.exp(-np.pi * bw / rate)
            x = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * fc / rate), r * r], x)
    env = (0.5 + 0.5 * np.sin(2 * np.pi * 2.5 * t)) ** 2
    y = x * env
    return np.clip(y / (np.abs(y).max() + 1e-9) * 20000, -32768, 32767).astype(np.int16)


def corpus(rate: int, voices: tuple[str, ...] = TRAIN_VOICES, sentences: int = 2) -> np.ndarray:
    """One long mono int16 signal: each voice reading `sentences` sentences, 100 ms gaps between."""
    gap = np.zeros(rate // 10, dtype=np.int16)
    parts: list[np.ndarray] = []
    for i, voice in enumerate(voices):
        for k in range(sentences):
            parts += [render(SENTENCES[(i + k) % len(SENTENCES)], voice, rate), gap]
    return np.concatenate(parts)
