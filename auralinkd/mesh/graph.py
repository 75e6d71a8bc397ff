"""The in-memory routing graph of one org: rustworkx digraph, per-link estimates and per-weights cost arrays.

Edges carry a slot number; the features of slot s live in flat lists, and every weights combination in
use has a cost list indexed by slot. Dijkstra then reads costs through `list.__getitem__` (no Python
frame per edge), and a heartbeat updates one slot of each cached list instead of rebuilding anything.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

import rustworkx as rx

from auralinkd.mesh.detector import NodeState, PhiAccrual
from auralinkd.mesh.smoothing import LinkEstimate
from auralinkd.mesh.vivaldi import Coordinate

INF = math.inf
BANDWIDTH_SCALE = 10_000.0  # 1/bandwidth term: 10 at 1 Mbit/s
RELIABILITY_SCALE = 10.0  # ETX term: 10 per perfect hop (also BATMAN's per-hop penalty)
MAX_COST_CACHES = 8


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
        self._lat: list[float] = []
        self._inv_bw: list[float] = []
        self._etx: list[float] = []
        self._money: list[float] = []
        self.bandwidth: list[float] = []
        self._free: list[int] = []
        self._costs: OrderedDict[tuple[float, ...], list[float]] = OrderedDict()
        self.version = 0

    # -- nodes -----------------------------------------------------------------------------------

    def add_node(self, info: NodeInfo) -> NodeInfo:
        info.index = self.graph.add_node(info.id)
        self.nodes[info.id] = info
        self.by_index[info.index] = info
        self.version += 1
        return info

    def remove_node(self, node_id: str) -> None:
        info = self.nodes.pop(node_id, None)
        if info is None:
            return
        for key in [k for k in self.links if node_id in k]:
            self.remove_link(*key)
        self.graph.remove_node(info.index)
        del self.by_index[info.index]
        self.version += 1

    def node_changed(self, info: NodeInfo) -> None:
        """Refresh the cost of every link touching a node whose state, quarantine or trust changed."""
        for _, _, slot in self.graph.in_edges(info.index):
            self._refresh(slot)
        for _, _, slot in self.graph.out_edges(info.index):
            self._refresh(slot)
        self.version += 1

    def trust_changed(self) -> None:
        self._costs.clear()
        self.version += 1

    # -- links -----------------------------------------------------------------------------------

    def set_link(self, source: str, target: str, estimate: LinkEstimate) -> None:
        s, t = self.nodes[source].index, self.nodes[target].index
        self.links[(source, target)] = estimate
        slot = self.slot_of.get((s, t))
        if slot is None:
            slot = self._free.pop() if self._free else len(self._ends)
            if slot == len(self._ends):
                for column in (self._ends, self._lat, self._inv_bw, self._etx, self._money, self.bandwidth):
                    column.append(None)  # type: ignore[arg-type]
                for costs in self._costs.values():
                    costs.append(INF)
            self._ends[slot] = (s, t)
            self.slot_of[(s, t)] = slot
            self._edge_of_slot[slot] = self.graph.add_edge(s, t, slot)
            self.version += 1
        self._lat[slot] = estimate.latency_ms
        self.bandwidth[slot] = estimate.bandwidth_kbps
        self._inv_bw[slot] = BANDWIDTH_SCALE / estimate.bandwidth_kbps if estimate.bandwidth_kbps > 0 else INF
        self._etx[slot] = estimate.etx
        self._money[slot] = estimate.cost
        self._refresh(slot)

    def remove_link(self, source: str, target: str) -> None:
        self.links.pop((source, target), None)
        s, t = self.nodes[source].index, self.nodes[target].index
        slot = self.slot_of.pop((s, t), None)
        if slot is None:
            return
        self.graph.remove_edge_from_index(self._edge_of_slot.pop(slot))
        for costs in self._costs.values():
            costs[slot] = INF
        self._free.append(slot)
        self.version += 1

    def slot(self, s: int, t: int) -> int:
        return self.slot_of[(s, t)]

    def latency(self, slot: int) -> float:
        return self._lat[slot]

    def link_of_slot(self, slot: int) -> tuple[NodeInfo, NodeInfo]:
        s, t = self._ends[slot]
        return self.by_index[s], self.by_index[t]

    # -- costs -----------------------------------------------------------------------------------

    def costs(self, weights: Weights) -> list[float]:
        """The cost list for these weights (built once, then kept current by every update)."""
        key = weights.key
        cached = self._costs.get(key)
        if cached is not None:
            self._costs.move_to_end(key)
            return cached
        costs = [INF] * len(self._ends)
        for slot in self._edge_of_slot:
            costs[slot] = self._cost(slot, weights)
        self._costs[key] = costs
        if len(self._costs) > MAX_COST_CACHES:
            self._costs.popitem(last=False)
        return costs

    def _refresh(self, slot: int) -> None:
        for key, costs in self._costs.items():
            costs[slot] = self._cost(slot, Weights(*key))

    def _cost(self, slot: int, w: Weights) -> float:
        s, t = self._ends[slot]
        source, target = self.by_index[s], self.by_index[t]
        if not (source.usable and target.usable):
            return INF
        base = (
            w.latency * self._lat[slot]
            + w.bandwidth * self._inv_bw[slot]
            + w.reliability * RELIABILITY_SCALE * self._etx[slot]
            + w.cost * self._money[slot]
        )
        return base * (1.0 + w.trust_penalty * (1.0 - target.trust))
