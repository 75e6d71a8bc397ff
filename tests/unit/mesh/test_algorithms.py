"""The mesh algorithms as specifications: smoothing, detection, Vivaldi, routing, hysteresis, EigenTrust."""

from __future__ import annotations

import math
import random

import pytest

from auralinkd.errors import InvalidArgument, NotFound, PermissionDenied
from auralinkd.mesh.detector import NodeState, PhiAccrual
from auralinkd.mesh.eigentrust import Band, EvidenceKind, Ledger, band, eigentrust, score, signed_weight
from auralinkd.mesh.graph import Weights
from auralinkd.mesh.ingest import LinkReport
from auralinkd.mesh.pathfinding import Constraints, Hysteresis, find_routes
from auralinkd.mesh.smoothing import LinkEstimate, etx
from auralinkd.mesh.status import prediction_quality
from bench.mesh import ORG, beats, build, ingest, operator, simulate_failover
from bench.mesh_sim import generate


def test_rtt_smoothing_follows_rfc_6298() -> None:
    link = LinkEstimate.first(100.0, 1000.0, 0.0)
    assert (link.srtt_ms, link.rttvar_ms) == (100.0, 50.0)
    link.update(200.0, 1000.0, 0.0)
    assert link.rttvar_ms == pytest.approx(0.75 * 50 + 0.25 * 100)
    assert link.srtt_ms == pytest.approx(0.875 * 100 + 0.125 * 200)


def test_loss_becomes_etx() -> None:
    assert etx(0) == 1.0
    assert etx(50) == pytest.approx(4.0)
    assert etx(100) == 100.0


def test_detector_moves_alive_suspect_offline_with_an_injected_clock() -> None:
    detector = PhiAccrual(interval_s=1.0, now=0.0)
    for t in range(1, 11):
        detector.heartbeat(float(t))
    assert detector.state(11.0) is NodeState.ALIVE
    assert detector.state(10.0 + 3.5) is NodeState.SUSPECT
    assert detector.state(10.0 + 7.0) is NodeState.OFFLINE


def test_a_heartbeat_brings_a_node_back_and_transitions_are_queued() -> None:
    sim = generate(30)
    mesh, ids, clock = build(sim, interval_s=1.0)
    clock.now = 8.0
    changed = mesh.failures.detect()
    assert changed and all(i.state is NodeState.OFFLINE for i in changed)
    mesh.ingest.heartbeat(operator(), ids[sim.names[0]], 0, [])
    assert mesh.graphs[str(ORG)].nodes[ids[sim.names[0]]].state is NodeState.ALIVE
    assert mesh.failures.pending[-1][2] is NodeState.ALIVE


@pytest.mark.parametrize(
    "link",
    [
        LinkReport("x", -1.0, 1.0, 0.0),
        LinkReport("x", math.nan, 1.0, 0.0),
        LinkReport("x", 1.0, math.inf, 0.0),
        LinkReport("x", 1.0, 1.0, 101.0),
        LinkReport("x", 1.0, 1.0, 0.0, -2.0),
    ],
)
def test_bad_metrics_are_refused_and_change_nothing(link: LinkReport) -> None:
    sim = generate(10)
    mesh, ids, clock = build(sim)
    a, b = sim.names[:2]
    link.neighbor = ids[b]
    good = LinkReport(ids[sim.names[2]], 5.0, 1000.0, 0.0)
    with pytest.raises(InvalidArgument):
        mesh.ingest.heartbeat(operator(), ids[a], 3, [good, link])
    assert mesh.graphs[str(ORG)].links == {} and mesh.ingest.heartbeats == 0


def test_heartbeats_for_unknown_or_other_nodes_are_refused() -> None:
    import dataclasses

    sim = generate(10)
    mesh, ids, _ = build(sim)
    caller = operator()
    with pytest.raises(NotFound):
        mesh.ingest.heartbeat(caller, "no-such-node", 0, [])
    node_caller = dataclasses.replace(
        caller, principal=dataclasses.replace(caller.principal, node_id=ids[sim.names[1]])
    )
    with pytest.raises(PermissionDenied):
        mesh.ingest.heartbeat(node_caller, ids[sim.names[0]], 0, [])
    mesh.registry.forget(str(ORG), ids[sim.names[0]])
    with pytest.raises(NotFound):
        mesh.ingest.heartbeat(caller, ids[sim.names[0]], 0, [])


def _mesh(n: int = 120, rounds: int = 3):
    rng = random.Random(5)
    sim = generate(n)
    mesh, ids, clock = build(sim)
    for _ in range(rounds):
        ingest(mesh, beats(sim, ids, rng), clock, 1.0)
    return sim, mesh, ids


