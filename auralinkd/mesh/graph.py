"""The in-memory routing graph of one org: rustworkx digraph, per-link state in flat arrays, per-weights cost views.

Edges carry a slot number. Everything about the link in slot s lives in flat numpy arrays indexed by s:
the smoothed estimates (RFC 6298 SRTT/RTTVAR, EWMA bandwidth and loss), the derived cost features, the
route_performance window being aggregated and whether it must be flushed. A batch of heartbeats updates
all its links with a few vectorised numpy operations (`observe`), never one Python object per link.

Every weights combination in use has a `CostView`: its cost array by slot, the same costs in the order of
the forward CSR matrix (what the route search reads, so a query gathers nothing), and ALT landmark
distances (Goldberg & Harrelson 2005) computed on a reference copy of the costs. Updates write through to
both arrays and track `beta`, the smallest ratio current/reference cost over all links: beta times a
landmark bound is then still a consistent lower bound, so A* stays exact while costs drift; landmarks are
recomputed lazily when beta falls too low or the topology changes.

Vivaldi coordinates live here too (positions, heights and local errors by node index), so a batch of RTT
samples moves every coordinate at once (vivaldi.update_batch).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import rustworkx as rx
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from auralinkd.mesh.detector import NodeState, PhiAccrual
from auralinkd.mesh.smoothing import ALPHA, BANDWIDTH_GAIN, BETA, LOSS_GAIN, MAX_ETX, LinkEstimate
from auralinkd.mesh.vivaldi import DIMENSIONS, MIN_HEIGHT, Coordinate, held_out

INF = math.inf
BANDWIDTH_SCALE = 10_000.0  # 1/bandwidth term: 10 at 1 Mbit/s
RELIABILITY_SCALE = 10.0  # ETX term: 10 per perfect hop (also BATMAN's per-hop penalty)
MAX_COST_CACHES = 8
INITIAL_CAPACITY = 64
LINK_HOLD_INTERVALS = 3.5  # a link unreported for this many of its source's heartbeat intervals is down
LANDMARKS = 24  # at 10k nodes: ~600 nodes reached per median query (vs ~8,500 without landmarks)
MIN_BETA = 0.7  # below this the landmark bounds are too weak to be worth keeping: recompute them
LANDMARK_REBUILD_S = 5.0  # at most one rebuild per view this often (links appearing must not stall every query)


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

    @property
    def usable(self) -> bool:
        return self.state is not NodeState.OFFLINE and not self.quarantined


@dataclass
class Topology:
    """A CSR view of the live links, forward and reversed, for one topology version.

    `order` lists the live slots sorted by (source, target): the forward matrix's data is
    `costs[order]`; `position[slot]` is a slot's place in that order. `border` sorts the same slots by
    (target, source) for the reversed matrix.
    """

    version: int
    n: int
    order: np.ndarray
    position: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    border: np.ndarray
    bindptr: np.ndarray
    bindices: np.ndarray
    sources: np.ndarray  # source index of each slot in `order`
    targets: np.ndarray


@dataclass
class Landmarks:
    nodes: np.ndarray
    from_: np.ndarray  # (n, L): d(landmark, v) under the reference costs (a node's row is contiguous)
    to: np.ndarray  # (n, L): d(v, landmark)
    version: int  # topology version


class CostView:
    """The costs of one weights combination: by slot, in forward-CSR order, and landmark bounds."""

    def __init__(self, key: tuple[float, ...], costs: np.ndarray) -> None:
        self.key = key
        self.costs = costs
        self.data: np.ndarray | None = None  # costs[topology.order], kept current by every write
        self.data_version = -1
        self.reference: np.ndarray | None = None  # the costs the landmarks were computed on, by slot
        self.landmarks: Landmarks | None = None
        self.beta = 1.0  # min over links of cost / reference cost
        self.built_at = -math.inf


class LinkTable(Mapping[tuple[str, str], LinkEstimate]):
    """(source id, target id) -> a LinkEstimate snapshot of that link's smoothed state (read-only)."""

    def __init__(self, graph: MeshGraph) -> None:
        self._graph = graph

    def __getitem__(self, key: tuple[str, str]) -> LinkEstimate:
        return self._graph.estimate(self._graph.key_slot[key])

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._graph.key_slot)

    def __len__(self) -> int:
        return len(self._graph.key_slot)

    def __contains__(self, key: object) -> bool:
        return key in self._graph.key_slot


