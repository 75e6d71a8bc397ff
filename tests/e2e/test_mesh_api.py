"""MeshRoutingService and ReputationService over gRPC against one real daemon (shared by this module).

A five-node mesh with three disjoint routes a -> e: the primary through b, alternatives through c and d.
The bad-input table checks each refusal's code and that the database and the live graph did not move.
The last test restarts the daemon on the same database and finds nodes, links and stored routes again.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import time
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import grpc
import pytest
from google.protobuf import duration_pb2

from auralink.v1 import access_pb2, access_pb2_grpc, mesh_pb2, mesh_pb2_grpc
from tests.support import Daemon, EmbeddedServer, bearer, daemon_env, short_tempdir, with_database

HEARTBEAT_S = 0.5  # the daemon's watch keep-alive here (15 s by default), so the keep-alive test is short
# route_performance is left out: its one-minute windows of earlier (valid) heartbeats close on their own.
TABLES = ("mesh_nodes", "mesh_links", "mesh_routes", "reputation_events", "node_reputation")
# name -> (links it reports: neighbour, rtt ms); a-b-e is cheapest, then a-c-e, then a-d-e.
TOPOLOGY = {
    "a": [("b", 10.0), ("c", 16.0), ("d", 30.0)],
    "b": [("a", 10.0), ("e", 10.0)],
    "c": [("a", 16.0), ("e", 16.0)],
    "d": [("a", 30.0), ("e", 40.0)],
    "e": [("b", 10.0), ("c", 16.0), ("d", 40.0)],
}


@pytest.fixture(scope="module")
def mesh_daemon(pg16_server: EmbeddedServer) -> Iterator[Daemon]:
    name = f"auralink_mesh_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(pg16_server.dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    root = short_tempdir()
    env = daemon_env(root / "d", database_url=with_database(pg16_server.dsn, name), watch_heartbeat_s=str(HEARTBEAT_S))
    handle = Daemon(root / "d", env)
    handle.start()
    yield handle
    handle.stop()
    shutil.rmtree(root, ignore_errors=True)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class Api:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.channel = daemon.channel()
        self.mesh = mesh_pb2_grpc.MeshRoutingServiceStub(self.channel)
        self.reputation = mesh_pb2_grpc.ReputationServiceStub(self.channel)
        self.md = bearer(daemon.token)
        self.tokens: dict[str, str] = {}

    def register(self, name: str, interval_s: float = 600.0, **fields: Any) -> mesh_pb2.RegisterNodeResponse:
        request = mesh_pb2.RegisterNodeRequest(
            name=name,
            address=f"{name}.mesh:7000",
            region=fields.pop("region", "eu"),
            heartbeat_interval=duration_pb2.Duration(nanos=int(interval_s % 1 * 1e9), seconds=int(interval_s)),
            **fields,
        )
        response = self.mesh.RegisterNode(request, metadata=self.md, timeout=10)
        self.tokens[name] = response.token
        return response

    def beat(self, name: str, links: list[tuple[str, float]], loss: float = 0.0) -> mesh_pb2.HeartbeatResponse:
        request = mesh_pb2.HeartbeatRequest(
            node=name,
            load=1,
            links=[
                mesh_pb2.LinkReport(neighbor=n, rtt_ms=rtt, bandwidth_kbps=50_000, loss_pct=loss) for n, rtt in links
            ],
        )
        return self.mesh.Heartbeat(request, metadata=bearer(self.tokens[name]), timeout=10)

    def route(self, source: str, destination: str, **fields: Any) -> mesh_pb2.FindOptimalRouteResponse:
        request = mesh_pb2.FindOptimalRouteRequest(source=source, destination=destination, **fields)
        return self.mesh.FindOptimalRoute(request, metadata=self.md, timeout=10)

    def code(self, method: Any, request: Any, token: str | None = None) -> grpc.StatusCode:
        try:
            method(request, metadata=bearer(token or self.daemon.token), timeout=10)
        except grpc.RpcError as exc:
            return exc.code()
        return grpc.StatusCode.OK

    def flushed(self, probe: str) -> None:
        """Beat `probe` (no links) and wait until the background flush has written that beat: every heartbeat
        sent before it has then been written too (one flush writes everything pending)."""
        node = lambda: self.mesh.GetNode(mesh_pb2.GetNodeRequest(node=probe), metadata=self.md, timeout=10)  # noqa: E731
        before = node().last_heartbeat_time.ToDatetime()
        self.beat(probe, [])
        deadline = time.monotonic() + 30
        while node().last_heartbeat_time.ToDatetime() == before:
            assert time.monotonic() < deadline, f"the flush never wrote {probe}'s heartbeat"
            time.sleep(0.05)

    def snapshot(self, leaving_out: str = "") -> dict[str, Any]:
        """Every mesh table's rows (as text), for "nothing changed" checks; rows that mention `leaving_out`
        (a node id) are left out."""

        async def read() -> dict[str, Any]:
            conn = await asyncpg.connect(self.daemon.env["AURALINK_DATABASE_URL"])
            try:
                return {
                    t: sorted(
                        r
                        for r in map(str, await conn.fetch(f"SELECT * FROM {t}"))  # noqa: S608
                        if not leaving_out or leaving_out not in r
                    )
                    for t in TABLES
                }
            finally:
                await conn.close()

        return asyncio.run(read())


@pytest.fixture(scope="module")
def api(mesh_daemon: Daemon) -> Iterator[Api]:
    handle = Api(mesh_daemon)
    for name in TOPOLOGY:
        handle.register(name, anchor=name == "a")
    for name, links in TOPOLOGY.items():
        handle.beat(name, links)
    yield handle
    handle.channel.close()


def _names(path: mesh_pb2.RoutePath) -> list[str]:
    return list(path.names)


def test_route_with_alternatives_stored_and_listed(api: Api) -> None:
    found = api.route("a", "e", k=3, store=True)
    assert [_names(p) for p in found.paths] == [["a", "b", "e"], ["a", "c", "e"], ["a", "d", "e"]]
    assert [p.cost for p in found.paths] == sorted(p.cost for p in found.paths)
    primary = found.paths[0]
    assert primary.latency_ms == pytest.approx(10.0)  # two hops of RTT 10 / 2
    assert primary.bottleneck_bandwidth_kbps == pytest.approx(50_000)
    assert [h.to_name for h in primary.hops] == ["b", "e"] and not found.reason and found.route_id
    limited = api.route("a", "e", k=2, constraints=mesh_pb2.RouteConstraints(excluded_nodes=["b"]))
    assert [_names(p) for p in limited.paths] == [["a", "c", "e"], ["a", "d", "e"]]
    none = api.route("a", "e", constraints=mesh_pb2.RouteConstraints(max_hops=1))
    assert not none.paths and "max_hops=1" in none.reason
    stored = api.mesh.ListRoutes(mesh_pb2.ListRoutesRequest(), metadata=api.md, timeout=10).routes
    mine = [r for r in stored if r.id == found.route_id]
    assert len(mine) == 1 and mine[0].active and len(mine[0].path.nodes) == 3
    assert list(mine[0].path.nodes) == list(primary.nodes)
    status = api.mesh.GetNetworkStatus(mesh_pb2.GetNetworkStatusRequest(), metadata=api.md, timeout=10)
    assert status.nodes_by_state["alive"] >= 5 and status.link_count >= 12 and status.components == 1


def test_a_quiet_network_status_watch_sends_heartbeats_at_the_keep_alive_interval(api: Api) -> None:
    """A 60 s status interval would leave the stream silent for a minute; heartbeats fill the gaps."""
    request = mesh_pb2.WatchNetworkStatusRequest(interval=duration_pb2.Duration(seconds=60))
    stream = api.mesh.WatchNetworkStatus(request, metadata=api.md, timeout=30)
    try:
        first = next(stream)
        assert not first.heartbeat and first.nodes_by_state["alive"] >= 5
        arrivals = []
        for _ in range(3):
            message = next(stream)
            arrivals.append(time.monotonic())
            assert message.heartbeat and message.HasField("time") and not message.nodes_by_state
        gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
        # Paced by the keep-alive interval (checked four times a second), far inside the 60 s status interval.
        assert all(HEARTBEAT_S * 0.8 <= g <= HEARTBEAT_S + 2 for g in gaps), gaps
    finally:
        stream.cancel()


def test_bad_inputs_get_their_codes_and_change_nothing(api: Api) -> None:
    api.register("gone")
    api.beat("gone", [("a", 5.0)])
    api.mesh.DeregisterNode(mesh_pb2.DeregisterNodeRequest(node="gone"), metadata=api.md, timeout=10)
    probe = api.register("probe").node.id  # its own beats mark the flushes; its rows are left out of snapshots
    api.flushed("probe")  # what the earlier heartbeats queued is written
    before = api.snapshot(leaving_out=probe)
    node_before = api.mesh.GetNode(mesh_pb2.GetNodeRequest(node="a"), metadata=api.md, timeout=10)
    m, r = api.mesh, api.reputation
    route = mesh_pb2.FindOptimalRouteRequest

    def beat(node: str, rtt: float = 5.0, bandwidth: float = 1000.0, loss: float = 0.0) -> Any:
        link = mesh_pb2.LinkReport(neighbor="b", rtt_ms=rtt, bandwidth_kbps=bandwidth, loss_pct=loss)
        return mesh_pb2.HeartbeatRequest(node=node, load=1, links=[link])

    zero = mesh_pb2.RouteWeights()
    cases = [
        (m.FindOptimalRoute, route(source="a", destination="nope", store=True), None, "NOT_FOUND"),
        (m.FindOptimalRoute, route(source="a", destination="a", store=True), None, "INVALID_ARGUMENT"),
        (m.FindOptimalRoute, route(source="a", destination="e", k=6, store=True), None, "INVALID_ARGUMENT"),
        (m.FindOptimalRoute, route(source="a", destination="e", k=-1, store=True), None, "INVALID_ARGUMENT"),
        (m.FindOptimalRoute, route(source="a", destination="e", weights=zero, store=True), None, "INVALID_ARGUMENT"),
        (
            m.FindOptimalRoute,
            route(source="a", destination="e", weights=mesh_pb2.RouteWeights(latency=-1, cost=2), store=True),
            None,
            "INVALID_ARGUMENT",
        ),
        (
            m.FindOptimalRoute,
            route(source="a", destination="e", weights=mesh_pb2.RouteWeights(latency=math.nan), store=True),
            None,
            "INVALID_ARGUMENT",
        ),
        (m.Heartbeat, beat("a", rtt=math.nan), api.tokens["a"], "INVALID_ARGUMENT"),
        (m.Heartbeat, beat("a", rtt=-3.0), api.tokens["a"], "INVALID_ARGUMENT"),
        (m.Heartbeat, beat("a", bandwidth=math.inf), api.tokens["a"], "INVALID_ARGUMENT"),
        (m.Heartbeat, beat("a", loss=-1.0), api.tokens["a"], "INVALID_ARGUMENT"),
        (m.Heartbeat, beat("a", loss=101.0), api.tokens["a"], "INVALID_ARGUMENT"),
        (m.Heartbeat, beat("c"), api.tokens["a"], "PERMISSION_DENIED"),  # another node's id
        (m.Heartbeat, beat("gone"), None, "NOT_FOUND"),  # deregistered
        (m.Heartbeat, beat("gone"), api.tokens["gone"], "NOT_FOUND"),
        (m.Heartbeat, beat("nope"), None, "NOT_FOUND"),
        (m.FindOptimalRoute, route(source="a", destination="e"), api.tokens["a"], "PERMISSION_DENIED"),
        (
            r.ReportEvidence,  # about itself
            mesh_pb2.ReportEvidenceRequest(node="a", kind=mesh_pb2.EVIDENCE_KIND_RELAY_SUCCESS),
            api.tokens["a"],
            "INVALID_ARGUMENT",
        ),
        (
            r.ReportEvidence,  # as another node
            mesh_pb2.ReportEvidenceRequest(node="b", reporter="c", kind=mesh_pb2.EVIDENCE_KIND_RELAY_SUCCESS),
            api.tokens["a"],
            "PERMISSION_DENIED",
        ),
        (
            r.ReportEvidence,
            mesh_pb2.ReportEvidenceRequest(node="nope", kind=mesh_pb2.EVIDENCE_KIND_RELAY_SUCCESS),
            None,
            "NOT_FOUND",
        ),
        (
            r.ReportEvidence,
            mesh_pb2.ReportEvidenceRequest(node="b", kind=mesh_pb2.EVIDENCE_KIND_UNSPECIFIED),
            None,
            "INVALID_ARGUMENT",
        ),
        (
            r.ReportEvidence,
            mesh_pb2.ReportEvidenceRequest(node="b", kind=mesh_pb2.EVIDENCE_KIND_UPTIME, value=math.inf),
            None,
            "INVALID_ARGUMENT",
        ),
        (r.QuarantineNode, mesh_pb2.QuarantineNodeRequest(node="b"), None, "INVALID_ARGUMENT"),  # no reason
        (m.DeregisterNode, mesh_pb2.DeregisterNodeRequest(node="gone"), None, "NOT_FOUND"),
    ]
    got = [api.code(method, request, token).name for method, request, token, _ in cases]
    assert got == [want for *_, want in cases]
    api.flushed("probe")  # a flush after every refused heartbeat: had one been applied, it is written now
    assert api.snapshot(leaving_out=probe) == before
    node_after = api.mesh.GetNode(mesh_pb2.GetNodeRequest(node="a"), metadata=api.md, timeout=10)
    assert (node_after.link_count, node_after.current_load) == (node_before.link_count, node_before.current_load)
    assert api.route("a", "e").paths[0].names == ["a", "b", "e"]


def test_heartbeat_batches_refuse_item_by_item_and_keep_the_stream(api: Api) -> None:
    def beat(node: str, rtt: float = 12.0, sequence: int = 0) -> mesh_pb2.HeartbeatRequest:
        link = mesh_pb2.LinkReport(neighbor="a", rtt_ms=rtt, bandwidth_kbps=50_000, loss_pct=0.0)
        return mesh_pb2.HeartbeatRequest(node=node, load=4, links=[link], sequence=sequence)

    before = api.mesh.GetNode(mesh_pb2.GetNodeRequest(node="c"), metadata=api.md, timeout=10)
    batches = [
        mesh_pb2.HeartbeatBatch(
            sequence=1,
            heartbeats=[
                beat("b", sequence=10),  # its own node: accepted
                beat("c", sequence=11),  # another node's id
                beat("nope", sequence=12),
                beat("b", rtt=math.nan, sequence=13),
            ],
        ),
        mesh_pb2.HeartbeatBatch(sequence=2, heartbeats=[beat("b", sequence=20)]),  # the stream goes on
    ]
    responses = list(api.mesh.StreamHeartbeatBatches(iter(batches), metadata=bearer(api.tokens["b"]), timeout=10))
    assert [(r.sequence, r.accepted, r.rejected) for r in responses] == [(1, 1, 3), (2, 1, 0)]
    refused = [(x.index, x.sequence, x.code) for x in responses[0].refusals]
    assert refused == [(1, 11, "PERMISSION_DENIED"), (2, 12, "NOT_FOUND"), (3, 13, "INVALID_ARGUMENT")]
    after = api.mesh.GetNode(mesh_pb2.GetNodeRequest(node="c"), metadata=api.md, timeout=10)
    assert (after.current_load, after.link_count) == (before.current_load, before.link_count)
    # An operator (or gateway) token may send many nodes' beats in one batch.
    gateway = mesh_pb2.HeartbeatBatch(sequence=3, heartbeats=[beat(n, sequence=i) for i, n in enumerate("bcd")])
    (response,) = api.mesh.StreamHeartbeatBatches(iter([gateway]), metadata=api.md, timeout=10)
    assert (response.accepted, response.rejected) == (3, 0)
    assert api.route("a", "e").paths[0].names == ["a", "b", "e"]


def test_an_operator_without_mesh_heartbeat_cannot_register_and_nothing_is_written(api: Api) -> None:
    credentials = access_pb2_grpc.CredentialServiceStub(api.channel)
    issued = credentials.IssueToken(
        access_pb2.IssueTokenRequest(ttl_seconds=600, scopes=["mesh:write", "mesh:read"]), metadata=api.md, timeout=10
    )
    request = mesh_pb2.RegisterNodeRequest(name="scoped", address="scoped:1")
    with pytest.raises(grpc.RpcError) as refused:
        api.mesh.RegisterNode(request, metadata=bearer(issued.token), timeout=10)
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "mesh:heartbeat" in (refused.value.details() or "")
    code = api.code(api.mesh.GetNode, mesh_pb2.GetNodeRequest(node="scoped"))
    assert code is grpc.StatusCode.NOT_FOUND
    assert "scoped" not in str(api.snapshot()["mesh_nodes"])


def test_quarantine_reroutes_a_stored_route_and_explain_names_the_evidence(api: Api) -> None:
    stored = api.route("e", "a", store=True)
    assert stored.paths[0].names == ["e", "b", "a"]
    for reporter in ("c", "d"):
        report = mesh_pb2.ReportEvidenceRequest(node="b", kind=mesh_pb2.EVIDENCE_KIND_RELAY_FAILURE, value=2)
        api.reputation.ReportEvidence(report, metadata=bearer(api.tokens[reporter]), timeout=10)
    ok = mesh_pb2.ReportEvidenceRequest(node="c", kind=mesh_pb2.EVIDENCE_KIND_RELAY_SUCCESS, value=3)
    api.reputation.ReportEvidence(ok, metadata=api.md, timeout=10)  # an operator's report
    explained = api.reputation.ExplainReputation(mesh_pb2.ExplainReputationRequest(node="b"), metadata=api.md)
    kinds = [c.kind for c in explained.contributions]
    assert kinds.count(mesh_pb2.EVIDENCE_KIND_RELAY_FAILURE) == 2
    assert all(c.decayed_weight == pytest.approx(-6.0, rel=1e-3) for c in explained.contributions)  # 3x a success
    assert any("pre-trusted set: anchors a" in line for line in explained.summary)
    quarantine = mesh_pb2.QuarantineNodeRequest(node="b", reason="drops relayed packets")
    quarantine.duration.FromSeconds(300)
    reputation = api.reputation.QuarantineNode(quarantine, metadata=api.md, timeout=10)
    assert reputation.quarantined and reputation.band == mesh_pb2.TRUST_BAND_UNTRUSTED
    after = api.route("a", "e", k=3)
    assert after.paths and all("b" not in p.names for p in after.paths)
    routes = api.mesh.ListRoutes(mesh_pb2.ListRoutesRequest(), metadata=api.md, timeout=10).routes
    moved = next(r for r in routes if r.id == stored.route_id)
    b = api.mesh.GetNode(mesh_pb2.GetNodeRequest(node="b"), metadata=api.md, timeout=10).id
    assert moved.active and b not in moved.path.nodes and len(moved.path.nodes) == 3
    api.reputation.ReleaseNode(mesh_pb2.ReleaseNodeRequest(node="b"), metadata=api.md, timeout=10)


def test_a_restarted_daemon_rebuilds_nodes_links_and_stored_routes_from_the_database(
    api: Api, mesh_daemon: Daemon
) -> None:
    kept = api.route("d", "b", store=True)
    assert kept.paths[0].names == ["d", "a", "b"]
    paths = [list(p.names) for p in api.route("a", "e", k=3).paths]
    before = {n: api.mesh.GetNode(mesh_pb2.GetNodeRequest(node=n), metadata=api.md, timeout=10) for n in TOPOLOGY}
    assert mesh_daemon.stop() == 0  # a clean stop writes what is pending
    mesh_daemon.start()
    again = Api(mesh_daemon)
    try:
        for name, node in before.items():
            now = again.mesh.GetNode(mesh_pb2.GetNodeRequest(node=name), metadata=again.md, timeout=10)
            assert (now.id, now.link_count, now.anchor) == (node.id, node.link_count, node.anchor)
        assert [list(p.names) for p in again.route("a", "e", k=3).paths] == paths
        routes = again.mesh.ListRoutes(mesh_pb2.ListRoutesRequest(), metadata=again.md, timeout=10).routes
        assert kept.route_id in {r.id for r in routes}
        # The reloaded stored route is live: quarantining its relay moves it at once.
        quarantine = mesh_pb2.QuarantineNodeRequest(node="a", reason="maintenance")
        again.reputation.QuarantineNode(quarantine, metadata=again.md, timeout=10)
        routes = again.mesh.ListRoutes(mesh_pb2.ListRoutesRequest(), metadata=again.md, timeout=10).routes
        moved = next(r for r in routes if r.id == kept.route_id)
        ids = {n: before[n].id for n in ("d", "e", "b")}
        assert moved.active and list(moved.path.nodes) == [ids["d"], ids["e"], ids["b"]]
    finally:
        again.channel.close()
