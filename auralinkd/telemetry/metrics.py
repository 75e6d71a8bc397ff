"""Prometheus metrics of one daemon, in its own CollectorRegistry, served on the HTTP listener's `/metrics`.

Two kinds: instruments updated as things happen (RPCs, memory recall latency, LLM tokens and cost,
workflow runs) and gauges read when Prometheus scrapes (database pool, Redis breaker, compression
sessions, frames and fallbacks), so hot paths that already keep counters pay nothing more.

Cardinality is bounded by construction: labels are method names, status codes, provider *types*,
frame types, modes and fixed state names; never user, org, session or provider ids.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds. Unary RPCs here range from a ~0.3 ms Ping to multi-second completions.
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
RECALL_BUCKETS = (0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5)

# The states a workflow run can be counted in; anything else is counted as "other" (bounded labels).
WORKFLOW_STATES = frozenset({"pending", "running", "waiting", "succeeded", "failed", "cancelled"})


class MethodProbe:  # a Probe (auralinkd.telemetry.calls)
    """The pre-resolved children of one RPC method: no label look-up on the call path."""

    __slots__ = ("_method", "_calls", "_codes", "_latency", "_streams", "_lock")

    def __init__(self, metrics: Metrics, method: str, streaming: bool) -> None:
        self._method = method
        self._calls = metrics.rpc_requests
        self._codes: dict[str, Any] = {}
        self._latency = None if streaming else metrics.rpc_latency.labels(method)
        self._streams = metrics.rpc_streams.labels(method) if streaming else None
        self._lock = threading.Lock()

    def started(self, context: object = None) -> float:
        if self._streams is not None:
            self._streams.inc()
        return time.perf_counter()

    def finished(self, started: float, code: str) -> None:
        child = self._codes.get(code)
        if child is None:
            with self._lock:
                child = self._codes[code] = self._calls.labels(self._method, code)
        child.inc()
        if self._latency is not None:
            self._latency.observe(time.perf_counter() - started)
        if self._streams is not None:
            self._streams.dec()


class Metrics:
    """Every metric family of the daemon, registered in `self.registry` (one per daemon, built by runtime)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.rpc_requests = Counter(
            "auralink_rpc_requests", "RPCs finished, by full method name and gRPC status code.",
            ["method", "code"], registry=r,
        )  # fmt: skip
        self.rpc_latency = Histogram(
            "auralink_rpc_duration_seconds", "Latency of unary RPCs (auth and permission check included).",
            ["method"], buckets=RPC_BUCKETS, registry=r,
        )  # fmt: skip
        self.rpc_streams = Gauge(
            "auralink_rpc_streams_active", "Server-streaming and bidirectional RPCs open now (compression streams, "
            "Watch* streams, chat).", ["method"], registry=r,
        )  # fmt: skip
        self.memory_recall = Histogram(
            "auralink_memory_recall_duration_seconds", "Memory recall in the service (query embedding included).",
            buckets=RECALL_BUCKETS, registry=r,
        )  # fmt: skip
        self.llm_tokens = Counter(
            "auralink_llm_tokens", "LLM tokens by provider type and kind (prompt, completion).",
            ["provider", "kind"], registry=r,
        )  # fmt: skip
        self.llm_cost = Counter("auralink_llm_cost_usd", "LLM cost in USD by provider type.", ["provider"], registry=r)
        self.llm_completions = Counter(
            "auralink_llm_completions", "LLM completions by provider type and outcome (ok, error).",
            ["provider", "outcome"], registry=r,
        )  # fmt: skip
        self.workflow_runs = Counter(
            "auralink_workflow_runs", "Workflow runs that reached each state.", ["state"], registry=r
        )

    # -- hooks the composition root hands to services ---------------------------------------------

    def probe(self, method: str, streaming: bool) -> MethodProbe:
        return MethodProbe(self, method, streaming)

    def observe_recall(self, seconds: float) -> None:
        self.memory_recall.observe(seconds)

    def observe_llm_usage(
        self, provider_type: str, prompt_tokens: int, completion_tokens: int, cost_usd: float, success: bool
    ) -> None:
        provider = provider_type or "unknown"
        self.llm_completions.labels(provider, "ok" if success else "error").inc()
        if prompt_tokens:
            self.llm_tokens.labels(provider, "prompt").inc(prompt_tokens)
        if completion_tokens:
            self.llm_tokens.labels(provider, "completion").inc(completion_tokens)
        if cost_usd > 0:
            self.llm_cost.labels(provider).inc(cost_usd)

    def record_workflow_run(self, state: str) -> None:
        """The hook for workflow runs (auralinkd/workflows): call it when a run enters `state`."""
        self.workflow_runs.labels(state if state in WORKFLOW_STATES else "other").inc()

    def read_at_scrape(self, name: str, read: Callable[[], Iterable[Metric]]) -> None:
        """Gauges computed from a service's own state when Prometheus scrapes (`read` must be cheap)."""
        self.registry.register(_ScrapeCollector(name, read))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _ScrapeCollector(Collector):
    def __init__(self, name: str, read: Callable[[], Iterable[Metric]]) -> None:
        self.name = name
        self._read = read

    def collect(self) -> Iterator[Metric]:
        yield from self._read()

    def describe(self) -> list[Metric]:
        return []  # computed at scrape time; no names to reserve up front


