"""Opus through libopus itself (the copy in PyAV's wheel, through ctypes, which releases the GIL for
each call): VoIP application, in-band FEC, a packet-loss hint, and a lower complexity when the latency
fallback asks for a cheaper setting.

Encoding (opus_encoder.py) changes its settings in place, so a bitrate or FEC change keeps the stream's
state. Decoding calls libopus itself (libopus.py), which can also conceal a lost frame (PLC) or rebuild it from
the next packet's FEC; it follows any bitrate on its own. It decodes at 48 kHz, as FFmpeg's wrapper
does, and the output is brought back to the session's rate by a small stateful FIR decimator (48k is
an integer multiple of every supported rate).
"""

from __future__ import annotations

from typing import Any

from auralinkd.compression.codecs import libopus, opus_encoder
from auralinkd.compression.codecs.base import CodecError, CodecSettings, Encoded
from auralinkd.compression.codecs.opus_encoder import OpusEncoder
from auralinkd.compression.container import CodecId
from auralinkd.compression.formats import AudioFormat

MIN_BITRATE, MAX_BITRATE = 6000, 256000
COMPLEXITY = (10, 5, 1)  # libopus complexity per CodecSettings.speed (10 is libopus's default)
_DECODE_RATE = 48000


class _Decimator:
    """Low-pass and keep every m-th sample, carrying the filter history from frame to frame."""

    def __init__(self, factor: int, channels: int, taps_per_phase: int = 16) -> None:
        import numpy as np

        self._np = np
        self.factor = factor
        self.channels = channels
        if factor == 1:
            self._taps = None
            return
        n = taps_per_phase * factor + 1
        t = np.arange(n) - (n - 1) / 2
        h = np.sinc(t / factor) / factor * np.hamming(n)
        self._taps = (h / h.sum()).astype(np.float32)
        self._history = np.zeros((n - 1, channels), dtype=np.float32)
        self._phase = 0

    def __call__(self, samples: Any) -> Any:  # (n, channels) int16 -> (n // factor, channels) int16
        np = self._np
        if self._taps is None:
            return samples
        x = np.concatenate([self._history, samples.astype(np.float32)])
        self._history = x[len(x) - (len(self._taps) - 1) :]
        out = np.stack(
            [np.convolve(x[:, c], self._taps, mode="valid")[:: self.factor] for c in range(self.channels)],
            axis=1,
        )
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


class OpusCodec:
    codec_id = CodecId.OPUS

    def __init__(self, fmt: AudioFormat, settings: CodecSettings | None = None) -> None:
        import numpy as np

        self._np = np
        self.fmt = fmt
        self._settings = settings or CodecSettings(bitrate_bps=24000)
        self._encoder: Any = None
        self._decoder: Any = None
        self._decimator: _Decimator | None = None

    # -- encoding ---------------------------------------------------------------------------------

    def configure(self, settings: CodecSettings) -> None:
        """Apply the settings in place (no re-open: the encoder keeps its state across a change)."""
        self._settings = settings
        try:
            if self._encoder is None:  # open now, so the first frame's encode time is the codec's alone
                self._encoder = OpusEncoder(self.fmt.sample_rate, self.fmt.channels, self.fmt.samples_per_frame)
            enc, s = self._encoder, settings
            enc.set(
                opus_encoder.SET_BITRATE, max(MIN_BITRATE, min(MAX_BITRATE, s.bitrate_bps or 24000)) * self.fmt.channels
            )
            enc.set(opus_encoder.SET_INBAND_FEC, 1 if s.fec else 0)
            enc.set(opus_encoder.SET_PACKET_LOSS_PERC, max(0, min(100, s.packet_loss_pct)))
            enc.set(opus_encoder.SET_COMPLEXITY, COMPLEXITY[min(s.speed, len(COMPLEXITY) - 1)])
        except libopus.LibOpusError as exc:
            self._encoder = None
            raise CodecError(f"cannot configure the encoder: {exc}") from None

    def encode(self, frame: bytes, *, keyframe: bool = False) -> Encoded:
        try:
            if self._encoder is None:
                self.configure(self._settings)
            assert self._encoder is not None
            return Encoded(self._encoder.encode(frame))
        except libopus.LibOpusError as exc:
            self._encoder = None
            raise CodecError(f"opus encode: {exc}") from None

    # -- decoding ---------------------------------------------------------------------------------

    def decode(self, payload: bytes) -> bytes:
        return self._decode(payload)

    def conceal(self, next_payload: bytes | None = None) -> tuple[bytes, str]:
        """Audio for a lost frame: rebuilt from the in-band FEC of the frame after it when that frame is
        given and carries FEC ("fec"), else the decoder's packet-loss concealment ("plc")."""
        if next_payload and libopus.has_fec(next_payload):
            return self._decode(next_payload, fec=True), "fec"
        return self._decode(None), "plc"

    def _decode(self, payload: bytes | None, *, fec: bool = False) -> bytes:
        """libopus at 48 kHz (the rate FFmpeg's wrapper decodes at too), decimated to the session's rate."""
        if self._decoder is None:
            try:
                self._decoder = libopus.OpusDecoder(self.fmt.channels)
            except libopus.LibOpusError as exc:
                raise CodecError(str(exc)) from None
            self._decimator = _Decimator(_DECODE_RATE // self.fmt.sample_rate, self.fmt.channels)
        want = self.fmt.samples_per_frame * (_DECODE_RATE // self.fmt.sample_rate)
        if payload is not None:
            n = libopus.samples_in(payload, _DECODE_RATE)
            if n != want:
                raise CodecError(f"packet decodes to {n} samples at 48 kHz, the session expects {want}")
        try:
            raw = self._decoder.decode(payload, want, fec=fec)
        except libopus.LibOpusError as exc:
            raise CodecError(f"opus decode: {exc}") from None
        pcm = self._np.frombuffer(raw, self._np.int16).reshape(-1, self.fmt.channels)
        if len(pcm) != want:
            raise CodecError(f"packet decodes to {len(pcm)} samples at 48 kHz, the session expects {want}")
        assert self._decimator is not None
        return self._decimator(pcm).tobytes()

    def close(self) -> None:
        self._encoder = None
        if self._decoder is not None:
            self._decoder.close()
        self._decoder = None
