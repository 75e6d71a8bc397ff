"""AURALINK_HEALTH_ADDRESS: plaintext gRPC health for kubelet's native probes, and nothing else on that port."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from auralink.v1 import system_pb2, system_pb2_grpc
from tests.support import Daemon, bearer, daemon_env, free_port, short_tempdir


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_production_with_tls_answers_plaintext_health_probes_on_the_health_port_only(pg16_fresh_dsn: str) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    root = short_tempdir()
    cert, key = _self_signed(root)
    health_address = f"127.0.0.1:{free_port()}"
    env = daemon_env(
        root / "d", env="production", database_url=pg16_fresh_dsn, tcp_address=f"127.0.0.1:{free_port()}",
        tls_cert_file=str(cert), tls_key_file=str(key), jwt_secret=secrets.token_urlsafe(48),
        provider_kek="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", health_address=health_address,
    )  # fmt: skip
    daemon = Daemon(root / "d", env)
    try:
        daemon.start()
        with grpc.insecure_channel(health_address) as channel:
            for service in ("", "auralink.v1.MemoryService", "liveness"):
                status = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=5
                )
                assert status.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.RpcError) as only_health:
                system_pb2_grpc.SystemServiceStub(channel).Ping(
                    system_pb2.PingRequest(), metadata=bearer(daemon.token), timeout=5
                )
            assert only_health.value.code() is grpc.StatusCode.UNIMPLEMENTED
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
