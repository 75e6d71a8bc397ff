"""The daemon's life: embedded start, readiness that follows the database, Redis loss, drain on SIGTERM."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import grpc
import pytest

from auralink.v1 import common_pb2, system_pb2, system_pb2_grpc
from auralinkd.db.migrate import discover
from tests.support import BIN, Daemon, EmbeddedServer, bearer, daemon_env, free_port, short_tempdir

LATEST_MIGRATION = len(discover())


def _status(daemon: Daemon) -> system_pb2.GetStatusResponse:
    with daemon.channel() as channel:
        return system_pb2_grpc.SystemServiceStub(channel).GetStatus(
            system_pb2.GetStatusRequest(), metadata=bearer(daemon.token), timeout=5
        )


def _wait_for_state(daemon: Daemon, state: int, timeout_s: float = 20) -> system_pb2.GetStatusResponse:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = _status(daemon)
        if last.state == state:
            return last
        time.sleep(0.1)
    raise AssertionError(f"state never became {common_pb2.ServingState.Name(state)}; last status:\n{last}")


def _ping(daemon: Daemon, delay_s: float = 0.0, timeout_s: float = 10) -> system_pb2.PingResponse:
    request = system_pb2.PingRequest(payload=b"x")
    if delay_s:
        request.delay.FromMilliseconds(int(delay_s * 1000))
    with daemon.channel() as channel:
        return system_pb2_grpc.SystemServiceStub(channel).Ping(
            request, metadata=bearer(daemon.token), timeout=timeout_s
        )


@pytest.fixture
def workspace() -> Iterator:
    root = short_tempdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_the_embedded_default_reaches_serving_with_pgvector_and_grpcurl_lists_services(workspace) -> None:
    daemon = Daemon(workspace / "d", daemon_env(workspace / "d"))
    daemon.start()
    try:
        status = _status(daemon)
        assert status.state == common_pb2.SERVING_STATE_SERVING
        assert status.database.embedded and status.database.has_pgvector
        assert status.database.server_version.startswith("16.")
        assert status.database.migration_level == LATEST_MIGRATION and status.database.migrations_pending == 0
        assert (workspace / "d" / "pg" / "PG_VERSION").exists()

        listed = subprocess.run(
            [str(BIN / "grpcurl"), "-plaintext", "-unix", str(daemon.socket), "list"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert listed.returncode == 0, listed.stderr
        assert {"auralink.v1.SystemService", "grpc.health.v1.Health"} <= set(listed.stdout.split())
    finally:
        assert daemon.stop() == 0
    # Shutdown stopped the embedded PostgreSQL too and removed the socket.
    assert not (workspace / "d" / "pg" / "postmaster.pid").exists()
    assert not daemon.socket.exists()


def test_readiness_waits_for_the_database_and_follows_it_down_and_up(workspace) -> None:
    server = EmbeddedServer(workspace / "pg")
    dsn = server.start()
    server.stop()  # the daemon starts while its database is down
    daemon = Daemon(workspace / "d", daemon_env(workspace / "d", database_url=dsn, db_connect_attempts="30"))
    daemon.start(wait=False)
    try:
        daemon.wait_health("NOT_SERVING", timeout_s=30)
        time.sleep(1.0)
        assert daemon.health() == "NOT_SERVING"  # not ready while the database is missing

        server.start()
        daemon.wait_health("SERVING", timeout_s=60)
        assert _status(daemon).state == common_pb2.SERVING_STATE_SERVING

        server.stop()
        daemon.wait_health("NOT_SERVING", timeout_s=20)
        status = _wait_for_state(daemon, common_pb2.SERVING_STATE_NOT_SERVING)
        assert not status.database.reachable
        assert any("database unreachable" in reason for reason in status.reasons)
        assert _ping(daemon).payload == b"x"  # the daemon itself still answers

        server.start()
        daemon.wait_health("SERVING", timeout_s=30)
        assert _wait_for_state(daemon, common_pb2.SERVING_STATE_SERVING).database.reachable
    finally:
        daemon.stop()
        server.stop()


def test_redis_loss_is_degraded_but_serving_and_recovery_is_seen(pg16_fresh_dsn: str, workspace) -> None:
    port = free_port()
    redis_cmd = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(workspace),
    ]  # fmt: skip
    redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    daemon = Daemon(
        workspace / "d",
        daemon_env(workspace / "d", database_url=pg16_fresh_dsn, redis_url=f"redis://127.0.0.1:{port}/0"),
    )
    try:
        time.sleep(0.3)
        daemon.start()
        status = _wait_for_state(daemon, common_pb2.SERVING_STATE_SERVING)
        assert status.redis.configured and status.redis.up

        redis.terminate()
        redis.wait(10)
        status = _wait_for_state(daemon, common_pb2.SERVING_STATE_DEGRADED)
        assert not status.redis.up and status.redis.breaker_state in ("open", "half_open")
        assert any("redis unavailable" in reason for reason in status.reasons)
        assert daemon.health() == "SERVING"  # degraded is still serving
        assert _ping(daemon).payload == b"x"

        redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        status = _wait_for_state(daemon, common_pb2.SERVING_STATE_SERVING)
        assert status.redis.up and status.redis.breaker_state == "closed"
    finally:
        daemon.stop()
        redis.terminate()
        redis.wait(10)


def test_sigterm_drains_in_flight_calls_then_exits_cleanly(daemon: Daemon) -> None:
    results: dict[str, object] = {}

    def slow_call() -> None:
        try:
            results["reply"] = _ping(daemon, delay_s=1.5)
        except grpc.RpcError as exc:  # pragma: no cover - reported by the assertion below
            results["error"] = exc

    worker = threading.Thread(target=slow_call)
    worker.start()
    time.sleep(0.5)
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGTERM)
    worker.join(20)
    assert "error" not in results, results.get("error")
    assert results["reply"].payload == b"x"
    assert daemon.proc.wait(20) == 0
    assert "shutting down" in daemon.logs() and "stopped" in daemon.logs()


def test_a_second_daemon_on_the_same_data_dir_is_refused(daemon: Daemon) -> None:
    second = subprocess.run(
        [str(BIN / "auralinkd"), "serve"], env=daemon.env, capture_output=True, text=True, timeout=60
    )
    assert second.returncode == 3
    assert "another auralinkd is running" in second.stderr
    assert daemon.health() == "SERVING"


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"log_level": "loud"}, "AURALINK_LOG_LEVEL"),
        ({"env": "production"}, "AURALINK_JWT_SECRET"),
        ({"env": "production", "jwt_secret": "too-short"}, "AURALINK_JWT_SECRET"),
        ({"tcp_address": "no-port-here"}, "AURALINK_TCP_ADDRESS"),
        ({"db_pool_max_size": "many"}, "AURALINK_DB_POOL_MAX_SIZE"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_the_variable(workspace, settings, variable) -> None:
    result = subprocess.run(
        [str(BIN / "auralinkd"), "serve"], env=daemon_env(workspace / "d", **settings),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_status_and_apply_commands(workspace, pg16_empty_dsn: str) -> None:
    env = daemon_env(workspace / "d", database_url=pg16_empty_dsn)
    before = subprocess.run([str(BIN / "auralinkd"), "migrate", "--status"], env=env, capture_output=True, text=True)
    assert before.returncode == 1 and "pending  001_initial_schema.sql" in before.stdout
    applied = subprocess.run([str(BIN / "auralinkd"), "migrate"], env=env, capture_output=True, text=True)
    assert applied.returncode == 0 and f"level {LATEST_MIGRATION}, 0 pending" in applied.stdout
    after = subprocess.run([str(BIN / "auralinkd"), "migrate", "--status"], env=env, capture_output=True, text=True)
    assert after.returncode == 0 and "pending  " not in after.stdout
