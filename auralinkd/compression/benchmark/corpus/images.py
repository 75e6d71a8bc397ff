"""Still frames: scikit-image's bundled sample photographs and synthetic text-heavy screens."""

from __future__ import annotations

import numpy as np

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")


def photos(size: tuple[int, int] = (640, 360), names: tuple[str, ...] = PHOTOS) -> list[np.ndarray]:
    """RGB uint8 arrays resized to `size` (width, height); empty when scikit-image is absent."""
    from PIL import Image

    try:
        import skimage.data as data
    except ImportError:
        return []
    out = []
    for name in names:
        img = getattr(data, name)()
        out.append(np.asarray(Image.fromarray(img).convert("RGB").resize(size, Image.BILINEAR)))
    return out


def text_screen(size: tuple[int, int] = (1280, 720), seed: int = 0) -> np.ndarray:
    """A code-editor-like screen: dark background, coloured monospace text, a side panel."""
    from PIL import Image, ImageDraw, ImageFont

    rng = np.random.default_rng(seed)
    w, h = size
    img = Image.new("RGB", size, (30, 30, 36))
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSansMono.ttf", 14)
    except OSError:
        font = ImageFont.load_default(size=14)
    words = ("def", "return", "session", "frame", "encode(", "payload", "self.", "bitrate", "# note", "if", "None")
    colours = ((200, 200, 180), (120, 180, 250), (230, 160, 90), (140, 200, 120))
    for row in range(h // 18):
        x = 10 + 20 * int(rng.integers(0, 4))
        line = " ".join(rng.choice(words) for _ in range(int(rng.integers(2, 10))))
        draw.text((x, 6 + row * 18), f"{row:4d}  {line}", fill=colours[row % 4], font=font)
    draw.rectangle((int(w * 0.72), 40, w - 20, int(h * 0.6)), fill=(45, 60, 95))
    draw.text((int(w * 0.72) + 10, 50), "Sessions: 12  Fallbacks: 0", fill=(240, 240, 240), font=font)
    return np.asarray(img)
