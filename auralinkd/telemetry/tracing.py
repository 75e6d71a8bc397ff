"""OpenTelemetry spans per RPC, exported over OTLP, built only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

opentelemetry is imported here and only here, and this module only by the composition root when that
variable is set: a daemon without it neither imports the SDK nor pays for spans. The exporter reads the
standard OTEL_* variables itself (endpoint, headers, timeout); `OTEL_EXPORTER_OTLP_PROTOCOL` picks gRPC
(the default, port 4317) or `http/protobuf` (4318). The tracer provider is the daemon's own, never the
process-global one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import grpc

from auralinkd.api import context as call_context

if TYPE_CHECKING:
    from auralinkd.telemetry.calls import Probe

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
# Server-side gRPC statuses that mark a span as an error (OpenTelemetry's RPC semantic conventions).
_ERROR_CODES = frozenset({"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"})


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    return any(environ.get(name) for name in ENDPOINT_VARIABLES)


class Tracer:
    def __init__(self, replica_id: str, version: str, environ: Mapping[str, str] = os.environ) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace import SpanKind, Status, StatusCode
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"
        )
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        elif protocol == "http/protobuf":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # type: ignore[assignment]
        else:
            raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL: expected grpc or http/protobuf, got {protocol!r}")
        resource = Resource.create(
            {
                "service.name": environ.get("OTEL_SERVICE_NAME") or "auralinkd",
                "service.version": version,
                "service.instance.id": replica_id,
            }
        )
        self._provider = TracerProvider(resource=resource)
        self._provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self._tracer = self._provider.get_tracer("auralinkd", version)
        self._propagator = TraceContextTextMapPropagator()
        self._server_kind = SpanKind.SERVER
        self._error = lambda code: Status(StatusCode.ERROR, code)

    def probe(self, method: str, measured: Probe | None) -> Probe:
        return _SpanProbe(self, method, measured)

    def shutdown(self) -> None:
        """Exports the spans still queued (blocking: call it in a thread)."""
        self._provider.shutdown()


class _SpanProbe:
    __slots__ = ("_owner", "_name", "_attributes", "_measured")

    def __init__(self, owner: Tracer, method: str, measured: Probe | None) -> None:
        service, _, name = method.lstrip("/").rpartition("/")
        self._owner = owner
        self._name = method.lstrip("/")
        self._attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}
        self._measured = measured

    def started(self, context: grpc.aio.ServicerContext) -> Any:
        owner = self._owner
        carrier = {k: v for k, v in context.invocation_metadata() or () if k in ("traceparent", "tracestate")}
        parent = owner._propagator.extract(carrier) if carrier else None
        span = owner._tracer.start_span(
            self._name, context=parent, kind=owner._server_kind, attributes=self._attributes
        )
        return span, self._measured.started(context) if self._measured is not None else None

    def finished(self, started: Any, code: str) -> None:
        span, measured = started
        if self._measured is not None:
            self._measured.finished(measured, code)
        span.set_attribute("auralink.request_id", call_context.request_id.get())
        span.set_attribute(
            "rpc.grpc.status_code", grpc.StatusCode[code].value[0] if code in grpc.StatusCode.__members__ else 2
        )
        if code in _ERROR_CODES:
            span.set_status(self._owner._error(code))
        span.end()
