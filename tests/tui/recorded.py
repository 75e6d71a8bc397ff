"""A recorded data set fed through the app's message stream: the snapshot tests' data source.

Live values (uptime, rates, clocks) change from run to run; these do not. Everything is a real
protobuf message of the API, posted as the real DataSource would post it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp

from auralink.v1 import access_pb2 as access
from auralink.v1 import common_pb2 as common
from auralink.v1 import compression_pb2 as comp
from auralink.v1 import mesh_pb2 as mesh
from auralink.v1 import system_pb2 as system
from tui import messages as m
from tui.sources import AREA_SOURCES
from tui.sources.link import Area

ADDRESS = "unix:///var/lib/auralink/auralinkd.sock"
T0 = datetime(2026, 11, 28, 9, 30, 0, tzinfo=UTC)
ALL = ["*"]


def ts(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(T0 + timedelta(seconds=seconds))
    return stamp


def ms(value: float) -> Duration:
    return Duration(seconds=int(value // 1000), nanos=int((value % 1000) * 1e6))


def struct(**values: object) -> Struct:
    data = Struct()
    data.update(values)
    return data


def status(calls: int, errors: int) -> system.GetStatusResponse:
    services = [  # every service of a daemon today, in its order
        "SystemService",
        "OrganizationService",
        "UserService",
        "RoleService",
        "CredentialService",
        "AuditService",
        "AICCompressionService",
        "MeshRoutingService",
        "ReputationService",
        "AIProviderService",
        "LLMSelectionService",
        "TranslationService",
        "MemoryService",
        "AgentService",
        "RoomService",
        "SpeechService",
        "StorageService",
        "MCPService",
        "WorkflowService",
    ]
    return system.GetStatusResponse(
        version="0.1.0",
        started_at=ts(-8100),
        uptime=Duration(seconds=8100),
        state=common.SERVING_STATE_DEGRADED,
        reasons=["redis down: in-process cache and bus"],
        database=system.DatabaseStatus(
            embedded=True,
            server_version="16.2",
            has_pgvector=True,
            vector_search="hnsw",
            pool_in_use=3,
            pool_size=10,
            migration_level=9,
            reachable=True,
        ),
        redis=system.RedisStatus(configured=True, up=False, breaker_state="open", reason="connection refused"),
        services=[
            system.ServiceStatus(name=f"auralink.v1.{name}", state=common.SERVING_STATE_SERVING) for name in services
        ]
        + [
            system.ServiceStatus(name="database", state=common.SERVING_STATE_SERVING),
            system.ServiceStatus(name="event_bus", state=common.SERVING_STATE_DEGRADED, detail="in-process fallback"),
        ],
        replica_id="4f2a9c1e77b0",
        rpc=system.RpcStats(calls_total=calls, errors_total=errors),
    )


def whoami(permissions: list[str]) -> access.WhoAmIResponse:
    return access.WhoAmIResponse(
        user=access.User(id="u-1", email="ops@example.org"),
        organization=access.Organization(id="o-1", name="Example Org"),
        permissions=permissions,
        credential_type="token",
    )


def events() -> list[m.DataMessage]:
    rows = [
        ("system.started", {"replica_id": "4f2a9c1e77b0"}),
        ("mesh.node.registered", {"name": "alpha", "region": "eu-west"}),
        ("mesh.node.state", {"name": "delta", "state": "SUSPECT"}),
        ("roles.updated", {"role": "operators", "granted": "mesh:read"}),
        ("compression.session.started", {"frame_type": "audio", "mode": "adaptive"}),
        ("mesh.node.state", {"name": "delta", "state": "ALIVE"}),
    ]
    return [
        m.EventReceived(system.Event(id=f"e{i}", topic=topic, time=ts(i * 7), data=struct(**data), replica_id="4f2a"))
        for i, (topic, data) in enumerate(rows)
    ]


def node(name: str, state: int, region: str, load: int, trust: float, band: int, **extra: object) -> mesh.MeshNode:
    return mesh.MeshNode(
        id=f"n-{name}",
        name=name,
        address=f"{name}.mesh:7000",
        region=region,
        node_type=mesh.NODE_TYPE_RELAY,
        state=state,
        capacity=100,
        current_load=load,
        trust=trust,
        trust_band=band,
        link_count=2,
        **extra,  # type: ignore[arg-type]
    )


NODES = [
    node("alpha", mesh.NODE_STATE_ALIVE, "eu-west", 12, 0.91, mesh.TRUST_BAND_HIGH, anchor=True),
    node("bravo", mesh.NODE_STATE_ALIVE, "eu-west", 40, 0.72, mesh.TRUST_BAND_MEDIUM),
    node("charlie", mesh.NODE_STATE_SUSPECT, "us-east", 75, 0.55, mesh.TRUST_BAND_MEDIUM),
    node("delta", mesh.NODE_STATE_OFFLINE, "us-east", 0, 0.30, mesh.TRUST_BAND_LOW),
    node(
        "echo",
        mesh.NODE_STATE_ALIVE,
        "ap-south",
        5,
        0.05,
        mesh.TRUST_BAND_UNTRUSTED,
        quarantined=True,
        quarantine_reason="relay misbehaviour",
    ),
]


def network(i: int) -> mesh.NetworkStatus:
    return mesh.NetworkStatus(
        nodes_by_state={"NODE_STATE_ALIVE": 3, "NODE_STATE_SUSPECT": 1, "NODE_STATE_OFFLINE": 1},
        link_count=8,
        mean_link_rtt_ms=14.0 + (i % 5) * 1.5,
        p95_link_rtt_ms=38.0 + (i % 7) * 2.0,
        components=2,
        central_relays=[mesh.RelayCentrality(node="n-bravo", name="bravo", betweenness=0.5)],
        quarantined=1,
        time=ts(i * 2),
    )


def hop(frm: str, to: str, latency: float, bw: float, trust: float) -> mesh.RouteHop:
    return mesh.RouteHop(
        from_node=f"n-{frm}", to_node=f"n-{to}", to_name=to, latency_ms=latency, bandwidth_kbps=bw, relay_trust=trust
    )


def route() -> m.RouteFound:
    primary = mesh.RoutePath(
        nodes=["n-alpha", "n-bravo", "n-charlie"],
        names=["alpha", "bravo", "charlie"],
        hops=[hop("alpha", "bravo", 5.0, 50_000, 0.72), hop("bravo", "charlie", 6.0, 40_000, 0.55)],
        cost=11.8,
        latency_ms=11.0,
        bottleneck_bandwidth_kbps=40_000,
    )
    alternative = mesh.RoutePath(
        nodes=["n-alpha", "n-delta", "n-charlie"],
        names=["alpha", "delta", "charlie"],
        hops=[hop("alpha", "delta", 20.0, 20_000, 0.30), hop("delta", "charlie", 4.5, 40_000, 0.55)],
        cost=31.2,
        latency_ms=24.5,
        bottleneck_bandwidth_kbps=20_000,
    )
    return m.RouteFound("alpha", "charlie", mesh.FindOptimalRouteResponse(paths=[primary, alternative]))


def reputations() -> m.Reputations:
    reps = [
        mesh.NodeReputation(
            node=n.id,
            name=n.name,
            trust=n.trust,
            band=n.trust_band,
            anchor=n.anchor,
            quarantined=n.quarantined,
            successful_relays=100 - i * 20,
            failed_relays=i * 3,
        )
        for i, n in enumerate(NODES)
    ]
    return m.Reputations(reps)


def explanation() -> m.ReputationExplained:
    rep = reputations().reputations[2]
    return m.ReputationExplained(
        mesh.ReputationExplanation(
            reputation=rep,
            summary=["anchors: alpha", "inflow 0.41 from 2 reporters", "penalty: 3 failed relays (x3 weight)"],
            contributions=[
                mesh.EvidenceContribution(
                    kind=mesh.EVIDENCE_KIND_RELAY_SUCCESS, reporter_name="alpha", impact=0.42, time=ts(10)
                ),
                mesh.EvidenceContribution(
                    kind=mesh.EVIDENCE_KIND_RELAY_FAILURE, reporter_name="bravo", impact=-0.18, time=ts(20)
                ),
            ],
        )
    )


ROLE_PERMS = {
    "admin": ["*"],
    "operators": ["mesh:read", "mesh:route", "reputation:read", "compression:read"],
    "moderator": ["roles:read", "audit:read", "users:read"],
    "user": ["self:read", "memories:read", "memories:write"],
}


def roles() -> list[m.DataMessage]:
    role_list = [
        access.Role(
            id=f"r-{name}",
            name=name,
            description=f"{name} role",
            permissions=perms,
            system=name != "operators",
        )
        for name, perms in ROLE_PERMS.items()
    ]
    catalogue = [
        access.Permission(name=p, description=f"Call {p.split(':')[0].title()} {p.split(':')[1]}")
        for p in sorted({p for perms in ROLE_PERMS.values() for p in perms if p != "*"})
    ]
    effective = access.GetEffectivePermissionsResponse(
        user_id="u-2",
        assignments=[
            access.RoleAssignment(role_name="user", implicit=True, create_time=ts(-86400)),
            access.RoleAssignment(role_name="operators", granted_by="ops@example.org", create_time=ts(-3600)),
        ],
        permissions=["mesh:read"],
    )
    return [
        m.RolesLoaded(role_list),
        m.PermissionCatalogue(catalogue),
        m.AssignmentsLoaded("dana@example.org", effective),
    ]


def audit() -> list[m.DataMessage]:
    rows = [
        ("RoleService/CreateRole", "role", "r-operators", "success"),
        ("RoleService/GrantPermissions", "role", "r-operators", "success"),
        ("RoleService/AssignRole", "user", "u-2", "success"),
        ("MeshRoutingService/RegisterNode", "mesh_node", "n-echo", "success"),
        ("ReputationService/QuarantineNode", "mesh_node", "n-echo", "success"),
        ("RoleService/DeleteRole", "role", "r-admin", "denied"),
    ]
    out: list[m.DataMessage] = [
        m.AuditEntryReceived(
            access.AuditEntry(
                id=100 + i,
                actor_user_id="9d1c0b7e-0000",
                actor_type="user",
                action=action,
                resource_type=kind,
                resource_id=rid,
                outcome=outcome,
                create_time=ts(i * 11),
            )
        )
        for i, (action, kind, rid, outcome) in enumerate(rows)
    ]
    out.append(m.AuditChainVerified(access.VerifyAuditChainResponse(ok=True, rows_checked=105)))
    return out


def figures(
    frames: int, ratio: float, quality: float, p50: float, p99: float, fallbacks: int, metric: str = "pesq_wb"
) -> comp.CompressionFigures:
    return comp.CompressionFigures(
        frames=frames,
        bytes_in=frames * 1920,
        bytes_out=int(frames * 1920 / ratio),
        compression_ratio=ratio,
        reduction_pct=100 * (1 - 1 / ratio),
        bandwidth_saved_bytes=frames * 1920 - int(frames * 1920 / ratio),
        quality={metric: quality},
        latency_p50=ms(p50),
        latency_p99=ms(p99),
        fallback_count=fallbacks,
    )


def metrics() -> list[m.DataMessage]:
    out: list[m.DataMessage] = []
    for i in range(30):
        resp = comp.GetCompressionMetricsResponse(
            per_session={
                "s-audio-adaptive": figures(500 + i * 50, 9.5 + (i % 4) * 0.3, 3.6, 0.8, 2.1, i // 10),
                "s-screen-conservative": figures(120 + i * 10, 22.0 + (i % 3), 0.96, 4.2, 9.8, 0, "ssim"),
            },
            as_of=ts(i),
            per_mode=[
                comp.ModeFigures(
                    frame_type=comp.FRAME_TYPE_AUDIO,
                    mode=comp.COMPRESSION_MODE_ADAPTIVE,
                    figures=figures(500 + i * 50, 9.5 + (i % 4) * 0.3, 3.6, 0.8, 2.1, i // 10),
                ),
                comp.ModeFigures(
                    frame_type=comp.FRAME_TYPE_SCREEN,
                    mode=comp.COMPRESSION_MODE_CONSERVATIVE,
                    figures=figures(120 + i * 10, 22.0 + (i % 3), 0.96, 4.2, 9.8, 0, "ssim"),
                ),
            ],
        )
        getattr(resp, "global").CopyFrom(
            figures(
                620 + i * 60,
                10.0 + (i % 6) * 0.4,
                3.5 + (i % 3) * 0.05,
                1.0 + (i % 4) * 0.1,
                3.0 + (i % 5) * 0.4,
                i // 10,
            )
        )
        out.append(m.CompressionMetrics(resp))
    return out


def bench() -> list[m.DataMessage]:
    rows = [
        (comp.FRAME_TYPE_AUDIO, comp.COMPRESSION_MODE_CONSERVATIVE, "opus", 24.0, 96.9, {"pesq_wb": 4.1}, 0.9, 1.9),
        (comp.FRAME_TYPE_AUDIO, comp.COMPRESSION_MODE_AGGRESSIVE, "opus", 10.0, 98.7, {"pesq_wb": 2.9}, 0.8, 1.7),
        (comp.FRAME_TYPE_SCREEN, comp.COMPRESSION_MODE_ADAPTIVE, "webp", 310.0, 97.4, {"ssim": 0.93}, 6.1, 11.0),
    ]
    out: list[m.DataMessage] = [m.BenchmarkProgress(0.25, "audio: conservative")]
    for kind, mode, codec, kbps, red, quality, p50, p99 in rows:
        out.append(
            m.BenchmarkRow(
                comp.BenchmarkRow(
                    frame_type=kind,
                    mode=mode,
                    codec=codec,
                    kbps=kbps,
                    reduction_pct=red,
                    quality=quality,
                    latency_p50=ms(p50),
                    latency_p99=ms(p99),
                    baseline=comp.BenchmarkBaseline(name="plain opus" if codec == "opus" else "png", kbps=kbps * 1.2),
                    bitrate_vs_baseline=0.83,
                )
            )
        )
    out.append(m.BenchmarkProgress(0.6, "screen: adaptive"))
    return out


def agents_and_memory() -> list[m.DataMessage]:
    """Issues 4 and 5's services, for a daemon that has them."""
    from auralink.v1 import agents_pb2 as agents
    from auralink.v1 import memory_pb2 as memory

    agent_list = [
        agents.Agent(
            id="a-1",
            name="concierge",
            description="front desk",
            model="gpt-4o-mini",
            provider="openai",
            temperature=0.7,
            system_prompt="You greet guests.",
            memory_enabled=True,
            version=3,
            tools=["time/get_current_time"],
        ),
        agents.Agent(id="a-2", name="scribe", model="llama3.1:8b", provider="ollama", temperature=0.2, version=1),
    ]
    recalled = [
        memory.RecalledMemory(
            memory=memory.Memory(id=f"mem-{i}", content=text),
            score=memory.ScoreComponents(score=s, semantic=se, keyword=k, recency=r, importance=imp),
        )
        for i, (text, s, se, k, r, imp) in enumerate(
            [
                ("Dana prefers the quiet room on Fridays", 0.91, 0.88, 0.75, 0.60, 0.80),
                ("Room 4 projector was fixed on Tuesday", 0.64, 0.52, 0.40, 0.90, 0.30),
            ]
        )
    ]
    stats = memory.MemoryStats(
        total=1284,
        by_state=[memory.CountEntry(key="active", count=1201), memory.CountEntry(key="archived", count=83)],
        duplicate_ratio=0.042,
        recall_p50_ms=7.5,
        recall_p95_ms=21.0,
        pgvector=True,
    )
    recent = [
        memory.Memory(id=f"mem-{i}", content=text, importance=imp)
        for i, (text, imp) in enumerate(
            [
                ("Dana prefers the quiet room on Fridays", 0.8),
                ("Room 4 projector was fixed on Tuesday", 0.3),
                ("The standup meeting is at nine every weekday", 0.5),
            ]
        )
    ]
    tool_call = agents.ChatToolCall(
        step=1,
        connection="time",
        tool="get_current_time",
        arguments_json='{"timezone": "Europe/Lisbon"}',
        result='{"timezone": "Europe/Lisbon", "datetime": "2026-11-28T09:30:00+00:00"}',
        duration=ms(41),
    )
    return [
        m.RecentMemories(recent),
        m.AgentsLoaded(agent_list),
        m.AgentToolCall("concierge", tool_call),
        m.AgentReplyChunk("concierge", "Good morning! "),
        m.AgentReplyChunk("concierge", "The quiet room is free until noon.", done=True),
        m.MemoryResults("quiet room", recalled),
        m.MemoryStats(stats),
    ]


