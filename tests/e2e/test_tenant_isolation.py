"""Two organizations on one daemon, each with an org admin and a plain member, acting as hostile tenants.

Every streaming RPC that shows live data (events, audit, mesh status, compression metrics, room
assignments) and the unary ones that take another tenant's ids are tried from org A against org B's
resources. Nothing of B may be seen, and nothing of B may change; A's own data is seen (each stream's
positive control), so an empty stream cannot pass for an isolated one.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import grpc
import pytest
from google.protobuf import duration_pb2, field_mask_pb2

from auralink.v1 import (
    access_pb2,
    access_pb2_grpc,
    agents_pb2,
    agents_pb2_grpc,
    compression_pb2,
    compression_pb2_grpc,
    mesh_pb2,
    mesh_pb2_grpc,
    providers_pb2,
    providers_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
)
from tests.conftest import MigratedTemplates, _create_database, _drop_database
from tests.support import Daemon, EmbeddedServer, bearer, daemon_env, short_tempdir

MODEL = "local/smollm2-135m"
Metadata = tuple[tuple[str, str], ...]


@dataclass
class Person:
    user_id: str
    token: str
    token_id: str

    @property
    def md(self) -> Metadata:
        return bearer(self.token)


@dataclass
class Tenant:
    id: str
    slug: str
    admin: Person
    member: Person
    agent_id: str = ""  # created by the admin
    member_agent_id: str = ""  # created by the member
    room_id: str = ""
    node_ids: list[str] = field(default_factory=list)
    session_id: str = ""  # the member's compression session
    api_key_prefix: str = ""  # the member's API key

    def secrets(self) -> list[str]:
        """Every id of this tenant that must never show up in the other tenant's view."""
        people = (self.admin, self.member)
        return [
            self.id, self.slug, self.agent_id, self.member_agent_id, self.room_id, self.session_id,
            self.api_key_prefix, *self.node_ids, *(p.user_id for p in people), *(p.token_id for p in people),
        ]  # fmt: skip


@dataclass
class World:
    daemon: Daemon
    a: Tenant
    b: Tenant

    @property
    def operator(self) -> Metadata:
        return bearer(self.daemon.token)


class Api:
    def __init__(self, channel: grpc.Channel) -> None:
        self.orgs = access_pb2_grpc.OrganizationServiceStub(channel)
        self.users = access_pb2_grpc.UserServiceStub(channel)
        self.roles = access_pb2_grpc.RoleServiceStub(channel)
        self.credentials = access_pb2_grpc.CredentialServiceStub(channel)
        self.audit = access_pb2_grpc.AuditServiceStub(channel)
        self.agents = agents_pb2_grpc.AgentServiceStub(channel)
        self.providers = providers_pb2_grpc.AIProviderServiceStub(channel)
        self.mesh = mesh_pb2_grpc.MeshRoutingServiceStub(channel)
        self.compression = compression_pb2_grpc.AICCompressionServiceStub(channel)
        self.system = system_pb2_grpc.SystemServiceStub(channel)


def code_of(call: Callable[..., Any], request: Any, md: Metadata) -> grpc.StatusCode:
    try:
        call(request, metadata=md, timeout=30)
    except grpc.RpcError as exc:
        return exc.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def _insert_room(dsn: str, org_id: str, user_id: str, name: str) -> str:
    async def insert() -> str:
        conn = await asyncpg.connect(dsn)
        try:
            return str(
                await conn.fetchval(
                    "INSERT INTO rooms (organization_id, created_by, name) VALUES ($1, $2, $3) RETURNING id",
                    uuid.UUID(org_id),
                    uuid.UUID(user_id),
                    name,
                )
            )
        finally:
            await conn.close()

    return asyncio.run(insert())


def _person(api: Api, operator: Metadata, org: str, name: str, role: int) -> Person:
    user = api.users.CreateUser(
        access_pb2.CreateUserRequest(
            user=access_pb2.User(email=f"{name}@{org}.test", username=name, base_role=role), organization=org
        ),
        metadata=operator,
        timeout=10,
    )
    # The platform operator hands the first credential out; the token carries the user's own org.
    issued = api.credentials.IssueToken(
        access_pb2.IssueTokenRequest(user=user.id, scopes=["*"], ttl_seconds=3600), metadata=operator, timeout=10
    )
    return Person(user.id, issued.token, issued.token_id)


