"""Stream formats a compression session accepts, and the checks every payload goes through.

Validation lives here so the codecs can assume well-formed frames; every error names the field and,
where there is a closed set, lists what would be accepted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from auralinkd.errors import InvalidArgument, ResourceExhausted

MAX_PAYLOAD_BYTES = 8 * 1024 * 1024

SUPPORTED_SAMPLE_RATES = (8000, 16000, 24000, 48000)
SUPPORTED_CHANNELS = (1, 2)
SUPPORTED_FRAME_MS = (10, 20, 40, 60)
MIN_SIDE, MAX_SIDE = 16, 4096
SUPPORTED_FRAME_RATES = (1, 60)  # inclusive range for video and screen


class FrameType(enum.Enum):
    AUDIO = "audio"
    VIDEO = "video"
    SCREEN = "screen"
    DATA = "data"


class PixelFormat(enum.Enum):
    I420 = "i420"
    RGB24 = "rgb24"


@dataclass(frozen=True)
class AudioFormat:
    """PCM signed 16-bit little-endian, interleaved when stereo."""

    sample_rate: int = 16000
    channels: int = 1
    frame_ms: int = 20

    @property
    def samples_per_frame(self) -> int:
        return self.sample_rate * self.frame_ms // 1000

    @property
    def frame_bytes(self) -> int:
        return self.samples_per_frame * self.channels * 2


@dataclass(frozen=True)
class ImageFormat:
    """Raw frames for VIDEO and SCREEN: I420 (planar Y, U, V) or packed RGB24, width x height."""

    width: int
    height: int
    pixel_format: PixelFormat = PixelFormat.RGB24
    frame_rate: int = 30

    @property
    def frame_bytes(self) -> int:
        if self.pixel_format is PixelFormat.I420:
            return self.width * self.height + 2 * ((self.width + 1) // 2) * ((self.height + 1) // 2)
        return self.width * self.height * 3


@dataclass(frozen=True)
class DataFormat:
    """Opaque bytes (data-channel messages), any length up to the payload limit."""


StreamFormat = AudioFormat | ImageFormat | DataFormat


def _choices(values: tuple[int, ...]) -> str:
    return ", ".join(str(v) for v in values)


def validate_format(frame_type: FrameType, fmt: StreamFormat) -> StreamFormat:
    """Check that `fmt` fits `frame_type` and is supported; returns it unchanged."""
    if frame_type is FrameType.AUDIO:
        if not isinstance(fmt, AudioFormat):
            raise InvalidArgument.for_field("format", "AUDIO sessions need an audio format (PCM s16le)")
        _validate_audio(fmt)
    elif frame_type in (FrameType.VIDEO, FrameType.SCREEN):
        if not isinstance(fmt, ImageFormat):
            raise InvalidArgument.for_field(
                "format", f"{frame_type.name} sessions need an image format (I420 or RGB24, width x height)"
            )
        _validate_image(fmt)
    elif not isinstance(fmt, DataFormat):
        raise InvalidArgument.for_field("format", "DATA sessions take no audio or image format")
    return fmt


def _validate_audio(fmt: AudioFormat) -> None:
    if fmt.sample_rate not in SUPPORTED_SAMPLE_RATES:
        raise InvalidArgument.for_field(
            "format.audio.sample_rate",
            f"unsupported sample rate {fmt.sample_rate} Hz; supported: {_choices(SUPPORTED_SAMPLE_RATES)}",
        )
    if fmt.channels not in SUPPORTED_CHANNELS:
        raise InvalidArgument.for_field(
            "format.audio.channels", f"unsupported channel count {fmt.channels}; supported: 1, 2"
        )
    if fmt.frame_ms not in SUPPORTED_FRAME_MS:
        raise InvalidArgument.for_field(
            "format.audio.frame_duration",
            f"unsupported frame duration {fmt.frame_ms} ms; supported: {_choices(SUPPORTED_FRAME_MS)} ms",
        )


def _validate_image(fmt: ImageFormat) -> None:
    if not isinstance(fmt.pixel_format, PixelFormat):
        raise InvalidArgument.for_field("format.image.pixel_format", "supported: I420, RGB24")
    for name, side in (("width", fmt.width), ("height", fmt.height)):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise InvalidArgument.for_field(
                f"format.image.{name}", f"must be between {MIN_SIDE} and {MAX_SIDE}, got {side}"
            )
        if fmt.pixel_format is PixelFormat.I420 and side % 2:
            raise InvalidArgument.for_field(f"format.image.{name}", f"I420 needs an even {name}, got {side}")
    lo, hi = SUPPORTED_FRAME_RATES
    if not lo <= fmt.frame_rate <= hi:
        raise InvalidArgument.for_field(
            "format.image.frame_rate", f"must be between {lo} and {hi} fps, got {fmt.frame_rate}"
        )
    if fmt.frame_bytes > MAX_PAYLOAD_BYTES:
        raise ResourceExhausted(
            f"a {fmt.width}x{fmt.height} {fmt.pixel_format.name} frame is {fmt.frame_bytes} bytes, "
            f"over the {MAX_PAYLOAD_BYTES} byte payload limit"
        )


def check_size_limit(payload: bytes, field: str = "payload") -> None:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ResourceExhausted(f"{field} is {len(payload)} bytes, over the {MAX_PAYLOAD_BYTES} byte limit")


def check_raw_frame(fmt: StreamFormat, payload: bytes) -> None:
    """A raw (uncompressed) frame must be exactly one frame of the session's format."""
    check_size_limit(payload)
    if isinstance(fmt, AudioFormat):
        if len(payload) % (2 * fmt.channels):
            raise InvalidArgument.for_field(
                "payload",
                f"{len(payload)} bytes is not a whole number of s16le samples for {fmt.channels} channel(s)",
            )
        if len(payload) != fmt.frame_bytes:
            got_ms = len(payload) / (2 * fmt.channels) * 1000 / fmt.sample_rate
            raise InvalidArgument.for_field(
                "payload",
                f"expected {fmt.frame_bytes} bytes ({fmt.frame_ms} ms at {fmt.sample_rate} Hz, "
                f"{fmt.channels} ch), got {len(payload)} bytes ({got_ms:g} ms)",
            )
    elif isinstance(fmt, ImageFormat):
        if len(payload) != fmt.frame_bytes:
            raise InvalidArgument.for_field(
                "payload",
                f"expected {fmt.frame_bytes} bytes for a {fmt.width}x{fmt.height} "
                f"{fmt.pixel_format.name} frame, got {len(payload)}",
            )
