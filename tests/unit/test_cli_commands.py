"""What a healthy daemon cannot be made to answer, against an in-process SystemService on a unix socket: the
DEGRADED/NOT_SERVING/STOPPING states, an INTERNAL error, a multi-field BadRequest, a skewed server clock, an
event stream that ends. Everything else runs against a real daemon: tests/e2e/test_cli.py, test_cli_system.py."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from google.protobuf import duration_pb2, struct_pb2, timestamp_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2
from grpc_health.v1 import health_pb2_grpc as health_grpc
from grpc_status import rpc_status

from auralink.v1 import common_pb2, system_pb2, system_pb2_grpc

REPO = Path(__file__).resolve().parents[2]
TOKEN = "good-token"


class _Status(collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status):
    pass


@dataclass
class FakeSystem(system_pb2_grpc.SystemServiceServicer):
    """Answers like auralinkd; `fail_with` makes GetStatus fail with a given status."""

    state: int = common_pb2.SERVING_STATE_SERVING
    fail_with: status_pb2.Status | None = None
    server_time_offset: float = 0.0
    events: list[system_pb2.Event] = field(default_factory=list)
    seen_metadata: list[dict[str, str]] = field(default_factory=list)

    def _auth(self, context: grpc.ServicerContext) -> None:
        md = dict(context.invocation_metadata())
        self.seen_metadata.append(md)
        if md.get("authorization") != f"Bearer {TOKEN}":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid or expired token")

    def GetStatus(
        self, request: system_pb2.GetStatusRequest, context: grpc.ServicerContext
    ) -> system_pb2.GetStatusResponse:
        self._auth(context)
        if self.fail_with is not None:
            status = rpc_status.to_status(self.fail_with)
            trailing = (*status.trailing_metadata, ("x-request-id", "srv-req-1"))
            context.abort_with_status(_Status(status.code, status.details, trailing))
        return system_pb2.GetStatusResponse(
            version="9.9.9",
            uptime=duration_pb2.Duration(seconds=61),
            started_at=timestamp_pb2.Timestamp(seconds=1_700_000_000),
            state=self.state,
            database=system_pb2.DatabaseStatus(reachable=True, embedded=True, server_version="16.2", pool_size=5),
            redis=system_pb2.RedisStatus(configured=False),
            services=[system_pb2.ServiceStatus(name="memory", state=common_pb2.SERVING_STATE_SERVING)],
            rpc=system_pb2.RpcStats(calls_total=5),
        )

    def WatchEvents(
        self, request: system_pb2.WatchEventsRequest, context: grpc.ServicerContext
    ) -> Iterator[system_pb2.Event]:
        self._auth(context)
        yield system_pb2.Event(heartbeat=True)
        for event in self.events:
            if not request.topics or any(event.topic.startswith(t) for t in request.topics):
                yield event

    def Ping(self, request: system_pb2.PingRequest, context: grpc.ServicerContext) -> system_pb2.PingResponse:
        self._auth(context)
        now = timestamp_pb2.Timestamp()
        now.FromNanoseconds(int((time.time() + self.server_time_offset) * 1e9))
        return system_pb2.PingResponse(payload=request.payload, server_time=now)


@dataclass
class FakeDaemon:
    address: str
    data_dir: Path
    system: FakeSystem
    env: dict[str, str]


@pytest.fixture
def fake_daemon(tmp_path: Path) -> Iterator[FakeDaemon]:
    data_dir = Path(tempfile.mkdtemp(prefix="alcli", dir="/tmp"))  # short: unix socket paths max 107 bytes
    system = FakeSystem()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    system_pb2_grpc.add_SystemServiceServicer_to_server(system, server)
    health_servicer = health.HealthServicer()
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"unix://{data_dir}/auralinkd.sock"
    server.add_insecure_port(address)
    server.start()
    (data_dir / "admin.token").write_text(TOKEN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    env.update(AURALINK_DATA_DIR=str(data_dir), AURALINK_CONFIG=str(tmp_path / "config.toml"))
    try:
        yield FakeDaemon(address, data_dir, system, env)
    finally:
        server.stop(None)
        shutil.rmtree(data_dir, ignore_errors=True)


def run(daemon: FakeDaemon, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from auralink_cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env={**daemon.env, **(env or {})},
        cwd=REPO,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (common_pb2.SERVING_STATE_DEGRADED, 7),
        (common_pb2.SERVING_STATE_NOT_SERVING, 8),
        (common_pb2.SERVING_STATE_STARTING, 8),
        (common_pb2.SERVING_STATE_STOPPING, 8),
    ],
)
def test_status_exit_code_follows_the_state(fake_daemon: FakeDaemon, state: int, code: int) -> None:
    fake_daemon.system.state = state
    proc = run(fake_daemon, "status")
    assert proc.returncode == code
    assert common_pb2.ServingState.Name(state).removeprefix("SERVING_STATE_") in proc.stdout


def test_bad_request_violations_are_listed_on_the_error_line(fake_daemon: FakeDaemon) -> None:
    bad = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="name", description="must not be empty"),
            error_details_pb2.BadRequest.FieldViolation(field="temperature", description="must be <= 2, got 3.5"),
        ]
    )
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message="invalid request")
    status.details.add().Pack(bad)
    fake_daemon.system.fail_with = status
    proc = run(fake_daemon, "status")
    assert proc.returncode == 2
    assert proc.stderr == ("error: invalid request: name: must not be empty; temperature: must be <= 2, got 3.5\n")


def test_internal_errors_exit_1_and_carry_the_request_id(fake_daemon: FakeDaemon) -> None:
    fake_daemon.system.fail_with = status_pb2.Status(code=code_pb2.INTERNAL, message="internal error")
    proc = run(fake_daemon, "status")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "(request id srv-req-1)" in proc.stderr


def test_doctor_flags_clock_skew(fake_daemon: FakeDaemon) -> None:
    fake_daemon.system.server_time_offset = 60.0
    checks = {c["name"]: c for c in json.loads(run(fake_daemon, "doctor", "-o", "json").stdout)["checks"]}
    assert not checks["clock"]["ok"] and checks["clock"]["hint"]


def test_doctor_without_a_daemon_fails_with_hints(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    env.update(AURALINK_DATA_DIR=str(tmp_path), AURALINK_CONFIG=str(tmp_path / "c.toml"))
    proc = subprocess.run(
        [sys.executable, "-c", "from auralink_cli.main import main; main()", "doctor"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "hint:" in proc.stdout


def test_events_prints_json_lines_and_skips_heartbeats(fake_daemon: FakeDaemon) -> None:
    data = struct_pb2.Struct()
    data.update({"n": 1})
    fake_daemon.system.events = [
        system_pb2.Event(id="1", topic="system.started", data=data),
        system_pb2.Event(id="2", topic="mesh.node.joined"),
    ]
    # The fake ends the stream after its events, as a daemon shutting down would (here: OK).
    proc = run(fake_daemon, "events", "--topic", "system", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["id"] for e in lines] == ["1"]
    assert lines[0]["data"] == {"n": 1.0} and lines[0]["heartbeat"] is False
