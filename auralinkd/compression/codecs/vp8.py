"""VP8 through PyAV's bundled libvpx, tuned for real time: one packet per frame, no look-ahead.

A change of bitrate or resolution re-opens the encoder and starts with a key frame. The encoder may
run below the declared resolution (ABR); the decoder always returns frames at the declared size.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from auralinkd.compression.codecs.base import CodecError, CodecSettings, Encoded
from auralinkd.compression.container import CodecId
from auralinkd.compression.formats import ImageFormat, PixelFormat

MIN_BITRATE, MAX_BITRATE = 50_000, 20_000_000
KEYFRAME_INTERVAL = 120
# libvpx's cap on a key frame's size, in percent of the per-frame bandwidth (bitrate / frame rate):
# a key frame may cost at most this many average frames. Uncapped, a real-time VP8 key frame came out
# at ~36x the frames after it (bench/compression.py reports the peak-to-mean frame size).
MAX_INTRA_RATE_PCT = 900
CPU_USED = ("-6", "-10", "-16")  # per CodecSettings.speed: higher is faster and coarser


def scaled_size(fmt: ImageFormat, scale: float) -> tuple[int, int]:
    """Even dimensions, at least 16 pixels, for an encoder running at `scale` of the declared size."""
    w = max(16, int(fmt.width * scale) // 2 * 2)
    h = max(16, int(fmt.height * scale) // 2 * 2)
    return min(w, fmt.width + fmt.width % 2), min(h, fmt.height + fmt.height % 2)


def frame_from_bytes(av: Any, np: Any, fmt: ImageFormat, frame: bytes) -> Any:
    buf = np.frombuffer(frame, dtype=np.uint8)
    if fmt.pixel_format is PixelFormat.RGB24:
        return av.VideoFrame.from_ndarray(buf.reshape(fmt.height, fmt.width, 3), format="rgb24")
    return av.VideoFrame.from_ndarray(buf.reshape(fmt.height * 3 // 2, fmt.width), format="yuv420p")


def frame_to_bytes(fmt: ImageFormat, vf: Any) -> bytes:
    target = "rgb24" if fmt.pixel_format is PixelFormat.RGB24 else "yuv420p"
    if vf.width != fmt.width or vf.height != fmt.height or vf.format.name != target:
        vf = vf.reformat(width=fmt.width, height=fmt.height, format=target)
    arr = vf.to_ndarray()
    return arr.tobytes()


class Vp8Codec:
    codec_id = CodecId.VP8

    def __init__(self, fmt: ImageFormat, settings: CodecSettings | None = None) -> None:
        import av
        import numpy as np

        self._av = av
        self._np = np
        self.fmt = fmt
        self._settings = settings or CodecSettings(bitrate_bps=1_000_000)
        self._encoder: Any = None
        self._decoder: Any = None
        self._pts = 0
        self._since_key = 0

    def configure(self, settings: CodecSettings) -> None:
        keys = ("bitrate_bps", "scale", "speed")
        if any(getattr(settings, k) != getattr(self._settings, k) for k in keys):
            self._encoder = None
        self._settings = settings
        if self._encoder is None:  # open now, so the first frame's encode time is the codec's alone
            try:
                self._encoder = self._open_encoder()
            except (self._av.FFmpegError, ValueError) as exc:
                raise CodecError(f"cannot open the encoder: {exc}") from None

    def _open_encoder(self) -> Any:
        w, h = scaled_size(self.fmt, self._settings.scale)
        enc = self._av.CodecContext.create("libvpx", "w")
        enc.width, enc.height, enc.pix_fmt = w, h, "yuv420p"
        enc.bit_rate = max(MIN_BITRATE, min(MAX_BITRATE, self._settings.bitrate_bps or 1_000_000))
        enc.time_base = Fraction(1, self.fmt.frame_rate)
        enc.framerate = self.fmt.frame_rate
        enc.thread_count = 1
        enc.options = {
            "deadline": "realtime",
            # A negative cpu-used fixes libvpx's speed at 6. A positive one lets realtime VP8
            # re-pick its speed from measured encode times, so on a loaded machine the same frames
            # came out at a different quality (and the calibration table stopped predicting it).
            "cpu-used": CPU_USED[min(self._settings.speed, len(CPU_USED) - 1)],
            "lag-in-frames": "0",
            "error-resilient": "1",
            "auto-alt-ref": "0",
            "g": str(KEYFRAME_INTERVAL),
            "max-intra-rate": str(MAX_INTRA_RATE_PCT),
        }
        enc.open()
        self._pts = 0
        return enc

    def encode(self, frame: bytes, *, keyframe: bool = False) -> Encoded:
        av = self._av
        try:
            if self._encoder is None:
                self._encoder = self._open_encoder()
                keyframe = True
            vf = frame_from_bytes(av, self._np, self.fmt, frame)
            enc = self._encoder
            if vf.width != enc.width or vf.height != enc.height or vf.format.name != "yuv420p":
                vf = vf.reformat(width=enc.width, height=enc.height, format="yuv420p")
            vf.pts = self._pts
            self._pts += 1
            if keyframe:
                vf.pict_type = av.video.frame.PictureType.I
            packets = enc.encode(vf)
        except (av.FFmpegError, ValueError) as exc:
            self._encoder = None
            raise CodecError(f"vp8 encode: {exc}") from None
        if len(packets) != 1:
            raise CodecError(f"vp8 encoder returned {len(packets)} packets for one frame")
        return Encoded(bytes(packets[0]), keyframe=bool(packets[0].is_keyframe))

    def decode(self, payload: bytes) -> bytes:
        av = self._av
        if self._decoder is None:
            self._decoder = av.CodecContext.create("vp8", "r")
            self._decoder.thread_count = 1
        try:
            frames = self._decoder.decode(av.Packet(payload))
        except (av.FFmpegError, ValueError) as exc:
            raise CodecError(f"vp8 decode: {exc}") from None
        if len(frames) != 1:
            raise CodecError(f"vp8 packet decoded to {len(frames)} frames")
        return frame_to_bytes(self.fmt, frames[0])

    def close(self) -> None:
        self._encoder = None
        self._decoder = None
