"""Every RPC needs a valid token and its declared permission; health and reflection stay open."""

from __future__ import annotations

import base64
import json
import time

import grpc
import jwt
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from auralink.v1 import common_pb2, system_pb2, system_pb2_grpc
from auralinkd.access.tokens import TokenService
from tests.support import Daemon, bearer


def _call_status(daemon: Daemon, metadata: tuple[tuple[str, str], ...]) -> grpc.RpcError | None:
    with daemon.channel() as channel:
        try:
            system_pb2_grpc.SystemServiceStub(channel).GetStatus(
                system_pb2.GetStatusRequest(), metadata=metadata, timeout=5
            )
        except grpc.RpcError as exc:
            return exc
    return None


def _daemon_tokens(daemon: Daemon) -> TokenService:
    return TokenService((daemon.data_dir / "jwt.secret").read_text().strip().encode())


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _tamper(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged_payload}.{signature}"


def test_the_admin_token_works_and_the_response_carries_a_request_id(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        response, call = system_pb2_grpc.SystemServiceStub(channel).GetStatus.with_call(
            system_pb2.GetStatusRequest(), metadata=(*bearer(daemon.token), ("x-request-id", "req-42")), timeout=5
        )
    assert response.state == common_pb2.SERVING_STATE_SERVING
    assert dict(call.trailing_metadata())["x-request-id"] == "req-42"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ((), "missing credentials"),
        ((("authorization", "Basic dXNlcjpwYXNz"),), "missing credentials"),
        ((("authorization", "Bearer not-a-jwt"),), "invalid token"),
    ],
)
def test_missing_or_malformed_credentials_are_unauthenticated(daemon: Daemon, metadata, message: str) -> None:
    error = _call_status(daemon, metadata)
    assert error is not None and error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert message in error.details()
    assert dict(error.trailing_metadata())["x-request-id"]


def test_an_expired_token_is_unauthenticated(daemon: Daemon) -> None:
    claims = _claims(daemon.token)
    tokens = TokenService(
        (daemon.data_dir / "jwt.secret").read_text().strip().encode(), clock=lambda: time.time() - 3600
    )
    expired, _ = tokens.issue(claims["sub"], claims["org"], None, ttl_s=60)
    error = _call_status(daemon, bearer(expired))
    assert error is not None and error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in error.details()


def test_a_token_signed_with_another_secret_is_unauthenticated(daemon: Daemon) -> None:
    claims = _claims(daemon.token)
    forged, _ = TokenService(b"x" * 48).issue(claims["sub"], claims["org"], None, ttl_s=600)
    error = _call_status(daemon, bearer(forged))
    assert error is not None and error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "signature" in error.details()


def test_a_tampered_token_is_unauthenticated(daemon: Daemon) -> None:
    claims = _claims(daemon.token)
    limited, _ = _daemon_tokens(daemon).issue(claims["sub"], claims["org"], ["system:ping"], 600)
    escalated = _tamper(limited, scp=["*"])
    error = _call_status(daemon, bearer(escalated))
    assert error is not None and error.code() is grpc.StatusCode.UNAUTHENTICATED


def test_an_unsigned_alg_none_token_is_unauthenticated(daemon: Daemon) -> None:
    claims = _claims(daemon.token)
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    error = _call_status(daemon, bearer(unsigned))
    assert error is not None and error.code() is grpc.StatusCode.UNAUTHENTICATED


def test_a_missing_permission_is_permission_denied(daemon: Daemon) -> None:
    claims = _claims(daemon.token)
    ping_only, _ = _daemon_tokens(daemon).issue(claims["sub"], claims["org"], ["system:ping"], ttl_s=600)
    error = _call_status(daemon, bearer(ping_only))
    assert error is not None and error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert "system:read" in error.details()
    with daemon.channel() as channel:
        reply = system_pb2_grpc.SystemServiceStub(channel).Ping(
            system_pb2.PingRequest(payload=b"hi"), metadata=bearer(ping_only), timeout=5
        )
    assert reply.payload == b"hi"


def test_a_wildcard_resource_permission_grants_its_actions(daemon: Daemon) -> None:
    claims = _claims(daemon.token)
    system_all, _ = _daemon_tokens(daemon).issue(claims["sub"], claims["org"], ["system:*"], ttl_s=600)
    assert _call_status(daemon, bearer(system_all)) is None


def test_health_is_open_without_a_token(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        overall = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        system = stub.Check(health_pb2.HealthCheckRequest(service="auralink.v1.SystemService"), timeout=5)
    assert overall.status == health_pb2.HealthCheckResponse.SERVING
    assert system.status == health_pb2.HealthCheckResponse.SERVING


def test_bad_input_is_invalid_argument_with_field_violations(daemon: Daemon) -> None:
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    with daemon.channel() as channel:
        with pytest.raises(grpc.RpcError) as caught:
            request = system_pb2.PingRequest()
            request.delay.FromSeconds(3600)
            system_pb2_grpc.SystemServiceStub(channel).Ping(request, metadata=bearer(daemon.token), timeout=5)
    error = caught.value
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "delay" in error.details()
    status = rpc_status.from_call(error)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad_request)
    assert bad_request.field_violations[0].field == "delay"


def test_admin_token_file_is_private_and_never_logged(daemon: Daemon) -> None:
    token_file = daemon.data_dir / "admin.token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert (daemon.data_dir / "jwt.secret").stat().st_mode & 0o777 == 0o600
    assert str(token_file) in daemon.logs()
    assert daemon.token not in daemon.logs()
