"""GetNetworkStatus figures: node states, link RTTs, partitions, central relays, stretch, prediction error."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from auralinkd.mesh.detector import NodeState
from auralinkd.mesh.graph import MeshGraph, Weights
from auralinkd.mesh.pathfinding import Constraints, find_routes
from auralinkd.mesh.vivaldi import median_relative_error

SAMPLED_PAIRS = 24
LATENCY_ONLY = Weights(1.0, 0.0, 0.0, 0.0, 0.0)


@dataclass
class NetworkStatus:
    nodes_by_state: dict[str, int]
    link_count: int
    mean_link_rtt_ms: float
    p95_link_rtt_ms: float
    components: int
    central_relays: list[tuple[str, str, float]]
    mean_route_stretch: float
    held_out_pairs: int
    vivaldi_error: float
    baseline_error: float
    quarantined: int
    extra: dict[str, float] = field(default_factory=dict)


def prediction_quality(graph: MeshGraph) -> tuple[int, float, float]:
    """(held-out pairs, Vivaldi median relative error, global-mean-RTT median relative error)."""
    slots = graph.live_slots()
    slots = slots[graph.samples[slots] > 0]
    held = graph.held[slots]
    measured = graph.srtt[slots]
    training = measured[~held]
    mean_rtt = float(training.mean()) if len(training) else math.nan
    test = slots[held]
    if not len(test):
        return 0, math.nan, math.nan
    src, dst = graph._src[test], graph._dst[test]
    gap = graph.position[src] - graph.position[dst]
    predicted = np.sqrt((gap * gap).sum(axis=1)) + graph.height[src] + graph.height[dst]
    truth = graph.srtt[test]
    vivaldi = list(zip(predicted.tolist(), truth.tolist(), strict=True))
    naive = [(mean_rtt, m) for m in truth.tolist()]
    return len(test), median_relative_error(vivaldi), median_relative_error(naive)


def partitions(graph: MeshGraph) -> int:
    """Weakly connected components of the nodes that are not OFFLINE, over the links that are up."""
    alive = np.array([i.index for i in graph.nodes.values() if i.state is not NodeState.OFFLINE], dtype=np.int64)
    if not len(alive):
        return 0
    t = graph.topology()
    keep = np.zeros(max(t.n, 1), bool)
    keep[alive] = True
    up = graph.up_mask(t.order)
    mask = up & keep[t.sources] & keep[t.targets]
    n = t.n
    matrix = coo_matrix((np.ones(int(mask.sum())), (t.sources[mask], t.targets[mask])), shape=(n, n))
    _, labels = connected_components(matrix, directed=True, connection="weak")
    return len(set(labels[alive].tolist()))


def compute(graph: MeshGraph, rng: random.Random | None = None) -> NetworkStatus:
    rng = rng or random.Random(0)
    states = Counter(info.state.value for info in graph.nodes.values())
    slots = graph.live_slots()
    slots = slots[graph.up_mask(slots) & (graph.samples[slots] > 0)]
    rtts = sorted(graph.srtt[slots].tolist())
    components = partitions(graph)
    usable = [i for i in graph.nodes.values() if i.usable]
    relays: Counter[int] = Counter()
    stretches = []
    for _ in range(SAMPLED_PAIRS if len(usable) > 1 else 0):
        a, b = rng.sample(usable, 2)
        best = find_routes(graph, a.id, b.id, Weights(), Constraints(), 1).paths
        fastest = find_routes(graph, a.id, b.id, LATENCY_ONLY, Constraints(), 1).paths
        if best and fastest and fastest[0].latency_ms > 0:
            relays.update(best[0].indices[1:-1])
            stretches.append(best[0].latency_ms / fastest[0].latency_ms)
    held, viv, base = prediction_quality(graph)
    central = [
        (graph.by_index[i].id, graph.by_index[i].name, n / max(1, len(stretches))) for i, n in relays.most_common(5)
    ]
    return NetworkStatus(
        nodes_by_state={s.value: states.get(s.value, 0) for s in NodeState},
        link_count=len(rtts),
        mean_link_rtt_ms=sum(rtts) / len(rtts) if rtts else 0.0,
        p95_link_rtt_ms=rtts[min(len(rtts) - 1, int(0.95 * len(rtts)))] if rtts else 0.0,
        components=components,
        central_relays=central,
        mean_route_stretch=sum(stretches) / len(stretches) if stretches else 0.0,
        held_out_pairs=held,
        vivaldi_error=viv,
        baseline_error=base,
        quarantined=sum(1 for i in graph.nodes.values() if i.quarantined),
    )
