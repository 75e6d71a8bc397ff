"""Three daemons on one PostgreSQL and one Redis behave as one service behind gRPC's round_robin.

Stated bounds (README, Operations), each checked here:
- a permission revoked on one replica is refused by the others within 1 s (the bus carries it);
- mesh link estimates from heartbeats on one replica reach the others' routes within MESH_BOUND_S: the
  flush interval (1 s) plus a detector tick and the bus;
- spend against one budget from several replicas overshoots by at most the calls the other replicas
  complete within SPEND_STALENESS_S (the counters' refresh, 2 s, plus the usage writer's interval, 1 s),
  plus one call in flight;
- a replica killed mid-load costs no call of a client that uses the documented client config
  (deploy/k8s/README.md): round_robin drops the replica, and the retry policy sends the calls that were in
  flight on it, or picked it before the client saw it go, to another one.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import asyncpg
import grpc
import httpx
import pytest
from google.protobuf import duration_pb2
from prometheus_client.parser import text_string_to_metric_families

from auralink.v1 import (
    access_pb2,
    access_pb2_grpc,
    memory_pb2,
    memory_pb2_grpc,
    mesh_pb2,
    mesh_pb2_grpc,
    providers_pb2,
    providers_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
)
from auralinkd.providers.completions import RESOLVE_TTL_S
from tests.fakes.openai_server import FakeOpenAI
from tests.support import Daemon, EmbeddedServer, bearer, daemon_env, free_port, short_tempdir, with_database

REVOCATION_BOUND_S = 1.0
MESH_BOUND_S = 2.0
USAGE_WRITER_INTERVAL_S = 1.0
SPEND_STALENESS_S = RESOLVE_TTL_S + USAGE_WRITER_INTERVAL_S
# deploy/k8s/README.md's client config: per-call round_robin, and idempotent reads retried on UNAVAILABLE.
CLIENT_SERVICE_CONFIG = json.dumps({
    "loadBalancingConfig": [{"round_robin": {}}],
    "methodConfig": [{
        "name": [{"service": "auralink.v1.SystemService", "method": "Ping"}],
        "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.05s", "maxBackoff": "0.5s",
                        "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]},
    }],
})  # fmt: skip
LOADED_MACHINE_MARGIN_S = 1.0  # for the mesh bound only: a replica's 1 s flush loop shares 2 busy cores


@dataclass
class Fleet:
    replicas: list[Daemon]
    addresses: list[str]
    http: str  # replica 1's /metrics
    redis: subprocess.Popen[bytes]
    fake: FakeOpenAI

    @property
    def admin(self) -> tuple[tuple[str, str], ...]:
        return bearer(self.replicas[0].token)

    def channel(self, i: int) -> grpc.Channel:
        return grpc.insecure_channel(self.addresses[i])

    def balanced(self) -> grpc.Channel:
        """One channel over the three addresses with the client config deploy/k8s/README.md documents."""
        target = "ipv4:" + ",".join(self.addresses)
        return grpc.insecure_channel(target, options=[("grpc.service_config", CLIENT_SERVICE_CONFIG)])


def _admin_sql(dsn: str, sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="module")
def fleet(pg16_server: EmbeddedServer) -> Iterator[Fleet]:
    database = f"auralink_fleet_{uuid.uuid4().hex[:10]}"
    _admin_sql(pg16_server.dsn, f'CREATE DATABASE "{database}"')  # empty: the first replica migrates it
    root = short_tempdir()
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    shared = {
        "database_url": with_database(pg16_server.dsn, database),
        "redis_url": f"redis://127.0.0.1:{redis_port}/0",
        "jwt_secret": secrets.token_urlsafe(48),
        "provider_kek": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",  # one KEK: keys stored on one open on all
    }
    addresses = [f"127.0.0.1:{free_port()}" for _ in range(3)]
    http = f"127.0.0.1:{free_port()}"
    replicas = []
    for i, address in enumerate(addresses):
        extra = {"tcp_address": address, **({"http_address": http} if i == 1 else {})}
        replicas.append(Daemon(root / f"r{i}", daemon_env(root / f"r{i}", **shared, **extra)))
    fake = FakeOpenAI().__enter__()
    try:
        replicas[0].start()
        for replica in replicas[1:]:
            replica.start(wait=False)
        for replica in replicas[1:]:
            replica.wait_health("SERVING", timeout_s=90)
        yield Fleet(replicas, addresses, f"http://{http}", redis, fake)
    finally:
        for replica in replicas:
            replica.stop()
        fake.__exit__(None, None, None)
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(root, ignore_errors=True)
        _admin_sql(pg16_server.dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _code(call: Callable[[], object]) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def test_round_robin_spreads_calls_over_all_three_replicas(fleet: Fleet) -> None:
    with fleet.balanced() as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        system = system_pb2_grpc.SystemServiceStub(channel)
        seen = {system.GetStatus(system_pb2.GetStatusRequest(), metadata=fleet.admin, timeout=5).replica_id
                for _ in range(12)}  # fmt: skip
    assert len(seen) == 3


def test_a_memory_stored_on_one_replica_is_recalled_on_another(fleet: Fleet) -> None:
    text = f"the fleet test's teapot is blue {uuid.uuid4().hex[:6]}"
    with fleet.channel(0) as channel:
        stored = memory_pb2_grpc.MemoryServiceStub(channel).StoreMemory(
            memory_pb2.StoreMemoryRequest(memory=memory_pb2.MemoryInput(content=text)),
            metadata=fleet.admin,
            timeout=120,
        )  # the first store loads the embedding model on replica 0
    keyword_only = memory_pb2.RecallWeights(semantic=0.0, keyword=1.0)  # replica 2 needs no model of its own
    with fleet.channel(2) as channel:
        recalled = memory_pb2_grpc.MemoryServiceStub(channel).RecallMemories(
            memory_pb2.RecallMemoriesRequest(query="teapot blue", weights=keyword_only), metadata=fleet.admin,
            timeout=30,
        )  # fmt: skip
    assert stored.result.memory_id in [r.memory.id for r in recalled.results]


def test_a_permission_revoked_on_one_replica_is_refused_by_the_others_within_a_second(fleet: Fleet) -> None:
    with fleet.channel(0) as channel:
        user = access_pb2_grpc.UserServiceStub(channel).CreateUser(
            access_pb2.CreateUserRequest(user=access_pb2.User(email="rev@example.com", username="rev")),
            metadata=fleet.admin, timeout=10,
        )  # fmt: skip
        roles = access_pb2_grpc.RoleServiceStub(channel)
        roles.CreateRole(
            access_pb2.CreateRoleRequest(role=access_pb2.Role(name="fleet-auditor", permissions=["audit:read"])),
            metadata=fleet.admin, timeout=10,
        )  # fmt: skip
        roles.AssignRole(
            access_pb2.AssignRoleRequest(role="fleet-auditor", user=user.id), metadata=fleet.admin, timeout=10
        )
        token = (
            access_pb2_grpc.CredentialServiceStub(channel)
            .IssueToken(
                access_pb2.IssueTokenRequest(user=user.id, scopes=["audit:read"]), metadata=fleet.admin, timeout=10
            )
            .token
        )
    others = [fleet.channel(1), fleet.channel(2)]
    audits = [access_pb2_grpc.AuditServiceStub(c) for c in others]

    def read(i: int) -> grpc.StatusCode:
        request = access_pb2.ListAuditLogsRequest(page_size=1)
        return _code(lambda: audits[i].ListAuditLogs(request, metadata=bearer(token), timeout=5))

    try:
        assert [read(0), read(1)] == [grpc.StatusCode.OK] * 2  # both have the permission cached now
        with fleet.channel(0) as channel:
            access_pb2_grpc.RoleServiceStub(channel).RevokePermissions(
                access_pb2.RevokePermissionsRequest(role="fleet-auditor", permissions=["audit:read"]),
                metadata=fleet.admin, timeout=10,
            )  # fmt: skip
        revoked_at = time.monotonic()
        pending = {0, 1}
        while pending:
            pending = {i for i in pending if read(i) is grpc.StatusCode.OK}
            elapsed = time.monotonic() - revoked_at
            assert elapsed < REVOCATION_BOUND_S, f"replicas {pending} still allow after {elapsed:.2f} s"
        print(f"revocation: refused on both other replicas after {elapsed:.3f} s")
        assert [read(0), read(1)] == [grpc.StatusCode.PERMISSION_DENIED] * 2
    finally:
        for c in others:
            c.close()


def test_heartbeats_on_one_replica_change_routes_on_another_within_the_bound(fleet: Fleet) -> None:
    with fleet.channel(0) as channel:
        mesh = mesh_pb2_grpc.MeshRoutingServiceStub(channel)
        tokens = {}
        for name in "abc":
            tokens[name] = mesh.RegisterNode(
                mesh_pb2.RegisterNodeRequest(
                    name=f"fleet-{name}", address=f"{name}.mesh:7000", region="eu", anchor=name == "a",
                    heartbeat_interval=duration_pb2.Duration(seconds=600),
                ),
                metadata=fleet.admin, timeout=10,
            ).token  # fmt: skip

        def beat(name: str, links: dict[str, float]) -> None:
            reports = [mesh_pb2.LinkReport(neighbor=f"fleet-{n}", rtt_ms=rtt, bandwidth_kbps=50_000)
                       for n, rtt in links.items()]  # fmt: skip
            mesh.Heartbeat(mesh_pb2.HeartbeatRequest(node=f"fleet-{name}", load=1, links=reports),
                           metadata=bearer(tokens[name]), timeout=10)  # fmt: skip

        topology = {"a": {"b": 10.0, "c": 50.0}, "b": {"a": 10.0, "c": 10.0}, "c": {"a": 50.0, "b": 10.0}}
        for name, links in topology.items():
            beat(name, links)

        with fleet.channel(1) as other:
            routes = mesh_pb2_grpc.MeshRoutingServiceStub(other)

            def route() -> list[str]:
                try:
                    found = routes.FindOptimalRoute(
                        mesh_pb2.FindOptimalRouteRequest(source="fleet-a", destination="fleet-c"),
                        metadata=fleet.admin, timeout=10,
                    )  # fmt: skip
                except grpc.RpcError as exc:
                    assert exc.code() is grpc.StatusCode.NOT_FOUND  # not registered there yet
                    return []
                return list(found.paths[0].names) if found.paths else []

            deadline = time.monotonic() + MESH_BOUND_S + LOADED_MACHINE_MARGIN_S
            while route() != ["fleet-a", "fleet-b", "fleet-c"]:
                assert time.monotonic() < deadline, f"replica 1 never saw the mesh: {route()}"
                time.sleep(0.05)
            for _ in range(8):  # b-c degrades; the smoothed RTT estimate needs a few samples to cross a-c
                beat("b", {"a": 10.0, "c": 900.0})
                beat("c", {"a": 50.0, "b": 900.0})
            sent_at = time.monotonic()
            while route() != ["fleet-a", "fleet-c"]:
                elapsed = time.monotonic() - sent_at
                assert elapsed < MESH_BOUND_S + LOADED_MACHINE_MARGIN_S, f"route on replica 1 unchanged: {route()}"
                time.sleep(0.05)
            print(f"mesh: route changed on replica 1 {time.monotonic() - sent_at:.2f} s after the heartbeats")


def test_two_replicas_spending_against_one_budget_overshoot_only_by_the_documented_bound(fleet: Fleet) -> None:
    fleet.fake.behave("gpt-4o-mini", reply="ok", prompt_tokens=100_000, completion_tokens=0)
    with fleet.channel(0) as channel:
        providers = providers_pb2_grpc.AIProviderServiceStub(channel)
        providers.CreateProvider(
            providers_pb2.CreateProviderRequest(provider=providers_pb2.Provider(
                name="fleetfake", type=providers_pb2.PROVIDER_TYPE_OPENAI_COMPATIBLE, base_url=fleet.fake.base_url,
                models=["gpt-4o-mini"], timeout=duration_pb2.Duration(seconds=5),
            )),
            metadata=fleet.admin, timeout=10,
        )  # fmt: skip
        providers.SetProviderKey(
            providers_pb2.SetProviderKeyRequest(
                provider="fleetfake", api_key="sk-fleet", scope=providers_pb2.KEY_SCOPE_ORG
            ),
            metadata=fleet.admin, timeout=10,
        )  # fmt: skip
        # One call on each spending replica first: both load litellm before the race, so both really spend.
        costs = []
        for i in (0, 1):
            with fleet.channel(i) as warm:
                costs.append(
                    providers_pb2_grpc.AIProviderServiceStub(warm)
                    .Complete(_completion(), metadata=fleet.admin, timeout=60)
                    .usage.cost_usd
                )
        cost = costs[0]
        assert cost > 0 and costs[1] == pytest.approx(cost)
        probes = len(costs)
        limit = (probes + 24.5) * cost  # admitted while spent < limit: exactly 25 more calls
        providers.SetBudget(
            providers_pb2.SetBudgetRequest(budget=providers_pb2.Budget(
                scope=providers_pb2.BUDGET_SCOPE_ORG, period=providers_pb2.BUDGET_PERIOD_DAY, limit_usd=limit,
            )),
            metadata=fleet.admin, timeout=10,
        )  # fmt: skip

    # Calls of 0.25 s: the race outlasts SPEND_STALENESS_S, so each replica must come to see the other's spend
    # (a replica blind to it would spend the whole budget on its own and break the bound).
    fleet.fake.behave("gpt-4o-mini", reply="ok", prompt_tokens=100_000, completion_tokens=0, delay_s=0.25)
    finished: dict[int, list[tuple[float, float]]] = {0: [], 1: []}  # replica -> (start, end) of admitted calls
    together = threading.Barrier(2)

    def spend(i: int) -> None:
        with fleet.channel(i) as channel:
            stub = providers_pb2_grpc.AIProviderServiceStub(channel)
            grpc.channel_ready_future(channel).result(timeout=10)
            together.wait(10)
            for _ in range(500):
                started = time.monotonic()
                try:
                    stub.Complete(_completion(), metadata=fleet.admin, timeout=30)
                except grpc.RpcError as exc:
                    assert exc.code() is grpc.StatusCode.RESOURCE_EXHAUSTED, exc.details()
                    return
                finished[i].append((started, time.monotonic()))

    workers = [threading.Thread(target=spend, args=(i,)) for i in (0, 1)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    calls = len(finished[0]) + len(finished[1])
    allowed = 25
    overshoot = max(0, calls - allowed)
    # The bound: when the replica that admitted last (i) checked the budget, its counter held everything the
    # other replica (j) had completed up to SPEND_STALENESS_S earlier; only j's calls completed after that
    # can be over the limit, plus one call in flight.
    last = {r: calls_[-1][0] for r, calls_ in finished.items() if calls_}
    i = max(last, key=lambda r: last[r])
    bound = sum(1 for _, end in finished[1 - i] if end >= last[i] - SPEND_STALENESS_S) + 1
    print(f"budget: {calls} calls admitted for {allowed} allowed (overshoot {overshoot}, bound {bound})")
    assert calls >= allowed, "the budget stopped calls before it was used up"
    assert finished[0] and finished[1], "both replicas must have spent against the budget"
    assert overshoot <= bound, f"{calls} calls against {allowed} allowed: overshoot {overshoot} > bound {bound}"


def _completion() -> providers_pb2.CompleteRequest:
    return providers_pb2.CompleteRequest(
        messages=[providers_pb2.ChatMessage(role="user", content="hi")], models=["fleetfake/gpt-4o-mini"], max_tokens=8
    )


def test_replica_metrics_show_the_shared_redis_breaker_closed_and_llm_spend_by_provider_type(fleet: Fleet) -> None:
    families = {f.name: f for f in text_string_to_metric_families(httpx.get(f"{fleet.http}/metrics", timeout=5).text)}
    states = {s.labels["state"]: s.value for s in families["auralink_redis_breaker_state"].samples}
    assert states == {"closed": 1.0, "open": 0.0, "half_open": 0.0}
    # Replica 1 served part of the budget test's completions: counted by provider type, not provider name.
    tokens = {(s.labels["provider"], s.labels["kind"]): s.value for s in families["auralink_llm_tokens"].samples}
    assert tokens[("openai_compatible", "prompt")] >= 100_000
    cost = [s for s in families["auralink_llm_cost_usd"].samples if s.name.endswith("_total")]
    assert [s.labels for s in cost] == [{"provider": "openai_compatible"}] and cost[0].value > 0


def test_a_replica_killed_mid_load_costs_no_call_of_a_client_that_retries_reads(fleet: Fleet) -> None:
    callers, outcomes, stop = 6, [], threading.Event()
    lock = threading.Lock()
    with fleet.balanced() as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        system = system_pb2_grpc.SystemServiceStub(channel)

        def load() -> None:
            while not stop.is_set():
                code = _code(lambda: system.Ping(system_pb2.PingRequest(), metadata=fleet.admin, timeout=5))
                with lock:
                    outcomes.append((time.monotonic(), code))

        threads = [threading.Thread(target=load) for _ in range(callers)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        victim = fleet.replicas[2]
        assert victim.proc is not None
        victim.proc.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        time.sleep(2.0)
        stop.set()
        for t in threads:
            t.join(10)
    before = [c for at, c in outcomes if at < killed_at]
    after = [c for at, c in outcomes if at >= killed_at]
    assert before and all(c is grpc.StatusCode.OK for c in before)
    assert len(after) > 10 * callers, "the surviving replicas did not carry the load"
    assert [c for c in after if c is not grpc.StatusCode.OK] == []
