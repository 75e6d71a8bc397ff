"""The dashboard's state: what the TUI knows about the daemon, the latest of every fact, short histories.

Held in memory, nothing persisted. The processing step between the sources (collection) and the
screens (rendering): rates come
from successive counters here, events are de-duplicated here (a resumed WatchEvents replays), and
a screen that comes back to the front redraws from here without asking the daemon again.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tui import messages as m
from tui.permissions import Permissions

HISTORY = 60  # points per sparkline
LOG_LINES = 300


def _series() -> deque[float]:
    return deque(maxlen=HISTORY)


def duration_ms(d: Any) -> float:
    return d.seconds * 1000.0 + d.nanos / 1e6


@dataclass
class DashboardState:
    connection: str = "connecting"
    connection_detail: str = ""
    address: str = ""
    whoami: Any = None
    permissions: Permissions = field(default_factory=Permissions)
    status: Any = None
    rpc_rate: deque[float] = field(default_factory=_series)
    error_rate: deque[float] = field(default_factory=_series)
    events: deque[tuple[int, Any]] = field(default_factory=lambda: deque(maxlen=LOG_LINES))  # (sequence, event)
    event_seq: int = 0
    nodes: list[Any] = field(default_factory=list)
    network: Any = None
    rtt_mean: deque[float] = field(default_factory=_series)
    rtt_p95: deque[float] = field(default_factory=_series)
    route: m.RouteFound | None = None
    reputations: list[Any] = field(default_factory=list)
    explanation: Any = None
    roles: list[Any] = field(default_factory=list)
    catalogue: list[Any] = field(default_factory=list)
    assignments: m.AssignmentsLoaded | None = None
    audit: deque[Any] = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    chain: Any = None
    metrics: Any = None
    metric_history: dict[str, deque[float]] = field(default_factory=dict)
    bench_fraction: float = 0.0
    bench_step: str = ""
    bench_rows: list[Any] = field(default_factory=list)
    bench_done: Any = None
    bench_running: bool = False
    unavailable: dict[str, tuple[str, str]] = field(default_factory=dict)
    agents: list[Any] = field(default_factory=list)
    room_assignments: list[Any] = field(default_factory=list)  # RoomAssignment, every agent
    chat: list[tuple[str, str]] = field(default_factory=list)  # (who, text); replies grow by chunks
    memory_query: str = ""
    memory_results: list[Any] = field(default_factory=list)
    memory_stats: Any = None
    evolve: m.EvolvePreview | None = None
    recent_memories: list[Any] = field(default_factory=list)
    mcp_connections: list[Any] = field(default_factory=list)
    mcp_tools: dict[str, list[Any]] = field(default_factory=dict)  # by connection name
    workflows: list[Any] = field(default_factory=list)
    runs: list[Any] = field(default_factory=list)
    run: Any = None  # the run being watched
    run_events: list[Any] = field(default_factory=list)  # its stored events (seq > 0), in order
    run_live: str = ""  # the LLM tokens streamed since the last stored event
    run_tokens: int = 0  # prompt + completion tokens of its finished steps
    run_cost_usd: float = 0.0
    _last_counters: tuple[float, int, int] | None = None
    _seen_events: set[str] = field(default_factory=set)
    _seen_audit: set[int] = field(default_factory=set)

    def apply(self, msg: m.DataMessage) -> None:
        handler = getattr(self, f"_on_{type(msg).__name__}", None)
        if handler is not None:
            handler(msg)

    # --- connection ------------------------------------------------------------------------

    def _on_ConnectionChanged(self, msg: m.ConnectionChanged) -> None:
        self.connection, self.connection_detail, self.address = msg.state, msg.detail, msg.address
        if msg.state == "connected":
            self.unavailable.clear()  # a new daemon may have what the old one lacked

    def _on_IdentityLoaded(self, msg: m.IdentityLoaded) -> None:
        self.whoami = msg.whoami
        self.permissions = Permissions(frozenset(msg.whoami.permissions), known=True)

    def _on_ServiceUnavailable(self, msg: m.ServiceUnavailable) -> None:
        self.unavailable[msg.area] = (msg.code, msg.detail)

    # --- overview ---------------------------------------------------------------------------

    def _on_StatusReceived(self, msg: m.StatusReceived) -> None:
        self.status = msg.status
        calls, errors = msg.status.rpc.calls_total, msg.status.rpc.errors_total
        last = self._last_counters
        if last is not None and msg.at > last[0] and calls >= last[1]:
            dt = msg.at - last[0]
            self.rpc_rate.append((calls - last[1]) / dt)
            self.error_rate.append(max(0, errors - last[2]) / dt)
        self._last_counters = (msg.at, calls, errors)

    def _on_EventReceived(self, msg: m.EventReceived) -> None:
        if msg.event.id in self._seen_events:
            return
        self._seen_events.add(msg.event.id)
        self.event_seq += 1
        self.events.append((self.event_seq, msg.event))
        if len(self._seen_events) > 4 * LOG_LINES:
            self._seen_events = {e.id for _, e in self.events}

    # --- mesh -------------------------------------------------------------------------------

    def _on_MeshNodes(self, msg: m.MeshNodes) -> None:
        self.nodes = msg.nodes

    def _on_NetworkStatusReceived(self, msg: m.NetworkStatusReceived) -> None:
        self.network = msg.status
        self.rtt_mean.append(msg.status.mean_link_rtt_ms)
        self.rtt_p95.append(msg.status.p95_link_rtt_ms)

    def _on_RouteFound(self, msg: m.RouteFound) -> None:
        self.route = msg

    def _on_Reputations(self, msg: m.Reputations) -> None:
        self.reputations = msg.reputations

    def _on_ReputationExplained(self, msg: m.ReputationExplained) -> None:
        self.explanation = msg.explanation

    # --- access -----------------------------------------------------------------------------

    def _on_RolesLoaded(self, msg: m.RolesLoaded) -> None:
        self.roles = msg.roles

    def _on_PermissionCatalogue(self, msg: m.PermissionCatalogue) -> None:
        self.catalogue = msg.permissions

    def _on_AssignmentsLoaded(self, msg: m.AssignmentsLoaded) -> None:
        self.assignments = msg

    def _on_AuditEntryReceived(self, msg: m.AuditEntryReceived) -> None:
        if msg.entry.id in self._seen_audit:
            return
        self._seen_audit.add(msg.entry.id)
        self.audit.append(msg.entry)
        if len(self._seen_audit) > 4 * LOG_LINES:
            self._seen_audit = {e.id for e in self.audit}

    def _on_AuditChainVerified(self, msg: m.AuditChainVerified) -> None:
        self.chain = msg.result

    # --- compression ------------------------------------------------------------------------

    def _on_CompressionMetrics(self, msg: m.CompressionMetrics) -> None:
        self.metrics = msg.metrics
        for name, value in figure_points(getattr(msg.metrics, "global")).items():
            self.metric_history.setdefault(name, _series()).append(value)

    def _on_BenchmarkProgress(self, msg: m.BenchmarkProgress) -> None:
        if not self.bench_running:
            self.bench_rows, self.bench_done, self.bench_running = [], None, True
        self.bench_fraction, self.bench_step = msg.fraction, msg.step

    def _on_BenchmarkRow(self, msg: m.BenchmarkRow) -> None:
        self.bench_rows.append(msg.row)

    def _on_BenchmarkDone(self, msg: m.BenchmarkDone) -> None:
        self.bench_done, self.bench_running, self.bench_fraction = msg.done, False, 1.0

    def _on_ActionFailed(self, msg: m.ActionFailed) -> None:
        if msg.action == "compression.bench":
            self.bench_running = False
            self.bench_step = f"failed: {msg.message}"

    # --- agents -----------------------------------------------------------------------------

    def _on_AgentsLoaded(self, msg: m.AgentsLoaded) -> None:
        self.agents = msg.agents
        self.room_assignments = msg.assignments

    def _on_AgentToolCall(self, msg: m.AgentToolCall) -> None:
        call = msg.call
        outcome = "error" if call.is_error else "→"
        self.chat.append((f"tool {call.connection}/{call.tool}", f"{call.arguments_json} {outcome} {call.result}"))

    def _on_AgentReplyChunk(self, msg: m.AgentReplyChunk) -> None:
        if not self.chat or self.chat[-1][0] != msg.agent:
            self.chat.append((msg.agent, ""))
        who, text = self.chat[-1]
        self.chat[-1] = (who, text + msg.text)

    def _on_MemoryResults(self, msg: m.MemoryResults) -> None:
        self.memory_query, self.memory_results = msg.query, msg.results

    def _on_MemoryStats(self, msg: m.MemoryStats) -> None:
        self.memory_stats = msg.stats

    def _on_EvolvePreview(self, msg: m.EvolvePreview) -> None:
        self.evolve = msg

    def _on_RecentMemories(self, msg: m.RecentMemories) -> None:
        self.recent_memories = msg.memories
        self.memory_query, self.memory_results = "", []  # an empty recall box shows the recent ones

    # --- MCP --------------------------------------------------------------------------------

    def _on_McpConnectionsLoaded(self, msg: m.McpConnectionsLoaded) -> None:
        self.mcp_connections = msg.connections

    def _on_McpToolsLoaded(self, msg: m.McpToolsLoaded) -> None:
        names = {c.id: c.name for c in self.mcp_connections}
        self.mcp_tools[names.get(msg.connection, msg.connection)] = msg.tools

    # --- workflows --------------------------------------------------------------------------

    def _on_WorkflowsLoaded(self, msg: m.WorkflowsLoaded) -> None:
        self.workflows = msg.workflows

    def _on_RunsLoaded(self, msg: m.RunsLoaded) -> None:
        self.runs = msg.runs
        if self.run is not None:
            self.run = next((r for r in msg.runs if r.id == self.run.id), self.run)

    def _on_RunUpdated(self, msg: m.RunUpdated) -> None:
        run = msg.run
        self.runs = [run if r.id == run.id else r for r in self.runs]
        if not any(r.id == run.id for r in self.runs):
            self.runs.insert(0, run)
        if self.run is None or self.run.id == run.id:
            self.run = run

    def _on_RunWatched(self, msg: m.RunWatched) -> None:
        self.run = next((r for r in self.runs if r.id == msg.run_id), None)
        self.run_events, self.run_live, self.run_tokens, self.run_cost_usd = [], "", 0, 0.0

    def _on_RunEventReceived(self, msg: m.RunEventReceived) -> None:
        event = msg.event
        if self.run is not None and event.run_id != self.run.id:
            return
        if event.seq == 0:  # a live LLM token
            self.run_live += json_field(event.data, "text")
            return
        if any(e.seq == event.seq for e in self.run_events[-50:]):
            return
        self.run_events.append(event)
        self.run_live = ""
        if event.kind == "step_finished":
            data = json_data(event.data)
            self.run_tokens += int(data.get("prompt_tokens", 0)) + int(data.get("completion_tokens", 0))
            self.run_cost_usd += float(data.get("cost_usd", 0.0))


def json_data(text: str) -> dict[str, Any]:
    """A run event's JSON data as a dict ({} when it is not an object)."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def json_field(text: str, key: str) -> str:
    return str(json_data(text).get(key, ""))


def figure_points(fig: Any) -> dict[str, float]:
    """The chartable figures of one CompressionFigures: ratio, quality, latency p50/p99, fallbacks."""
    quality = next(iter(fig.quality.values()), 0.0) if fig.quality else 0.0
    return {
        "ratio": fig.compression_ratio,
        "quality": quality,
        "p50_ms": duration_ms(fig.latency_p50),
        "p99_ms": duration_ms(fig.latency_p99),
        "fallbacks": float(fig.fallback_count),
    }
