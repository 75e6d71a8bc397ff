"""Batched heartbeat ingest, Vivaldi placement, and change-driven stored-route re-evaluation."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random

import numpy as np
import pytest

from auralinkd.errors import InvalidArgument, NotFound, PermissionDenied
from auralinkd.mesh import routes as routes_module
from auralinkd.mesh.graph import MeshGraph
from auralinkd.mesh.ingest import LinkReport
from auralinkd.mesh.routes import RouteService
from auralinkd.mesh.smoothing import LinkEstimate
from auralinkd.mesh.vivaldi import update_batch
from bench.mesh import ORG, beats, build, ingest, operator
from bench.mesh_sim import generate


def test_a_batch_refuses_beats_one_by_one_and_applies_only_the_accepted_ones() -> None:
    sim = generate(10)
    mesh, ids, _ = build(sim)
    a, b, c = (ids[n] for n in sim.names[:3])
    caller = operator()
    as_a = dataclasses.replace(caller, principal=dataclasses.replace(caller.principal, node_id=a))
    graph = mesh.graphs[str(ORG)]
    results = mesh.ingest.heartbeat_batch(
        as_a,
        [
            (a, 5, [LinkReport(b, 10.0, 1000.0, 1.0)]),  # its own: accepted
            (b, 6, [LinkReport(a, 11.0, 1000.0, 1.0)]),  # another node's
            ("nope", 1, []),
            (a, 7, [LinkReport(c, 10.0, 1000.0, 1.0), LinkReport(b, math.nan, 1000.0, 0.0)]),
            (a, 8, [LinkReport(a, 10.0, 1000.0, 1.0)]),  # itself as a neighbour
        ],
    )
    kinds = [type(r.error) if r.error else None for r in results]
    assert kinds == [None, PermissionDenied, NotFound, InvalidArgument, InvalidArgument]
    assert "links[1].rtt_ms" in str(results[3].error.violations[0].field)  # type: ignore[union-attr]
    assert set(graph.links) == {(a, b)}  # nothing of the refused beats: no a->c link, no b->a link
    assert graph.nodes[a].load == 5 and graph.nodes[b].load == 0 and mesh.ingest.heartbeats == 1
    assert graph.links[(a, b)] == LinkEstimate(10.0, 5.0, 1000.0, 1.0, 0.0, 1)


def test_batched_ingest_equals_one_call_per_beat() -> None:
    rng = random.Random(3)
    sim = generate(60)
    one, ids, clock_one = build(sim)
    many, ids_many, clock_many = build(sim)
    for _ in range(3):
        batch = beats(sim, ids, rng)
        ingest(one, batch, clock_one, 1.0, size=1)
        translated = {v: ids_many[k] for k, v in ids.items()}
        again = [
            (translated[n], [dataclasses.replace(x, neighbor=translated[x.neighbor]) for x in links])
            for n, links in batch
        ]
        ingest(many, again, clock_many, 1.0, size=17)
    g1, g2 = one.graphs[str(ORG)], many.graphs[str(ORG)]
    back = {v: k for k, v in ids.items()}
    back_many = {v: k for k, v in ids_many.items()}
    first = {(back[s], back[t]): e for (s, t), e in g1.links.items()}
    second = {(back_many[s], back_many[t]): e for (s, t), e in g2.links.items()}
    assert first.keys() == second.keys()
    for key, estimate in first.items():
        other = second[key]
        assert (estimate.srtt_ms, estimate.rttvar_ms, estimate.samples) == pytest.approx(
            (other.srtt_ms, other.rttvar_ms, other.samples)
        )


def test_a_new_node_is_placed_at_its_nearest_neighbours_distance() -> None:
    position, height = np.zeros((3, 2)), np.full(3, 0.1)
    error, placed = np.ones(3), np.zeros(3, bool)
    position[0], placed[0], error[0] = (10.0, 5.0), True, 0.2
    update_batch(
        position,
        height,
        error,
        placed,
        np.array([1, 1]),
        np.array([0, 2]),
        np.array([20.0, 4.0]),
        np.random.default_rng(1),
    )
    assert placed[1]
    # Placed 20 ms from node 0 (the only placed neighbour), then one step of the update.
    predicted = math.dist(position[1], position[0]) + height[0] + height[1]
    assert predicted == pytest.approx(20.0, rel=0.25)
    assert not placed[2] or error[2] == 1.0  # node 2 only appeared as a target


def test_stored_routes_are_re_evaluated_only_when_the_graph_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(4)
    sim = generate(40)
    mesh, ids, clock = build(sim)
    ingest(mesh, beats(sim, ids, rng), clock, 1.0)
    routes = RouteService(mesh, None, None, mesh._bus)  # type: ignore[arg-type]
    graph: MeshGraph = mesh.graphs[str(ORG)]
    a, b = sim.names[0], sim.names[30]
    path = routes_module.find_routes(graph, ids[a], ids[b], routes_module.Weights(), routes_module.Constraints(), 1)
    routes._keep(str(ORG), "r1", [graph.by_index[i].id for i in path.paths[0].indices], {})
    calls = []
    real = routes_module.find_routes
    monkeypatch.setattr(routes_module, "find_routes", lambda *args: calls.append(1) or real(*args))
    asyncio.run(routes.reevaluate())
    asyncio.run(routes.reevaluate())  # nothing changed: skipped
    assert len(calls) == 1
    ingest(mesh, beats(sim, ids, rng), clock, 1.0)  # new measurements: evaluated again
    asyncio.run(routes.reevaluate())
    assert len(calls) == 2


def test_metrics_outside_their_bounds_are_refused_and_predictions_stay_finite() -> None:
    """Issue 25.5: an rtt of 5e-324 or 1e308 was accepted, and PredictLatency then answered NaN."""
    from auralinkd.mesh.vivaldi import distance

    sim = generate(10)
    mesh, ids, _ = build(sim)
    a, b = (ids[n] for n in sim.names[:2])
    caller = operator()
    as_a = dataclasses.replace(caller, principal=dataclasses.replace(caller.principal, node_id=a))
    refused = [
        (LinkReport(b, 5e-324, 1000.0, 1.0), "rtt_ms"),
        (LinkReport(b, 1e308, 1000.0, 1.0), "rtt_ms"),
        (LinkReport(b, 10.0, 1e308, 1.0), "bandwidth_kbps"),
        (LinkReport(b, 10.0, 1000.0, 1.0, 1e308), "cost"),
        (LinkReport(b, -1.0, 1000.0, 1.0), "rtt_ms"),
        (LinkReport(b, 10.0, 1000.0, 100.5), "loss_pct"),
    ]
    results = mesh.ingest.heartbeat_batch(as_a, [(a, 1, [link]) for link, _ in refused])
    for result, (_, name) in zip(results, refused, strict=True):
        assert isinstance(result.error, InvalidArgument)
        assert result.error.violations[0].field == f"links[0].{name}"
    graph = mesh.graphs[str(ORG)]
    assert not graph.links  # nothing of them was applied
    accepted = mesh.ingest.heartbeat_batch(as_a, [(a, 1, [LinkReport(b, 0.001, 1000.0, 0.0)]), (a, 1, [])])
    assert all(r.error is None for r in accepted)
    predicted = distance(graph.coordinate(graph.nodes[a].index), graph.coordinate(graph.nodes[b].index))
    assert math.isfinite(predicted)

    # The coordinate update itself skips samples outside the bounds (a remote replica's, say).
    position, height = np.zeros((2, 2)), np.full(2, 0.1)
    error, placed = np.ones(2), np.array([True, True])
    extreme = np.array([5e-324, 1e308, math.inf])
    update_batch(position, height, error, placed, np.zeros(3, dtype=int), np.ones(3, dtype=int), extreme,
                 np.random.default_rng(1))  # fmt: skip
    assert np.isfinite(position).all() and np.isfinite(height).all() and np.isfinite(error).all()
