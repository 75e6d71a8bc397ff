"""Constrained least-cost routes: Dijkstra on the cost list, Yen's k loop-free alternatives, hysteresis.

Node and bandwidth constraints become infinite costs in a private copy of the cost list, so Dijkstra never
crosses them. Hop and latency limits cannot be expressed as edge costs; Yen's algorithm enumerates paths
in cost order and the first ones within the limits are kept.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import rustworkx as rx

from auralinkd.mesh.graph import INF, MeshGraph, Weights

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


def _masked_costs(graph: MeshGraph, base: list[float], c: Constraints, src: int, dst: int) -> list[float]:
    if not (c.excluded or c.min_bandwidth_kbps > 0 or c.min_relay_trust > 0):
        return base
    costs = list(base)
    for node_id in c.excluded:
        info = graph.nodes.get(node_id)
        if info is not None:
            for _, _, slot in graph.graph.in_edges(info.index):
                costs[slot] = INF
    if c.min_relay_trust > 0:
        for info in graph.nodes.values():
            if info.index not in (src, dst) and info.trust < c.min_relay_trust:
                for _, _, slot in graph.graph.in_edges(info.index):
                    costs[slot] = INF
    if c.min_bandwidth_kbps > 0:
        for slot, bandwidth in enumerate(graph.bandwidth):
            if bandwidth is not None and bandwidth < c.min_bandwidth_kbps:
                costs[slot] = INF
    return costs


def _dijkstra(graph: MeshGraph, costs: list[float], src: int, dst: int) -> tuple[list[int], float] | None:
    found = rx.digraph_dijkstra_shortest_paths(graph.graph, src, dst, weight_fn=costs.__getitem__)
    if dst not in found:
        return None
    indices = list(found[dst])
    total = sum(costs[graph.slot(a, b)] for a, b in zip(indices, indices[1:], strict=False))
    return (indices, total) if math.isfinite(total) else None


def _describe(graph: MeshGraph, indices: list[int], cost: float) -> Path:
    slots = [graph.slot(a, b) for a, b in zip(indices, indices[1:], strict=False)]
    latency = sum(graph.latency(s) for s in slots)
    bottleneck = min((graph.bandwidth[s] for s in slots), default=INF)
    return Path(indices, cost, latency, bottleneck, slots)


def yen(graph: MeshGraph, costs: list[float], src: int, dst: int, limit: int) -> list[Path]:
    """Up to `limit` loop-free paths in non-decreasing cost order (Yen 1971)."""
    first = _dijkstra(graph, costs, src, dst)
    if first is None:
        return []
    accepted = [_describe(graph, *first)]
    candidates: list[tuple[float, list[int]]] = []
    seen = {tuple(first[0])}
    while len(accepted) < limit:
        previous = accepted[-1].indices
        for i in range(len(previous) - 1):
            spur, root = previous[i], previous[: i + 1]
            changed: dict[int, float] = {}
            for path in accepted:
                if path.indices[: i + 1] == root and len(path.indices) > i + 1:
                    slot = graph.slot_of.get((path.indices[i], path.indices[i + 1]))
                    if slot is not None:
                        changed.setdefault(slot, costs[slot])
            for node in root[:-1]:  # the root's nodes may not be visited again: loop-free
                for _, _, slot in graph.graph.in_edges(node):
                    changed.setdefault(slot, costs[slot])
            for slot in changed:
                costs[slot] = INF
            try:
                spur_path = _dijkstra(graph, costs, spur, dst)
            finally:
                for slot, value in changed.items():
                    costs[slot] = value
            if spur_path is None:
                continue
            total_path = root[:-1] + spur_path[0]
            if tuple(total_path) in seen:
                continue
            seen.add(tuple(total_path))
            root_cost = sum(costs[graph.slot(a, b)] for a, b in zip(root, root[1:], strict=False))
            heapq.heappush(candidates, (root_cost + spur_path[1], total_path))
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

    current: list[int]
    pending: list[int] | None = None
    confirmations: int = 0

    def evaluate(self, current_cost: float, best: list[int], best_cost: float) -> bool:
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

    def _switch(self, best: list[int]) -> None:
        self.current, self.pending, self.confirmations = best, None, 0


def path_cost(graph: MeshGraph, costs: list[float], indices: list[int]) -> float:
    total = 0.0
    for a, b in zip(indices, indices[1:], strict=False):
        slot = graph.slot_of.get((a, b))
        if slot is None:
            return INF
        total += costs[slot]
    return total
