"""The libopus encoder through ctypes (the library libopus.py finds): one call per frame, which
releases the GIL, and settings changed in place (opus_encoder_ctl) instead of re-opening the encoder.

The settings are those FFmpeg's libopus wrapper applied (application VoIP, VBR unconstrained, in-band
FEC and the packet-loss hint, complexity), so the calibration measured through PyAV still holds;
bench/compress_capacity.py measures both encoders' cost per frame.
"""

from __future__ import annotations

import ctypes
from functools import cache

from auralinkd.compression.codecs import libopus

APPLICATION_VOIP = 2048
MAX_PACKET = 1500  # bytes: libopus's recommended output buffer for one packet
# opus_defines.h request codes
SET_BITRATE, SET_VBR, SET_COMPLEXITY, SET_INBAND_FEC, SET_PACKET_LOSS_PERC, SET_VBR_CONSTRAINT = (
    4002, 4006, 4010, 4012, 4014, 4020,
)  # fmt: skip


@cache
def _lib() -> ctypes.CDLL:
    lib = libopus._lib()
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_encode.restype = ctypes.c_int32
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int32]
    lib.opus_encoder_ctl.restype = ctypes.c_int
    return lib


class OpusEncoder:
    """One libopus encoder (per-session state; not thread-safe: the pipeline's encode lock guards it)."""

    def __init__(self, rate: int, channels: int, frame_samples: int) -> None:
        err = ctypes.c_int(0)
        self.channels = channels
        self.frame_samples = frame_samples
        self._st = _lib().opus_encoder_create(rate, channels, APPLICATION_VOIP, ctypes.byref(err))
        if err.value != libopus.OPUS_OK or not self._st:
            raise libopus.LibOpusError(f"opus_encoder_create: {libopus._error(err.value)}")
        self._out = ctypes.create_string_buffer(MAX_PACKET)
        self._applied: dict[int, int] = {}
        self.set(SET_VBR, 1)
        self.set(SET_VBR_CONSTRAINT, 0)

    def set(self, request: int, value: int) -> None:
        """An encoder setting (a SET_* request), applied only when it changes."""
        if self._applied.get(request) == value:
            return
        code = _lib().opus_encoder_ctl(ctypes.c_void_p(self._st), ctypes.c_int(request), ctypes.c_int32(value))
        if code != libopus.OPUS_OK:
            raise libopus.LibOpusError(f"opus_encoder_ctl({request}, {value}): {libopus._error(code)}")
        self._applied[request] = value

    def encode(self, pcm: bytes) -> bytes:
        if len(pcm) != self.frame_samples * self.channels * 2:
            raise libopus.LibOpusError(
                f"{len(pcm)} bytes of PCM, the frame is {self.frame_samples * self.channels * 2}"
            )
        n = _lib().opus_encode(self._st, pcm, self.frame_samples, self._out, MAX_PACKET)
        if n < 0:
            raise libopus.LibOpusError(f"opus_encode: {libopus._error(n)}")
        return self._out.raw[:n]

    def close(self) -> None:
        if self._st:
            _lib().opus_encoder_destroy(self._st)
            self._st = None

    def __del__(self) -> None:
        self.close()
