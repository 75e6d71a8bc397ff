"""WebP and AVIF stills through Pillow, for SCREEN frames (each frame stands alone).

Text-heavy frames (few distinct colours) are not sent through a lossy coder at all: the session
routes them to the lossless path. `is_text_heavy` is that test, cheap enough for every frame.
"""

from __future__ import annotations

import io
from typing import Any

from auralinkd.compression.codecs.base import CodecError, CodecSettings, Encoded
from auralinkd.compression.codecs.vp8 import frame_from_bytes, frame_to_bytes
from auralinkd.compression.container import CodecId
from auralinkd.compression.formats import ImageFormat, PixelFormat

# A 4x4-subsampled frame with fewer distinct colours than this is treated as text or UI graphics.
# Measured by the bench: synthetic text screens have ~100-400, photographs tens of thousands.
TEXT_HEAVY_MAX_COLOURS = 2048


def to_rgb_array(fmt: ImageFormat, frame: bytes) -> Any:
    import numpy as np

    if fmt.pixel_format is PixelFormat.RGB24:
        return np.frombuffer(frame, dtype=np.uint8).reshape(fmt.height, fmt.width, 3)
    import av

    return frame_from_bytes(av, np, fmt, frame).to_ndarray(format="rgb24")


def is_text_heavy(fmt: ImageFormat, frame: bytes) -> bool:
    import numpy as np

    if fmt.pixel_format is PixelFormat.I420:
        y = np.frombuffer(frame, dtype=np.uint8, count=fmt.width * fmt.height)
        return len(np.unique(y.reshape(fmt.height, fmt.width)[::4, ::4])) < 48
    rgb = to_rgb_array(fmt, frame)[::4, ::4].astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    return len(np.unique(packed)) < TEXT_HEAVY_MAX_COLOURS


class ImageCodec:
    """Lossy (or lossless when asked) WebP or AVIF for one frame at a time."""

    def __init__(self, fmt: ImageFormat, codec_id: CodecId, settings: CodecSettings | None = None) -> None:
        from PIL import Image

        if codec_id not in (CodecId.WEBP, CodecId.AVIF):
            raise ValueError(f"ImageCodec serves WEBP or AVIF, not {codec_id.name}")
        self._image = Image
        self.codec_id = codec_id
        self.fmt = fmt
        self._settings = settings or CodecSettings(quality=80)

    def configure(self, settings: CodecSettings) -> None:
        self._settings = settings

    def _save_args(self) -> dict[str, Any]:
        s = self._settings
        q = max(0, min(100, s.quality))
        if self.codec_id is CodecId.WEBP:
            if s.lossless:
                return {"format": "WEBP", "lossless": True, "quality": 0, "method": 0}
            return {"format": "WEBP", "quality": q, "method": 0}
        return {"format": "AVIF", "quality": 100 if s.lossless else q, "speed": 10}

    def encode(self, frame: bytes, *, keyframe: bool = False) -> Encoded:
        try:
            img = self._image.fromarray(to_rgb_array(self.fmt, frame), "RGB")
            buf = io.BytesIO()
            img.save(buf, **self._save_args())
        except (OSError, ValueError) as exc:
            raise CodecError(f"{self.codec_id.name.lower()} encode: {exc}") from None
        lossless = self._settings.lossless and self.codec_id is CodecId.WEBP
        return Encoded(buf.getvalue(), keyframe=True, lossless=lossless)

    def decode(self, payload: bytes) -> bytes:
        import numpy as np

        Image = self._image
        try:
            with Image.open(io.BytesIO(payload), formats=[self.codec_id.name]) as img:
                if img.size != (self.fmt.width, self.fmt.height):
                    raise CodecError(
                        f"image is {img.size[0]}x{img.size[1]}, the session declared {self.fmt.width}x{self.fmt.height}"
                    )
                rgb = np.asarray(img.convert("RGB"))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise CodecError(f"{self.codec_id.name.lower()} decode: {exc}") from None
        if self.fmt.pixel_format is PixelFormat.RGB24:
            return rgb.tobytes()
        import av

        return frame_to_bytes(self.fmt, av.VideoFrame.from_ndarray(rgb, format="rgb24"))

    def close(self) -> None:
        pass