def _tenant(api: Api, daemon: Daemon, slug: str, nodes: int) -> Tenant:
    operator = bearer(daemon.token)
    org = api.orgs.CreateOrganization(access_pb2.CreateOrganizationRequest(name=slug, slug=slug), metadata=operator)
    tenant = Tenant(
        org.id,
        slug,
        _person(api, operator, slug, f"{slug}-admin", access_pb2.BASE_ROLE_ADMIN),
        _person(api, operator, slug, f"{slug}-member", access_pb2.BASE_ROLE_USER),
    )
    a, m = tenant.admin.md, tenant.member.md
    tenant.agent_id = api.agents.CreateAgent(
        agents_pb2.CreateAgentRequest(agent=agents_pb2.Agent(name=f"{slug}-bot", model=MODEL)), metadata=a, timeout=120
    ).id
    tenant.member_agent_id = api.agents.CreateAgent(
        agents_pb2.CreateAgentRequest(agent=agents_pb2.Agent(name=f"{slug}-mine", model=MODEL)), metadata=m, timeout=60
    ).id
    tenant.room_id = _insert_room(daemon.env["AURALINK_DATABASE_URL"], org.id, tenant.admin.user_id, f"{slug}-room")
    api.agents.AssignRoom(
        agents_pb2.AssignRoomRequest(agent=tenant.agent_id, room_id=tenant.room_id), metadata=a, timeout=10
    )
    for i in range(nodes):
        registered = api.mesh.RegisterNode(
            mesh_pb2.RegisterNodeRequest(name=f"{slug}-n{i}", address=f"{slug}-n{i}.mesh:7000", region="eu"),
            metadata=a,
            timeout=10,
        )
        tenant.node_ids.append(registered.node.id)
        api.mesh.Heartbeat(
            mesh_pb2.HeartbeatRequest(node=registered.node.id, load=1), metadata=bearer(registered.token), timeout=10
        )
    audio = compression_pb2.StreamFormat(
        audio=compression_pb2.AudioFormat(
            sample_rate=16000, channels=1, frame_duration=duration_pb2.Duration(nanos=20_000_000)
        )
    )
    config = compression_pb2.CompressionConfig(max_latency=duration_pb2.Duration(seconds=1))
    tenant.session_id = api.compression.StartSession(
        compression_pb2.StartSessionRequest(frame_type=compression_pb2.FRAME_TYPE_AUDIO, format=audio, config=config),
        metadata=m,
        timeout=60,
    ).session_id
    frame = compression_pb2.CompressFrameRequest(session_id=tenant.session_id, sequence=0, payload=bytes(640))
    api.compression.CompressFrame(frame, metadata=m, timeout=60)  # metrics list sessions that carried frames
    created = api.credentials.CreateApiKey(access_pb2.CreateApiKeyRequest(name="ci"), metadata=m, timeout=10)
    tenant.api_key_prefix = created.api_key.prefix
    # Events of every kind the bus carries for the org: revocations, too.
    spare = api.credentials.IssueToken(
        access_pb2.IssueTokenRequest(scopes=["system:ping"]), metadata=m, timeout=10
    ).token_id
    api.credentials.RevokeToken(access_pb2.RevokeTokenRequest(token_id=spare), metadata=m, timeout=10)
    return tenant


@pytest.fixture(scope="module")
def world(pg16_server: EmbeddedServer, migrated_templates: MigratedTemplates) -> Iterator[World]:
    async def create() -> tuple[str, str]:
        return await _create_database(pg16_server.dsn, await migrated_templates.name_for(pg16_server.dsn))

    name, dsn = asyncio.run(create())
    root = short_tempdir()
    daemon = Daemon(root / "d", daemon_env(root / "d", database_url=dsn))
    try:
        daemon.start()
        with daemon.channel() as channel:
            api = Api(channel)
            a = _tenant(api, daemon, "org-a", nodes=1)
            b = _tenant(api, daemon, "org-b", nodes=3)
        yield World(daemon, a, b)
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)
        asyncio.run(_drop_database(pg16_server.dsn, name))


