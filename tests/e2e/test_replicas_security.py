"""Tenant isolation and credential revocation across two replicas (one database, one Redis).

Each replica keeps its own caches (verified tokens, permissions, API keys); these tests warm them on
both replicas first, so a fix that only holds on the replica that took the change cannot pass.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import grpc
import jwt

from auralink.v1 import access_pb2, access_pb2_grpc, mesh_pb2, mesh_pb2_grpc, system_pb2, system_pb2_grpc
from auralinkd.access.tokens import TokenService
from tests.e2e.test_replicas import Pair, replicas  # noqa: F401 - the two-replica fixture
from tests.support import Daemon, bearer

Metadata = tuple[tuple[str, str], ...]


def _credentials(daemon: Daemon) -> tuple[grpc.Channel, access_pb2_grpc.CredentialServiceStub]:
    channel = daemon.channel()
    return channel, access_pb2_grpc.CredentialServiceStub(channel)


def _whoami(daemon: Daemon, token: str) -> tuple[grpc.StatusCode, str]:
    """(status, organization id) of WhoAmI with `token` on `daemon`."""
    with daemon.channel() as channel:
        try:
            who = access_pb2_grpc.CredentialServiceStub(channel).WhoAmI(
                access_pb2.WhoAmIRequest(), metadata=bearer(token), timeout=10
            )
        except grpc.RpcError as exc:
            return exc.code(), ""
    return grpc.StatusCode.OK, who.organization.id


def _org_with_people(daemon: Daemon, slug: str) -> tuple[str, dict[str, str]]:
    """A new org with an admin and a member (created by the platform operator); returns (org id, name -> user id)."""
    operator = bearer(daemon.token)
    with daemon.channel() as channel:
        org = access_pb2_grpc.OrganizationServiceStub(channel).CreateOrganization(
            access_pb2.CreateOrganizationRequest(name=slug, slug=slug), metadata=operator, timeout=10
        )
        users = access_pb2_grpc.UserServiceStub(channel)
        people = {}
        for name, role in (("admin", access_pb2.BASE_ROLE_ADMIN), ("member", access_pb2.BASE_ROLE_USER)):
            user = users.CreateUser(
                access_pb2.CreateUserRequest(
                    user=access_pb2.User(email=f"{name}@{slug}.test", username=f"{slug}-{name}", base_role=role),
                    organization=slug,
                ),
                metadata=operator,
                timeout=10,
            )
            people[name] = user.id
    return org.id, people


def _issue(daemon: Daemon, md: Metadata, user: str = "", scopes: tuple[str, ...] = ("*",)) -> str:
    channel, credentials = _credentials(daemon)
    with channel:
        return credentials.IssueToken(
            access_pb2.IssueTokenRequest(user=user, scopes=list(scopes)), metadata=md, timeout=10
        ).token


def _eventually(condition: Callable[[], bool], within_s: float, what: str) -> None:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < within_s, f"{what} not within {within_s} s"
        time.sleep(0.02)


def test_tokens_stay_in_their_users_organization_on_every_replica(replicas: Pair) -> None:  # noqa: F811
    a, b = replicas.a, replicas.b
    x_org, x = _org_with_people(a, "org-x")
    y_org, y = _org_with_people(a, "org-y")
    operator = bearer(a.token)

    # The platform operator issues for another org's users: the token carries that user's org.
    x_admin = _issue(a, operator, x["admin"])
    y_member = _issue(b, operator, y["member"])
    assert jwt.decode(x_admin, options={"verify_signature": False})["org"] == x_org
    assert jwt.decode(y_member, options={"verify_signature": False})["org"] == y_org
    for daemon in (a, b):  # and both replicas now hold both users' permissions in their caches
        assert _whoami(daemon, x_admin) == (grpc.StatusCode.OK, x_org)
        assert _whoami(daemon, y_member) == (grpc.StatusCode.OK, y_org)

    # An org admin cannot issue for another org's user: it does not exist for them, on either replica.
    for daemon in (a, b):
        channel, credentials = _credentials(daemon)
        with channel:
            try:
                credentials.IssueToken(
                    access_pb2.IssueTokenRequest(user=y["member"], scopes=["system:ping"]),
                    metadata=bearer(x_admin),
                    timeout=10,
                )
                raise AssertionError("issued a token for another org's user")
            except grpc.RpcError as exc:
                assert exc.code() is grpc.StatusCode.NOT_FOUND, exc.details()
    for user in (x["member"], str(uuid.uuid4())):  # own org: issued; an unknown id: NOT_FOUND as well
        try:
            _issue(b, bearer(x_admin), user, ("system:ping",))
            assert user == x["member"]
        except grpc.RpcError as exc:
            assert user != x["member"] and exc.code() is grpc.StatusCode.NOT_FOUND

    # A token whose org claim is not its user's org is good nowhere, though that user is cached as active.
    forger = TokenService(a.env["AURALINK_JWT_SECRET"].encode())
    for victim, claimed in ((y["member"], x_org), (x["admin"], y_org)):  # both victims are cached on both replicas
        forged, _ = forger.issue(uuid.UUID(victim), uuid.UUID(claimed), None, 600)
        for daemon in (a, b):
            code, _ = _whoami(daemon, forged)
            assert code is grpc.StatusCode.UNAUTHENTICATED, (victim, claimed, daemon.data_dir.name)


def test_revoking_an_api_key_revokes_every_token_obtained_with_it_on_every_replica(replicas: Pair) -> None:  # noqa: F811
    a, b = replicas.a, replicas.b
    _, people = _org_with_people(a, "org-k")
    member = _issue(a, bearer(a.token), people["member"])
    channel, credentials = _credentials(a)
    with channel:
        created = credentials.CreateApiKey(
            access_pb2.CreateApiKeyRequest(name="ci-key"), metadata=bearer(member), timeout=10
        )
        key = created.secret
        exchanged = credentials.ExchangeApiKey(access_pb2.ExchangeApiKeyRequest(), metadata=bearer(key), timeout=10)
    # Directly with the key, and through a token that came from it (a chain): all die with the key.
    issued_with_key = _issue(b, bearer(key), scopes=())
    derived = _issue(b, bearer(exchanged.token), scopes=("system:ping", "self:read"))
    unrelated = _issue(b, bearer(member), scopes=("self:read",))
    tokens = {"exchanged": exchanged.token, "issued with the key": issued_with_key, "derived": derived}
    for daemon in (a, b):
        for name, token in {**tokens, "key": key, "unrelated": unrelated}.items():
            assert _whoami(daemon, token)[0] is grpc.StatusCode.OK, (name, daemon.data_dir.name)

    channel, credentials = _credentials(a)
    with channel:
        credentials.RevokeApiKey(
            access_pb2.RevokeApiKeyRequest(api_key=created.api_key.id), metadata=bearer(member), timeout=10
        )
    for name, token in {**tokens, "key": key}.items():
        assert _whoami(a, token)[0] is grpc.StatusCode.UNAUTHENTICATED, f"{name} still works on the revoking replica"
    for name, token in {**tokens, "key": key}.items():
        # The bus carries it within milliseconds; the periodic reload bounds it at 5 s even without Redis.
        _eventually(
            lambda token=token: _whoami(b, token)[0] is grpc.StatusCode.UNAUTHENTICATED, 5.0, f"{name} refused on B"
        )
    assert _whoami(b, unrelated)[0] is grpc.StatusCode.OK  # the user's other credentials are untouched

    channel, credentials = _credentials(b)
    with channel:
        listed = credentials.ListTokens(
            access_pb2.ListTokensRequest(include_revoked=True), metadata=bearer(member), timeout=10
        )
    revoked = {t.token_id for t in listed.tokens if t.HasField("revoke_time")}
    assert exchanged.token_id in revoked and len(revoked) == 3  # exchanged, issued with the key, derived


def test_events_stay_in_their_organization_across_replicas(replicas: Pair) -> None:  # noqa: F811
    a, b = replicas.a, replicas.b
    x_org, x = _org_with_people(a, "org-ex")
    y_org, y = _org_with_people(a, "org-ey")
    x_member = _issue(a, bearer(a.token), x["member"])
    x_admin = _issue(a, bearer(a.token), x["admin"])
    y_admin = _issue(a, bearer(a.token), y["admin"])
    received: list[system_pb2.Event] = []
    ready = threading.Event()

    def watch() -> None:  # on replica B, as X's plain member
        with b.channel() as channel:
            stream = system_pb2_grpc.SystemServiceStub(channel).WatchEvents(
                system_pb2.WatchEventsRequest(topics=["mesh."]), metadata=bearer(x_member), timeout=20
            )
            try:
                for event in stream:
                    ready.set()
                    if not event.heartbeat:
                        received.append(event)
                        if event.data["node"]["name"] == "x-node":
                            return
            except grpc.RpcError:
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert ready.wait(10)
    with a.channel() as channel:  # published on replica A: Y's node first, then X's
        mesh = mesh_pb2_grpc.MeshRoutingServiceStub(channel)
        for name, md in (("y-node", bearer(y_admin)), ("x-node", bearer(x_admin))):
            mesh.RegisterNode(
                mesh_pb2.RegisterNodeRequest(name=name, address=f"{name}.mesh:7000"), metadata=md, timeout=10
            )
    watcher.join(20)
    assert [e.data["node"]["name"] for e in received] == ["x-node"]
    assert {e.organization_id for e in received} == {x_org} and y_org not in str(received)
