"""OpenTelemetry spans per RPC, exported over OTLP/gRPC to a local collector stand-in, only when configured."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from auralink.v1 import system_pb2, system_pb2_grpc
from tests.support import Daemon, bearer, daemon_env, short_tempdir

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """The receiving half of OTLP/gRPC: keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list = []  # type: ignore[type-arg]
        self.resources: list = []  # type: ignore[type-arg]
        self._lock = threading.Lock()

    def Export(self, request, context):  # type: ignore[no-untyped-def]  # noqa: N802 - the OTLP method name
        with self._lock:
            for resource_spans in request.resource_spans:
                self.resources.append(resource_spans.resource)
                for scope_spans in resource_spans.scope_spans:
                    self.spans.extend(scope_spans.spans)
        return trace_service_pb2.ExportTraceServiceResponse()

    def wait_for(self, count: int, timeout_s: float = 20) -> list:  # type: ignore[type-arg]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.spans) >= count:
                    return list(self.spans)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.spans)} spans arrived, expected {count}")


@pytest.fixture
def traced(pg16_fresh_dsn: str) -> Iterator[tuple[Daemon, Collector]]:
    collector = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    root = short_tempdir()
    env = daemon_env(root / "d", database_url=pg16_fresh_dsn)
    env.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
        OTEL_EXPORTER_OTLP_INSECURE="true",
        OTEL_BSP_SCHEDULE_DELAY="100",  # ms: export quickly, so the test need not wait 5 s
        OTEL_SERVICE_NAME="auralinkd-test",
    )
    daemon = Daemon(root / "d", env)
    try:
        yield daemon.start(), collector
    finally:
        daemon.stop()
        server.stop(0)
        shutil.rmtree(root, ignore_errors=True)


def _attributes(span) -> dict:  # type: ignore[no-untyped-def,type-arg]
    out = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = value.string_value if value.HasField("string_value") else value.int_value
    return out


def test_each_rpc_is_a_server_span_with_the_request_id_status_and_the_callers_trace(traced) -> None:  # type: ignore[no-untyped-def]
    daemon, collector = traced
    metadata = (
        *bearer(daemon.token),
        ("x-request-id", "trace-me-1"),
        ("traceparent", f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"),
    )
    with daemon.channel() as channel:
        stub = system_pb2_grpc.SystemServiceStub(channel)
        stub.Ping(system_pb2.PingRequest(), metadata=metadata, timeout=5)
        with pytest.raises(grpc.RpcError):
            stub.Ping(system_pb2.PingRequest(), metadata=(("x-request-id", "trace-me-2"),), timeout=5)

    spans = {(_attributes(s).get("auralink.request_id")): s for s in collector.wait_for(2)}
    ok, refused = spans["trace-me-1"], spans["trace-me-2"]
    assert ok.name == "auralink.v1.SystemService/Ping"
    assert ok.kind == ok.SPAN_KIND_SERVER
    assert ok.trace_id.hex() == TRACE_ID and ok.parent_span_id.hex() == PARENT_SPAN_ID  # joined the caller's trace
    assert _attributes(ok)["rpc.grpc.status_code"] == 0
    assert _attributes(ok)["rpc.system"] == "grpc" and _attributes(ok)["rpc.method"] == "Ping"
    assert _attributes(refused)["rpc.grpc.status_code"] == grpc.StatusCode.UNAUTHENTICATED.value[0]
    assert refused.trace_id.hex() != TRACE_ID  # no traceparent: a trace of its own
    assert ok.end_time_unix_nano > ok.start_time_unix_nano
    service = {kv.key: kv.value.string_value for kv in collector.resources[0].attributes}
    assert service["service.name"] == "auralinkd-test" and service["service.instance.id"]
