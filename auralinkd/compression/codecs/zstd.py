"""zstd for data-channel messages and as the lossless fast path for raw frames.

Each frame is independent (no shared stream state), so a lost or corrupt frame never spoils the next.
The caller falls back to RAW when the result is not smaller. Frames are magicless: our container
header already says "zstd", and the 4-byte magic number is 3% of a typical 125-byte data message.
"""

from __future__ import annotations

from auralinkd.compression.codecs.base import CodecError, CodecSettings, Encoded
from auralinkd.compression.container import CodecId
from auralinkd.compression.formats import MAX_PAYLOAD_BYTES


class ZstdCodec:
    codec_id = CodecId.ZSTD

    def __init__(self, level: int = 3, expected_bytes: int | None = None) -> None:
        import zstandard

        self._zstd = zstandard
        self._level = level
        self._expected = expected_bytes
        self._compressor = self._compressor_at(level)
        self._decompressor = zstandard.ZstdDecompressor(format=zstandard.FORMAT_ZSTD1_MAGICLESS)

    def _compressor_at(self, level: int) -> object:
        params = self._zstd.ZstdCompressionParameters.from_level(
            level, format=self._zstd.FORMAT_ZSTD1_MAGICLESS, write_content_size=1
        )
        return self._zstd.ZstdCompressor(compression_params=params)

    def configure(self, settings: CodecSettings) -> None:
        if settings.level != self._level:
            self._level = settings.level
            self._compressor = self._compressor_at(settings.level)

    def encode(self, frame: bytes, *, keyframe: bool = False) -> Encoded:
        return Encoded(self._compressor.compress(frame), keyframe=True, lossless=True)  # type: ignore[attr-defined]

    def decode(self, payload: bytes) -> bytes:
        try:
            params = self._zstd.get_frame_parameters(payload, format=self._zstd.FORMAT_ZSTD1_MAGICLESS)
            if params.content_size > MAX_PAYLOAD_BYTES:
                raise CodecError(f"declares {params.content_size} bytes, over the payload limit")
            out = self._decompressor.decompress(payload, max_output_size=MAX_PAYLOAD_BYTES)
        except self._zstd.ZstdError as exc:
            raise CodecError(f"zstd: {exc}") from None
        if self._expected is not None and len(out) != self._expected:
            raise CodecError(f"decoded {len(out)} bytes, expected {self._expected}")
        return out

    def close(self) -> None:
        pass
