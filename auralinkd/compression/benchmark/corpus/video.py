"""Synthetic video: `camera_clip`, the benchmark's clip that a real-time codec has to work for, and
`clip`, the old easy one (smooth, cheap, predictable) that unit tests use for round trips.

A camera pans (and slowly zooms) over a wide scene built from the scikit-image sample photographs,
two textured objects cut from other photographs move across it on their own paths (one turning),
and every frame gets fresh sensor grain. The earlier clip (smooth sinusoids, flat shapes) was so
easy that VP8 reached SSIM 0.95 at its lowest bitrate and every mode landed on one setting; here
bitrate against SSIM is a real curve. Without scikit-image a procedural texture stands in.
"""

from __future__ import annotations

import numpy as np

SCENE = ("astronaut", "coffee", "rocket", "chelsea")  # the panorama, left to right
OBJECTS = ("immunohistochemistry", "chelsea")  # textures of the moving objects
GRAIN_SIGMA = 2.2  # sensor noise at 640x360, 8-bit levels, new every frame
GRAIN_AT = 640 * 360  # a smaller frame is a downscaled camera image: its grain averages out


def _photo(name: str, height: int) -> np.ndarray | None:
    from PIL import Image

    try:
        import skimage.data as data
    except ImportError:
        return None
    img = Image.fromarray(getattr(data, name)()).convert("RGB")
    return np.asarray(img.resize((round(img.width * height / img.height), height), Image.BICUBIC))


def _procedural(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    smooth = 0.5 + 0.25 * np.sin(xx / 23.0) * np.cos(yy / 31.0) + 0.15 * np.sin((xx + yy) / 57.0)
    detail = gaussian_filter(rng.standard_normal((h, w)), 1.2) * 0.35
    base = np.clip(smooth + detail, 0, 1)
    return (np.stack([base * 210, (1 - base) * 150 + 60, base * 120 + 50], axis=-1)).astype(np.uint8)


def scene(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A panorama at least `width` wide: the sample photographs side by side."""
    parts = [p for p in (_photo(n, height) for n in SCENE) if p is not None]
    if not parts:
        return _procedural(width, height, rng)
    pano = np.concatenate(parts, axis=1)
    while pano.shape[1] < width:
        pano = np.concatenate([pano, pano[:, ::-1]], axis=1)
    return pano


def _sprite(name: str, size: int, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image

    img = _photo(name, size * 2)
    if img is None:
        img = _procedural(size * 2, size * 2, rng)
    y0, x0 = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
    return np.ascontiguousarray(np.asarray(Image.fromarray(img[y0 : y0 + size, x0 : x0 + size])))


def _disc(size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    r = size / 2
    d = np.hypot(yy - r + 0.5, xx - r + 0.5)
    return np.clip(r - d, 0, 1).astype(np.float32)[..., None]  # a one-pixel soft edge


def clip(frames: int = 60, size: tuple[int, int] = (640, 360), seed: int = 0) -> list[np.ndarray]:
    """The easy clip: a textured background panning, two flat shapes moving, a little noise. VP8
    reaches SSIM 0.95 on it at its lowest bitrate, so it calibrates nothing; tests use it."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.5 + 0.25 * np.sin(xx / 23.0) * np.cos(yy / 31.0) + 0.15 * np.sin((xx + yy) / 57.0)
    out = []
    for t in range(frames):
        shift = (xx - 2.0 * t) / 23.0
        bg = 0.5 + 0.25 * np.sin(shift) * np.cos(yy / 31.0) + 0.15 * np.sin((xx + yy - 2 * t) / 57.0)
        img = np.stack([bg * 200, base * 170 + 20, (1 - bg) * 160 + 40], axis=-1)
        cx, cy = int(w * 0.2 + 4 * t) % w, int(h / 2 + 60 * np.sin(t / 9))
        img[max(0, cy - 40) : cy + 40, max(0, cx - 40) : cx + 40] = (230, 60, 50)
        r2 = (xx - (w * 0.7 - 3 * t) % w) ** 2 + (yy - h * 0.3) ** 2
        img[r2 < 35**2] = (40, 200, 230)
        img += rng.normal(0, 2.0, img.shape)
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return out


def camera_clip(frames: int = 60, size: tuple[int, int] = (640, 360), seed: int = 0) -> list[np.ndarray]:
    """The benchmark's clip: `frames` RGB uint8 frames of `size` (width, height), 30 fps motion."""
    from PIL import Image

    w, h = size
    rng = np.random.default_rng(seed)
    pano_h = int(h * 1.3)
    pano = Image.fromarray(scene(pano_h, w + 4 * frames + 64, rng))
    s1, s2 = _sprite(OBJECTS[0], h // 3, rng), _sprite(OBJECTS[1], h // 4, rng)
    m1, m2 = _disc(s1.shape[0]), np.ones((s2.shape[0], s2.shape[1], 1), np.float32)
    grain = GRAIN_SIGMA * min(1.0, (w * h / GRAIN_AT) ** 0.5)
    out = []
    for t in range(frames):
        # The camera: pans right 2.7 px/frame, bobs up and down, zooms in 0.1 % a frame.
        zoom = 1.0 / (1.0 + 0.001 * t)
        ox, oy = 10 + 2.7 * t, (pano_h - h) / 2 + 12 * np.sin(t / 11)
        view = pano.transform((w, h), Image.AFFINE, (zoom, 0, ox, 0, zoom, oy), resample=Image.BILINEAR)
        img = np.asarray(view, dtype=np.float32).copy()
        # A textured disc crossing right to left, and a turning square drifting along a curve.
        for sprite, mask, (cx, cy), angle in (
            (s1, m1, (w * 0.85 - 4.5 * t, h * 0.55 + 40 * np.sin(t / 7)), 0.0),
            (s2, m2, (w * 0.2 + 3.0 * t, h * 0.3 + 25 * np.cos(t / 5)), 3.0 * t),
        ):
            if angle:
                rot = Image.fromarray(sprite).rotate(angle, resample=Image.BILINEAR, expand=True)
                alpha = Image.fromarray((mask[..., 0] * 255).astype(np.uint8)).rotate(
                    angle, resample=Image.BILINEAR, expand=True
                )
                sp, mk = np.asarray(rot, np.float32), np.asarray(alpha, np.float32)[..., None] / 255
            else:
                sp, mk = sprite.astype(np.float32), mask
            _paste(img, sp, mk, int(cx) - sp.shape[1] // 2, int(cy) - sp.shape[0] // 2)
        img += rng.normal(0, grain, (h, w, 1)) + rng.normal(0, grain / 3, img.shape)
        out.append(np.clip(np.rint(img), 0, 255).astype(np.uint8))
    return out


def _paste(img: np.ndarray, sprite: np.ndarray, mask: np.ndarray, x: int, y: int) -> None:
    h, w = img.shape[:2]
    sh, sw = sprite.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + sw), min(h, y + sh)
    if x0 >= x1 or y0 >= y1:
        return
    sp = sprite[y0 - y : y1 - y, x0 - x : x1 - x]
    mk = mask[y0 - y : y1 - y, x0 - x : x1 - x]
    img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - mk) + sp * mk
