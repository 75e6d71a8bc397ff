"""Real data for the Pilot tests: a small mesh (a-b-c-d with a detour) registered through the API."""

from __future__ import annotations

import grpc
from google.protobuf.duration_pb2 import Duration

from auralink.v1 import mesh_pb2, mesh_pb2_grpc

# (name, links as (neighbour, rtt_ms, bandwidth_kbps, loss_pct))
MESH: dict[str, list[tuple[str, float, float, float]]] = {
    "alpha": [("bravo", 10.0, 50_000, 0.0), ("delta", 40.0, 20_000, 0.5)],
    "bravo": [("alpha", 10.0, 50_000, 0.0), ("charlie", 12.0, 50_000, 0.0)],
    "charlie": [("bravo", 12.0, 50_000, 0.0), ("delta", 9.0, 40_000, 0.0)],
    "delta": [("charlie", 9.0, 40_000, 0.0), ("alpha", 40.0, 20_000, 0.5)],
}


def seed_mesh(channel: grpc.Channel, token: str) -> None:
    md = (("authorization", f"Bearer {token}"),)
    stub = mesh_pb2_grpc.MeshRoutingServiceStub(channel)
    for i, name in enumerate(MESH):
        stub.RegisterNode(
            mesh_pb2.RegisterNodeRequest(
                name=name,
                address=f"10.0.0.{i + 1}:7000",
                region="eu-west" if i < 2 else "us-east",
                node_type=mesh_pb2.NODE_TYPE_RELAY,
                heartbeat_interval=Duration(seconds=600),
            ),
            metadata=md,
            timeout=10,
        )
    heartbeat(channel, token)


def heartbeat(channel: grpc.Channel, token: str) -> None:
    md = (("authorization", f"Bearer {token}"),)
    stub = mesh_pb2_grpc.MeshRoutingServiceStub(channel)
    for name, links in MESH.items():
        reports = [mesh_pb2.LinkReport(neighbor=n, rtt_ms=r, bandwidth_kbps=b, loss_pct=p) for n, r, b, p in links]
        stub.Heartbeat(mesh_pb2.HeartbeatRequest(node=name, load=5, links=reports), metadata=md, timeout=10)
