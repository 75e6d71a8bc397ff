"""`auralink mesh` and `auralink reputation`: parsing, request building and pinned JSON shapes, against
in-process fake services on a unix socket (the real daemon is in tests/e2e/test_cli_mesh.py)."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from auralink.v1 import mesh_pb2, mesh_pb2_grpc
from auralink_cli.commands.mesh import parse_link, parse_weights
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.main import main

NODE_ID = "6f1c9a52-0d3e-4c5b-9a7f-1e2d3c4b5a69"


class FakeMesh(mesh_pb2_grpc.MeshRoutingServiceServicer, mesh_pb2_grpc.ReputationServiceServicer):
    def __init__(self) -> None:
        self.requests: dict[str, Any] = {}

    def FindOptimalRoute(self, request: Any, context: Any) -> mesh_pb2.FindOptimalRouteResponse:
        self.requests["FindOptimalRoute"] = request
        hop = mesh_pb2.RouteHop(
            from_node="id-a",
            to_node="id-b",
            to_name="b",
            latency_ms=5.0,
            bandwidth_kbps=1000.0,
            etx=1.0,
            relay_trust=0.5,
        )
        path = mesh_pb2.RoutePath(
            nodes=["id-a", "id-b"],
            names=["a", "b"],
            hops=[hop],
            cost=12.5,
            latency_ms=5.0,
            bottleneck_bandwidth_kbps=1000,
        )
        return mesh_pb2.FindOptimalRouteResponse(
            paths=[path], reason="only 1 loop-free path(s) satisfy the constraints"
        )

    def ListNodes(self, request: Any, context: Any) -> mesh_pb2.ListNodesResponse:
        self.requests["ListNodes"] = request
        node = mesh_pb2.MeshNode(
            id=NODE_ID,
            name="relay-1",
            address="relay-1:7000",
            region="eu",
            node_type=mesh_pb2.NODE_TYPE_RELAY,
            state=mesh_pb2.NODE_STATE_SUSPECT,
            capacity=100,
            current_load=7,
            trust=0.42,
            trust_band=mesh_pb2.TRUST_BAND_MEDIUM,
            link_count=3,
        )
        node.heartbeat_interval.FromSeconds(2)
        return mesh_pb2.ListNodesResponse(nodes=[node])

    def Heartbeat(self, request: Any, context: Any) -> mesh_pb2.HeartbeatResponse:
        self.requests["Heartbeat"] = request
        response = mesh_pb2.HeartbeatResponse(state=mesh_pb2.NODE_STATE_ALIVE, sequence=request.sequence)
        response.interval.FromMilliseconds(2500)
        return response

    def ExplainReputation(self, request: Any, context: Any) -> mesh_pb2.ReputationExplanation:
        self.requests["ExplainReputation"] = request
        evidence = struct_pb2.Struct()
        evidence.update({"dropped": 12})
        return mesh_pb2.ReputationExplanation(
            reputation=mesh_pb2.NodeReputation(node=NODE_ID, name="relay-1", trust=0.1, band=mesh_pb2.TRUST_BAND_LOW),
            contributions=[
                mesh_pb2.EvidenceContribution(
                    event_id="ev-1",
                    kind=mesh_pb2.EVIDENCE_KIND_MISBEHAVIOR,
                    reporter="id-a",
                    reporter_name="a",
                    reporter_trust=0.8,
                    decayed_weight=-5.0,
                    impact=-4.0,
                    time=timestamp_pb2.Timestamp(seconds=1_700_000_000),
                    evidence=evidence,
                )
            ],
            summary=["trust 0.100 (low)", "trust flows in from a (0.010000)"],
        )

    def ReportEvidence(self, request: Any, context: Any) -> mesh_pb2.ReportEvidenceResponse:
        self.requests["ReportEvidence"] = request
        return mesh_pb2.ReportEvidenceResponse(event_id="ev-2", reputation=mesh_pb2.NodeReputation(node=NODE_ID))


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMesh]:
    sock_dir = Path(tempfile.mkdtemp(prefix="almesh", dir="/tmp"))  # unix socket paths max 107 bytes
    service = FakeMesh()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    mesh_pb2_grpc.add_MeshRoutingServiceServicer_to_server(service, server)
    mesh_pb2_grpc.add_ReputationServiceServicer_to_server(service, server)
    address = f"unix://{sock_dir}/fake.sock"
    server.add_insecure_port(address)
    server.start()
    for name in [k for k in os.environ if k.startswith("AURALINK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AURALINK_ADDRESS", address)
    monkeypatch.setenv("AURALINK_TOKEN", "admin-token")
    monkeypatch.setenv("AURALINK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    try:
        yield service
    finally:
        server.stop(None)
        shutil.rmtree(sock_dir, ignore_errors=True)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def test_link_and_weights_parsing_refuse_bad_text_with_usage_errors() -> None:
    link = parse_link("b:12.5:1000:0.5:3")
    assert (link.neighbor, link.rtt_ms, link.bandwidth_kbps, link.loss_pct, link.cost) == ("b", 12.5, 1000, 0.5, 3)
    assert not parse_link("b:1:2:3").HasField("cost")
    assert parse_weights("latency=2,cost=0.5") == {"latency": 2.0, "cost": 0.5}
    for bad in ("b:1:2", "b:x:2:3"):
        with pytest.raises(CliError) as raised:
            parse_link(bad)
        assert raised.value.exit_code == USAGE
    for bad in ("speed=1", "latency=fast"):
        with pytest.raises(CliError) as raised:
            parse_weights(bad)
        assert raised.value.exit_code == USAGE


def test_route_sends_constraints_and_weights_over_the_defaults_and_pins_the_json(fake: FakeMesh, capsys: Any) -> None:
    code, out, err = cli(
        capsys,
        "mesh", "route", "a", "b", "--k", "3", "--max-hops", "4", "--min-bandwidth", "500",
        "--exclude", "x", "--exclude", "y", "--min-trust", "0.2", "--weights", "latency=2,cost=1", "-o", "json",
    )  # fmt: skip
    assert code == 0, err
    sent = fake.requests["FindOptimalRoute"]
    assert (sent.source, sent.destination, sent.k, sent.store) == ("a", "b", 3, False)
    assert (sent.weights.latency, sent.weights.bandwidth, sent.weights.reliability, sent.weights.cost) == (
        2,
        0.2,
        0.5,
        1,
    )
    assert (sent.constraints.max_hops, sent.constraints.min_bandwidth_kbps) == (4, 500)
    assert list(sent.constraints.excluded_nodes) == ["x", "y"] and sent.constraints.min_relay_trust == 0.2
    assert json.loads(out) == {
        "paths": [
            {
                "nodes": ["id-a", "id-b"],
                "names": ["a", "b"],
                "hops": [
                    {
                        "from_node": "id-a",
                        "to_node": "id-b",
                        "to_name": "b",
                        "latency_ms": 5.0,
                        "bandwidth_kbps": 1000.0,
                        "loss_pct": 0.0,
                        "etx": 1.0,
                        "cost": 0.0,
                        "relay_trust": 0.5,
                    }
                ],
                "cost": 12.5,
                "latency_ms": 5.0,
                "bottleneck_bandwidth_kbps": 1000.0,
            }
        ],
        "reason": "only 1 loop-free path(s) satisfy the constraints",
        "route_id": "",
    }
    code, out, _ = cli(capsys, "mesh", "route", "a", "b")
    assert code == 0 and "primary: a -> b  (1 hops, 5.0 ms" in out and "only 1 loop-free" in out
    assert not fake.requests["FindOptimalRoute"].HasField("weights")  # the server's defaults


def test_nodes_list_json_shape_and_table(fake: FakeMesh, capsys: Any) -> None:
    code, out, err = cli(capsys, "mesh", "nodes", "list", "--state", "suspect", "--region", "eu", "-o", "json")
    assert code == 0, err
    assert fake.requests["ListNodes"].state == mesh_pb2.NODE_STATE_SUSPECT
    node = json.loads(out)["nodes"][0]
    assert set(node) == {
        "id", "name", "address", "region", "node_type", "state", "capabilities", "capacity", "current_load",
        "public_key", "anchor", "quarantined", "quarantine_reason", "quarantine_expire_time", "heartbeat_interval",
        "last_heartbeat_time", "state_change_time", "create_time", "trust", "trust_band", "link_count",
    }  # fmt: skip
    assert (node["state"], node["node_type"], node["trust_band"]) == ("SUSPECT", "RELAY", "MEDIUM")
    assert node["heartbeat_interval"] == 2.0 and node["last_heartbeat_time"] is None
    code, out, _ = cli(capsys, "mesh", "nodes", "list")
    assert code == 0 and "relay-1" in out and "7/100" in out and "0.42 MEDIUM" in out
    code, _, err = cli(capsys, "mesh", "nodes", "list", "--state", "dead")
    assert code == USAGE and "--state" in err


def test_heartbeat_builds_links_and_pins_the_json(fake: FakeMesh, capsys: Any) -> None:
    code, out, err = cli(capsys, "mesh", "heartbeat", "n1", "--load", "3", "--link", "n2:10:5000:1", "-o", "json")
    assert code == 0, err
    sent = fake.requests["Heartbeat"]
    assert sent.node == "n1" and sent.load == 3 and sent.links[0].neighbor == "n2" and sent.links[0].rtt_ms == 10
    assert json.loads(out) == {"state": "ALIVE", "sequence": 0, "interval": 2.5}


def test_reputation_explain_json_shape_and_readable_table(fake: FakeMesh, capsys: Any) -> None:
    code, out, err = cli(capsys, "reputation", "explain", "relay-1", "--limit", "5", "-o", "json")
    assert code == 0, err
    assert fake.requests["ExplainReputation"].limit == 5
    data = json.loads(out)
    assert set(data) == {"reputation", "contributions", "summary"}
    assert data["contributions"][0] == {
        "event_id": "ev-1",
        "kind": "MISBEHAVIOR",
        "reporter": "id-a",
        "reporter_name": "a",
        "reporter_trust": 0.8,
        "decayed_weight": -5.0,
        "impact": -4.0,
        "time": "2023-11-14T22:13:20Z",
        "evidence": {"dropped": 12.0},
    }
    assert data["reputation"]["band"] == "LOW"
    code, out, _ = cli(capsys, "reputation", "explain", "relay-1")
    assert code == 0 and "trust flows in from a" in out and "MISBEHAVIOR" in out and "-4.000" in out


def test_reputation_report_sends_the_kind_and_evidence_and_refuses_bad_json(fake: FakeMesh, capsys: Any) -> None:
    code, out, err = cli(
        capsys, "reputation", "report", "relay-1", "misbehavior", "--evidence", '{"dropped": 3}', "-o", "json"
    )
    assert code == 0, err
    sent = fake.requests["ReportEvidence"]
    assert sent.kind == mesh_pb2.EVIDENCE_KIND_MISBEHAVIOR and dict(sent.evidence) == {"dropped": 3.0}
    assert json.loads(out)["event_id"] == "ev-2"
    code, _, err = cli(capsys, "reputation", "report", "relay-1", "misbehavior", "--evidence", "[1")
    assert code == USAGE and "--evidence" in err
    code, _, err = cli(capsys, "reputation", "report", "relay-1", "lying")
    assert code == USAGE