def mcp_connections() -> list[m.DataMessage]:
    """Issue 13's connections in each health state, and one connection's tools."""
    from auralink.v1 import mcp_pb2 as mcp

    connections = [
        mcp.MCPConnection(
            id="c-1",
            name="time",
            transport=mcp.MCP_TRANSPORT_STDIO,
            command="mcp-server-time",
            state=mcp.MCP_CONNECTION_STATE_CONNECTED,
            server_name="mcp-time",
            server_version="1.9.4",
            tool_count=2,
        ),
        mcp.MCPConnection(
            id="c-2",
            name="git",
            transport=mcp.MCP_TRANSPORT_STDIO,
            command="mcp-server-git",
            args=["--repository", "/srv/repo"],
            state=mcp.MCP_CONNECTION_STATE_DEGRADED,
            state_reason="server exited (code 1); restarting in 2s",
            tool_count=12,
        ),
        mcp.MCPConnection(
            id="c-3",
            name="search",
            transport=mcp.MCP_TRANSPORT_STREAMABLE_HTTP,
            url="https://search.example.org/mcp",
            state=mcp.MCP_CONNECTION_STATE_FAILED,
            state_reason="connection refused",
        ),
        mcp.MCPConnection(id="c-4", name="notes", transport=mcp.MCP_TRANSPORT_STDIO, command="mcp-notes", state=1),
    ]
    tools = [
        mcp.MCPTool(connection_id="c-1", connection_name="time", name="get_current_time", description="Current time"),
        mcp.MCPTool(connection_id="c-1", connection_name="time", name="convert_time", description="Convert a time"),
    ]
    return [m.McpConnectionsLoaded(connections), m.McpToolsLoaded("time", tools)]


