"""Recall latency over a recent window (in-process, per daemon replica) for the statistics."""

from __future__ import annotations

import threading
from collections import deque

import numpy as np


class LatencyWindow:
    def __init__(self, size: int = 1000) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self._samples.append(seconds)

    def percentiles(self) -> tuple[float, float, int]:
        """(p50 ms, p95 ms, samples); zeros when nothing was recorded yet."""
        with self._lock:
            samples = list(self._samples)
        if not samples:
            return 0.0, 0.0, 0
        values = np.array(samples) * 1000.0
        return float(np.percentile(values, 50)), float(np.percentile(values, 95)), len(samples)
