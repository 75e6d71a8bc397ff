"""The Textual messages the data source posts: one class per kind of fact from the daemon.

Payloads are the generated protobuf messages themselves (the API is the contract); the data
source never posts half-built objects, and the widgets never see a gRPC call or error.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

__all__ = [
    "DataMessage",
    "ConnectionChanged",
    "IdentityLoaded",
    "StatusReceived",
    "EventReceived",
    "ServiceUnavailable",
    "MeshNodes",
    "NetworkStatusReceived",
    "RouteFound",
    "Reputations",
    "ReputationExplained",
    "RolesLoaded",
    "PermissionCatalogue",
    "AssignmentsLoaded",
    "AuditEntryReceived",
    "AuditChainVerified",
    "CompressionMetrics",
    "BenchmarkProgress",
    "BenchmarkRow",
    "BenchmarkDone",
    "AgentsLoaded",
    "AgentReplyChunk",
    "MemoryResults",
    "MemoryStats",
    "EvolvePreview",
    "RecentMemories",
    "AgentToolCall",
    "McpConnectionsLoaded",
    "McpToolsLoaded",
    "WorkflowsLoaded",
    "RunsLoaded",
    "RunUpdated",
    "RunWatched",
    "RunEventReceived",
    "ActionDone",
    "ActionFailed",
]


class DataMessage(Message, bubble=False):
    """Base of every message from the data source. It never bubbles: the app routes it."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        # Message.__init_subclass__ defaults bubble to True for every subclass: keep it False, or
        # a screen would bubble each message back to the app, which would route it again.
        kwargs["bubble"] = False
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]


# --- connection and identity ---------------------------------------------------------------


class ConnectionChanged(DataMessage):
    """The link to the daemon: "connecting", "connected", "reconnecting" or "unauthenticated"."""

    def __init__(self, state: str, address: str, detail: str = "", attempt: int = 0) -> None:
        super().__init__()
        self.state = state
        self.address = address
        self.detail = detail
        self.attempt = attempt


class IdentityLoaded(DataMessage):
    """WhoAmI: who the TUI acts as and the permissions it holds (wildcards kept)."""

    def __init__(self, whoami: Any) -> None:
        super().__init__()
        self.whoami = whoami


class ServiceUnavailable(DataMessage):
    """An area the daemon (or this client's stubs) does not have: the screen says so, nothing crashes."""

    def __init__(self, area: str, code: str, detail: str) -> None:
        super().__init__()
        self.area = area
        self.code = code
        self.detail = detail


# --- overview --------------------------------------------------------------------------------


class StatusReceived(DataMessage):
    """A GetStatus answer, with the monotonic time it arrived (rates are computed from it)."""

    def __init__(self, status: Any, at: float) -> None:
        super().__init__()
        self.status = status
        self.at = at


