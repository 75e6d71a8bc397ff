"""A short synthetic video clip: textured background panning, moving shapes, a little sensor noise."""

from __future__ import annotations

import numpy as np


def clip(frames: int = 60, size: tuple[int, int] = (640, 360), seed: int = 0) -> list[np.ndarray]:
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
