"""The small interface every codec implements, and the settings the controllers hand it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from auralinkd.compression.container import CodecId


class CodecError(Exception):
    """A codec library failed on this frame; the session turns it into a fallback or InvalidArgument."""


@dataclass(frozen=True)
class CodecSettings:
    """What the mode table, ABR and fallback policy ask of a codec. Codecs ignore what they lack."""

    bitrate_bps: int = 0
    fec: bool = False
    packet_loss_pct: int = 0
    scale: float = 1.0  # video: fraction of the declared width and height to encode at
    quality: int = 80  # WebP/AVIF quality 0-100
    lossless: bool = False
    level: int = 3  # zstd level
    speed: int = 0  # the latency fallback's cheaper settings: 0 the codec's normal effort, up to SPEED_STEPS - 1


SPEED_STEPS = 3


@dataclass(frozen=True)
class Encoded:
    payload: bytes
    keyframe: bool = False
    lossless: bool = False


class Codec(Protocol):
    codec_id: CodecId

    def configure(self, settings: CodecSettings) -> None: ...

    def encode(self, frame: bytes, *, keyframe: bool = False) -> Encoded: ...

    def decode(self, payload: bytes) -> bytes: ...

    def close(self) -> None: ...
