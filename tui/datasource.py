"""The TUI's one gRPC client: it polls and subscribes to the daemon and posts Textual messages.

Collection only (Dolphie's split): tui/store.py processes what arrives, screens render it.
Address, token and profile come from auralink_cli's resolution, so `auralink tui` reaches the
same daemon as every other `auralink` command. Streams resume on their own with backoff after a
daemon restart; the status loop is what tells the app "connected" or "reconnecting".
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import grpc.aio

from auralink_cli.client import Client, grpc_target, translate_error
from auralink_cli.profiles import Settings
from tui import messages as m

log = logging.getLogger(__name__)

Sink = Callable[[m.DataMessage], None]

# Reconnect quickly after a daemon restart: grpc's default backoff grows to 120 s.
CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.primary_user_agent", "auralink-tui"),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]
BACKOFF_FIRST_S = 0.25
BACKOFF_MAX_S = 4.0
UNARY_TIMEOUT_S = 5.0
# Saving an agent checks its model with the daemon's provider gateway, loaded on first use (~10 s).
SAVE_AGENT_TIMEOUT_S = 30.0
# Areas built by other issues: (stub module, service full name) so the screens can say what is missing.
OPTIONAL_AREAS: dict[str, tuple[str, str]] = {
    "agents": ("auralink.v1.agents_pb2_grpc", "auralink.v1.AgentService"),
    "memory": ("auralink.v1.memory_pb2_grpc", "auralink.v1.MemoryService"),
}


def backoff(attempt: int) -> float:
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * (2 ** max(0, attempt - 1)))


def unavailable_line(code: str) -> str:
    return f"service not available on this daemon ({code})"


class DataSource:
    """Owns the channel, the polling loops and the streams; everything it learns goes to `sink`."""

    def __init__(
        self,
        settings: Settings,
        *,
        reload_settings: Callable[[], Settings] | None = None,
        status_interval_s: float = 1.0,
        mesh_interval_s: float = 2.0,
    ) -> None:
        self.settings = settings
        self._reload = reload_settings
        self.status_interval_s = status_interval_s
        self.mesh_interval_s = mesh_interval_s
        self._sink: Sink = lambda _msg: None
        self._channel: grpc.aio.Channel | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._connected = asyncio.Event()
        self._disconnected = asyncio.Event()
        self._ever_connected = False
        self._last_audit_id = 0
        self.services: set[str] = set()

    # --- life cycle ------------------------------------------------------------------------

    @property
    def address(self) -> str:
        return self.settings.address

    def start(self, sink: Sink) -> None:
        """Open the channel and start every loop; call from the app's event loop."""
        self._sink = sink
        self._channel = self._open()
        self._post(m.ConnectionChanged("connecting", self.address))
        self._spawn(self._status_loop())
        self._spawn(self._stream("events", self._events))
        self._spawn(self._stream("audit", self._audit))
        self._spawn(self._stream("compression", self._metrics))
        self._spawn(self._stream("mesh", self._network))
        self._spawn(self._mesh_loop())

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    def _open(self) -> grpc.aio.Channel:
        target, tls = grpc_target(self.settings.address)
        if not tls:
            return grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        from pathlib import Path

        ca = self.settings.ca_file
        root = Path(ca).expanduser().read_bytes() if ca else None
        return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(root), CHANNEL_OPTIONS)

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _post(self, message: m.DataMessage) -> None:
        self._sink(message)

    def _metadata(self) -> list[tuple[str, str]]:
        md, _request_id = Client(self.settings).metadata()
        return md

    def _stub(self, module: str, name: str) -> Any:
        mod = importlib.import_module(f"auralink.v1.{module}_pb2_grpc")
        return getattr(mod, name)(self._channel)

    @staticmethod
    def _pb(module: str) -> Any:
        return importlib.import_module(f"auralink.v1.{module}_pb2")

    async def _unary(
        self, module: str, service: str, method: str, request: Any, timeout_s: float = UNARY_TIMEOUT_S
    ) -> Any:
        stub = self._stub(module, service)
        return await getattr(stub, method)(request, metadata=self._metadata(), timeout=timeout_s)

    # --- connection ------------------------------------------------------------------------

    async def _status_loop(self) -> None:
        system = self._pb("system")
        attempt = 0
        while True:
            try:
                status = await self._unary("system", "SystemServiceStub", "GetStatus", system.GetStatusRequest())
            except grpc.RpcError as err:
                attempt += 1
                self._lost(err, attempt)
                await asyncio.sleep(backoff(attempt))
                continue
            attempt = 0
            self.services = {s.name for s in status.services}
            if not self._connected.is_set():
                self._disconnected.clear()
                self._connected.set()
                self._ever_connected = True
                self._post(m.ConnectionChanged("connected", self.address))
                self._spawn(self._on_connect())
            self._post(m.StatusReceived(status, time.monotonic()))
            await asyncio.sleep(self.status_interval_s)

    def _lost(self, err: grpc.RpcError, attempt: int) -> None:
        code = err.code().name if hasattr(err, "code") else "UNKNOWN"
        self._connected.clear()
        self._disconnected.set()
        if code == "UNAUTHENTICATED" and self._reload is not None:
            # A daemon restarted on a fresh data dir writes a new admin.token: read it again.
            with contextlib.suppress(Exception):
                self.settings = self._reload()
        state = "unauthenticated" if code == "UNAUTHENTICATED" else "reconnecting"
        state = state if self._ever_connected or state == "unauthenticated" else "connecting"
        self._post(m.ConnectionChanged(state, self.address, detail=code, attempt=attempt))

    async def _on_connect(self) -> None:
        """One-shot loads after each (re)connection: identity first, so actions can be gated."""
        await self.load_identity()
        await asyncio.gather(self.load_roles(), self.load_catalogue(), self.verify_audit(), return_exceptions=True)
        for area, (module, service) in OPTIONAL_AREAS.items():
            if importlib.util.find_spec(module) is None or service not in self.services:
                self._post(m.ServiceUnavailable(area, "UNIMPLEMENTED", unavailable_line("UNIMPLEMENTED")))
            elif area == "agents":
                await self.load_agents()
            else:
                await self.memory_stats()

    async def _stream(self, area: str, opener: Callable[[], AsyncIterator[Any]]) -> None:
        """Run one server stream for ever: resume with backoff, stop only on a permanent refusal."""
        attempt = 0
        while True:
            await self._connected.wait()
            try:
                async for _ in opener():
                    attempt = 0
            except grpc.RpcError as err:
                code = err.code().name
                if code in ("UNIMPLEMENTED", "PERMISSION_DENIED"):
                    detail = unavailable_line(code) if code == "UNIMPLEMENTED" else (err.details() or code)
                    self._post(m.ServiceUnavailable(area, code, detail))
                    await self._wait_reconnect()
                    continue
                if code == "CANCELLED" and self._channel is None:
                    return
            except Exception:  # a bug in this client must not end the stream for good
                log.exception("stream %s failed", area)
            attempt += 1
            await asyncio.sleep(backoff(attempt))

    async def _wait_reconnect(self) -> None:
        """After a permanent refusal, try again only once the daemon has gone and come back."""
        await self._disconnected.wait()
        await self._connected.wait()

    async def _events(self) -> AsyncIterator[None]:
        pb = self._pb("system")
        stub = self._stub("system", "SystemServiceStub")
        async for event in stub.WatchEvents(pb.WatchEventsRequest(replay=50), metadata=self._metadata()):
            if not event.heartbeat:
                self._post(m.EventReceived(event))
            yield None

    async def _audit(self) -> AsyncIterator[None]:
        pb = self._pb("access")
        stub = self._stub("access", "AuditServiceStub")
        if self._last_audit_id == 0:  # first subscription: show the recent past too (newest first)
            recent = await stub.ListAuditLogs(
                pb.ListAuditLogsRequest(page_size=50), metadata=self._metadata(), timeout=UNARY_TIMEOUT_S
            )
            for entry in sorted(recent.entries, key=lambda e: e.id):
                self._last_audit_id = max(self._last_audit_id, entry.id)
                self._post(m.AuditEntryReceived(entry))
        request = pb.WatchAuditRequest(since_id=self._last_audit_id)
        async for entry in stub.WatchAudit(request, metadata=self._metadata()):
            if not entry.heartbeat:
                self._last_audit_id = max(self._last_audit_id, entry.id)
                self._post(m.AuditEntryReceived(entry))
            yield None

    async def _metrics(self) -> AsyncIterator[None]:
        pb = self._pb("compression")
        stub = self._stub("compression", "AICCompressionServiceStub")
        async for item in stub.WatchMetrics(pb.WatchMetricsRequest(), metadata=self._metadata()):
            if item.WhichOneof("event") == "metrics":
                self._post(m.CompressionMetrics(item.metrics))
            yield None

    async def _network(self) -> AsyncIterator[None]:
        from google.protobuf.duration_pb2 import Duration

        pb = self._pb("mesh")
        stub = self._stub("mesh", "MeshRoutingServiceStub")
        request = pb.WatchNetworkStatusRequest(interval=Duration(seconds=2))
        async for status in stub.WatchNetworkStatus(request, metadata=self._metadata()):
            if not status.heartbeat:
                self._post(m.NetworkStatusReceived(status))
            yield None

    async def _mesh_loop(self) -> None:
        """Nodes and reputations have no stream: poll them while connected."""
        pb = self._pb("mesh")
        while True:
            await self._connected.wait()
            try:
                nodes = await self._unary(
                    "mesh", "MeshRoutingServiceStub", "ListNodes", pb.ListNodesRequest(page_size=200)
                )
                self._post(m.MeshNodes(list(nodes.nodes)))
                reps = await self._unary(
                    "mesh", "ReputationServiceStub", "ListReputations", pb.ListReputationsRequest(page_size=200)
                )
                self._post(m.Reputations(list(reps.reputations)))
            except grpc.RpcError as err:
                if err.code().name in ("UNIMPLEMENTED", "PERMISSION_DENIED"):
                    self._post(m.ServiceUnavailable("mesh", err.code().name, err.details() or ""))
                    await self._wait_reconnect()
                    continue
            await asyncio.sleep(self.mesh_interval_s)

    # --- one-shot loads and actions (outcomes are posted, never returned) -------------------

    async def _act(self, action: str, call: Callable[[], Awaitable[Any]], area: str = "") -> Any:
        """Run one call for `action`; a failure becomes ActionFailed with the CLI's wording.

        UNIMPLEMENTED in an optional area (an older daemon) marks the area unavailable instead.
        """
        try:
            return await call()
        except grpc.RpcError as err:
            code = err.code().name
            if area and code == "UNIMPLEMENTED":
                self._post(m.ServiceUnavailable(area, code, unavailable_line(code)))
                return None
            cli = translate_error(err, address=self.address, request_id="-", has_token=bool(self.settings.token))
            self._post(m.ActionFailed(action, code, cli.message))
            return None

    async def load_identity(self) -> None:
        pb = self._pb("access")
        who = await self._act(
            "whoami", lambda: self._unary("access", "CredentialServiceStub", "WhoAmI", pb.WhoAmIRequest())
        )
        if who is not None:
            self._post(m.IdentityLoaded(who))

    async def load_roles(self) -> None:
        pb = self._pb("access")
        resp = await self._act(
            "roles.list",
            lambda: self._unary("access", "RoleServiceStub", "ListRoles", pb.ListRolesRequest(page_size=200)),
        )
        if resp is not None:
            self._post(m.RolesLoaded(list(resp.roles)))

    async def load_catalogue(self) -> None:
        pb = self._pb("access")
        resp = await self._act(
            "permissions.list",
            lambda: self._unary("access", "RoleServiceStub", "ListPermissions", pb.ListPermissionsRequest()),
        )
        if resp is not None:
            self._post(m.PermissionCatalogue(list(resp.permissions)))

    async def load_assignments(self, user: str) -> None:
        pb = self._pb("access")
        request = pb.GetEffectivePermissionsRequest(user=user)
        resp = await self._act(
            "assignments", lambda: self._unary("access", "RoleServiceStub", "GetEffectivePermissions", request)
        )
        if resp is not None:
            self._post(m.AssignmentsLoaded(user, resp))

    async def verify_audit(self) -> None:
        pb = self._pb("access")
        resp = await self._act(
            "audit.verify",
            lambda: self._unary("access", "AuditServiceStub", "VerifyAuditChain", pb.VerifyAuditChainRequest()),
        )
        if resp is not None:
            self._post(m.AuditChainVerified(resp))

    async def change_role(self, action: str, role: str, *, permissions: list[str] = (), user: str = "") -> None:
        """role.grant / role.revoke (permissions) or role.assign / role.unassign (user)."""
        pb = self._pb("access")
        method, request = {
            "role.grant": ("GrantPermissions", lambda: pb.GrantPermissionsRequest(role=role, permissions=permissions)),
            "role.revoke": (
                "RevokePermissions",
                lambda: pb.RevokePermissionsRequest(role=role, permissions=permissions),
            ),
            "role.assign": ("AssignRole", lambda: pb.AssignRoleRequest(role=role, user=user)),
            "role.unassign": ("UnassignRole", lambda: pb.UnassignRoleRequest(role=role, user=user)),
        }[action]
        resp = await self._act(action, lambda: self._unary("access", "RoleServiceStub", method, request()))
        if resp is None:
            return
        target = ", ".join(permissions) if permissions else user
        self._post(m.ActionDone(action, f"{action.split('.')[1]} {target} · role {role}"))
        await self.load_roles()
        if user:
            await self.load_assignments(user)

    async def find_route(self, source: str, destination: str, k: int = 3) -> None:
        pb = self._pb("mesh")
        request = pb.FindOptimalRouteRequest(source=source, destination=destination, k=k)
        resp = await self._act(
            "mesh.route", lambda: self._unary("mesh", "MeshRoutingServiceStub", "FindOptimalRoute", request)
        )
        if resp is not None:
            self._post(m.RouteFound(source, destination, resp))

    async def explain_reputation(self, node: str) -> None:
        pb = self._pb("mesh")
        request = pb.ExplainReputationRequest(node=node, limit=20)
        resp = await self._act(
            "reputation.explain", lambda: self._unary("mesh", "ReputationServiceStub", "ExplainReputation", request)
        )
        if resp is not None:
            self._post(m.ReputationExplained(resp))

    async def run_benchmark(self, quick: bool = True) -> None:
        pb = self._pb("compression")
        stub = self._stub("compression", "AICCompressionServiceStub")

        async def consume() -> bool:
            async for item in stub.RunBenchmark(pb.RunBenchmarkRequest(quick=quick), metadata=self._metadata()):
                kind = item.WhichOneof("event")
                if kind == "progress":
                    self._post(m.BenchmarkProgress(item.progress.fraction, item.progress.step))
                elif kind == "row":
                    self._post(m.BenchmarkRow(item.row))
                elif kind == "done":
                    self._post(m.BenchmarkDone(item.done))
            return True

        await self._act("compression.bench", consume)

    # --- agents (issue 5) ------------------------------------------------------------------

    async def load_agents(self) -> None:
        pb = self._pb("agents")
        request = pb.ListAgentsRequest(page_size=200)
        resp = await self._act(
            "agents.list", lambda: self._unary("agents", "AgentServiceStub", "ListAgents", request), "agents"
        )
        if resp is None:
            return
        rooms = await self._act(
            "agents.rooms",
            lambda: self._unary("agents", "AgentServiceStub", "ListRoomAssignments", pb.ListRoomAssignmentsRequest()),
            "agents",
        )
        self._post(m.AgentsLoaded(list(resp.agents), list(rooms.assignments) if rooms is not None else []))

    async def save_agent(self, fields: dict[str, str], *, agent: Any = None) -> None:
        """Create an agent from `fields`, or update `agent` with them (a field mask of what changed)."""
        from google.protobuf.field_mask_pb2 import FieldMask

        pb = self._pb("agents")
        fields = dict(fields)
        provider = fields.pop("provider", "")
        model = fields.pop("model", "")
        # The daemon keeps one "<provider>/<model>" reference; the form edits its two halves.
        if model or provider:
            fields["model"] = model if "/" in model or not provider else f"{provider}/{model}"
        if agent is None:
            request = pb.CreateAgentRequest(agent=pb.Agent(**fields))
            action, method = "agents.create", "CreateAgent"
        else:
            changed = {k: v for k, v in fields.items() if getattr(agent, k) != v}
            request = pb.UpdateAgentRequest(
                agent=pb.Agent(id=agent.id, etag=agent.etag, **changed), update_mask=FieldMask(paths=sorted(changed))
            )
            action, method = "agents.update", "UpdateAgent"
        resp = await self._act(
            action, lambda: self._unary("agents", "AgentServiceStub", method, request, SAVE_AGENT_TIMEOUT_S), "agents"
        )
        if resp is not None:
            self._post(m.ActionDone(action, f"{action.split('.')[1]}d agent {resp.name}"))
            await self.load_agents()

    async def delete_agent(self, agent: str, label: str = "") -> None:
        pb = self._pb("agents")
        request = pb.DeleteAgentRequest(agent=agent)
        resp = await self._act(
            "agents.delete", lambda: self._unary("agents", "AgentServiceStub", "DeleteAgent", request), "agents"
        )
        if resp is not None:
            self._post(m.ActionDone("agents.delete", f"deleted agent {label or agent}"))
            await self.load_agents()

    async def assign_room(self, agent: str, room: str, label: str = "") -> None:
        pb = self._pb("agents")
        request = pb.AssignRoomRequest(agent=agent, room_id=room)
        resp = await self._act(
            "agents.assign", lambda: self._unary("agents", "AgentServiceStub", "AssignRoom", request), "agents"
        )
        if resp is not None:
            self._post(m.ActionDone("agents.assign", f"agent {label or agent} assigned to room {room}"))
            await self.load_agents()

    async def chat(self, agent: str, message: str) -> None:
        pb = self._pb("agents")
        stub = self._stub("agents", "AgentServiceStub")

        async def consume() -> bool:
            call = stub.Chat(pb.ChatRequest(agent=agent, message=message), metadata=self._metadata())
            async for chunk in call:
                self._post(m.AgentReplyChunk(agent, chunk.delta, done=chunk.done))
            return True

        await self._act("agents.chat", consume, "agents")

    # --- memory (issue 4) ------------------------------------------------------------------

    async def recall(self, query: str) -> None:
        pb = self._pb("memory")
        request = pb.RecallMemoriesRequest(query=query, limit=20)
        resp = await self._act(
            "memory.recall", lambda: self._unary("memory", "MemoryServiceStub", "RecallMemories", request), "memory"
        )
        if resp is not None:
            self._post(m.MemoryResults(query, list(resp.results)))

    async def memory_stats(self) -> None:
        pb = self._pb("memory")
        request = pb.GetMemoryStatsRequest()
        resp = await self._act(
            "memory.stats", lambda: self._unary("memory", "MemoryServiceStub", "GetMemoryStats", request), "memory"
        )
        if resp is not None:
            self._post(m.MemoryStats(resp))

    async def evolve(self, dry_run: bool) -> None:
        pb = self._pb("memory")
        request = pb.EvolveMemoriesRequest(dry_run=dry_run)
        resp = await self._act(
            "memory.evolve", lambda: self._unary("memory", "MemoryServiceStub", "EvolveMemories", request), "memory"
        )
        if resp is not None:
            self._post(m.EvolvePreview(resp, applied=not dry_run))
            if not dry_run:
                run = resp.run
                detail = f"evolved: examined {run.examined}, consolidated {run.consolidated}, forgotten {run.forgotten}"
                self._post(m.ActionDone("memory.evolve", detail))
                await self.memory_stats()
