"""The libopus decoder through ctypes: decode, packet-loss concealment and in-band FEC.

FFmpeg's libopus wrapper (PyAV) cannot conceal a lost packet (an empty packet means end of stream to it)
nor decode a packet's FEC, so Opus frames are decoded by libopus itself: the copy bundled with PyAV's
wheel (av.libs), else the system's libopus. Decoding runs at 48 kHz, as FFmpeg's wrapper does, so the
output is the same; ctypes releases the GIL for each call.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from functools import cache

DECODE_RATE = 48000
OPUS_OK = 0


class LibOpusError(RuntimeError):
    pass


@cache
def _lib() -> ctypes.CDLL:
    candidates: list[str] = []
    try:
        import av

        libs = os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs")
        candidates += sorted(glob.glob(os.path.join(libs, "libopus*.so*")))
    except ImportError:  # pragma: no cover - av is a dependency
        pass
    system = ctypes.util.find_library("opus")
    if system:
        candidates.append(system)
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_decode.restype = ctypes.c_int
        pcm = ctypes.POINTER(ctypes.c_int16)
        lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, pcm, ctypes.c_int, ctypes.c_int]
        lib.opus_strerror.restype = ctypes.c_char_p
        lib.opus_strerror.argtypes = [ctypes.c_int]
        lib.opus_packet_get_nb_samples.restype = ctypes.c_int
        lib.opus_packet_get_nb_samples.argtypes = [ctypes.c_char_p, ctypes.c_int32, ctypes.c_int32]
        if hasattr(lib, "opus_packet_has_lbrr"):
            lib.opus_packet_has_lbrr.restype = ctypes.c_int
            lib.opus_packet_has_lbrr.argtypes = [ctypes.c_char_p, ctypes.c_int32]
        return lib
    raise LibOpusError("libopus was not found (neither in PyAV's wheel nor on the system)")


def available() -> bool:
    try:
        _lib()
    except LibOpusError:
        return False
    return True


def _error(code: int) -> str:
    return (_lib().opus_strerror(code) or b"unknown error").decode()


def has_fec(packet: bytes) -> bool:
    """Whether an Opus packet carries in-band FEC (LBRR data) for the frame before it (libopus >= 1.5;
    older ones cannot tell, and the packet is taken to carry it: libopus conceals when it does not)."""
    lib = _lib()
    if not packet:
        return False
    if not hasattr(lib, "opus_packet_has_lbrr"):
        return True
    return bool(lib.opus_packet_has_lbrr(packet, len(packet)) > 0)


def samples_in(packet: bytes, rate: int) -> int:
    """Samples per channel an Opus packet decodes to at `rate`; negative when it is malformed."""
    return int(_lib().opus_packet_get_nb_samples(packet, len(packet), rate))


class OpusDecoder:
    """One libopus decoder at 48 kHz (per-session state; not thread-safe)."""

    def __init__(self, channels: int) -> None:
        err = ctypes.c_int(0)
        self.channels = channels
        self._st = _lib().opus_decoder_create(DECODE_RATE, channels, ctypes.byref(err))
        if err.value != OPUS_OK or not self._st:
            raise LibOpusError(f"opus_decoder_create: {_error(err.value)}")

    def decode(self, packet: bytes | None, frame_samples: int, *, fec: bool = False) -> bytes:
        """PCM s16le at 48 kHz: `packet` decoded, or with None the concealment of a lost frame of
        `frame_samples`, or with `fec` the lost frame before `packet` rebuilt from its FEC data."""
        buf = (ctypes.c_int16 * (frame_samples * self.channels))()
        data, size = (packet, len(packet)) if packet else (None, 0)
        n = _lib().opus_decode(self._st, data, size, buf, frame_samples, int(fec))
        if n < 0:
            raise LibOpusError(f"opus_decode: {_error(n)}")
        return bytes(buf)[: n * self.channels * 2]

    def close(self) -> None:
        if self._st:
            _lib().opus_decoder_destroy(self._st)
            self._st = None

    def __del__(self) -> None:
        self.close()