class Collector:
    """Reads one server stream on a thread until cancelled; keeps every message."""

    def __init__(self, start: Callable[[], Any]) -> None:
        self.messages: list[Any] = []
        self.error: grpc.StatusCode | None = None
        self._call = start()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for message in self._call:
                self.messages.append(message)
        except grpc.RpcError as exc:
            if exc.code() is not grpc.StatusCode.CANCELLED:
                self.error = exc.code()

    def wait_for(self, predicate: Callable[[Any], bool], timeout_s: float = 15) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(predicate(m) for m in list(self.messages)):
                return
            if self.error is not None:
                raise AssertionError(f"the stream failed with {self.error}")
            time.sleep(0.05)
        raise AssertionError(f"not seen within {timeout_s} s; got {self.messages[-5:]}")

    def stop(self) -> list[Any]:
        self._call.cancel()
        self._thread.join(5)
        return self.messages


def _leaks(messages: list[Any], secrets: list[str]) -> list[str]:
    found = []
    for message in messages:
        text = str(message)
        found += [f"{s} in {text[:300]}" for s in secrets if s and s in text]
    return found


def test_every_stream_shows_only_the_callers_organization(world: World) -> None:
    a, b = world.a, world.b
    with world.daemon.channel() as channel:
        api = Api(channel)
        timeout = 60
        streams = {
            "events(member)": Collector(
                lambda: api.system.WatchEvents(
                    system_pb2.WatchEventsRequest(replay=1000), metadata=a.member.md, timeout=timeout
                )
            ),
            "events(admin)": Collector(
                lambda: api.system.WatchEvents(
                    system_pb2.WatchEventsRequest(replay=1000), metadata=a.admin.md, timeout=timeout
                )
            ),
            "audit(admin)": Collector(
                lambda: api.audit.WatchAudit(access_pb2.WatchAuditRequest(since_id=1), metadata=a.admin.md)
            ),
            "rooms(member)": Collector(
                lambda: api.agents.WatchRoomAssignments(
                    agents_pb2.WatchRoomAssignmentsRequest(), metadata=a.member.md, timeout=timeout
                )
            ),
            "rooms(admin)": Collector(
                lambda: api.agents.WatchRoomAssignments(
                    agents_pb2.WatchRoomAssignmentsRequest(), metadata=a.admin.md, timeout=timeout
                )
            ),
            "metrics(member)": Collector(
                lambda: api.compression.WatchMetrics(
                    compression_pb2.WatchMetricsRequest(), metadata=a.member.md, timeout=timeout
                )
            ),
            "metrics(admin)": Collector(
                lambda: api.compression.WatchMetrics(
                    compression_pb2.WatchMetricsRequest(), metadata=a.admin.md, timeout=timeout
                )
            ),
            "mesh(admin)": Collector(
                lambda: api.mesh.WatchNetworkStatus(
                    mesh_pb2.WatchNetworkStatusRequest(interval=duration_pb2.Duration(seconds=1)),
                    metadata=a.admin.md,
                    timeout=timeout,
                )
            ),
        }
        # While A watches: B acts (live), then A acts (each stream's positive control, after B's).
        b_room = _insert_room(world.daemon.env["AURALINK_DATABASE_URL"], b.id, b.admin.user_id, "org-b-live")
        api.agents.AssignRoom(agents_pb2.AssignRoomRequest(agent=b.agent_id, room_id=b_room), metadata=b.admin.md)
        b.room_id = b_room
        b_node = api.mesh.RegisterNode(
            mesh_pb2.RegisterNodeRequest(name="org-b-live", address="org-b-live.mesh:7000"), metadata=b.admin.md
        )
        b.node_ids.append(b_node.node.id)
        api.compression.UpdateNetworkConditions(
            compression_pb2.UpdateNetworkConditionsRequest(session_id=b.session_id, bandwidth_kbps=64),
            metadata=b.member.md,
        )
        a_room = _insert_room(world.daemon.env["AURALINK_DATABASE_URL"], a.id, a.admin.user_id, "org-a-live")
        api.agents.AssignRoom(agents_pb2.AssignRoomRequest(agent=a.agent_id, room_id=a_room), metadata=a.admin.md)

        def assigned_in_a(m: Any) -> bool:
            return getattr(m, "topic", "") == "agents.rooms.assigned" and m.data["room_id"] == a_room

        streams["events(member)"].wait_for(assigned_in_a)
        streams["events(admin)"].wait_for(assigned_in_a)
        streams["audit(admin)"].wait_for(lambda m: m.action == "AgentService/AssignRoom" and a_room in str(m))
        for name in ("rooms(member)", "rooms(admin)"):
            streams[name].wait_for(lambda m: m.assignment.room_id == a_room)
        for name in ("metrics(member)", "metrics(admin)"):
            streams[name].wait_for(lambda m: a.session_id in m.metrics.per_session)
        streams["mesh(admin)"].wait_for(lambda m: sum(m.nodes_by_state.values()) >= 1)
        time.sleep(1.5)  # B's live events had every chance to arrive
        seen = {name: stream.stop() for name, stream in streams.items()}

    secrets = b.secrets() + [b_room]
    for name, messages in seen.items():
        assert not _leaks(messages, secrets), f"{name} showed org B's data: {_leaks(messages, secrets)[:3]}"
    for name in ("events(member)", "events(admin)"):
        events = [e for e in seen[name] if not e.heartbeat]
        assert {e.organization_id for e in events} <= {a.id, ""}, name
        assert all(e.topic.startswith("system.") for e in events if not e.organization_id), name
        replayed = {e.topic for e in events}
        assert {"mesh.node.registered", "access.token.revoked", "agents.rooms.assigned"} <= replayed, name
    audit = [e for e in seen["audit(admin)"] if not e.heartbeat]
    assert audit and {e.organization_id for e in audit} == {a.id}
    for name in ("rooms(member)", "rooms(admin)"):
        rooms = {m.assignment.room_id for m in seen[name] if m.HasField("assignment") and m.assignment.room_id}
        assert rooms == {a.room_id, a_room}, name
    for name in ("metrics(member)", "metrics(admin)"):
        sessions = {s for m in seen[name] if m.HasField("metrics") for s in m.metrics.per_session}
        assert sessions == {a.session_id}, name
    statuses = [m for m in seen["mesh(admin)"]]
    assert statuses and all(sum(m.nodes_by_state.values()) == len(a.node_ids) for m in statuses)


