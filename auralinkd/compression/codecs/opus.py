"""Opus through PyAV's bundled libopus: VoIP application, in-band FEC, a packet-loss hint, and a lower
complexity when the latency fallback asks for a cheaper setting.

FFmpeg's libopus encoder takes its bitrate and FEC settings when it opens, so a change re-opens it.
Decoding calls libopus itself (libopus.py), which can also conceal a lost frame (PLC) or rebuild it from
the next packet's FEC; it follows any bitrate on its own. It decodes at 48 kHz, as FFmpeg's wrapper
does, and the output is brought back to the session's rate by a small stateful FIR decimator (48k is
an integer multiple of every supported rate).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from auralinkd.compression.codecs import libopus
from auralinkd.compression.codecs.base import CodecError, CodecSettings, Encoded
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
        import av
        import numpy as np

        self._av = av
        self._np = np
        self.fmt = fmt
        self._layout = "mono" if fmt.channels == 1 else "stereo"
        self._settings = settings or CodecSettings(bitrate_bps=24000)
        self._encoder: Any = None
        self._decoder: Any = None
        self._decimator: _Decimator | None = None
        self._pts = 0

    # -- encoding ---------------------------------------------------------------------------------

    def configure(self, settings: CodecSettings) -> None:
        keys = ("bitrate_bps", "fec", "packet_loss_pct", "speed")
        if any(getattr(settings, k) != getattr(self._settings, k) for k in keys):
            self._encoder = None  # re-opened with the new settings on the next frame
        self._settings = settings
        if self._encoder is None:  # open now, so the first frame's encode time is the codec's alone
            try:
                self._encoder = self._open_encoder()
            except (self._av.FFmpegError, ValueError) as exc:
                raise CodecError(f"cannot open the encoder: {exc}") from None

    def _open_encoder(self) -> Any:
        s = self._settings
        enc = self._av.CodecContext.create("libopus", "w")
        enc.sample_rate = self.fmt.sample_rate
        enc.layout = self._layout
        enc.format = "s16"
        enc.bit_rate = max(MIN_BITRATE, min(MAX_BITRATE, s.bitrate_bps or 24000)) * self.fmt.channels
        enc.time_base = Fraction(1, self.fmt.sample_rate)
        enc.options = {
            "application": "voip",
            "frame_duration": str(self.fmt.frame_ms),
            "vbr": "on",
            "fec": "1" if s.fec else "0",
            "packet_loss": str(max(0, min(100, s.packet_loss_pct))),
            "compression_level": str(COMPLEXITY[min(s.speed, len(COMPLEXITY) - 1)]),
        }
        enc.open()
        return enc

    def encode(self, frame: bytes, *, keyframe: bool = False) -> Encoded:
        np, av = self._np, self._av
        try:
            if self._encoder is None:
                self._encoder = self._open_encoder()
            samples = np.frombuffer(frame, dtype=np.int16).reshape(1, -1)
            af = av.AudioFrame.from_ndarray(samples, format="s16", layout=self._layout)
            af.sample_rate = self.fmt.sample_rate
            af.pts = self._pts
            self._pts += self.fmt.samples_per_frame
            packets = self._encoder.encode(af)
        except (av.FFmpegError, ValueError) as exc:
            self._encoder = None
            raise CodecError(f"opus encode: {exc}") from None
        if len(packets) != 1:
            raise CodecError(f"opus encoder returned {len(packets)} packets for one frame")
        return Encoded(bytes(packets[0]))

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
