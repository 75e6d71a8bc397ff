"""`auralink mesh` and `auralink reputation` against a daemon holding a small simulated mesh (the issue's
"done when" at 60 nodes): alternatives avoid a quarantined relay, a killed relay is rerouted around within
the failure-detection bound, and `reputation explain` says which evidence moved the score.
"""

from __future__ import annotations

import json
import random
from typing import Any

from auralink.v1 import mesh_pb2
from bench.mesh_sim import GrpcMesh, generate
from tests.support import Daemon

INTERVAL_S = 0.5
OFFLINE_BOUND_S = 7 * INTERVAL_S + 0.5  # the detector's hard bound, plus its tick and scheduling


def _json(daemon: Daemon, *args: str) -> Any:
    done = daemon.cli("-o", "json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _alternatives(driver: GrpcMesh, a: str, b: str, relay: str) -> int:
    avoid = mesh_pb2.RouteConstraints(excluded_nodes=[relay])
    request = mesh_pb2.FindOptimalRouteRequest(source=a, destination=b, k=2, constraints=avoid)
    return len(driver.mesh.FindOptimalRoute(request, metadata=driver.md, timeout=10).paths)


def test_route_quarantine_failover_and_explain_through_the_cli(daemon: Daemon) -> None:
    channel = daemon.channel()
    driver = GrpcMesh(generate(60, seed=11), channel, daemon.token, INTERVAL_S)
    driver.register(anchors=3)
    for _ in range(3):
        driver.round()
    driver.start()
    try:
        rng = random.Random(2)
        while True:  # a pair whose best route has two relays or more, with two ways around the first
            a, b = rng.sample(driver.sim.names[3:], 2)
            best = driver.route(a, b, k=1).paths[0].names
            if len(best) >= 4 and _alternatives(driver, a, b, best[1]) >= 2:
                break
        first = _json(daemon, "mesh", "route", a, b, "--k", "3", "--store")
        assert len(first["paths"]) == 3 and first["route_id"]
        relay = first["paths"][0]["names"][1]

        quarantined = _json(daemon, "reputation", "quarantine", relay, "--reason", "drops packets", "--duration", "600")
        assert quarantined["quarantined"] and quarantined["band"] == "UNTRUSTED"
        second = _json(daemon, "mesh", "route", a, b, "--k", "3")
        assert len(second["paths"]) >= 2
        assert all(relay not in p["names"] for p in second["paths"])
        assert second["paths"][0]["names"][0] == a and second["paths"][0]["names"][-1] == b

        victim = second["paths"][0]["names"][1]
        driver.kill(victim)
        detected = driver.wait_state(victim, "offline", 3 * OFFLINE_BOUND_S)
        assert detected is not None and detected <= OFFLINE_BOUND_S
        third = _json(daemon, "mesh", "route", a, b, "--k", "3")
        assert third["paths"] and all(victim not in p["names"] and relay not in p["names"] for p in third["paths"])
        routes = driver.mesh.ListRoutes(mesh_pb2.ListRoutesRequest(), metadata=driver.md, timeout=10).routes
        stored = next(r for r in routes if r.id == first["route_id"])
        assert (
            stored.active and driver.ids[victim] not in stored.path.nodes and driver.ids[relay] not in stored.path.nodes
        )

        offline = _json(daemon, "mesh", "nodes", "list", "--state", "offline")
        assert victim in [n["name"] for n in offline["nodes"]]
        status = _json(daemon, "mesh", "status")
        assert status["nodes_by_state"]["offline"] >= 1 and status["quarantined"] == 1
        assert status["latency_prediction"]["held_out_pairs"] > 0

        reporter = driver.sim.names[0]  # an anchor
        _json(daemon, "reputation", "report", relay, "relay-failure", "--reporter", reporter, "--value", "2")
        explained = _json(daemon, "reputation", "explain", relay)
        assert explained["reputation"]["quarantined"]
        failure = explained["contributions"][0]
        assert failure["kind"] == "RELAY_FAILURE" and failure["reporter_name"] == reporter
        assert failure["decayed_weight"] < -5.9  # two failures, each 3x a success
        assert any("quarantined until" in line for line in explained["summary"])
        text = daemon.cli("reputation", "explain", relay)
        assert text.returncode == 0 and "pre-trusted set: anchors" in text.stdout and "RELAY_FAILURE" in text.stdout
        assert not driver.errors
        print(text.stdout)  # shown with -s: what an operator reads
    finally:
        driver.stop()
        channel.close()
