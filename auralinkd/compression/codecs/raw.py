"""The identity codec: mode OFF and the last-resort safe path."""

from __future__ import annotations

from auralinkd.compression.codecs.base import CodecError, CodecSettings, Encoded
from auralinkd.compression.container import CodecId


class RawCodec:
    codec_id = CodecId.RAW

    def __init__(self, frame_bytes: int | None = None) -> None:
        self._frame_bytes = frame_bytes

    def configure(self, settings: CodecSettings) -> None:
        pass

    def encode(self, frame: bytes, *, keyframe: bool = False) -> Encoded:
        return Encoded(bytes(frame), keyframe=True, lossless=True)

    def decode(self, payload: bytes) -> bytes:
        if self._frame_bytes is not None and len(payload) != self._frame_bytes:
            raise CodecError(f"raw frame of {len(payload)} bytes, expected {self._frame_bytes}")
        return payload

    def close(self) -> None:
        pass