WORKFLOW_DEFINITION = {
    "engine": "langgraph",
    "nodes": [
        {"id": "known", "type": "memory_recall"},
        {"id": "draft", "type": "agent"},
        {"id": "approve", "type": "human"},
        {"id": "gate", "type": "router", "routes": [{"to": "remember"}], "default": "END"},
        {"id": "remember", "type": "memory_store"},
    ],
    "edges": [["known", "draft"], ["draft", "approve"], ["approve", "gate"]],
}


def workflows() -> list[m.DataMessage]:
    """Issue 14's workflows and runs, one run followed to its human step."""
    import json

    from auralink.v1 import workflows_pb2 as wf

    flows = [
        wf.Workflow(id="w-1", name="research-brief", engine="langgraph", version=2,
                    definition=json.dumps(WORKFLOW_DEFINITION)),
        wf.Workflow(id="w-2", name="triage", engine="crewai", version=1, definition="{}"),
    ]  # fmt: skip
    waiting = wf.Run(
        id="r-7f3a9c20-0000",
        workflow_id="w-1",
        workflow_name="research-brief",
        workflow_version=2,
        engine="langgraph",
        state=wf.RUN_STATE_WAITING_INPUT,
        inputs={"topic": "sea otters"},
        current_step="approve",
        waiting_prompt="Keep this brief about sea otters? (yes/no)",
        create_time=ts(60),
    )
    runs = [
        waiting,
        wf.Run(id="r-51c2d4e0-0000", workflow_id="w-2", workflow_name="triage", workflow_version=1, engine="crewai",
               state=wf.RUN_STATE_COMPLETED, output='{"summary": "3 tickets"}', create_time=ts(30)),
        wf.Run(id="r-0a9b8c7d-0000", workflow_id="w-1", workflow_name="research-brief", workflow_version=1,
               engine="langgraph", state=wf.RUN_STATE_FAILED, current_step="draft",
               error="RESOURCE_EXHAUSTED: budget of org exhausted", create_time=ts(10)),
    ]  # fmt: skip
    steps = [
        ("run_started", "", {}),
        ("step_started", "known", {"type": "memory_recall"}),
        ("memory_read", "known", {"query": "sea otters", "ids": ["mem-1"]}),
        ("step_finished", "known", {"type": "memory_recall"}),
        ("step_started", "draft", {"type": "agent"}),
        ("step_finished", "draft", {"type": "agent", "model": "local/smollm2-135m", "prompt_tokens": 212,
                                    "completion_tokens": 88, "cost_usd": 0.000045}),
        ("interrupted", "approve", {"prompt": "Keep this brief about sea otters? (yes/no)"}),
    ]  # fmt: skip
    events = [
        m.RunEventReceived(
            wf.RunEvent(run_id=waiting.id, seq=i + 1, kind=kind, step=step, data=json.dumps(data), time=ts(60 + i))
        )
        for i, (kind, step, data) in enumerate(steps)
    ]
    return [m.WorkflowsLoaded(flows), m.RunsLoaded(runs), m.RunWatched(waiting.id), *events]