class EventReceived(DataMessage):
    """One non-heartbeat event of WatchEvents."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


# --- mesh -------------------------------------------------------------------------------------


class MeshNodes(DataMessage):
    def __init__(self, nodes: list[Any]) -> None:
        super().__init__()
        self.nodes = nodes


class NetworkStatusReceived(DataMessage):
    def __init__(self, status: Any) -> None:
        super().__init__()
        self.status = status


class RouteFound(DataMessage):
    def __init__(self, source: str, destination: str, response: Any) -> None:
        super().__init__()
        self.source = source
        self.destination = destination
        self.response = response


class Reputations(DataMessage):
    def __init__(self, reputations: list[Any]) -> None:
        super().__init__()
        self.reputations = reputations


class ReputationExplained(DataMessage):
    def __init__(self, explanation: Any) -> None:
        super().__init__()
        self.explanation = explanation


# --- access ----------------------------------------------------------------------------------


class RolesLoaded(DataMessage):
    def __init__(self, roles: list[Any]) -> None:
        super().__init__()
        self.roles = roles


class PermissionCatalogue(DataMessage):
    def __init__(self, permissions: list[Any]) -> None:
        super().__init__()
        self.permissions = permissions


class AssignmentsLoaded(DataMessage):
    """GetEffectivePermissions for one user (the `user` as typed, and the answer)."""

    def __init__(self, user: str, effective: Any) -> None:
        super().__init__()
        self.user = user
        self.effective = effective


class AuditEntryReceived(DataMessage):
    def __init__(self, entry: Any) -> None:
        super().__init__()
        self.entry = entry


class AuditChainVerified(DataMessage):
    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


# --- compression -----------------------------------------------------------------------------


class CompressionMetrics(DataMessage):
    def __init__(self, metrics: Any) -> None:
        super().__init__()
        self.metrics = metrics


class BenchmarkProgress(DataMessage):
    def __init__(self, fraction: float, step: str) -> None:
        super().__init__()
        self.fraction = fraction
        self.step = step


class BenchmarkRow(DataMessage):
    def __init__(self, row: Any) -> None:
        super().__init__()
        self.row = row


class BenchmarkDone(DataMessage):
    def __init__(self, done: Any) -> None:
        super().__init__()
        self.done = done


# --- agents and memory (issues 4 and 5) ------------------------------------------------------


class AgentsLoaded(DataMessage):
    def __init__(self, agents: list[Any], assignments: list[Any] | None = None) -> None:
        super().__init__()
        self.agents = agents
        self.assignments = assignments or []  # RoomAssignment of every agent


class AgentReplyChunk(DataMessage):
    def __init__(self, agent: str, text: str, done: bool = False) -> None:
        super().__init__()
        self.agent = agent
        self.text = text
        self.done = done


class MemoryResults(DataMessage):
    def __init__(self, query: str, results: list[Any]) -> None:
        super().__init__()
        self.query = query
        self.results = results


class MemoryStats(DataMessage):
    def __init__(self, stats: Any) -> None:
        super().__init__()
        self.stats = stats


class EvolvePreview(DataMessage):
    def __init__(self, preview: Any, applied: bool) -> None:
        super().__init__()
        self.preview = preview
        self.applied = applied


class RecentMemories(DataMessage):
    """The newest memories (ListMemories): what the Memory screen shows before any search."""

    def __init__(self, memories: list[Any]) -> None:
        super().__init__()
        self.memories = memories


class AgentToolCall(DataMessage):
    """One tool call of an agent's tool loop in a chat (ChatToolCall), after it ran."""

    def __init__(self, agent: str, call: Any) -> None:
        super().__init__()
        self.agent = agent
        self.call = call


# --- MCP (issue 13) and workflows (issue 14) ----------------------------------------------------


class McpConnectionsLoaded(DataMessage):
    """The organization's MCP connections, each with its session's state and reason."""

    def __init__(self, connections: list[Any]) -> None:
        super().__init__()
        self.connections = connections


class McpToolsLoaded(DataMessage):
    def __init__(self, connection: str, tools: list[Any]) -> None:
        super().__init__()
        self.connection = connection  # the name or id it was asked by
        self.tools = tools


class WorkflowsLoaded(DataMessage):
    def __init__(self, workflows: list[Any]) -> None:
        super().__init__()
        self.workflows = workflows


class RunsLoaded(DataMessage):
    def __init__(self, runs: list[Any]) -> None:
        super().__init__()
        self.runs = runs


class RunUpdated(DataMessage):
    """One run as the daemon has it now (GetRun, or what an action returned)."""

    def __init__(self, run: Any) -> None:
        super().__init__()
        self.run = run


class RunWatched(DataMessage):
    """The source now follows this run: its events start again from the first."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id


class RunEventReceived(DataMessage):
    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


# --- outcomes of actions ---------------------------------------------------------------------


class ActionDone(DataMessage):
    """A mutation or query the operator asked for went through."""

    def __init__(self, action: str, detail: str = "") -> None:
        super().__init__()
        self.action = action
        self.detail = detail


class ActionFailed(DataMessage):
    """A call the operator asked for failed: the gRPC code name and a readable line."""

    def __init__(self, action: str, code: str, message: str) -> None:
        super().__init__()
        self.action = action
        self.code = code
        self.message = message
