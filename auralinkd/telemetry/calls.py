"""Per-RPC probes for the call guard: Prometheus figures, an OpenTelemetry span, or both.

The guard asks once per method, when the server is built, and gets None when neither metrics nor
tracing is on, so calls then pay one `is not None` check and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import grpc

    from auralinkd.telemetry.metrics import Metrics
    from auralinkd.telemetry.tracing import Tracer


class Probe(Protocol):
    def started(self, context: grpc.aio.ServicerContext) -> Any: ...

    def finished(self, started: Any, code: str) -> None: ...


class CallProbes:
    def __init__(self, metrics: Metrics | None, tracer: Tracer | None) -> None:
        self._metrics = metrics
        self._tracer = tracer

    @property
    def enabled(self) -> bool:
        return self._metrics is not None or self._tracer is not None

    def probe(self, method: str, streaming: bool) -> Probe | None:
        measured = self._metrics.probe(method, streaming) if self._metrics is not None else None
        if self._tracer is None:
            return measured
        return self._tracer.probe(method, measured)
