"""Test doubles for the memory service: deterministic embedders that need no model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from auralinkd.memory.embeddings import LOCAL_DIMS, LOCAL_MODEL, normalise


def hashed_vector(text: str, dims: int = LOCAL_DIMS) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return normalise(np.random.default_rng(seed).standard_normal((1, dims)))[0]


class TableEmbedder:
    """Vectors from a table (for planned similarities), else a stable random unit vector per text.

    Named like the local model so the per-model HNSW index applies on PostgreSQL 16.
    """

    name = LOCAL_MODEL
    dims = LOCAL_DIMS

    def __init__(self, table: dict[str, np.ndarray] | None = None) -> None:
        self.table = dict(table or {})
        self.calls = 0

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = [self.table[t] if t in self.table else hashed_vector(t, self.dims) for t in texts]
        return normalise(np.stack(rows)) if rows else np.zeros((0, self.dims), dtype=np.float32)


def near(base: np.ndarray, cosine: float, seed: int) -> np.ndarray:
    """A unit vector at (about) the given cosine similarity to unit vector `base`."""
    noise = np.random.default_rng(seed).standard_normal(base.shape)
    noise -= (noise @ base) * base
    noise /= np.linalg.norm(noise)
    return (cosine * base + np.sqrt(1 - cosine**2) * noise).astype(np.float32)
