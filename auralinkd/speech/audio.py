"""Audio in and out of the speech service: decode any file to 16 kHz mono float32, encode WAV and Ogg/Opus.

PyAV (pinned with the codecs) does the decoding, resampling and Opus encoding; numpy holds samples.
Every refusal names what was expected, so a client knows what to send instead.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import Any

from auralinkd.errors import InvalidArgument

MODEL_RATE = 16000  # what Whisper listens at
MIN_RATE, MAX_RATE = 8000, 48000
MAX_AUDIO_BYTES = 25 * 1024 * 1024
MAX_AUDIO_SECONDS = 30 * 60


@dataclass(frozen=True)
class Decoded:
    samples: Any  # float32 mono at MODEL_RATE, in [-1, 1]
    source_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / MODEL_RATE


def pcm16_to_float(pcm: bytes) -> Any:
    import numpy as np

    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def from_pcm16(pcm: bytes, sample_rate: int, field: str = "sample_rate") -> Decoded:
    if sample_rate != MODEL_RATE:
        raise InvalidArgument.for_field(field, f"raw PCM must be {MODEL_RATE} Hz mono s16le, got {sample_rate} Hz")
    if not pcm:
        raise InvalidArgument.for_field("audio", "is empty: expected 16 kHz mono s16le PCM")
    if len(pcm) % 2:
        raise InvalidArgument.for_field("audio", "raw PCM s16le must have an even number of bytes")
    return _checked(Decoded(pcm16_to_float(pcm), MODEL_RATE))


def decode_file(data: bytes) -> Decoded:
    """Any audio file FFmpeg reads (WAV, Ogg/Opus, FLAC, MP3...) -> 16 kHz mono float32."""
    import av
    import numpy as np

    if not data:
        raise InvalidArgument.for_field("audio", "is empty: expected an audio file (WAV, Ogg/Opus, FLAC, MP3)")
    if len(data) > MAX_AUDIO_BYTES:
        raise InvalidArgument.for_field("audio", f"is over {MAX_AUDIO_BYTES // (1024 * 1024)} MiB")
    not_audio = InvalidArgument.for_field(
        "audio", "is not an audio file FFmpeg can decode: expected WAV, Ogg/Opus, FLAC or MP3"
    )
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError):
        raise not_audio from None
    try:
        if not container.streams.audio:
            raise not_audio
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate or 0
        if not MIN_RATE <= rate <= MAX_RATE:
            raise InvalidArgument.for_field(
                "audio", f"sample rate must be between {MIN_RATE} and {MAX_RATE} Hz, got {rate} Hz"
            )
        resampler = av.AudioResampler(format="flt", layout="mono", rate=MODEL_RATE)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except (av.FFmpegError, ValueError):
        raise not_audio from None
    finally:
        container.close()
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise InvalidArgument.for_field("audio", "holds no samples: expected some audio")
    return _checked(Decoded(samples, rate))


def _checked(decoded: Decoded) -> Decoded:
    if decoded.seconds > MAX_AUDIO_SECONDS:
        raise InvalidArgument.for_field("audio", f"is longer than {MAX_AUDIO_SECONDS // 60} minutes")
    return decoded


def read_wav_pcm16(data: bytes) -> tuple[bytes, int]:
    """(PCM s16le mono, sample rate) of a WAV that espeak-ng wrote."""
    with wave.open(io.BytesIO(data)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError("expected 16-bit mono")
        return w.readframes(w.getnframes()), w.getframerate()


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm)
    return buffer.getvalue()


def ogg_opus_bytes(pcm: bytes, sample_rate: int, bitrate: int = 32000) -> bytes:
    """PCM s16le mono -> Opus (48 kHz, as Opus always is) in an Ogg container."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        stream.bit_rate = bitrate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = sample_rate
        for resampled in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def probe(data: bytes) -> tuple[int, float]:
    """(sample rate, seconds) of an audio file a provider returned; (0, 0.0) when it cannot be read."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or 0
            frames = sum(frame.samples for frame in container.decode(stream))
    except (av.FFmpegError, ValueError, IndexError, OSError):
        return 0, 0.0
    return rate, frames / rate if rate else 0.0
