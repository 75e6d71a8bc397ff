"""Offline quality measures for the bench and the tests: PESQ, STOI, SSIM and PSNR."""

from __future__ import annotations

import numpy as np


def align(ref: np.ndarray, deg: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove the codec delay: the lag (0..max_lag samples) maximising correlation."""
    n = min(len(ref), len(deg)) - max_lag
    r = ref[:n].astype(np.float64)
    best = max(range(max_lag + 1), key=lambda d: float(np.dot(r, deg[d : d + n].astype(np.float64))))
    return ref[:n], deg[best : best + n]


def pesq_score(ref: np.ndarray, deg: np.ndarray, rate: int) -> tuple[float, str]:
    """PESQ-WB (or -NB at 8 kHz). Above 16 kHz both are band-limited to 16 kHz first (wideband part)."""
    from pesq import pesq

    if rate > 16000:
        from scipy.signal import resample_poly

        ref, deg = (resample_poly(x.astype(np.float64), 16000, rate) for x in (ref, deg))
        rate = 16000
    mode = "nb" if rate == 8000 else "wb"
    return float(pesq(rate, ref.astype(np.float64) / 32768, deg.astype(np.float64) / 32768, mode)), f"pesq_{mode}"


def stoi_score(ref: np.ndarray, deg: np.ndarray, rate: int) -> float:
    from pystoi import stoi

    return float(stoi(ref.astype(np.float64), deg.astype(np.float64), rate, extended=False))


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM on luma (BT.601), the usual video-coding convention."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(luma(a.astype(np.float64)), luma(b.astype(np.float64)), data_range=255))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)
