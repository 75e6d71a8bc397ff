"""Two daemons behind one database and one Redis behave as one service."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2

from auralink.v1 import access_pb2, access_pb2_grpc, mcp_pb2, mcp_pb2_grpc, system_pb2, system_pb2_grpc
from tests.support import Daemon, bearer, daemon_env, free_port, short_tempdir

TIME_SERVER = str(Path(sys.executable).parent / "mcp-server-time")


@dataclass
class Pair:
    a: Daemon
    b: Daemon
    redis: subprocess.Popen[bytes]


@pytest.fixture
def replicas(pg16_fresh_dsn: str) -> Iterator[Pair]:
    root = short_tempdir()
    port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shared = {
        "database_url": pg16_fresh_dsn,
        "redis_url": f"redis://127.0.0.1:{port}/0",
        "jwt_secret": secrets.token_urlsafe(48),
        "mcp_stdio_commands": TIME_SERVER,
    }
    a = Daemon(root / "a", daemon_env(root / "a", **shared))
    b = Daemon(root / "b", daemon_env(root / "b", **shared))
    try:
        time.sleep(0.3)
        a.start()
        b.start()
        yield Pair(a, b, redis)
    finally:
        a.stop()
        b.stop()
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def _status_code(daemon: Daemon, token: str) -> grpc.StatusCode:
    with daemon.channel() as channel:
        try:
            system_pb2_grpc.SystemServiceStub(channel).Ping(system_pb2.PingRequest(), metadata=bearer(token), timeout=5)
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_a_token_revoked_on_one_replica_is_refused_by_the_other(replicas: Pair) -> None:
    admin = replicas.a.token
    with replicas.a.channel() as channel:
        issued = access_pb2_grpc.CredentialServiceStub(channel).IssueToken(
            access_pb2.IssueTokenRequest(scopes=["system:ping"]), metadata=bearer(admin), timeout=5
        )
    assert _status_code(replicas.b, issued.token) is grpc.StatusCode.OK  # B has verified and cached it

    with replicas.a.channel() as channel:
        access_pb2_grpc.CredentialServiceStub(channel).RevokeToken(
            access_pb2.RevokeTokenRequest(token_id=issued.token_id), metadata=bearer(admin), timeout=5
        )
    revoked_at = time.monotonic()
    while _status_code(replicas.b, issued.token) is grpc.StatusCode.OK:
        # The bus carries it in milliseconds; the periodic reload bounds it at 5 s even without Redis.
        assert time.monotonic() - revoked_at < 5.0, "replica B still accepts a revoked token after 5 s"
        time.sleep(0.02)
    assert _status_code(replicas.b, issued.token) is grpc.StatusCode.UNAUTHENTICATED


def test_events_published_on_one_replica_reach_watchers_on_the_other(replicas: Pair) -> None:
    received: list[system_pb2.Event] = []
    ready = threading.Event()

    def watch() -> None:
        with replicas.b.channel() as channel:
            request = system_pb2.WatchEventsRequest(topics=["access."])
            stream = system_pb2_grpc.SystemServiceStub(channel).WatchEvents(
                request, metadata=bearer(replicas.b.token), timeout=15
            )
            try:
                for event in stream:
                    ready.set()
                    if not event.heartbeat:
                        received.append(event)
                        return
            except grpc.RpcError:
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert ready.wait(10)
    with replicas.a.channel() as channel:
        issued = access_pb2_grpc.CredentialServiceStub(channel).IssueToken(
            access_pb2.IssueTokenRequest(scopes=["system:ping"]), metadata=bearer(replicas.a.token), timeout=5
        )
        access_pb2_grpc.CredentialServiceStub(channel).RevokeToken(
            access_pb2.RevokeTokenRequest(token_id=issued.token_id), metadata=bearer(replicas.a.token), timeout=5
        )
    watcher.join(15)
    assert received, "no event crossed from replica A to replica B"
    assert received[0].topic == "access.token.revoked"
    assert received[0].data["token_id"] == issued.token_id
    assert received[0].replica_id != ""


def test_a_role_granted_on_one_replica_takes_effect_on_the_other_within_a_second(replicas: Pair) -> None:
    admin = bearer(replicas.a.token)
    with replicas.a.channel() as channel:
        user = access_pb2_grpc.UserServiceStub(channel).CreateUser(
            access_pb2.CreateUserRequest(user=access_pb2.User(email="ann@example.com", username="ann")),
            metadata=admin,
            timeout=10,
        )
        issued = access_pb2_grpc.CredentialServiceStub(channel).IssueToken(
            access_pb2.IssueTokenRequest(user=user.id, scopes=["audit:read"]), metadata=admin, timeout=10
        )

    def list_audit_on_b() -> grpc.StatusCode:
        with replicas.b.channel() as channel:
            try:
                access_pb2_grpc.AuditServiceStub(channel).ListAuditLogs(
                    access_pb2.ListAuditLogsRequest(page_size=1), metadata=bearer(issued.token), timeout=5
                )
            except grpc.RpcError as exc:
                return exc.code()
        return grpc.StatusCode.OK

    assert list_audit_on_b() is grpc.StatusCode.PERMISSION_DENIED  # B has now cached ann's permissions
    with replicas.a.channel() as channel:
        roles = access_pb2_grpc.RoleServiceStub(channel)
        roles.CreateRole(
            access_pb2.CreateRoleRequest(role=access_pb2.Role(name="auditor", permissions=["audit:read"])),
            metadata=admin,
            timeout=10,
        )
        roles.AssignRole(access_pb2.AssignRoleRequest(role="auditor", user=user.id), metadata=admin, timeout=10)
    granted_at = time.monotonic()
    while list_audit_on_b() is not grpc.StatusCode.OK:
        # The promise is one second; the margin absorbs a loaded CI machine's scheduling.
        assert time.monotonic() - granted_at < 3.0, "replica B still refuses after the grant"
        time.sleep(0.02)


def _call_time(daemon: Daemon) -> grpc.StatusCode:
    arguments = struct_pb2.Struct()
    arguments.update({"timezone": "UTC"})
    request = mcp_pb2.CallToolRequest(connection="clock", tool="get_current_time", arguments=arguments)
    with daemon.channel() as channel:
        try:
            mcp_pb2_grpc.MCPServiceStub(channel).CallTool(request, metadata=bearer(daemon.token), timeout=30)
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_an_mcp_connection_deleted_on_one_replica_is_gone_on_the_other_at_once(replicas: Pair) -> None:
    connection = mcp_pb2.MCPConnection(name="clock", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=TIME_SERVER)
    with replicas.a.channel() as channel:
        mcp_pb2_grpc.MCPServiceStub(channel).CreateConnection(
            mcp_pb2.CreateConnectionRequest(connection=connection), metadata=bearer(replicas.a.token), timeout=30
        )
    assert _call_time(replicas.b) is grpc.StatusCode.OK  # B has the row cached and its own session

    with replicas.a.channel() as channel:
        mcp_pb2_grpc.MCPServiceStub(channel).DeleteConnection(
            mcp_pb2.DeleteConnectionRequest(connection="clock"), metadata=bearer(replicas.a.token), timeout=30
        )
    deleted_at = time.monotonic()
    while _call_time(replicas.b) is grpc.StatusCode.OK:
        # The bus carries the change in milliseconds; B's cache would keep the row for 5 s without it.
        assert time.monotonic() - deleted_at < 2.5, "replica B still calls a deleted connection's tool"
        time.sleep(0.02)
    assert _call_time(replicas.b) is grpc.StatusCode.NOT_FOUND
