"""Vivaldi network coordinates (Dabek et al., SIGCOMM 2004) with a height vector.

Each node has a 2-D position plus a non-negative height (its access-link delay). The predicted RTT
between two nodes is the Euclidean distance of the positions plus both heights, so latency between pairs
never measured directly is still estimated. One measured RTT moves the local node along the error's
gradient, weighted by the relative confidence of the two nodes.
"""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass, field

CE = 0.25  # error-estimate gain
CC = 0.25  # coordinate gain
MIN_HEIGHT = 0.1
DIMENSIONS = 2


@dataclass
class Coordinate:
    x: list[float] = field(default_factory=lambda: [0.0] * DIMENSIONS)
    height: float = MIN_HEIGHT
    error: float = 1.0  # relative error estimate, 1 = know nothing

    def as_list(self) -> list[float]:
        return [*self.x, self.height, self.error]

    @classmethod
    def from_list(cls, values: list[float] | None) -> Coordinate:
        if not values or len(values) != DIMENSIONS + 2 or not all(math.isfinite(v) for v in values):
            return cls()
        return cls(list(values[:DIMENSIONS]), max(MIN_HEIGHT, values[DIMENSIONS]), min(1.0, values[-1]))


def distance(a: Coordinate, b: Coordinate) -> float:
    """Predicted RTT in ms."""
    return math.dist(a.x, b.x) + a.height + b.height


def update(local: Coordinate, remote: Coordinate, rtt_ms: float, rng: random.Random | None = None) -> None:
    """Move `local` after measuring `rtt_ms` to `remote` (the algorithm of figure 3, with heights)."""
    if not math.isfinite(rtt_ms) or rtt_ms <= 0:
        return
    predicted = distance(local, remote)
    weight = local.error / (local.error + remote.error) if local.error + remote.error > 0 else 0.5
    sample_error = abs(predicted - rtt_ms) / rtt_ms
    local.error = min(1.0, sample_error * CE * weight + local.error * (1 - CE * weight))
    delta = CC * weight * (rtt_ms - predicted)
    diff = [a - b for a, b in zip(local.x, remote.x, strict=True)]
    norm = math.hypot(*diff)
    if norm < 1e-9:  # same place: push apart in a random direction
        rng = rng or random
        diff = [rng.uniform(-1, 1) for _ in diff]
        norm = math.hypot(*diff) or 1.0
    # Unit vector in the height-augmented space (Dabek 2004, section 5.5).
    total = norm + local.height + remote.height
    local.x = [a + delta * d / total for a, d in zip(local.x, diff, strict=True)]
    local.height = max(MIN_HEIGHT, local.height + delta * (local.height + remote.height) / total)


def median_relative_error(pairs: list[tuple[float, float]]) -> float:
    """Median |predicted - measured| / measured over (predicted, measured) pairs; NaN when empty."""
    errors = sorted(abs(p - m) / m for p, m in pairs if m > 0)
    if not errors:
        return math.nan
    mid = len(errors) // 2
    return errors[mid] if len(errors) % 2 else (errors[mid - 1] + errors[mid]) / 2


def held_out(source: str, target: str, fraction_per_mille: int = 100) -> bool:
    """Deterministically hold out ~10% of measured links (both directions) from training, to measure error."""
    key = f"{source}|{target}" if source < target else f"{target}|{source}"
    return zlib.crc32(key.encode()) % 1000 < fraction_per_mille