def test_streams_a_member_may_not_watch_and_the_operators_opt_in(world: World) -> None:
    a = world.a
    with world.daemon.channel() as channel:
        api = Api(channel)

        def first(call: Callable[..., Any], request: Any, md: Metadata) -> grpc.StatusCode:
            try:
                next(iter(call(request, metadata=md, timeout=10)))
            except grpc.RpcError as exc:
                return exc.code()  # type: ignore[no-any-return]
            return grpc.StatusCode.OK

        assert (
            first(api.audit.WatchAudit, access_pb2.WatchAuditRequest(), a.member.md)
            is grpc.StatusCode.PERMISSION_DENIED
        )
        assert (
            first(api.mesh.WatchNetworkStatus, mesh_pb2.WatchNetworkStatusRequest(), a.member.md)
            is grpc.StatusCode.PERMISSION_DENIED
        )
        every_org = system_pb2.WatchEventsRequest(replay=1000, all_organizations=True)
        assert first(api.system.WatchEvents, every_org, a.admin.md) is grpc.StatusCode.PERMISSION_DENIED

        # The platform operator sees every org's events only when asking for them.
        stream = api.system.WatchEvents(every_org, metadata=world.operator, timeout=10)
        orgs: set[str] = set()
        for event in stream:
            orgs.add(event.organization_id)
            if {a.id, world.b.id} <= orgs:
                stream.cancel()
                break
        assert {a.id, world.b.id} <= orgs
        own = api.system.WatchEvents(system_pb2.WatchEventsRequest(replay=1000), metadata=world.operator, timeout=3)
        try:
            assert not any(e.organization_id in (a.id, world.b.id) for e in own)
        except grpc.RpcError as exc:
            assert exc.code() is grpc.StatusCode.DEADLINE_EXCEEDED