def test_yen_paths_are_loop_free_and_ordered_by_cost() -> None:
    sim, mesh, ids = _mesh()
    graph = mesh.graphs[str(ORG)]
    rng = random.Random(1)
    for _ in range(10):
        a, b = rng.sample(sim.names, 2)
        paths = find_routes(graph, ids[a], ids[b], Weights(), Constraints(), 5).paths
        assert paths
        costs = [p.cost for p in paths]
        assert costs == sorted(costs)
        assert len({tuple(p.indices) for p in paths}) == len(paths)
        for p in paths:
            assert len(set(p.indices)) == len(p.indices)
            assert p.indices[0] == graph.nodes[ids[a]].index and p.indices[-1] == graph.nodes[ids[b]].index


def test_constraints_exclude_nodes_and_explain_when_nothing_fits() -> None:
    sim, mesh, ids = _mesh()
    graph = mesh.graphs[str(ORG)]
    a, b = sim.names[0], sim.names[60]
    best = find_routes(graph, ids[a], ids[b], Weights(), Constraints(), 1).paths[0]
    if best.hops >= 2:
        relay = graph.by_index[best.indices[1]].id
        avoided = find_routes(graph, ids[a], ids[b], Weights(), Constraints(excluded=frozenset({relay})), 3)
        assert all(graph.nodes[relay].index not in p.indices for p in avoided.paths)
    result = find_routes(graph, ids[a], ids[b], Weights(), Constraints(max_hops=1), 1)
    if best.hops > 1:
        assert not result.paths and "max_hops=1" in result.reason


def test_quarantined_and_offline_relays_are_never_used() -> None:
    sim, mesh, ids = _mesh()
    graph = mesh.graphs[str(ORG)]
    a, b = sim.names[0], sim.names[60]
    for _ in range(3):
        best = find_routes(graph, ids[a], ids[b], Weights(), Constraints(), 3).paths
        if not best or best[0].hops < 2:
            break
        relay = graph.by_index[best[0].indices[1]]
        relay.quarantined = True
        graph.node_changed(relay)
        after = find_routes(graph, ids[a], ids[b], Weights(), Constraints(), 3).paths
        assert all(relay.index not in p.indices for p in after)


def test_hysteresis_switches_only_after_two_cheaper_evaluations() -> None:
    h = Hysteresis([1, 2, 3])
    assert not h.evaluate(100.0, [1, 4, 3], 95.0)  # 5% cheaper: no
    assert not h.evaluate(100.0, [1, 4, 3], 85.0)  # first confirmation
    assert h.evaluate(100.0, [1, 4, 3], 85.0)  # second: switch
    assert h.current == [1, 4, 3]
    assert not h.evaluate(100.0, [1, 5, 3], 80.0)
    assert not h.evaluate(100.0, [1, 6, 3], 80.0)  # a different candidate restarts the count
    assert h.evaluate(math.inf, [1, 6, 3], 80.0)  # a broken route switches at once


def test_vivaldi_beats_the_global_mean_baseline_on_held_out_links() -> None:
    _, mesh, _ = _mesh(200, rounds=25)
    held, vivaldi, naive = prediction_quality(mesh.graphs[str(ORG)])
    assert held > 10
    assert vivaldi < naive


def test_eigentrust_gives_a_sybil_cluster_no_trust_without_a_path_from_the_anchors() -> None:
    honest = [f"h{i}" for i in range(20)]
    sybils = [f"s{i}" for i in range(10)]
    ledger = Ledger()
    rng = random.Random(2)
    for node in honest:
        for other in rng.sample(honest, 5):
            if other != node:
                ledger.add(node, other, 1.0, 0.0)
    for node in sybils:  # they vouch for each other heavily
        for other in sybils:
            if other != node:
                ledger.add(node, other, 100.0, 0.0)
        ledger.add(node, honest[0], 1.0, 0.0)  # and even for an honest node
    result = eigentrust(honest + sybils, ledger.local(0.0), anchors=honest[:2])
    assert sum(result.trust[s] for s in sybils) == pytest.approx(0.0, abs=1e-12)
    assert sum(result.trust.values()) == pytest.approx(1.0, abs=1e-6)
    assert all(band(score(result.trust[s], 30)) is Band.UNTRUSTED for s in sybils)
    # One honest node vouching opens a path: then the cluster gets some trust.
    ledger.add(honest[3], sybils[0], 1.0, 0.0)
    opened = eigentrust(honest + sybils, ledger.local(0.0), anchors=honest[:2])
    assert opened.trust[sybils[0]] > 0


def test_failures_weigh_three_times_and_evidence_decays() -> None:
    assert signed_weight(EvidenceKind.RELAY_FAILURE, 1) == -3 * signed_weight(EvidenceKind.RELAY_SUCCESS, 1)
    ledger = Ledger(half_life_s=10.0)
    ledger.add("a", "b", 4.0, 0.0)
    assert ledger.local(10.0)[("a", "b")] == pytest.approx(2.0)
    assert ledger.local(20.0)[("a", "b")] == pytest.approx(1.0)


def test_failover_simulation_detects_and_reroutes_within_the_bound() -> None:
    import asyncio

    result = asyncio.run(simulate_failover(150))
    assert result["ok"], result
