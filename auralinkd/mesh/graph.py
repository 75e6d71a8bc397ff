"""The in-memory routing graph of one org: rustworkx digraph, per-link features and per-weights cost arrays.

Edges carry a slot number. The features of slot s live in flat numpy arrays, and every weights combination
in use has a cost array indexed by slot, built vectorised once and then kept current: a heartbeat rewrites
one element of each cached array instead of rebuilding anything. Route search (routing.py) runs compiled
Dijkstra (scipy.sparse.csgraph) over a CSR view of the topology that is rebuilt only when links appear or
disappear; each query gathers the current costs into it, so no Python code runs per edge.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import rustworkx as rx

from auralinkd.mesh.detector import NodeState, PhiAccrual
from auralinkd.mesh.smoothing import LinkEstimate
from auralinkd.mesh.vivaldi import Coordinate

INF = math.inf
BANDWIDTH_SCALE = 10_000.0  # 1/bandwidth term: 10 at 1 Mbit/s
RELIABILITY_SCALE = 10.0  # ETX term: 10 per perfect hop (also BATMAN's per-hop penalty)
MAX_COST_CACHES = 8
INITIAL_CAPACITY = 64
LINK_HOLD_INTERVALS = 3.5  # a link unreported for this many of its source's heartbeat intervals is down


@dataclass(frozen=True)
class Weights:
    latency: float = 1.0
    bandwidth: float = 0.2
    reliability: float = 0.5
    cost: float = 0.0
    trust_penalty: float = 1.0

    @property
    def key(self) -> tuple[float, ...]:
        return (self.latency, self.bandwidth, self.reliability, self.cost, self.trust_penalty)


@dataclass
class NodeInfo:
    id: str
    org_id: str
    name: str
    region: str
    index: int
    interval_s: float
    detector: PhiAccrual
    state: NodeState = NodeState.ALIVE
    quarantined: bool = False
    quarantine_until: datetime | None = None
    anchor: bool = False
    load: int = 0
    capacity: int = 100
    trust: float = 0.0
    coordinate: Coordinate = field(default_factory=Coordinate)

    @property
    def usable(self) -> bool:
        return self.state is not NodeState.OFFLINE and not self.quarantined


@dataclass
class Topology:
    """A CSR view of the live links, forward and reversed, for one topology version.

    `order` lists the live slots sorted by (source, target): the forward matrix's data is
    `costs[order]`. `border` sorts the same slots by (target, source) for the reversed matrix.
    """

    version: int
    n: int
    order: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    border: np.ndarray
    bindptr: np.ndarray
    bindices: np.ndarray
    sources: np.ndarray  # source index of each slot in `order`
    targets: np.ndarray


class MeshGraph:
    def __init__(self, org_id: str) -> None:
        self.org_id = org_id
        self.graph: rx.PyDiGraph = rx.PyDiGraph(check_cycle=False, multigraph=False)
        self.nodes: dict[str, NodeInfo] = {}
        self.by_index: dict[int, NodeInfo] = {}
        self.links: dict[tuple[str, str], LinkEstimate] = {}
        self.slot_of: dict[tuple[int, int], int] = {}
        self._edge_of_slot: dict[int, int] = {}
        self._ends: list[tuple[int, int]] = []
        capacity = INITIAL_CAPACITY
        self._src = np.zeros(capacity, np.int64)
        self._dst = np.zeros(capacity, np.int64)
        self._lat = np.zeros(capacity)
        self._inv_bw = np.zeros(capacity)
        self._etx = np.ones(capacity)
        self._money = np.zeros(capacity)
        self.bandwidth = np.zeros(capacity)
        self._live = np.zeros(capacity, bool)
        self._down = np.zeros(capacity, bool)  # not reported within its source's hold time
        self._seen = np.zeros(capacity)  # when each link was last reported (the service's clock)
        self.trust = np.zeros(capacity)  # by node index
        self.usable = np.zeros(capacity, bool)  # by node index
        self._hold = np.full(capacity, INF)  # by node index: how long its links live unreported
        self._free: list[int] = []
        self._costs: OrderedDict[tuple[float, ...], np.ndarray] = OrderedDict()
        self._topology: Topology | None = None
        self.topology_version = 0
        self.version = 0
        self.radius_hint = 0.0  # typical shortest-path cost, the first guess of the bidirectional search

    # -- nodes -----------------------------------------------------------------------------------

    def add_node(self, info: NodeInfo) -> NodeInfo:
        info.index = self.graph.add_node(info.id)
        self.nodes[info.id] = info
        self.by_index[info.index] = info
        if info.index >= len(self.trust):
            size = max(2 * len(self.trust), info.index + 1)
            self.trust = _grown(self.trust, size, 0.0)
            self.usable = _grown(self.usable, size, False)
            self._hold = _grown(self._hold, size, INF)
        self._node_arrays(info)
        self._hold[info.index] = LINK_HOLD_INTERVALS * info.interval_s
        self.version += 1
        self.topology_version += 1
        return info

    def remove_node(self, node_id: str) -> None:
        info = self.nodes.get(node_id)
        if info is None:
            return
        for key in [k for k in self.links if node_id in k]:
            self.remove_link(*key)
        del self.nodes[node_id]
        self.graph.remove_node(info.index)
        del self.by_index[info.index]
        self.usable[info.index] = False
        self.version += 1
        self.topology_version += 1

    def _node_arrays(self, info: NodeInfo) -> None:
        self.trust[info.index] = info.trust
        self.usable[info.index] = info.usable

    def node_changed(self, info: NodeInfo) -> None:
        """Refresh the cost of every link touching a node whose state, quarantine or trust changed."""
        self._node_arrays(info)
        for _, _, slot in self.graph.in_edges(info.index):
            self._refresh(slot)
        for _, _, slot in self.graph.out_edges(info.index):
            self._refresh(slot)
        self.version += 1

    def trust_changed(self) -> None:
        for info in self.nodes.values():
            self.trust[info.index] = info.trust
        self._costs.clear()
        self.version += 1

    # -- links -----------------------------------------------------------------------------------

    def set_link(self, source: str, target: str, estimate: LinkEstimate, now: float = 0.0) -> None:
        s, t = self.nodes[source].index, self.nodes[target].index
        self.links[(source, target)] = estimate
        slot = self.slot_of.get((s, t))
        if slot is None:
            slot = self._new_slot(s, t)
        self._seen[slot] = now
        if self._down[slot]:
            self._down[slot] = False
            self.version += 1
        self._lat[slot] = estimate.srtt_ms / 2
        bandwidth = estimate.bandwidth_kbps
        self.bandwidth[slot] = bandwidth
        self._inv_bw[slot] = BANDWIDTH_SCALE / bandwidth if bandwidth > 0 else INF
        self._etx[slot] = estimate.etx
        self._money[slot] = estimate.cost
        if self._costs:
            self._refresh(slot)

    def _new_slot(self, s: int, t: int) -> int:
        slot = self._free.pop() if self._free else len(self._ends)
        if slot == len(self._ends):
            self._ends.append((s, t))
            if slot >= len(self._src):
                self._grow(2 * len(self._src))
        self._ends[slot] = (s, t)
        self._src[slot], self._dst[slot] = s, t
        self._live[slot] = True
        self._down[slot] = False
        self.slot_of[(s, t)] = slot
        self._edge_of_slot[slot] = self.graph.add_edge(s, t, slot)
        self.version += 1
        self.topology_version += 1
        return slot

    def _grow(self, size: int) -> None:
        self._src = _grown(self._src, size, 0)
        self._dst = _grown(self._dst, size, 0)
        self._lat = _grown(self._lat, size, 0.0)
        self._inv_bw = _grown(self._inv_bw, size, 0.0)
        self._etx = _grown(self._etx, size, 1.0)
        self._money = _grown(self._money, size, 0.0)
        self.bandwidth = _grown(self.bandwidth, size, 0.0)
        self._live = _grown(self._live, size, False)
        self._down = _grown(self._down, size, False)
        self._seen = _grown(self._seen, size, 0.0)
        for key, costs in self._costs.items():
            self._costs[key] = _grown(costs, size, INF)

    def remove_link(self, source: str, target: str) -> None:
        self.links.pop((source, target), None)
        s, t = self.nodes[source].index, self.nodes[target].index
        slot = self.slot_of.pop((s, t), None)
        if slot is None:
            return
        self.graph.remove_edge_from_index(self._edge_of_slot.pop(slot))
        self._live[slot] = False
        for costs in self._costs.values():
            costs[slot] = INF
        self._free.append(slot)
        self.version += 1
        self.topology_version += 1

    def expire(self, now: float) -> int:
        """Mark down every link its source stopped reporting for LINK_HOLD_INTERVALS of its heartbeat
        interval (OLSR holds a neighbour for 3 hellos); a later report brings it back. Returns how many."""
        hold_s = self._hold
        count = len(self._ends)
        stale = self._live[:count] & ~self._down[:count] & (now - self._seen[:count] > hold_s[self._src[:count]])
        slots = np.flatnonzero(stale)
        if len(slots):
            self._down[slots] = True
            for costs in self._costs.values():
                costs[slots] = INF
            self.version += 1
        return len(slots)

    def up(self, slot: int) -> bool:
        return bool(self._live[slot] and not self._down[slot])

    def up_mask(self, slots: np.ndarray) -> np.ndarray:
        return self._live[slots] & ~self._down[slots]

    def slot(self, s: int, t: int) -> int:
        return self.slot_of[(s, t)]

    def latency(self, slot: int) -> float:
        return float(self._lat[slot])

    def link_of_slot(self, slot: int) -> tuple[NodeInfo, NodeInfo]:
        s, t = self._ends[slot]
        return self.by_index[s], self.by_index[t]

    def in_slots(self, index: int) -> list[int]:
        return [slot for _, _, slot in self.graph.in_edges(index)]

    # -- costs -----------------------------------------------------------------------------------

    def costs(self, weights: Weights) -> np.ndarray:
        """The cost array for these weights, by slot (built once, then kept current by every update)."""
        key = weights.key
        cached = self._costs.get(key)
        if cached is not None:
            self._costs.move_to_end(key)
            return cached
        w = weights
        with np.errstate(invalid="ignore"):
            base = (
                w.latency * self._lat
                + w.bandwidth * self._inv_bw
                + w.reliability * RELIABILITY_SCALE * self._etx
                + w.cost * self._money
            )
        src, dst = self._src, self._dst
        costs = base * (1.0 + w.trust_penalty * (1.0 - self.trust[dst]))
        costs[~(self._live & ~self._down & self.usable[src] & self.usable[dst])] = INF
        costs[np.isnan(costs)] = INF  # 0 * inf (a zero weight on a zero-bandwidth link)
        self._costs[key] = costs
        if len(self._costs) > MAX_COST_CACHES:
            self._costs.popitem(last=False)
        return costs

    def _refresh(self, slot: int) -> None:
        for key, costs in self._costs.items():
            costs[slot] = self._cost(slot, key)

    def _cost(self, slot: int, key: tuple[float, ...]) -> float:
        s, t = self._ends[slot]
        if self._down[slot] or not (self.usable[s] and self.usable[t]):
            return INF
        latency, bandwidth, reliability, money, penalty = key
        inv_bw = self._inv_bw[slot]
        base = (
            latency * self._lat[slot]
            + (bandwidth * inv_bw if bandwidth else 0.0)
            + reliability * RELIABILITY_SCALE * self._etx[slot]
            + money * self._money[slot]
        )
        return float(base * (1.0 + penalty * (1.0 - self.trust[t])))

    def topology(self) -> Topology:
        """The CSR view for the current set of links (rebuilt only when links or nodes come or go)."""
        if self._topology is not None and self._topology.version == self.topology_version:
            return self._topology
        n = max(self.by_index, default=-1) + 1
        live = np.flatnonzero(self._live[: len(self._ends)])
        src, dst = self._src[live], self._dst[live]
        forward = np.lexsort((dst, src))
        backward = np.lexsort((src, dst))
        order, border = live[forward], live[backward]
        span = np.arange(n + 1)
        self._topology = Topology(
            version=self.topology_version,
            n=n,
            order=order,
            indptr=np.searchsorted(src[forward], span).astype(np.int32),
            indices=dst[forward].astype(np.int32),
            border=border,
            bindptr=np.searchsorted(dst[backward], span).astype(np.int32),
            bindices=src[backward].astype(np.int32),
            sources=src[forward],
            targets=dst[forward],
        )
        return self._topology


def _grown(array: np.ndarray, size: int, fill: float | bool | int) -> np.ndarray:
    out = np.full(size, fill, dtype=array.dtype)
    out[: len(array)] = array
    return out
