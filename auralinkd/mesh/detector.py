"""Failure detection: a phi-accrual detector bounded by a hard 3.5x-interval rule.

Phi (Hayashibara et al.) grows with the time since the last heartbeat relative to the observed
inter-arrival distribution (here exponential, as in Cassandra): phi = elapsed / (mean * ln 10). A node
is SUSPECT when phi crosses the threshold or, whatever the history says, after 3.5 expected intervals
(OLSR holds a neighbour for 3 hellos); OFFLINE after twice that. The bounds are what the tests and the
simulation check, so the detector always answers within them.
"""

from __future__ import annotations

import math
from collections import deque
from enum import StrEnum

SUSPECT_INTERVALS = 3.5
OFFLINE_INTERVALS = 7.0
PHI_SUSPECT = 3.0  # ~ 7 mean intervals under the exponential model, so the hard rule usually decides
WINDOW = 100


class NodeState(StrEnum):
    ALIVE = "alive"
    SUSPECT = "suspect"
    OFFLINE = "offline"


class PhiAccrual:
    """Inter-arrival history of one node's heartbeats, and its verdict at a given time."""

    def __init__(self, interval_s: float, now: float) -> None:
        self.interval_s = interval_s
        self.last = now
        self._gaps: deque[float] = deque(maxlen=WINDOW)
        self._sum = 0.0

    def heartbeat(self, now: float) -> None:
        gap = max(0.0, now - self.last)
        if len(self._gaps) == self._gaps.maxlen:
            self._sum -= self._gaps[0]
        self._gaps.append(gap)
        self._sum += gap
        self.last = now

    @property
    def mean_gap_s(self) -> float:
        # Until there is history, assume the declared interval; never trust a mean far below it.
        if not self._gaps:
            return self.interval_s
        return max(self._sum / len(self._gaps), self.interval_s / 4)

    def phi(self, now: float) -> float:
        elapsed = max(0.0, now - self.last)
        return elapsed / (self.mean_gap_s * math.log(10))

    def state(self, now: float) -> NodeState:
        elapsed = now - self.last
        if elapsed >= OFFLINE_INTERVALS * self.interval_s:
            return NodeState.OFFLINE
        if elapsed >= SUSPECT_INTERVALS * self.interval_s or self.phi(now) >= PHI_SUSPECT:
            return NodeState.SUSPECT
        return NodeState.ALIVE

    def offline_bound_s(self) -> float:
        return OFFLINE_INTERVALS * self.interval_s
