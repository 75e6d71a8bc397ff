"""Reputation arithmetic: evidence weights with exponential decay, EigenTrust, and trust bands.

Local trust s_ij is the decayed, signed sum of what reporter i said about node j (failures weigh 3x,
misbehaviour 5x). EigenTrust (Kamvar et al. 2003) normalises c_ij = max(s_ij, 0) / sum_j max(s_ij, 0)
and iterates t = (1 - a) C^T t + a p with a = 0.15, where p is spread over the pre-trusted set: the
admin-designated anchors plus the operators (evidence without a reporting node). Trust therefore only
flows along paths from that set; a cluster vouching for itself gets none (Sybil resistance).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import sparse

ALPHA = 0.15
DEFAULT_HALF_LIFE_S = 7 * 24 * 3600.0
TOLERANCE = 1e-10
MAX_ITERATIONS = 200
OPERATOR = "operator"  # the reporter of evidence sent by an operator rather than a node

FAILURE_WEIGHT = 3.0
MISBEHAVIOR_WEIGHT = 5.0
UPTIME_WEIGHT = 2.0


class EvidenceKind(StrEnum):
    RELAY_SUCCESS = "relay_success"
    RELAY_FAILURE = "relay_failure"
    UPTIME = "uptime"
    MISBEHAVIOR = "misbehavior"


class Band(StrEnum):
    UNTRUSTED = "untrusted"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


BAND_FLOORS = ((0.6, Band.HIGH), (0.3, Band.MEDIUM), (0.1, Band.LOW))


def signed_weight(kind: EvidenceKind, value: float) -> float:
    """The undecayed weight of one report: + for good behaviour, - (heavier) for bad."""
    if kind is EvidenceKind.RELAY_SUCCESS:
        return value
    if kind is EvidenceKind.RELAY_FAILURE:
        return -FAILURE_WEIGHT * value
    if kind is EvidenceKind.MISBEHAVIOR:
        return -MISBEHAVIOR_WEIGHT * value
    good = UPTIME_WEIGHT * (2 * value - 1)  # ratio 1 -> +2, 0.5 -> 0, 0 -> -2 (then x3, as a failure)
    return good if good >= 0 else FAILURE_WEIGHT * good


def decay(age_s: float, half_life_s: float) -> float:
    return 0.5 ** (max(0.0, age_s) / half_life_s)


def band(score: float, quarantined: bool = False) -> Band:
    if quarantined:
        return Band.UNTRUSTED
    for floor, name in BAND_FLOORS:
        if score >= floor:
            return name
    return Band.UNTRUSTED


def score(global_trust: float, nodes: int) -> float:
    """Global trust (a distribution) on a 0..1 scale: a node with an average share scores 0.5."""
    return min(1.0, global_trust * nodes / 2) if nodes else 0.0


class Ledger:
    """Decayed local-trust sums per (reporter, target), updated in O(1) per report."""

    def __init__(self, half_life_s: float = DEFAULT_HALF_LIFE_S) -> None:
        self.half_life_s = half_life_s
        self._sums: dict[tuple[str, str], tuple[float, float]] = {}  # value at reference time, reference time

    def add(self, reporter: str, target: str, weight: float, at: float) -> None:
        value, ref = self._sums.get((reporter, target), (0.0, at))
        self._sums[(reporter, target)] = (value * decay(at - ref, self.half_life_s) + weight, at)

    def forget(self, node: str) -> None:
        for key in [k for k in self._sums if node in k]:
            del self._sums[key]

    def local(self, now: float | None = None) -> dict[tuple[str, str], float]:
        now = time.time() if now is None else now
        return {k: v * decay(now - ref, self.half_life_s) for k, (v, ref) in self._sums.items()}


@dataclass
class TrustResult:
    trust: dict[str, float]
    iterations: int
    residual: float
    pretrusted: list[str]
    inflow: dict[str, dict[str, float]]  # target -> reporter -> (1 - a) c_ij t_i


def eigentrust(
    nodes: Sequence[str],
    local: dict[tuple[str, str], float],
    anchors: Sequence[str],
    alpha: float = ALPHA,
    tolerance: float = TOLERANCE,
) -> TrustResult:
    """Global trust of `nodes` (plus the virtual operator peer) by sparse power iteration."""
    names = [*nodes, OPERATOR]
    index = {name: i for i, name in enumerate(names)}
    n = len(names)
    rows, cols, vals = [], [], []
    for (i, j), s in local.items():
        if s > 0 and i in index and j in index and i != j and j != OPERATOR:
            rows.append(index[i])
            cols.append(index[j])
            vals.append(s)
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n), dtype=np.float64)
    row_sums = np.asarray(matrix.sum(axis=1)).ravel()
    has_out = row_sums > 0
    inv = np.zeros(n)
    inv[has_out] = 1.0 / row_sums[has_out]
    c = sparse.diags(inv) @ matrix  # row-stochastic where a row has evidence
    ct = c.T.tocsr()

    pretrusted = [a for a in anchors if a in index]
    if has_out[index[OPERATOR]]:
        pretrusted.append(OPERATOR)
    p = np.zeros(n)
    if pretrusted:
        for name in pretrusted:
            p[index[name]] = 1.0 / len(pretrusted)
    else:  # no anchors and no operator evidence: plain uniform EigenTrust (no Sybil resistance; status says so)
        p[:-1] = 1.0 / max(1, n - 1)
    t = p.copy()
    iterations, residual = 0, math.inf
    dangling = ~has_out
    while iterations < MAX_ITERATIONS and residual > tolerance:
        # Peers without evidence of their own defer to the pre-trusted set (Kamvar, section 4.5).
        following = (1 - alpha) * (ct @ t + t[dangling].sum() * p) + alpha * p
        residual = float(np.abs(following - t).sum())
        t = following
        iterations += 1
    inflow: dict[str, dict[str, float]] = {}
    coo = c.tocoo()
    for i, j, value in zip(coo.row, coo.col, coo.data, strict=True):
        inflow.setdefault(names[j], {})[names[i]] = (1 - alpha) * value * t[i]
    trust = {name: float(t[index[name]]) for name in nodes}
    return TrustResult(trust, iterations, residual, pretrusted, inflow)
