"""The ALT A* search and Yen's alternatives give exactly what networkx gives on the same costs."""

from __future__ import annotations

import math
import random
import uuid
from itertools import islice

import networkx as nx
import numpy as np
import pytest

from auralinkd.mesh.detector import NodeState, PhiAccrual
from auralinkd.mesh.graph import MeshGraph, NodeInfo, Weights
from auralinkd.mesh.pathfinding import Constraints, Search, find_routes
from auralinkd.mesh.smoothing import LinkEstimate


def _graph(n: int, degree: int, seed: int, zero_costs: bool = False) -> MeshGraph:
    rng = random.Random(seed)
    graph = MeshGraph("org")
    ids = [str(uuid.UUID(int=i + 1)) for i in range(n)]
    for i, node_id in enumerate(ids):
        graph.add_node(NodeInfo(node_id, "org", f"n{i}", "eu", -1, 1.0, PhiAccrual(1.0, 0.0)))
    for a in ids:
        for b in rng.sample(ids, degree):
            if a != b:
                rtt = 0.0 if zero_costs and rng.random() < 0.2 else rng.uniform(1, 100)
                graph.set_link(a, b, LinkEstimate(rtt, 1.0, rng.uniform(100, 10_000), rng.uniform(0, 20)))
    return graph


def _networkx(graph: MeshGraph, costs: np.ndarray) -> nx.DiGraph:
    out = nx.DiGraph()
    out.add_nodes_from(graph.by_index)
    for (s, t), slot in graph.slot_of.items():
        if math.isfinite(costs[slot]):
            out.add_edge(s, t, weight=float(costs[slot]))
    return out


def _check_against_networkx(graph: MeshGraph, weights: Weights, rng: random.Random, queries: int) -> None:
    view = graph.view(weights)
    costs = view.costs
    reference = _networkx(graph, costs)
    search = Search(graph, view)
    for _ in range(queries):
        a, b = rng.sample(list(graph.by_index), 2)
        found = search.shortest(a, b)
        try:
            expected = nx.dijkstra_path_length(reference, a, b)
        except nx.NetworkXNoPath:
            assert found is None
            continue
        assert found is not None
        path, cost = found
        assert cost == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert path[0] == a and path[-1] == b
        assert sum(costs[graph.slot(x, y)] for x, y in zip(path, path[1:], strict=False)) == pytest.approx(cost)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_point_to_point_costs_equal_networkx(seed: int) -> None:
    graph = _graph(300, 4, seed, zero_costs=seed == 3)
    _check_against_networkx(graph, Weights(1.0, 0.2, 0.5, 0.0, 1.0), random.Random(seed), 40)


