"""The validation layer through the real daemon: every example of issues #17 and #22 answers a clear status.

Bad strings, times, numbers, enums and ids are INVALID_ARGUMENT naming the field (google.rpc.BadRequest);
undecodable frames are INVALID_ARGUMENT on unary and streaming RPCs, logged once and without a traceback;
oversized ids never come back whole; references to what does not exist are NOT_FOUND.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import message as pb_message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from auralink.v1 import access_pb2, agents_pb2, memory_pb2, mesh_pb2, providers_pb2, system_pb2
from auralinkd.api.validation import api_services
from tests.support import Daemon, EmbeddedServer, bearer, daemon_on_new_database

BIG = 4_600_000_000_000_000_000


@pytest.fixture(scope="module")
def daemon(pg16_server: EmbeddedServer) -> Iterator[Daemon]:
    with daemon_on_new_database(pg16_server.dsn) as handle:
        yield handle


@pytest.fixture(scope="module")
def channel(daemon: Daemon) -> Iterator[grpc.Channel]:
    with daemon.channel() as chan:
        yield chan


def _call(channel: grpc.Channel, method: str, request: Any, token: str | None, timeout: float = 10) -> grpc.RpcError:
    """The error of a unary call (the raw bytes of `request` when it is bytes)."""
    raw = isinstance(request, bytes)
    stub = channel.unary_unary(method, request_serializer=None if raw else type(request).SerializeToString)
    metadata = bearer(token) if token else ()
    try:
        stub(request, metadata=metadata, timeout=timeout)
    except grpc.RpcError as exc:
        return exc
    raise AssertionError(f"{method} succeeded")


def _violations(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)
    assert status is not None, "no rich status details"
    fields = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        assert detail.Unpack(bad)
        fields += [v.field for v in bad.field_violations]
    return fields


m, p, s = memory_pb2, providers_pb2, system_pb2
NAN, INF = float("nan"), float("inf")
HI = [p.ChatMessage(role="user", content="hi")]


def _key(**fields: Any) -> p.SetProviderKeyRequest:
    return p.SetProviderKeyRequest(provider="openai", api_key="sk-1", **fields)


def _memory(**fields: Any) -> m.StoreMemoryRequest:
    return m.StoreMemoryRequest(memory=m.MemoryInput(**{"content": "ok", **fields}))


def _batch(**fields: Any) -> m.BatchStoreMemoriesRequest:
    return m.BatchStoreMemoriesRequest(memories=[m.MemoryInput(**{"content": "ok", **fields})])


def _recall(**fields: Any) -> m.RecallMemoriesRequest:
    return m.RecallMemoriesRequest(query="q", **fields)


# (service/method, request, the field the violation names): every example of issue #17 item 1.
EXAMPLES: list[tuple[str, pb_message.Message, str]] = [
    ("RoleService/GetRole", access_pb2.GetRoleRequest(role="\x00\xff"), "role"),
    ("MemoryService/StoreMemory", _memory(content="a\x00b"), "memory.content"),
    ("MemoryService/StoreMemory", _memory(tags=["t\x00"]), "memory.tags[0]"),
    ("MemoryService/BatchStoreMemories", _batch(content="x\x00"), "memories[0].content"),
    ("AIProviderService/GetProvider", p.GetProviderRequest(provider="\x00\xff"), "provider"),
    ("AIProviderService/ListProviderKeys", p.ListProviderKeysRequest(provider="\x00\xff"), "provider"),
    ("MeshRoutingService/ListNodes", mesh_pb2.ListNodesRequest(region="\x00\xff"), "region"),
    ("AIProviderService/SetProviderKey", _key(label="\x00\xff"), "label"),
    ("AIProviderService/SetProviderKey", _key(scope=99), "scope"),
    ("AIProviderService/SetProviderKey", _key(scope=9999), "scope"),
    ("SystemService/Ping", s.PingRequest(delay={"seconds": BIG}), "delay"),
    ("SystemService/Ping", s.PingRequest(delay={"seconds": -BIG}), "delay"),
    ("AIProviderService/GetUsage", p.GetUsageRequest(start_time={"nanos": -1}), "start_time"),
    ("AIProviderService/GetUsage", p.GetUsageRequest(end_time={"seconds": BIG}), "end_time"),
    ("MemoryService/RecallMemories", _recall(start_time={"seconds": BIG}), "start_time"),
    ("MemoryService/RecallMemories", _recall(weights=m.RecallWeights(semantic=NAN)), "weights.semantic"),
    ("MemoryService/RecallMemories", _recall(weights=m.RecallWeights(keyword=INF)), "weights.keyword"),
    ("MemoryService/EvolveMemories", m.EvolveMemoriesRequest(half_life={"seconds": -BIG}), "half_life"),
    ("AuditService/ListAuditLogs", access_pb2.ListAuditLogsRequest(end_time={"seconds": 2**40}), "end_time"),
    ("MemoryService/BatchStoreMemories", _batch(create_time={"nanos": 2**31 - 1}), "memories[0].create_time"),
    ("AIProviderService/Complete", p.CompleteRequest(messages=HI, latency_target={"seconds": -1}), "latency_target"),
    ("MemoryService/StoreMemory", _memory(scope=m.MemoryScope(room_id="r" * 1024)), "memory.scope.room_id"),
    ("ReputationService/QuarantineNode", mesh_pb2.QuarantineNodeRequest(node="n" * 10_240), "node"),
    ("MemoryService/GetMemory", m.GetMemoryRequest(id="not-a-uuid"), "id"),
    # Found by bench/fuzz.py: an API key's ttl past what a timedelta holds.
    ("CredentialService/CreateApiKey", access_pb2.CreateApiKeyRequest(name="k", ttl_seconds=2**62), "ttl_seconds"),
]


@pytest.mark.parametrize(
    ("method", "request_", "field"), EXAMPLES, ids=[f"{e[0].split('/')[1]}-{e[2]}" for e in EXAMPLES]
)
def test_each_reported_bad_input_is_invalid_argument_naming_the_field(
    channel: grpc.Channel, daemon: Daemon, method: str, request_: pb_message.Message, field: str
) -> None:
    error = _call(channel, f"/auralink.v1.{method}", request_, daemon.token)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert field in _violations(error)
    assert field in error.details()


@pytest.mark.parametrize("size", [10_240, 1_048_576])
def test_a_huge_id_is_refused_with_a_short_message_not_a_metadata_overflow(
    channel: grpc.Channel, daemon: Daemon, size: int
) -> None:
    for method, request in [
        ("/auralink.v1.AgentService/GetAgent", agents_pb2.GetAgentRequest(agent="a" * size)),
        ("/auralink.v1.MemoryService/GetMemory", m.GetMemoryRequest(id="a" * size)),
        ("/auralink.v1.UserService/GetUser", access_pb2.GetUserRequest(user="u" * size)),
    ]:
        error = _call(channel, method, request, daemon.token)
        assert error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND), error.details()
        assert len(error.details()) <= 400


def test_references_to_what_does_not_exist_are_not_found(channel: grpc.Channel, daemon: Daemon) -> None:
    nobody = str(uuid.uuid4())

    def budget(scope: int) -> p.SetBudgetRequest:
        return p.SetBudgetRequest(budget=p.Budget(scope=scope, subject_id=nobody, period=1, limit_usd=5))

    evolve = "/auralink.v1.MemoryService/EvolveMemories"
    cases = [
        (evolve, m.EvolveMemoriesRequest(scope=m.MemoryScope(user_id=nobody))),
        (evolve, m.EvolveMemoriesRequest(dry_run=True, scope=m.MemoryScope(user_id=nobody))),
        ("/auralink.v1.AIProviderService/SetBudget", budget(p.BUDGET_SCOPE_AGENT)),
        ("/auralink.v1.AIProviderService/SetBudget", budget(p.BUDGET_SCOPE_USER)),
    ]
    for method, request in cases:
        error = _call(channel, method, request, daemon.token)
        assert error.code() == grpc.StatusCode.NOT_FOUND, (method, error.code(), error.details())
        assert nobody in error.details()


GARBAGE = b"\xff\xff\xff\xff"  # an unterminated varint of field 31, wire type 7: never a valid message
INVALID_UTF8 = b"\x0a\x02\xc3\x28"  # field 1 (a string in every request below) holding invalid UTF-8


def _streaming_methods() -> list[tuple[str, bool, bool]]:
    """(method, client streaming, server streaming) of every streaming RPC, from the descriptors."""
    return [
        (f"/{service.full_name}/{rpc.name}", rpc.client_streaming, rpc.server_streaming)
        for service in api_services()
        for rpc in service.methods
        if rpc.client_streaming or rpc.server_streaming
    ]


@pytest.mark.parametrize("frame", [GARBAGE, INVALID_UTF8], ids=["garbage", "invalid-utf8"])
def test_an_undecodable_unary_frame_is_invalid_argument(channel: grpc.Channel, daemon: Daemon, frame: bytes) -> None:
    methods = ["/auralink.v1.RoleService/GetRole", "/auralink.v1.MemoryService/GetMemory"]
    for method in methods + (["/auralink.v1.SystemService/Ping"] if frame == GARBAGE else []):
        error = _call(channel, method, frame, daemon.token)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (method, error.code(), error.details())


def test_a_garbage_frame_on_every_streaming_rpc_is_invalid_argument(channel: grpc.Channel, daemon: Daemon) -> None:
    methods = _streaming_methods()
    assert len(methods) >= 10
    for method, client_streaming, server_streaming in methods:
        metadata = bearer(daemon.token)
        if client_streaming and server_streaming:
            call: Any = channel.stream_stream(method)(iter([GARBAGE]), metadata=metadata, timeout=10)
        elif client_streaming:
            call = channel.stream_unary(method).future(iter([GARBAGE]), metadata=metadata, timeout=10)
        else:
            call = channel.unary_stream(method)(GARBAGE, metadata=metadata, timeout=10)
        try:
            list(call) if server_streaming else call.result()
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, (method, exc.code(), exc.details())
        else:
            raise AssertionError(f"{method} accepted a garbage frame")


def test_malformed_frames_log_one_line_without_traceback_and_nothing_before_authentication(
    channel: grpc.Channel, daemon: Daemon
) -> None:
    time.sleep(10.5)  # past the rate-limit window of the earlier tests' lines
    before = len(daemon.logs())
    for _ in range(50):
        error = _call(channel, "/auralink.v1.SystemService/Ping", GARBAGE, None)
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    for _ in range(50):
        error = _call(channel, "/auralink.v1.SystemService/Ping", GARBAGE, daemon.token)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    ping = channel.unary_unary("/auralink.v1.SystemService/Ping", request_serializer=s.PingRequest.SerializeToString)
    ping(s.PingRequest(), metadata=bearer(daemon.token), timeout=10)
    added = daemon.logs()[before:]
    assert "Traceback" not in added and "DecodeError" in added
    assert len([line for line in added.splitlines() if "malformed request frame" in line]) == 1
