"""Constrained least-cost routes: compiled ALT A* search, Yen's k loop-free alternatives, hysteresis.

A point-to-point query runs A* (compiled with numba) over the forward CSR matrix of the cost view, with
ALT lower bounds (Goldberg & Harrelson, SODA 2005): for landmarks L with known distances,
d(v, t) >= max(d(v, L) - d(t, L), d(L, t) - d(L, v)). The bounds come from reference costs; while every
current cost is at least beta times its reference, beta times the bound is still consistent, so the first
time the destination leaves the heap its distance is exact (graph.py keeps beta current). Work arrays
are reused across queries (a stamp per node says which query last touched it), so a query costs what it
visits, not the size of the graph.

Node and bandwidth constraints become infinite costs in a private copy of the costs, so the search never
crosses them; infinite costs only raise distances, so the bounds stay valid. Hop and latency limits cannot
be expressed as edge costs; Yen's algorithm enumerates paths in cost order and the first ones within the
limits are kept.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from auralinkd.mesh.graph import INF, CostView, MeshGraph, Topology, Weights

MAX_K = 5
EXTRA_CANDIDATES = 20  # paths Yen may examine beyond k when hop or latency limits reject some
SWITCH_GAIN = 0.10  # a stored route switches when the new path is >= 10% cheaper ...
SWITCH_CONFIRMATIONS = 2  # ... on two consecutive evaluations


@dataclass(frozen=True)
class Constraints:
    max_hops: int = 0
    min_bandwidth_kbps: float = 0.0
    max_latency_ms: float = 0.0
    excluded: frozenset[str] = frozenset()
    min_relay_trust: float = 0.0


@dataclass
class Path:
    indices: list[int]
    cost: float
    latency_ms: float = 0.0
    bottleneck_kbps: float = INF
    slots: list[int] = field(default_factory=list)

    @property
    def hops(self) -> int:
        return len(self.indices) - 1


@dataclass
class RouteResult:
    paths: list[Path]
    reason: str = ""


def _masked_data(graph: MeshGraph, view: CostView, c: Constraints, src: int, dst: int) -> np.ndarray:
    """The forward-CSR costs, with constrained-away links set to INF in a private copy when needed."""
    data = graph.csr_data(view)
    if not (c.excluded or c.min_bandwidth_kbps > 0 or c.min_relay_trust > 0):
        return data
    t = graph.topology()
    data = data.copy()
    for node_id in c.excluded:
        info = graph.nodes.get(node_id)
        if info is not None:
            data[t.position[graph.in_slots(info.index)]] = INF
    if c.min_relay_trust > 0:
        low = graph.trust < c.min_relay_trust
        low[[src, dst]] = False  # the endpoints are not relays
        data[low[t.targets]] = INF
    if c.min_bandwidth_kbps > 0:
        data[graph.bandwidth[t.order] < c.min_bandwidth_kbps] = INF
    return data


class _Buffers:
    """Per-graph work arrays of the search, valid for nodes whose stamp equals the query number."""

    def __init__(self, n: int) -> None:
        self.stamp = np.zeros(n, np.int64)
        self.dist = np.zeros(n)
        self.bound = np.zeros(n)
        self.pred = np.zeros(n, np.int64)
        self.query = 0


def _buffers(graph: MeshGraph, n: int) -> _Buffers:
    buffers = graph.search_buffers
    if not isinstance(buffers, _Buffers) or len(buffers.stamp) < n:
        buffers = graph.search_buffers = _Buffers(max(n, 16))
    buffers.query += 1
    return buffers


class Search:
    """Point-to-point shortest paths over one cost view (or a private, only-higher copy of its costs)."""

    def __init__(self, graph: MeshGraph, view: CostView, data: np.ndarray | None = None) -> None:
        self.graph = graph
        self.topology: Topology = graph.topology()
        self.data = graph.csr_data(view) if data is None else data
        found = graph.landmarks(view)
        if found is None:
            self.lm_from = self.lm_to = np.zeros((max(self.topology.n, 1), 0))
            self.beta = 0.0
        else:
            self.lm_from, self.lm_to, self.beta = found[0].from_, found[0].to, found[1]

    def shortest(self, src: int, dst: int) -> tuple[list[int], float] | None:
        """The cheapest path src -> dst and its cost, or None."""
        t = self.topology
        if src >= t.n or dst >= t.n:
            return None
        b = _buffers(self.graph, t.n)
        cost, path = _astar(
            t.indptr, t.indices, self.data, src, dst, self.lm_from, self.lm_to, self.beta,
            b.stamp, b.query, b.dist, b.bound, b.pred,
        )  # fmt: skip
        if not math.isfinite(cost):
            return None
        return path.tolist(), float(cost)


@njit(cache=True)
def _bound(v: int, dst: int, lm_from: np.ndarray, lm_to: np.ndarray, beta: float) -> float:
    best = 0.0
    for k in range(lm_from.shape[1]):
        a = lm_to[v, k] - lm_to[dst, k]  # d(v, t) >= d(v, L) - d(t, L)
        if a > best:  # NaN (inf - inf) compares false: no bound from this landmark
            best = a
        b = lm_from[dst, k] - lm_from[v, k]  # d(v, t) >= d(L, t) - d(L, v)
        if b > best:
            best = b
    if best == np.inf:
        return np.inf
    return best * beta


@njit(cache=True)
def _astar(indptr, indices, data, src, dst, lm_from, lm_to, beta, stamp, query, dist, bound, pred):  # noqa: ANN001, ANN202
    heap_f = np.empty(256)
    heap_v = np.empty(256, np.int64)
    size = 0
    stamp[src] = query
    dist[src] = 0.0
    pred[src] = -1
    h = _bound(src, dst, lm_from, lm_to, beta) if beta > 0 else 0.0
    bound[src] = h
    empty = np.empty(0, np.int64)
    if h == np.inf:
        return np.inf, empty
    heap_f[0] = h
    heap_v[0] = src
    size = 1
    while size > 0:
        f = heap_f[0]
        u = heap_v[0]
        size -= 1
        if size > 0:  # sift the last entry down from the root
            lf = heap_f[size]
            lv = heap_v[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and heap_f[c + 1] < heap_f[c]:
                    c += 1
                if heap_f[c] < lf:
                    heap_f[i] = heap_f[c]
                    heap_v[i] = heap_v[c]
                    i = c
                else:
                    break
            heap_f[i] = lf
            heap_v[i] = lv
        if u == dst:
            length = 1
            v = dst
            while v != src:
                v = pred[v]
                length += 1
            path = np.empty(length, np.int64)
            v = dst
            for i in range(length - 1, -1, -1):
                path[i] = v
                v = pred[v]
            return dist[dst], path
        du = dist[u]
        if f > du + bound[u]:
            continue  # stale: u was reached more cheaply since
        for e in range(indptr[u], indptr[u + 1]):
            cost = data[e]
            if not cost < np.inf:
                continue
            v = indices[e]
            nd = du + cost
            if stamp[v] != query:
                stamp[v] = query
                dist[v] = np.inf
                bound[v] = _bound(v, dst, lm_from, lm_to, beta) if beta > 0 else 0.0
            if nd < dist[v] and bound[v] < np.inf:
                dist[v] = nd
                pred[v] = u
                if size == len(heap_f):
                    grown_f = np.empty(2 * size)
                    grown_v = np.empty(2 * size, np.int64)
                    grown_f[:size] = heap_f
                    grown_v[:size] = heap_v
                    heap_f = grown_f
                    heap_v = grown_v
                fv = nd + bound[v]
                i = size
                size += 1
                while i > 0:  # sift up
                    parent = (i - 1) // 2
                    if heap_f[parent] <= fv:
                        break
                    heap_f[i] = heap_f[parent]
                    heap_v[i] = heap_v[parent]
                    i = parent
                heap_f[i] = fv
                heap_v[i] = v
    return np.inf, empty


def warm_up() -> None:
    """Compile (or load from numba's cache) the search before the first query needs it."""
    indptr = np.array([0, 1, 1], np.int64)
    indices = np.array([1], np.int64)
    lm = np.zeros((2, 1))
    b = _Buffers(2)
    _astar(indptr, indices, np.array([1.0]), 0, 1, lm, lm, 1.0, b.stamp, 1, b.dist, b.bound, b.pred)


def _describe(graph: MeshGraph, indices: list[int], cost: float) -> Path:
    slots = [graph.slot(a, b) for a, b in zip(indices, indices[1:], strict=False)]
    latency = sum(graph.latency(s) for s in slots)
    bottleneck = min((float(graph.bandwidth[s]) for s in slots), default=INF)
    return Path(indices, cost, latency, bottleneck, slots)


def yen(graph: MeshGraph, view: CostView, data: np.ndarray, src: int, dst: int, limit: int) -> list[Path]:
    """Up to `limit` loop-free paths in non-decreasing cost order (Yen 1971); `data` in forward-CSR order."""
    if limit > 1:
        data = data.copy()  # spur searches block links temporarily
    search = Search(graph, view, data)
    first = search.shortest(src, dst)
    if first is None:
        return []
    position = search.topology.position
    accepted = [_describe(graph, *first)]
    candidates: list[tuple[float, list[int]]] = []
    seen = {tuple(first[0])}
    while len(accepted) < limit:
        previous = accepted[-1]
        prefix = [0.0]  # the cost of each root of the previous path
        for slot in previous.slots:
            prefix.append(prefix[-1] + float(data[position[slot]]))
        for i in range(previous.hops):
            spur, root = previous.indices[i], previous.indices[: i + 1]
            changed: dict[int, float] = {}
            for path in accepted:
                if path.indices[: i + 1] == root and len(path.indices) > i + 1:
                    slot = graph.slot_of.get((path.indices[i], path.indices[i + 1]))
                    if slot is not None:
                        e = int(position[slot])
                        changed.setdefault(e, float(data[e]))
            for node in root[:-1]:  # the root's nodes may not be visited again: loop-free
                for slot in graph.in_slots(node):
                    e = int(position[slot])
                    changed.setdefault(e, float(data[e]))
            for e in changed:
                data[e] = INF
            try:
                spur_path = search.shortest(spur, dst)
            finally:
                for e, value in changed.items():
                    data[e] = value
            if spur_path is None:
                continue
            total_path = root[:-1] + spur_path[0]
            if tuple(total_path) in seen:
                continue
            seen.add(tuple(total_path))
            heapq.heappush(candidates, (prefix[i] + spur_path[1], total_path))
        if not candidates:
            break
        cost, indices = heapq.heappop(candidates)
        accepted.append(_describe(graph, indices, cost))
    return accepted


def find_routes(
    graph: MeshGraph, src: str, dst: str, weights: Weights, constraints: Constraints, k: int
) -> RouteResult:
    s, d = graph.nodes[src].index, graph.nodes[dst].index
    view = graph.view(weights)
    data = _masked_data(graph, view, constraints, s, d)
    limited = constraints.max_hops > 0 or constraints.max_latency_ms > 0
    candidates = yen(graph, view, data, s, d, k + EXTRA_CANDIDATES if limited else k)
    if not candidates:
        return RouteResult([], "no path: the destination is unreachable with these constraints")
    kept = [
        p
        for p in candidates
        if (constraints.max_hops <= 0 or p.hops <= constraints.max_hops)
        and (constraints.max_latency_ms <= 0 or p.latency_ms <= constraints.max_latency_ms)
    ][:k]
    if not kept:
        limits = []
        if constraints.max_hops > 0:
            limits.append(f"max_hops={constraints.max_hops}")
        if constraints.max_latency_ms > 0:
            limits.append(f"max_latency_ms={constraints.max_latency_ms:g}")
        return RouteResult(
            [],
            f"no path satisfies {' and '.join(limits)} (the best has {candidates[0].hops} hops, "
            f"{candidates[0].latency_ms:.1f} ms)",
        )
    reason = "" if len(kept) == k else f"only {len(kept)} loop-free path(s) satisfy the constraints"
    return RouteResult(kept, reason)


@dataclass
class Hysteresis:
    """Stored-route switching: only for a path >= 10% cheaper on two consecutive evaluations."""

    current: list[str]  # node ids
    pending: list[str] | None = None
    confirmations: int = 0

    def evaluate(self, current_cost: float, best: list[str], best_cost: float) -> bool:
        """Feed one evaluation; True when the route switches to `best` (a broken route switches at once)."""
        if best == self.current:
            self.pending, self.confirmations = None, 0
            return False
        if not math.isfinite(current_cost):
            self._switch(best)
            return True
        if best_cost <= (1 - SWITCH_GAIN) * current_cost:
            self.confirmations = self.confirmations + 1 if best == self.pending else 1
            self.pending = best
            if self.confirmations >= SWITCH_CONFIRMATIONS:
                self._switch(best)
                return True
            return False
        self.pending, self.confirmations = None, 0
        return False

    def _switch(self, best: list[str]) -> None:
        self.current, self.pending, self.confirmations = best, None, 0


def path_cost(graph: MeshGraph, costs: list[float], indices: list[int]) -> float:
    total = 0.0
    for a, b in zip(indices, indices[1:], strict=False):
        slot = graph.slot_of.get((a, b))
        if slot is None:
            return INF
        total += costs[slot]
    return total