# -- scrape-time readers of daemon state --------------------------------------------------------


def database_pool(pool_usage: Callable[[], tuple[int, int]], max_size: int) -> Callable[[], Iterable[Metric]]:
    def read() -> Iterator[Metric]:
        in_use, size = pool_usage()
        family = GaugeMetricFamily("auralink_db_pool_connections", "Database pool connections by state.",
                                   labels=["state"])  # fmt: skip
        family.add_metric(["in_use"], in_use)
        family.add_metric(["idle"], size - in_use)
        yield family
        yield GaugeMetricFamily("auralink_db_pool_max_connections", "The pool's upper bound.", value=max_size)

    return read


def redis_breaker(state: Callable[[], str | None], states: Iterable[str]) -> Callable[[], Iterable[Metric]]:
    """One series per breaker state, 1 for the current one (none at all when no Redis is configured)."""
    names = list(states)

    def read() -> Iterator[Metric]:
        current = state()
        if current is None:
            return
        family = GaugeMetricFamily(
            "auralink_redis_breaker_state", "The Redis circuit breaker: 1 for its current state.", labels=["state"]
        )
        for name in names:
            family.add_metric([name], 1.0 if name == current else 0.0)
        yield family

    return read


def compression(
    sessions: Callable[[], Iterable[str]], totals: Callable[[], tuple[dict[tuple[str, str], tuple[int, int, int]],
                                                                   dict[str, int]]],
    load_events: Callable[[], dict[str, int]] = dict,
) -> Callable[[], Iterable[Metric]]:  # fmt: skip
    """Open sessions by frame type; frames, bytes and fallbacks since start (by frame type and mode, by reason);
    overload handling since start (degrade steps down and up, shed sessions, dropped stale frames)."""

    def read() -> Iterator[Metric]:
        open_sessions: dict[str, int] = {}
        for frame_type in sessions():
            open_sessions[frame_type] = open_sessions.get(frame_type, 0) + 1
        family = GaugeMetricFamily("auralink_compression_sessions", "Open compression sessions on this replica.",
                                   labels=["frame_type"])  # fmt: skip
        for frame_type, n in sorted(open_sessions.items()):
            family.add_metric([frame_type], n)
        yield family
        by_mode, fallbacks = totals()
        frames = CounterMetricFamily("auralink_compression_frames", "Frames compressed.",
                                     labels=["frame_type", "mode"])  # fmt: skip
        bytes_ = CounterMetricFamily("auralink_compression_bytes", "Frame bytes before and after compression.",
                                     labels=["frame_type", "mode", "direction"])  # fmt: skip
        for (frame_type, mode), (n, n_in, n_out) in sorted(by_mode.items()):
            frames.add_metric([frame_type, mode], n)
            bytes_.add_metric([frame_type, mode, "in"], n_in)
            bytes_.add_metric([frame_type, mode, "out"], n_out)
        yield frames
        yield bytes_
        steps = CounterMetricFamily("auralink_compression_fallbacks", "Frames sent on a fallback path, by reason.",
                                    labels=["reason"])  # fmt: skip
        for reason, n in sorted(fallbacks.items()):
            steps.add_metric([reason], n)
        yield steps
        load = CounterMetricFamily("auralink_compression_load_events",
                                   "Overload handling: latency-fallback steps (down, up), new sessions shed "
                                   "(RESOURCE_EXHAUSTED), frames dropped as stale.", labels=["event"])  # fmt: skip
        for event, n in sorted(load_events().items()):
            load.add_metric([event], n)
        yield load

    return read


def metrics_handler(metrics: Metrics) -> Callable[[Any], Any]:
    """The aiohttp handler of GET /metrics (Prometheus text format 0.0.4)."""

    async def handle(request: Any) -> Any:
        from aiohttp import web

        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    return handle
