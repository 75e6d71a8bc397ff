"""Constrained least-cost routes: bidirectional compiled Dijkstra, Yen's k loop-free alternatives, hysteresis.

A point-to-point query runs scipy's Dijkstra from both ends at once, each bounded to a radius r: every
node within r of the source (forward) and of the destination (backward) gets its exact distance, and the
cheapest link u -> w joining the two balls gives mu = d(s, u) + c(u, w) + d(w, t). When mu <= 2r, mu is
the shortest distance (the path's midpoint lies within r of one end, so the link that crosses it joins
the two balls). Otherwise r grows to mu / 2, which then must succeed. Two balls of radius d/2 hold far fewer
nodes than one of radius d, and no Python code runs per edge.

Node and bandwidth constraints become infinite costs in a private copy of the cost array, so Dijkstra
never crosses them. Hop and latency limits cannot be expressed as edge costs; Yen's algorithm enumerates
paths in cost order and the first ones within the limits are kept.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from auralinkd.mesh.graph import INF, MeshGraph, Topology, Weights

MAX_K = 5
EXTRA_CANDIDATES = 20  # paths Yen may examine beyond k when hop or latency limits reject some
SWITCH_GAIN = 0.10  # a stored route switches when the new path is >= 10% cheaper ...
SWITCH_CONFIRMATIONS = 2  # ... on two consecutive evaluations
RADIUS_ATTEMPTS = 3  # bounded searches before one unbounded search settles it
NO_PREDECESSOR = -9999  # scipy's marker


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


def _masked_costs(graph: MeshGraph, base: np.ndarray, c: Constraints, src: int, dst: int) -> np.ndarray:
    if not (c.excluded or c.min_bandwidth_kbps > 0 or c.min_relay_trust > 0):
        return base
    costs = base.copy()
    for node_id in c.excluded:
        info = graph.nodes.get(node_id)
        if info is not None:
            costs[graph.in_slots(info.index)] = INF
    if c.min_relay_trust > 0:
        low = graph.trust < c.min_relay_trust
        low[[src, dst]] = False  # the endpoints are not relays
        costs[low[graph._dst[: len(costs)]]] = INF
    if c.min_bandwidth_kbps > 0:
        costs[graph.bandwidth[: len(costs)] < c.min_bandwidth_kbps] = INF
    return costs


class Search:
    """Point-to-point shortest paths over one cost array (the graph's, or a private masked copy)."""

    def __init__(self, graph: MeshGraph, costs: np.ndarray) -> None:
        self.graph = graph
        self.costs = costs
        self.topology: Topology = graph.topology()

    def shortest(self, src: int, dst: int, hint: float = 0.0) -> tuple[list[int], float] | None:
        """The cheapest path src -> dst and its cost, or None; `hint` is a guess of that cost."""
        t = self.topology
        n = t.n
        if src >= n or dst >= n:
            return None
        data = self.costs[t.order]
        forward = csr_matrix((data, t.indices, t.indptr), shape=(n, n))
        backward = csr_matrix((self.costs[t.border], t.bindices, t.bindptr), shape=(n, n))
        guess = hint or self.graph.radius_hint
        radius = 0.6 * guess if guess > 0 else 1.0
        for _ in range(RADIUS_ATTEMPTS):
            d_from, p_from = dijkstra(forward, indices=src, return_predecessors=True, limit=radius)
            d_to, p_to = dijkstra(backward, indices=dst, return_predecessors=True, limit=radius)
            edges = _out_edges(t, np.flatnonzero(d_from < INF))  # links leaving the forward ball
            through = d_from[t.sources[edges]] + data[edges] + d_to[t.targets[edges]]
            best = int(np.argmin(through)) if len(through) else -1
            mu = float(through[best]) if best >= 0 else INF
            i = int(edges[best]) if best >= 0 else -1
            if mu <= 2 * radius:
                self._learn(hint, mu)
                u, w = int(t.sources[i]), int(t.targets[i])
                return _walk(p_from, u, src)[::-1] + _walk(p_to, w, dst), mu
            radius = mu / 2 if math.isfinite(mu) else 4 * radius
        distances, predecessors = dijkstra(forward, indices=src, return_predecessors=True)
        if not math.isfinite(distances[dst]):
            return None
        self._learn(hint, float(distances[dst]))
        return _walk(predecessors, dst, src)[::-1], float(distances[dst])

    def _learn(self, hint: float, cost: float) -> None:
        """Keep a running typical path cost: the next query's first radius."""
        if not hint:
            old = self.graph.radius_hint
            self.graph.radius_hint = cost if not old else 0.8 * old + 0.2 * cost


def _out_edges(t: Topology, nodes: np.ndarray) -> np.ndarray:
    """Positions (in CSR order) of every link leaving `nodes`."""
    starts, ends = t.indptr[nodes], t.indptr[nodes + 1]
    counts = ends - starts
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return np.arange(int(counts.sum())) + offsets


def _walk(predecessors: np.ndarray, node: int, end: int) -> list[int]:
    """node, predecessors[node], ... up to `end`."""
    out = [node]
    while node != end:
        node = int(predecessors[node])
        if node == NO_PREDECESSOR:  # pragma: no cover - scipy gives a full chain for every reached node
            raise RuntimeError("broken predecessor chain")
        out.append(node)
    return out


def _describe(graph: MeshGraph, indices: list[int], cost: float) -> Path:
    slots = [graph.slot(a, b) for a, b in zip(indices, indices[1:], strict=False)]
    latency = sum(graph.latency(s) for s in slots)
    bottleneck = min((float(graph.bandwidth[s]) for s in slots), default=INF)
    return Path(indices, cost, latency, bottleneck, slots)


def yen(graph: MeshGraph, costs: np.ndarray, src: int, dst: int, limit: int) -> list[Path]:
    """Up to `limit` loop-free paths in non-decreasing cost order (Yen 1971)."""
    if limit > 1:
        costs = costs.copy()  # spur searches block links temporarily
    search = Search(graph, costs)
    first = search.shortest(src, dst)
    if first is None:
        return []
    accepted = [_describe(graph, *first)]
    candidates: list[tuple[float, list[int]]] = []
    seen = {tuple(first[0])}
    while len(accepted) < limit:
        previous = accepted[-1]
        prefix = [0.0]  # the cost of each root of the previous path
        for slot in previous.slots:
            prefix.append(prefix[-1] + float(costs[slot]))
        for i in range(previous.hops):
            spur, root = previous.indices[i], previous.indices[: i + 1]
            changed: dict[int, float] = {}
            for path in accepted:
                if path.indices[: i + 1] == root and len(path.indices) > i + 1:
                    slot = graph.slot_of.get((path.indices[i], path.indices[i + 1]))
                    if slot is not None:
                        changed.setdefault(slot, float(costs[slot]))
            for node in root[:-1]:  # the root's nodes may not be visited again: loop-free
                for slot in graph.in_slots(node):
                    changed.setdefault(slot, float(costs[slot]))
            for slot in changed:
                costs[slot] = INF
            try:
                spur_path = search.shortest(spur, dst, hint=max(previous.cost - prefix[i], 1e-9))
            finally:
                for slot, value in changed.items():
                    costs[slot] = value
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
    costs = _masked_costs(graph, graph.costs(weights), constraints, s, d)
    limited = constraints.max_hops > 0 or constraints.max_latency_ms > 0
    candidates = yen(graph, costs, s, d, k + EXTRA_CANDIDATES if limited else k)
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
