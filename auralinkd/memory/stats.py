"""The statistics: recall latency over a recent window (in-process, per daemon replica) and the summary."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import asyncpg
import numpy as np

from auralinkd.memory.evolve import run_of
from auralinkd.memory.models import MemoryStats, ModelUse
from auralinkd.memory.store import HNSW_MODELS


class LatencyWindow:
    def __init__(self, size: int = 1000, observe: Callable[[float], None] | None = None) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._observe = observe  # also handed each sample (the daemon's Prometheus histogram)

    def add(self, seconds: float) -> None:
        with self._lock:
            self._samples.append(seconds)
        if self._observe is not None:
            self._observe(seconds)

    def percentiles(self) -> tuple[float, float, int]:
        """(p50 ms, p95 ms, samples); zeros when nothing was recorded yet."""
        with self._lock:
            samples = list(self._samples)
        if not samples:
            return 0.0, 0.0, 0
        values = np.array(samples) * 1000.0
        return float(np.percentile(values, 50)), float(np.percentile(values, 95)), len(samples)


def memory_stats(
    raw: dict[str, Any], last: asyncpg.Record | None, latency: LatencyWindow, pgvector: bool
) -> MemoryStats:
    """MemoryStats from store.stats' rows and the last evolve run."""
    row = raw["row"]
    stored_rows = row["total"]
    deduped = int(row["deduped"])
    p50, p95, window = latency.percentiles()
    models = [
        ModelUse(r["model"], r["dims"], r["n"], pgvector and HNSW_MODELS.get(r["model"]) == r["dims"])
        for r in raw["models"]
    ]
    return MemoryStats(
        total=stored_rows,
        by_scope={"user": row["s_user"], "agent": row["s_agent"], "room": row["s_room"], "session": row["s_session"]},
        by_modality={"text": row["m_text"], "audio_transcript": row["m_audio"], "image_caption": row["m_image"]},
        by_state={"active": row["active"], "archived": row["archived"], "deleted": row["deleted"]},
        duplicate_ratio=deduped / (stored_rows + deduped) if stored_rows + deduped else 0.0,
        staleness={b: raw["staleness"].get(b, 0) for b in ("<1d", "1-7d", "7-30d", "30-90d", ">90d")},
        storage_bytes=int(row["bytes"]) + sum(int(r["bytes"]) for r in raw["models"]),
        models=models,
        recall_p50_ms=p50,
        recall_p95_ms=p95,
        recall_window=window,
        pgvector=pgvector,
        last_evolve_run=run_of(last) if last else None,
    )