def dataset(permissions: list[str] | None = None, *, unavailable: bool = True) -> list[m.DataMessage]:
    """Everything a connected dashboard has seen after a minute, in arrival order."""
    out: list[m.DataMessage] = [m.ConnectionChanged("connected", ADDRESS)]
    out.append(m.IdentityLoaded(whoami(ALL if permissions is None else permissions)))
    for i in range(40):
        calls = 1000 + i * 12 + (i % 5) * 9 + (i // 10) * i * 3
        out.append(m.StatusReceived(status(calls, i // 4 + (i % 7 == 0) * 2), at=float(i)))
    out += events()
    out.append(m.MeshNodes(NODES))
    out += [m.NetworkStatusReceived(network(i)) for i in range(30)]
    out += [reputations(), explanation(), route()]
    out += roles() + audit() + metrics() + bench()
    if not unavailable:
        out += agents_and_memory() + mcp_connections() + workflows()
    else:
        for area in ("agents", "mcp", "memory", "workflows"):
            out.append(
                m.ServiceUnavailable(area, "UNIMPLEMENTED", "service not available on this daemon (UNIMPLEMENTED)")
            )
    return out


class RecordedArea:
    """One area of tui.sources.DataSource as recorded: only the real area's actions exist.

    An action the real area lacks is an AttributeError, and arguments its real signature would
    refuse are a TypeError, so a screen cannot call something the live source would not answer.
    Calls are recorded; nothing reaches a daemon.
    """

    def __init__(self, name: str, real: type[Area], calls: list[tuple[str, tuple[object, ...]]]) -> None:
        self._name, self._real, self._calls = name, real, calls

    def __getattr__(self, action: str) -> Callable[..., Awaitable[None]]:
        method = getattr(self._real, action, None)
        if action.startswith("_") or action in INTERNAL or not inspect.iscoroutinefunction(method):
            raise AttributeError(f"{self._real.__name__} has no action {action!r}")
        signature = inspect.signature(method)

        async def record(*args: object, **kwargs: object) -> None:
            signature.bind(self, *args, **kwargs)
            self._calls.append((f"{self._name}.{action}", args + tuple(kwargs.values())))

        return record


INTERNAL = frozenset({"on_connect"})  # run by the source itself, never by a screen


class RecordedSource:
    """Stands in for tui.sources.DataSource: posts the recorded data set, records the screens' actions."""

    def __init__(self, messages: list[m.DataMessage] | None = None) -> None:
        self.address = ADDRESS
        self.messages = dataset() if messages is None else messages
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self._post: Callable[[m.DataMessage], object] = lambda _msg: None
        for name, real in AREA_SOURCES.items():
            setattr(self, name, RecordedArea(name, real, self.calls))

    def start(self, sink: Callable[[m.DataMessage], object]) -> None:
        self._post = sink
        for message in self.messages:
            sink(message)

    async def stop(self) -> None:
        return None
