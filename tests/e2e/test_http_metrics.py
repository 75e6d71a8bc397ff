"""The daemon's optional HTTP listener and its Prometheus `/metrics`: off by default, on at AURALINK_HTTP_ADDRESS."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from auralink.v1 import compression_pb2 as cpb
from auralink.v1 import compression_pb2_grpc, memory_pb2, memory_pb2_grpc, system_pb2, system_pb2_grpc
from tests.support import Daemon, bearer, daemon_env, free_port, short_tempdir

BOUNDED_LABELS = {"method", "code", "state", "frame_type", "mode", "direction", "reason", "provider", "kind", "le"}


@pytest.fixture
def http_daemon(pg16_fresh_dsn: str) -> Iterator[tuple[Daemon, str]]:
    root = short_tempdir()
    address = f"127.0.0.1:{free_port()}"
    daemon = Daemon(root / "d", daemon_env(root / "d", database_url=pg16_fresh_dsn, http_address=address))
    try:
        yield daemon.start(), f"http://{address}"
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, parsed by prometheus_client's own parser (it raises on malformed text)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _drive_some_calls(daemon: Daemon) -> None:
    md = bearer(daemon.token)
    with daemon.channel() as channel:
        system = system_pb2_grpc.SystemServiceStub(channel)
        for _ in range(3):
            system.Ping(system_pb2.PingRequest(), metadata=md, timeout=5)
        with pytest.raises(grpc.RpcError) as refused:
            system.Ping(system_pb2.PingRequest(), metadata=bearer("not-a-token"), timeout=5)
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
        memory = memory_pb2_grpc.MemoryServiceStub(channel)
        keyword_only = memory_pb2.RecallWeights(semantic=0.0, keyword=1.0)  # no embedding model to load
        memory.RecallMemories(
            memory_pb2.RecallMemoriesRequest(query="tea", weights=keyword_only), metadata=md, timeout=30
        )
        compression = compression_pb2_grpc.AICCompressionServiceStub(channel)
        session = compression.StartSession(
            cpb.StartSessionRequest(frame_type=cpb.FRAME_TYPE_DATA, format=cpb.StreamFormat(data=cpb.DataFormat())),
            metadata=md, timeout=10,
        ).session_id  # fmt: skip
        frames = iter(
            [cpb.CompressFrameRequest(session_id=session, sequence=i, payload=b"abc" * 200) for i in range(4)]
        )
        assert len(list(compression.CompressStream(frames, metadata=md, timeout=10))) == 4


def test_metrics_count_rpcs_by_method_and_status_with_latency_and_daemon_state(http_daemon) -> None:  # type: ignore[no-untyped-def]
    daemon, base = http_daemon
    _drive_some_calls(daemon)
    response = httpx.get(f"{base}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.text)

    ping = "/auralink.v1.SystemService/Ping"
    assert _value(samples, "auralink_rpc_requests_total", method=ping, code="OK") == 3
    assert _value(samples, "auralink_rpc_requests_total", method=ping, code="UNAUTHENTICATED") == 1
    assert _value(samples, "auralink_rpc_duration_seconds_count", method=ping) == 4
    assert _value(samples, "auralink_rpc_duration_seconds_bucket", method=ping, le="+Inf") == 4
    stream = "/auralink.v1.AICCompressionService/CompressStream"
    assert _value(samples, "auralink_rpc_requests_total", method=stream, code="OK") == 1
    assert _value(samples, "auralink_rpc_streams_active", method=stream) == 0
    assert _value(samples, "auralink_compression_frames_total", frame_type="data", mode="adaptive") == 4
    assert _value(samples, "auralink_compression_sessions", frame_type="data") == 1
    assert _value(samples, "auralink_memory_recall_duration_seconds_count") == 1
    assert _value(samples, "auralink_db_pool_max_connections") == 10
    assert _value(samples, "auralink_db_pool_connections", state="idle") >= 1
    # No Redis configured: no breaker series at all, rather than a made-up state.
    assert not any(name == "auralink_redis_breaker_state" for name, _ in samples)
    # Bounded labels: only these label names exist, and no session id appears anywhere in the scrape.
    assert {name for _, labels in samples for name, _ in labels} <= BOUNDED_LABELS
    assert all(sid not in response.text for sid in _session_ids(daemon))

    promtool = shutil.which("promtool")
    if promtool is not None:  # .ci/run installs it from Debian's prometheus package
        check = subprocess.run([promtool, "check", "metrics"], input=response.text, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr

    # `auralink metrics`: the same scrape for a terminal, or as JSON.
    shown = daemon.cli("-o", "json", "metrics", "--url", f"{base}/metrics")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    ping = next(r for r in data["rpcs"] if r["method"] == "/auralink.v1.SystemService/Ping")
    assert (ping["calls"], ping["errors"]) == (4, 1)
    assert 0 < ping["p50_ms"] <= ping["p99_ms"]
    assert any(s["name"] == "auralink_db_pool_max_connections" and s["value"] == 10 for s in data["samples"])
    table = daemon.cli("metrics", "--url", f"{base}/metrics", "--match", "compression")
    assert table.returncode == 0 and "auralink_compression_frames_total" in table.stdout
    assert "auralink_db_pool" not in table.stdout
    unreachable = daemon.cli("metrics", "--url", f"http://127.0.0.1:{free_port()}/metrics")
    assert unreachable.returncode == 3 and "cannot read" in unreachable.stderr


def _session_ids(daemon: Daemon) -> list[str]:
    with daemon.channel() as channel:
        listed = compression_pb2_grpc.AICCompressionServiceStub(channel).ListSessions(
            cpb.ListSessionsRequest(), metadata=bearer(daemon.token), timeout=5
        )
    return [i for s in listed.sessions for i in (s.session_id, s.user_id)]


def test_the_http_listener_stops_with_the_daemon(http_daemon: tuple[Daemon, str]) -> None:
    daemon, base = http_daemon
    assert httpx.get(f"{base}/no-such-route", timeout=5).status_code == 404
    assert daemon.stop() == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/metrics", timeout=2)