def test_unary_calls_on_the_other_organizations_ids_read_as_missing(world: World) -> None:
    a, b = world.a, world.b
    nf = grpc.StatusCode.NOT_FOUND
    with world.daemon.channel() as channel:
        api = Api(channel)
        b_agent_before = api.agents.GetAgent(agents_pb2.GetAgentRequest(agent=b.agent_id), metadata=b.admin.md)
        for who in (a.admin, a.member):
            md = who.md
            refused = {
                "GetUser": code_of(api.users.GetUser, access_pb2.GetUserRequest(user=b.member.user_id), md),
                "GetOrganization": code_of(
                    api.orgs.GetOrganization, access_pb2.GetOrganizationRequest(organization=b.slug), md
                ),
                "GetAgent": code_of(api.agents.GetAgent, agents_pb2.GetAgentRequest(agent=b.agent_id), md),
                "UpdateAgent": code_of(
                    api.agents.UpdateAgent,
                    agents_pb2.UpdateAgentRequest(
                        agent=agents_pb2.Agent(id=b.agent_id, description="pwned"),
                        update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                    ),
                    md,
                ),
                "DeleteAgent": code_of(api.agents.DeleteAgent, agents_pb2.DeleteAgentRequest(agent=b.agent_id), md),
                "AssignRoom(B room)": code_of(
                    api.agents.AssignRoom,
                    agents_pb2.AssignRoomRequest(agent=a.member_agent_id, room_id=b.room_id),
                    md,
                ),
                "Complete(B agent)": code_of(
                    api.providers.Complete,
                    providers_pb2.CompleteRequest(
                        messages=[providers_pb2.ChatMessage(role="user", content="hi")], agent_id=b.agent_id
                    ),
                    md,
                ),
                "Complete(random agent)": code_of(
                    api.providers.Complete,
                    providers_pb2.CompleteRequest(
                        messages=[providers_pb2.ChatMessage(role="user", content="hi")], agent_id=str(uuid.uuid4())
                    ),
                    md,
                ),
                "RevokeToken": code_of(
                    api.credentials.RevokeToken, access_pb2.RevokeTokenRequest(token_id=b.member.token_id), md
                ),
                "RevokeApiKey": code_of(
                    api.credentials.RevokeApiKey, access_pb2.RevokeApiKeyRequest(api_key=b.api_key_prefix), md
                ),
                "EndSession": code_of(
                    api.compression.EndSession, compression_pb2.EndSessionRequest(session_id=b.session_id), md
                ),
                "CompressFrame": code_of(
                    api.compression.CompressFrame,
                    compression_pb2.CompressFrameRequest(session_id=b.session_id, sequence=7, payload=bytes(640)),
                    md,
                ),
                "UpdateNetworkConditions": code_of(
                    api.compression.UpdateNetworkConditions,
                    compression_pb2.UpdateNetworkConditionsRequest(session_id=b.session_id, bandwidth_kbps=8),
                    md,
                ),
            }
            if who is a.admin:
                refused["IssueToken(B user)"] = code_of(
                    api.credentials.IssueToken,
                    access_pb2.IssueTokenRequest(user=b.member.user_id, scopes=["system:ping"]),
                    md,
                )
                refused["GetEffectivePermissions"] = code_of(
                    api.roles.GetEffectivePermissions,
                    access_pb2.GetEffectivePermissionsRequest(user=b.member.user_id),
                    md,
                )
                refused["GetNode"] = code_of(api.mesh.GetNode, mesh_pb2.GetNodeRequest(node=b.node_ids[0]), md)
                refused["DeregisterNode"] = code_of(
                    api.mesh.DeregisterNode, mesh_pb2.DeregisterNodeRequest(node=b.node_ids[0]), md
                )
            wrong = {name: code for name, code in refused.items() if code is not nf}
            assert not wrong, f"{'admin' if who is a.admin else 'member'} of A: {wrong}"

            listed = [
                api.users.ListUsers(access_pb2.ListUsersRequest(page_size=100), metadata=md),
                api.agents.ListAgents(agents_pb2.ListAgentsRequest(page_size=100), metadata=md),
                api.agents.ListRoomAssignments(agents_pb2.ListRoomAssignmentsRequest(), metadata=md),
                api.credentials.ListTokens(access_pb2.ListTokensRequest(include_revoked=True), metadata=md),
                api.credentials.ListApiKeys(access_pb2.ListApiKeysRequest(include_revoked=True), metadata=md),
                api.compression.ListSessions(compression_pb2.ListSessionsRequest(), metadata=md),
                api.orgs.ListOrganizations(access_pb2.ListOrganizationsRequest(), metadata=md),
            ]
            if who is a.admin:
                listed += [
                    api.mesh.ListNodes(mesh_pb2.ListNodesRequest(), metadata=md),
                    api.audit.ListAuditLogs(access_pb2.ListAuditLogsRequest(page_size=500), metadata=md),
                ]
            assert not _leaks(listed, b.secrets())
            assert a.id in str(listed[0])  # the lists are not simply empty

        # Nothing of B changed: its agent, session, node and credentials are as they were.
        assert api.agents.GetAgent(agents_pb2.GetAgentRequest(agent=b.agent_id), metadata=b.admin.md) == b_agent_before
        assert b.session_id in str(
            api.compression.ListSessions(compression_pb2.ListSessionsRequest(), metadata=b.member.md)
        )
        assert api.mesh.GetNode(mesh_pb2.GetNodeRequest(node=b.node_ids[0]), metadata=b.admin.md).id == b.node_ids[0]
        who = api.credentials.WhoAmI(access_pb2.WhoAmIRequest(), metadata=b.member.md)
        assert who.organization.id == b.id
        keys = api.credentials.ListApiKeys(access_pb2.ListApiKeysRequest(), metadata=b.member.md)
        assert [k.prefix for k in keys.api_keys] == [b.api_key_prefix]
        # And the daemon kept answering everyone (a refused call is not an INTERNAL one).
        assert "Traceback" not in world.daemon.logs()


