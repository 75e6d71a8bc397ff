"""Per-link smoothing: RFC 6298 EWMA of the RTT and its variance, EWMA bandwidth and loss, and ETX.

ETX (De Couto et al.) is the expected number of transmissions for one delivery: 1 / (df * dr). With a
single reported loss ratio for the link we take df = dr = 1 - loss, so ETX = 1 / (1 - loss)^2, capped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 1 / 8  # RFC 6298 section 2: SRTT gain
BETA = 1 / 4  # RFC 6298 section 2: RTTVAR gain
BANDWIDTH_GAIN = 1 / 4  # BATMAN-adv style EWMA of throughput
LOSS_GAIN = 1 / 4
MAX_ETX = 100.0


def etx(loss_pct: float) -> float:
    delivery = max(0.0, 1.0 - loss_pct / 100.0)
    if delivery <= 0.0:
        return MAX_ETX
    return min(MAX_ETX, 1.0 / (delivery * delivery))


def valid_metric(value: float) -> bool:
    return math.isfinite(value) and value >= 0.0


@dataclass
class LinkEstimate:
    """The smoothed state of one directed link."""

    srtt_ms: float
    rttvar_ms: float
    bandwidth_kbps: float
    loss_pct: float
    cost: float = 0.0
    samples: int = 1

    @classmethod
    def first(cls, rtt_ms: float, bandwidth_kbps: float, loss_pct: float, cost: float = 0.0) -> LinkEstimate:
        # RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2
        return cls(rtt_ms, rtt_ms / 2, bandwidth_kbps, loss_pct, cost)

    def update(self, rtt_ms: float, bandwidth_kbps: float, loss_pct: float, cost: float | None = None) -> None:
        # RFC 6298 2.3: RTTVAR first (it uses the old SRTT), then SRTT.
        self.rttvar_ms = (1 - BETA) * self.rttvar_ms + BETA * abs(self.srtt_ms - rtt_ms)
        self.srtt_ms = (1 - ALPHA) * self.srtt_ms + ALPHA * rtt_ms
        self.bandwidth_kbps += BANDWIDTH_GAIN * (bandwidth_kbps - self.bandwidth_kbps)
        self.loss_pct += LOSS_GAIN * (loss_pct - self.loss_pct)
        if cost is not None:
            self.cost = cost
        self.samples += 1

    @property
    def etx(self) -> float:
        return etx(self.loss_pct)

    @property
    def latency_ms(self) -> float:
        """One-way latency estimate: half the smoothed RTT."""
        return self.srtt_ms / 2

    @property
    def rto_ms(self) -> float:
        """RFC 6298 retransmission timeout (without the 1 s floor): SRTT + 4 * RTTVAR."""
        return self.srtt_ms + 4 * self.rttvar_ms