_SLOT_FLOATS = {  # name -> initial value of every per-slot float array
    "_lat": 0.0,
    "_inv_bw": 0.0,
    "_etx": 1.0,
    "_money": 0.0,
    "bandwidth": 0.0,
    "_seen": 0.0,
    "srtt": 0.0,
    "rttvar": 0.0,
    "loss": 0.0,
    "win_started": 0.0,
    "win_rtt": 0.0,
    "win_jitter": 0.0,
    "win_loss": 0.0,
    "win_bw": 0.0,
}
_SLOT_OTHERS = {  # name -> (dtype, initial value)
    "_src": (np.int64, 0),
    "_dst": (np.int64, 0),
    "samples": (np.int64, 0),
    "win_n": (np.int64, 0),
    "_live": (bool, False),
    "_down": (bool, False),
    "held": (bool, False),
    "dirty": (bool, False),
}


class MeshGraph:
    def __init__(self, org_id: str) -> None:
        self.org_id = org_id
        self.graph: rx.PyDiGraph = rx.PyDiGraph(check_cycle=False, multigraph=False)
        self.nodes: dict[str, NodeInfo] = {}
        self.by_index: dict[int, NodeInfo] = {}
        self.key_slot: dict[tuple[str, str], int] = {}  # (source id, target id) -> slot
        self.links = LinkTable(self)
        self.slot_of: dict[tuple[int, int], int] = {}
        self._edge_of_slot: dict[int, int] = {}
        self._ends: list[tuple[int, int]] = []
        self._keys: list[tuple[str, str]] = []
        capacity = INITIAL_CAPACITY
        for name, fill in _SLOT_FLOATS.items():
            setattr(self, name, np.full(capacity, fill))
        for name, (dtype, fill) in _SLOT_OTHERS.items():
            setattr(self, name, np.full(capacity, fill, dtype=dtype))
        self.trust = np.zeros(capacity)  # by node index
        self.usable = np.zeros(capacity, bool)  # by node index
        self._hold = np.full(capacity, INF)  # by node index: how long its links live unreported
        self.position = np.zeros((capacity, DIMENSIONS))  # Vivaldi, by node index
        self.height = np.full(capacity, MIN_HEIGHT)
        self.error = np.ones(capacity)
        self.placed = np.zeros(capacity, bool)  # has a coordinate been given (placement or update)?
        self._free: list[int] = []
        self._views: OrderedDict[tuple[float, ...], CostView] = OrderedDict()
        self._topology: Topology | None = None
        self.topology_version = 0
        self.version = 0  # bumped by every change of state, topology or liveness
        self.cost_writes = 0  # bumped by every batch of cost changes (stored routes re-evaluate on change)
        self.search_buffers: object | None = None  # pathfinding.py's per-graph work arrays

    # -- nodes -----------------------------------------------------------------------------------

    def add_node(self, info: NodeInfo, coordinate: Coordinate | None = None) -> NodeInfo:
        info.index = self.graph.add_node(info.id)
        self.nodes[info.id] = info
        self.by_index[info.index] = info
        if info.index >= len(self.trust):
            size = max(2 * len(self.trust), info.index + 1)
            self.trust = _grown(self.trust, size, 0.0)
            self.usable = _grown(self.usable, size, False)
            self._hold = _grown(self._hold, size, INF)
            self.position = _grown(self.position, size, 0.0)
            self.height = _grown(self.height, size, MIN_HEIGHT)
            self.error = _grown(self.error, size, 1.0)
            self.placed = _grown(self.placed, size, False)
        self._node_arrays(info)
        self._hold[info.index] = LINK_HOLD_INTERVALS * info.interval_s
        self.set_coordinate(info.index, coordinate or Coordinate())
        self.version += 1
        self.topology_version += 1
        return info

    def remove_node(self, node_id: str) -> None:
        info = self.nodes.get(node_id)
        if info is None:
            return
        for key in [k for k in self.key_slot if node_id in k]:
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
        slots = [slot for _, _, slot in self.graph.in_edges(info.index)]
        slots += [slot for _, _, slot in self.graph.out_edges(info.index)]
        self._refresh(np.array(slots, dtype=np.int64))
        self.version += 1

    def trust_changed(self) -> None:
        """New trust for every node: every cost is recomputed in place (landmarks stay while beta allows)."""
        for info in self.nodes.values():
            self.trust[info.index] = info.trust
        self._refresh(self.live_slots())
        self.version += 1

    # -- coordinates -----------------------------------------------------------------------------

    def coordinate(self, index: int) -> Coordinate:
        return Coordinate([float(v) for v in self.position[index]], float(self.height[index]), float(self.error[index]))

    def set_coordinate(self, index: int, c: Coordinate) -> None:
        self.position[index] = c.x
        self.height[index] = c.height
        self.error[index] = c.error
        self.placed[index] = c.error < 1.0 or any(c.x)

    # -- links -----------------------------------------------------------------------------------

    def estimate(self, slot: int) -> LinkEstimate:
        return LinkEstimate(
            float(self.srtt[slot]),
            float(self.rttvar[slot]),
            float(self.bandwidth[slot]),
            float(self.loss[slot]),
            float(self._money[slot]),
            int(self.samples[slot]),
        )

    def link_slot(self, source: NodeInfo, target: NodeInfo, now: float = 0.0) -> int:
        """The slot of source -> target, created (with no samples yet) when the link is new."""
        slot = self.slot_of.get((source.index, target.index))
        return self._new_slot(source, target, now) if slot is None else slot

    def set_link(self, source: str, target: str, estimate: LinkEstimate, now: float = 0.0) -> None:
        """Overwrite a link's smoothed state."""
        self.set_links([(source, target, estimate)], now)

    def set_links(self, links: list[tuple[str, str, LinkEstimate]], now: float = 0.0) -> None:
        """Overwrite many links' smoothed state at once (start-up load, other replicas' flushes)."""
        if not links:
            return
        slots = np.array([self.link_slot(self.nodes[s], self.nodes[t], now) for s, t, _ in links], dtype=np.int64)
        for name, field in (
            ("srtt", "srtt_ms"),
            ("rttvar", "rttvar_ms"),
            ("bandwidth", "bandwidth_kbps"),
            ("loss", "loss_pct"),
            ("_money", "cost"),
        ):
            getattr(self, name)[slots] = [getattr(e, field) for _, _, e in links]
        self.samples[slots] = [max(1, e.samples) for _, _, e in links]
        self._derive(slots, now)
        self._refresh(slots)

    def observe(
        self, slots: np.ndarray, rtt: np.ndarray, bandwidth: np.ndarray, loss: np.ndarray, cost: np.ndarray, now: float
    ) -> None:
        """Apply measurements (cost NaN: keep the link's cost) in order; a slot may appear more than once."""
        while len(slots):
            _, first = np.unique(slots, return_index=True)
            if len(first) == len(slots):
                self._observe_once(slots, rtt, bandwidth, loss, cost, now)
                return
            first.sort()  # each slot's earliest remaining measurement, then the next round
            self._observe_once(slots[first], rtt[first], bandwidth[first], loss[first], cost[first], now)
            rest = np.ones(len(slots), bool)
            rest[first] = False
            slots, rtt, bandwidth, loss, cost = slots[rest], rtt[rest], bandwidth[rest], loss[rest], cost[rest]

    def _observe_once(
        self, s: np.ndarray, rtt: np.ndarray, bandwidth: np.ndarray, loss: np.ndarray, cost: np.ndarray, now: float
    ) -> None:
        fresh = self.samples[s] == 0
        old = self.srtt[s]
        # RFC 6298 2.2 for a first sample (SRTT <- R, RTTVAR <- R/2); 2.3 otherwise (RTTVAR uses the old SRTT).
        self.rttvar[s] = np.where(fresh, rtt / 2, (1 - BETA) * self.rttvar[s] + BETA * np.abs(old - rtt))
        srtt = np.where(fresh, rtt, (1 - ALPHA) * old + ALPHA * rtt)
        self.srtt[s] = srtt
        bw = self.bandwidth[s]
        self.bandwidth[s] = np.where(fresh, bandwidth, bw + BANDWIDTH_GAIN * (bandwidth - bw))
        lo = self.loss[s]
        self.loss[s] = np.where(fresh, loss, lo + LOSS_GAIN * (loss - lo))
        given = ~np.isnan(cost)
        self._money[s] = np.where(given, cost, np.where(fresh, 0.0, self._money[s]))
        self.samples[s] += 1
        self.win_n[s] += 1
        self.win_rtt[s] += rtt
        self.win_jitter[s] += np.abs(rtt - srtt)
        self.win_loss[s] += loss
        self.win_bw[s] += bandwidth
        self.dirty[s] = True
        self._derive(s, now)
        self._refresh(s)

    def _derive(self, s: np.ndarray, now: float) -> None:
        """Cost features from the smoothed state; the links are seen (and up) at `now`."""
        self._seen[s] = now
        if self._down[s].any():
            self._down[s] = False
            self.version += 1
        self._lat[s] = self.srtt[s] / 2
        bw = self.bandwidth[s]
        with np.errstate(divide="ignore"):
            self._inv_bw[s] = np.where(bw > 0, BANDWIDTH_SCALE / bw, INF)
            delivery = np.maximum(0.0, 1.0 - self.loss[s] / 100.0)
            self._etx[s] = np.where(delivery > 0, np.minimum(MAX_ETX, 1.0 / (delivery * delivery)), MAX_ETX)

    def _new_slot(self, source: NodeInfo, target: NodeInfo, now: float) -> int:
        s, t = source.index, target.index
        slot = self._free.pop() if self._free else len(self._ends)
        if slot == len(self._ends):
            self._ends.append((s, t))
            self._keys.append((source.id, target.id))
            if slot >= len(self._src):
                self._grow(2 * len(self._src))
        self._ends[slot] = (s, t)
        self._keys[slot] = (source.id, target.id)
        for name, fill in _SLOT_FLOATS.items():
            getattr(self, name)[slot] = fill
        for name, (_, fill) in _SLOT_OTHERS.items():
            getattr(self, name)[slot] = fill
        self._src[slot], self._dst[slot] = s, t
        self._live[slot] = True
        self.held[slot] = held_out(source.id, target.id)
        self.win_started[slot] = now
        self.slot_of[(s, t)] = slot
        self.key_slot[(source.id, target.id)] = slot
        self._edge_of_slot[slot] = self.graph.add_edge(s, t, slot)
        for view in self._views.values():
            view.costs[slot] = INF  # no estimate yet
        self.version += 1
        self.topology_version += 1
        return slot

    def _grow(self, size: int) -> None:
        for name, fill in _SLOT_FLOATS.items():
            setattr(self, name, _grown(getattr(self, name), size, fill))
        for name, (_, fill) in _SLOT_OTHERS.items():
            setattr(self, name, _grown(getattr(self, name), size, fill))
        for view in self._views.values():
            view.costs = _grown(view.costs, size, INF)
            if view.reference is not None:
                view.reference = _grown(view.reference, size, INF)

    def remove_link(self, source: str, target: str) -> None:
        slot = self.key_slot.pop((source, target), None)
        if slot is None:
            return
        s, t = self._ends[slot]
        self.slot_of.pop((s, t), None)
        self.graph.remove_edge_from_index(self._edge_of_slot.pop(slot))
        self._live[slot] = False
        self.dirty[slot] = False
        self.win_n[slot] = 0
        for view in self._views.values():
            view.costs[slot] = INF
        self._free.append(slot)
        self.version += 1
        self.topology_version += 1

    def expire(self, now: float) -> int:
        """Mark down every link its source stopped reporting for LINK_HOLD_INTERVALS of its heartbeat
        interval (OLSR holds a neighbour for 3 hellos); a later report brings it back. Returns how many."""
        count = len(self._ends)
        stale = self._live[:count] & ~self._down[:count] & (now - self._seen[:count] > self._hold[self._src[:count]])
        slots = np.flatnonzero(stale)
        if len(slots):
            self._down[slots] = True
            self._refresh(slots)
            self.version += 1
        return len(slots)

    def up(self, slot: int) -> bool:
        return bool(self._live[slot] and not self._down[slot])

    def up_mask(self, slots: np.ndarray) -> np.ndarray:
        return self._live[slots] & ~self._down[slots]

    def slot(self, s: int, t: int) -> int:
        return self.slot_of[(s, t)]

    def key_of_slot(self, slot: int) -> tuple[str, str]:
        return self._keys[slot]

    def latency(self, slot: int) -> float:
        return float(self._lat[slot])

    def link_of_slot(self, slot: int) -> tuple[NodeInfo, NodeInfo]:
        s, t = self._ends[slot]
        return self.by_index[s], self.by_index[t]

    def in_slots(self, index: int) -> list[int]:
        return [slot for _, _, slot in self.graph.in_edges(index)]

    def live_slots(self) -> np.ndarray:
        return np.flatnonzero(self._live[: len(self._ends)])

    # -- costs -----------------------------------------------------------------------------------

    def costs(self, weights: Weights) -> np.ndarray:
        """The cost array for these weights, by slot (built once, then kept current by every update)."""
        return self.view(weights).costs

    def view(self, weights: Weights) -> CostView:
        key = weights.key
        view = self._views.get(key)
        if view is not None:
            self._views.move_to_end(key)
            return view
        everything = np.arange(len(self._src))
        view = self._views[key] = CostView(key, self._cost_of(key, everything))
        if len(self._views) > MAX_COST_CACHES:
            self._views.popitem(last=False)
        return view

    def _cost_of(self, key: tuple[float, ...], s: np.ndarray, masked: bool = True) -> np.ndarray:
        """Costs of slots `s`: the weighted blend times the trust penalty; INF where the link is unusable
        (unless `masked` is False: the reference costs of landmarks ignore liveness)."""
        latency, bandwidth, reliability, money, penalty = key
        base = latency * self._lat[s] + reliability * RELIABILITY_SCALE * self._etx[s]
        if bandwidth:
            base = base + bandwidth * self._inv_bw[s]
        if money:
            base = base + money * self._money[s]
        costs = base * (1.0 + penalty * (1.0 - self.trust[self._dst[s]]))
        if masked:
            src, dst = self._src[s], self._dst[s]
            ok = self._live[s] & ~self._down[s] & self.usable[src] & self.usable[dst] & (self.samples[s] > 0)
            costs[~ok] = INF
        else:
            costs[~(self.samples[s] > 0)] = INF
        return costs

    def _refresh(self, s: np.ndarray) -> None:
        """Recompute the costs of slots `s` in every view (and write them through to the CSR data)."""
        if not len(s):
            return
        self.cost_writes += 1
        topology = self._topology
        for key, view in self._views.items():
            values = self._cost_of(key, s)
            view.costs[s] = values
            if view.data is not None and topology is not None and view.data_version == self.topology_version:
                view.data[topology.position[s]] = values
            if view.reference is not None and view.beta > 0:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = values / view.reference[s]
                ratio = ratio[~np.isnan(ratio)]
                if len(ratio):
                    view.beta = min(view.beta, float(ratio.min()))

    def csr_data(self, view: CostView) -> np.ndarray:
        """The view's costs in forward-CSR order (gathered once per topology, then kept current)."""
        topology = self.topology()
        if view.data is None or view.data_version != topology.version:
            view.data = view.costs[topology.order]
            view.data_version = topology.version
        return view.data

    def landmarks(self, view: CostView) -> tuple[Landmarks, float] | None:
        """ALT landmark distances for this view and the factor that keeps them valid lower bounds; None when
        they are stale (new links, or beta too low) and were rebuilt less than LANDMARK_REBUILD_S ago: the
        search then runs without bounds (still exact, only slower) until the next rebuild."""
        topology = self.topology()
        lm = view.landmarks
        if lm is None or lm.version != topology.version or view.beta < MIN_BETA:
            now = time.monotonic()
            if now - view.built_at < LANDMARK_REBUILD_S:
                return None
            view.built_at = now
            lm = self._build_landmarks(view, topology)
        return (lm, view.beta) if lm is not None else None

    def _build_landmarks(self, view: CostView, t: Topology) -> Landmarks | None:
        n = t.n
        if n < 2 or not len(t.order):
            return None
        reference = self._cost_of(view.key, np.arange(len(self._src)), masked=False)
        data = reference[t.order]
        forward = csr_matrix((data, t.indices, t.indptr), shape=(n, n))
        backward = csr_matrix((reference[t.border], t.bindices, t.bindptr), shape=(n, n))
        count = min(LANDMARKS, len(self.by_index))
        nodes = [min(self.by_index)]
        from_rows = [dijkstra(forward, indices=nodes[0])]
        closest = np.where(np.isfinite(from_rows[0]), from_rows[0], -1.0)
        present = np.zeros(n, bool)
        present[list(self.by_index)] = True
        while len(nodes) < count:  # farthest-point selection: each landmark far from the ones before
            candidates = np.where(present, closest, -1.0)
            candidates[nodes] = -1.0
            nxt = int(np.argmax(candidates))
            if candidates[nxt] < 0:
                break
            nodes.append(nxt)
            row = dijkstra(forward, indices=nxt)
            from_rows.append(row)
            closest = np.minimum(closest, np.where(np.isfinite(row), row, -1.0))
        to = dijkstra(backward, indices=nodes)
        view.reference = reference
        view.beta = 1.0
        view.landmarks = Landmarks(
            np.array(nodes), np.ascontiguousarray(np.vstack(from_rows).T), np.ascontiguousarray(to.T), t.version
        )
        return view.landmarks

    def topology(self) -> Topology:
        """The CSR view for the current set of links (rebuilt only when links or nodes come or go)."""
        if self._topology is not None and self._topology.version == self.topology_version:
            return self._topology
        n = max(self.by_index, default=-1) + 1
        live = self.live_slots()
        src, dst = self._src[live], self._dst[live]
        forward = np.lexsort((dst, src))
        backward = np.lexsort((src, dst))
        order, border = live[forward], live[backward]
        position = np.zeros(len(self._src), np.int64)
        position[order] = np.arange(len(order))
        span = np.arange(n + 1)
        self._topology = Topology(
            version=self.topology_version,
            n=n,
            order=order,
            position=position,
            indptr=np.searchsorted(src[forward], span).astype(np.int64),
            indices=dst[forward].astype(np.int64),
            border=border,
            bindptr=np.searchsorted(dst[backward], span).astype(np.int32),
            bindices=src[backward].astype(np.int32),
            sources=src[forward],
            targets=dst[forward],
        )
        return self._topology


def _grown(array: np.ndarray, size: int, fill: float | bool | int) -> np.ndarray:
    out = np.full((size, *array.shape[1:]), fill, dtype=array.dtype)
    out[: len(array)] = array
    return out