def test_agents_change_only_by_their_creator_or_an_org_admin(world: World) -> None:
    a = world.a
    with world.daemon.channel() as channel:
        api = Api(channel)

        def describe(agent: str, md: Metadata, text: str) -> grpc.StatusCode:
            request = agents_pb2.UpdateAgentRequest(
                agent=agents_pb2.Agent(id=agent, description=text),
                update_mask=field_mask_pb2.FieldMask(paths=["description"]),
            )
            return code_of(api.agents.UpdateAgent, request, md)

        # A plain member reads the admin's agent, but may neither change nor delete it.
        assert api.agents.GetAgent(agents_pb2.GetAgentRequest(agent=a.agent_id), metadata=a.member.md).id == a.agent_id
        assert describe(a.agent_id, a.member.md, "mine now") is grpc.StatusCode.PERMISSION_DENIED
        denied = code_of(api.agents.DeleteAgent, agents_pb2.DeleteAgentRequest(agent=a.agent_id), a.member.md)
        assert denied is grpc.StatusCode.PERMISSION_DENIED
        denied = code_of(
            api.agents.UnassignRoom, agents_pb2.UnassignRoomRequest(agent=a.agent_id, room_id=a.room_id), a.member.md
        )
        assert denied is grpc.StatusCode.PERMISSION_DENIED
        after = api.agents.GetAgent(agents_pb2.GetAgentRequest(agent=a.agent_id), metadata=a.admin.md)
        assert after.description != "mine now"
        # The member changes their own agent; the org admin may change anyone's.
        assert describe(a.member_agent_id, a.member.md, "by its creator") is grpc.StatusCode.OK
        assert describe(a.member_agent_id, a.admin.md, "by the org admin") is grpc.StatusCode.OK
        refusals = api.audit.ListAuditLogs(
            access_pb2.ListAuditLogsRequest(page_size=50, action="AgentService/*"), metadata=a.admin.md
        )
        assert any(e.outcome == "denied" and e.actor_user_id == a.member.user_id for e in refusals.entries)