@pytest.mark.parametrize("rebuild_s", [0.0, 3600.0])
def test_landmark_bounds_stay_exact_while_costs_drift_down_and_up(
    rebuild_s: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Costs falling below the landmarks' reference lower beta, or force new landmarks, or (rebuilt too
    recently) a search without bounds: exact in every case."""
    monkeypatch.setattr("auralinkd.mesh.graph.LANDMARK_REBUILD_S", rebuild_s)
    graph = _graph(250, 4, 9)
    weights = Weights()
    rng = random.Random(9)
    _check_against_networkx(graph, weights, rng, 10)
    view = graph.view(weights)
    assert view.landmarks is not None and view.beta == 1.0
    for factor in (0.95, 0.6, 1.8, 0.3):  # every link's RTT scaled: bounds must shrink with beta
        slots = graph.live_slots()
        for slot in slots.tolist()[: len(slots) // 2]:
            s, t = graph.key_of_slot(slot)
            e = graph.estimate(slot)
            e.srtt_ms *= factor
            graph.set_link(s, t, e)
        _check_against_networkx(graph, weights, rng, 15)
    a, b = next(iter(graph.nodes)), list(graph.nodes)[-1]
    if (a, b) not in graph.links:  # a new link (a topology change) invalidates the landmarks
        graph.set_link(a, b, LinkEstimate(0.5, 0.1, 10_000, 0.0))
        _check_against_networkx(graph, weights, rng, 15)


def test_yen_alternatives_cost_what_networkx_simple_paths_cost() -> None:
    graph = _graph(200, 4, 7)
    weights = Weights()
    reference = _networkx(graph, graph.costs(weights))
    rng = random.Random(7)
    for _ in range(8):
        a, b = rng.sample(list(graph.nodes), 2)
        ia, ib = graph.nodes[a].index, graph.nodes[b].index
        paths = find_routes(graph, a, b, weights, Constraints(), 4).paths
        expected = [
            nx.path_weight(reference, p, "weight")
            for p in islice(nx.shortest_simple_paths(reference, ia, ib, weight="weight"), 4)
        ]
        assert [p.cost for p in paths] == pytest.approx(expected)


def test_offline_nodes_disconnect_and_the_search_says_so() -> None:
    graph = _graph(40, 3, 4)
    a, b = list(graph.nodes)[:2]
    for node_id, info in graph.nodes.items():
        if node_id not in (a, b):
            info.state = NodeState.OFFLINE
            graph.node_changed(info)
    direct = graph.slot_of.get((graph.nodes[a].index, graph.nodes[b].index))
    result = find_routes(graph, a, b, Weights(), Constraints(), 3)
    if direct is None:
        assert not result.paths and "unreachable" in result.reason
    else:
        assert [p.hops for p in result.paths] == [1]


def test_costs_follow_heartbeats_and_topology_changes_without_a_rebuild() -> None:
    graph = _graph(50, 3, 5)
    weights = Weights()
    costs = graph.costs(weights)
    (a, b), estimate = next(iter(graph.links.items()))
    slot = graph.slot(graph.nodes[a].index, graph.nodes[b].index)
    before = costs[slot]
    estimate.update(estimate.srtt_ms * 4, estimate.bandwidth_kbps, estimate.loss_pct)
    graph.set_link(a, b, estimate)
    assert graph.costs(weights) is costs and costs[slot] > before
    graph.remove_link(a, b)
    assert costs[slot] == math.inf
    fresh = MeshGraph("org")  # the incremental array equals one built from scratch
    for info in graph.nodes.values():
        fresh.add_node(NodeInfo(info.id, "org", info.name, "", -1, 1.0, PhiAccrual(1.0, 0.0)))
    for (s, t), e in graph.links.items():
        fresh.set_link(s, t, e)
    rebuilt = fresh.costs(weights)
    for s, t in graph.links:
        i, j = graph.nodes[s].index, graph.nodes[t].index
        assert costs[graph.slot(i, j)] == pytest.approx(rebuilt[fresh.slot(fresh.nodes[s].index, fresh.nodes[t].index)])


def test_removing_a_node_drops_its_links_and_unreported_links_go_down_until_reported_again() -> None:
    graph = _graph(30, 3, 6)
    victim = next(iter(graph.nodes))
    touching = [k for k in graph.links if victim in k]
    assert touching
    graph.remove_node(victim)
    assert victim not in graph.nodes and not any(victim in k for k in graph.links)
    (a, b), estimate = next(iter(graph.links.items()))
    slot = graph.slot(graph.nodes[a].index, graph.nodes[b].index)
    costs = graph.costs(Weights())
    assert graph.expire(now=3.0) == 0  # interval 1 s: links hold for 3.5 s
    assert graph.expire(now=4.0) == len(graph.links)
    assert costs[slot] == math.inf and not graph.up(slot)
    graph.set_link(a, b, estimate, now=4.5)
    assert graph.up(slot) and math.isfinite(costs[slot])


def test_batched_observations_equal_sequential_ewma_even_with_repeated_links() -> None:
    graph = _graph(20, 3, 8)
    (a, b), _ = next(iter(graph.links.items()))
    slot = graph.key_slot[(a, b)]
    expected = graph.estimate(slot)
    samples = [(30.0, 900.0, 1.0), (50.0, 1000.0, 3.0), (10.0, 800.0, 0.0)]
    for rtt, bw, loss in samples:
        expected.update(rtt, bw, loss)
    column = np.array
    graph.observe(
        column([slot] * 3),
        column([x[0] for x in samples]),
        column([x[1] for x in samples]),
        column([x[2] for x in samples]),
        column([math.nan] * 3),
        now=1.0,
    )
    got = graph.estimate(slot)
    for name in ("srtt_ms", "rttvar_ms", "bandwidth_kbps", "loss_pct"):
        assert getattr(got, name) == pytest.approx(getattr(expected, name))
    assert got.samples == expected.samples and graph.win_n[slot] == 3


def test_other_replicas_reports_and_stored_routes_reach_this_replica() -> None:
    from auralinkd.bus import Event, EventBus
    from auralinkd.mesh.reputation import ReputationService
    from auralinkd.mesh.routes import RouteService
    from bench.mesh import ORG, build
    from bench.mesh_sim import generate

    mesh, ids, _ = build(generate(10))
    bus = EventBus("here", None)
    reputation = ReputationService(mesh, None, None, bus)  # type: ignore[arg-type]
    routes = RouteService(mesh, None, None, bus)  # type: ignore[arg-type]
    assert any(task.name == "stored-route re-evaluation" for task in mesh.periodic)
    a, b, c = list(ids.values())[:3]
    org = str(ORG)
    for event in (
        Event(
            "mesh.reputation.reported",
            {"org": org, "id": b, "kind": "relay_success", "reporter": a, "weight": 2.0, "at": 0.0},
            "there",
        ),  # fmt: skip
        Event("mesh.route.stored", {"org": org, "id": "r1", "path": [a, c, b], "params": {}}, "there"),
    ):
        for listener in mesh.replication.event_listeners:
            listener(event)
    assert reputation.ledger(org).local(0.0)[(a, b)] == 2.0
    assert routes.stored["r1"].hysteresis.current == [a, c, b]
