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

import numpy as np

CE = 0.25  # error-estimate gain
CC = 0.25  # coordinate gain
MIN_HEIGHT = 0.1
DIMENSIONS = 2
SAMPLE_WEIGHT_POWER = 2.0  # samples weigh 1/rtt^2: the step minimises relative, not absolute, error
# The RTTs a sample may carry (heartbeats are refused outside them, 0 meaning "not measured"): 1/rtt^2 of a
# subnormal RTT, or the square of a huge one, is infinite and would turn every coordinate into NaN.
MIN_RTT_MS = 0.001
MAX_RTT_MS = 600_000.0


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
    if not MIN_RTT_MS <= rtt_ms <= MAX_RTT_MS:
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


def update_batch(
    position: np.ndarray,
    height: np.ndarray,
    error: np.ndarray,
    placed: np.ndarray,
    source: np.ndarray,
    target: np.ndarray,
    rtt: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Many samples at once (source i measured `rtt` to target j), vectorised.

    A node that has no coordinate yet is first placed next to the placed neighbour it measured the
    smallest RTT to, at that RTT's distance: one good sample beats many rounds of pushes from the origin.
    Then each node moves once, by the mean of the figure-3 displacements of its samples (all computed from
    the coordinates at the start of the batch), with the paper's adaptive timestep: delta = cc * w,
    w = e_i / (e_i + e_j), and its error moves towards the weighted sample error with gain ce * w.
    """
    with np.errstate(invalid="ignore"):
        ok = (rtt >= MIN_RTT_MS) & (rtt <= MAX_RTT_MS) & (source != target)
    source, target, rtt = source[ok], target[ok], rtt[ok]
    if not len(source):
        return
    _place(position, height, error, placed, source, target, rtt, rng)
    xi, xj = position[source], position[target]
    hi, hj = height[source], height[target]
    diff = xi - xj
    norm = np.sqrt((diff * diff).sum(axis=1))
    same = norm < 1e-9
    if same.any():  # same place: push apart in a random direction
        diff[same] = rng.uniform(-1, 1, size=(int(same.sum()), position.shape[1]))
        norm[same] = np.sqrt((diff[same] * diff[same]).sum(axis=1))
    predicted = np.sqrt(((xi - xj) ** 2).sum(axis=1)) + hi + hj
    ei, ej = error[source], error[target]
    total_error = ei + ej
    w = np.where(total_error > 0, ei / np.where(total_error > 0, total_error, 1.0), 0.5)
    sample_error = np.abs(predicted - rtt) / rtt
    delta = CC * w * (rtt - predicted)
    total = norm + hi + hj  # unit vector in the height-augmented space (Dabek 2004, section 5.5)
    n = len(position)
    share = rtt**-SAMPLE_WEIGHT_POWER
    counts = np.bincount(source, weights=share, minlength=n)
    moved = counts > 0
    shift = np.zeros_like(position)
    for d in range(position.shape[1]):
        shift[:, d] = np.bincount(source, weights=share * delta * diff[:, d] / total, minlength=n)
    lift = np.bincount(source, weights=share * delta * (hi + hj) / total, minlength=n)
    gain = np.bincount(source, weights=share * CE * w, minlength=n)
    target_error = np.bincount(source, weights=share * CE * w * sample_error, minlength=n)
    c = counts[moved]
    position[moved] += shift[moved] / c[:, None]
    height[moved] = np.maximum(MIN_HEIGHT, height[moved] + lift[moved] / c)
    g = gain[moved] / c
    error[moved] = np.minimum(1.0, target_error[moved] / c + error[moved] * (1 - g))
    placed[moved] = True


def _place(
    position: np.ndarray,
    height: np.ndarray,
    error: np.ndarray,
    placed: np.ndarray,
    source: np.ndarray,
    target: np.ndarray,
    rtt: np.ndarray,
    rng: np.random.Generator,
) -> None:
    fresh = ~placed[source]
    if not fresh.any():
        return
    if not placed.any():  # the very first node anchors the space at the origin
        placed[source[0]] = True
        fresh = ~placed[source]
    order = np.argsort(rtt, kind="stable")
    for k in order[fresh[order]]:  # smallest RTT first; each node once in its life
        i, j = int(source[k]), int(target[k])
        if placed[i] or not placed[j]:
            continue
        angle = rng.uniform(0, 2 * math.pi)
        direction = np.zeros(position.shape[1])
        direction[0], direction[1 % len(direction)] = math.cos(angle), math.sin(angle)
        height[i] = max(MIN_HEIGHT, min(height[j], float(rtt[k]) / 4))
        reach = max(0.0, float(rtt[k]) - height[i] - height[j])
        position[i] = position[j] + reach * direction
        placed[i] = True


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
