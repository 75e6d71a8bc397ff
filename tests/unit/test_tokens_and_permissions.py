"""Tokens verify only when intact and unexpired; permissions are declared beside handlers, never drift."""

from __future__ import annotations

import uuid

import pytest

from auralink.v1 import system_pb2
from auralinkd import errors
from auralinkd.access.principal import Principal, grants
from auralinkd.access.tokens import TokenService
from auralinkd.api import permissions
from auralinkd.api.errors import STATUS_FOR_ERROR, status_code_for
from auralinkd.api.system import SystemServicer


def test_a_token_round_trips_to_its_claims() -> None:
    tokens = TokenService(b"k" * 32)
    user, org = uuid.uuid4(), uuid.uuid4()
    token, issued = tokens.issue(user, org, ["memories:read", "system:*"], ttl_s=60)
    claims = tokens.verify(token)
    assert claims == issued
    assert claims.user_id == user and claims.org_id == org
    assert claims.scopes == frozenset({"memories:read", "system:*"})
    unscoped, _ = tokens.issue(user, org, None, ttl_s=60)
    assert tokens.verify(unscoped).scopes is None


def test_scopes_narrow_role_permissions_and_never_widen_them() -> None:
    held = frozenset({"memories:*", "system:read"})
    narrowed = Principal(uuid.uuid4(), uuid.uuid4(), held, "jti", scopes=frozenset({"memories:read", "mesh:write"}))
    assert narrowed.can("memories:read")
    assert not narrowed.can("memories:write")  # held, but outside the scopes
    assert not narrowed.can("mesh:write")  # in the scopes, but not held
    assert not narrowed.can("system:read")


def test_an_expired_token_is_refused_even_from_the_cache() -> None:
    now = [1_000_000.0]
    tokens = TokenService(b"k" * 32, clock=lambda: now[0])
    token, _ = tokens.issue(uuid.uuid4(), uuid.uuid4(), None, ttl_s=60)
    real = TokenService(b"k" * 32)
    with pytest.raises(errors.Unauthenticated, match="expired"):
        real.verify(token)  # issued with a clock far in the past


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "//8.e30.c2ln",  # a header that is not UTF-8
        "e30.e30.c2ln",  # a header without alg
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",  # claims that are not JSON
        "eyJhbGciOiJIUzI1NiJ9.e30.@@@",  # a signature that is not base64url
        "\u00e9t\u00e9.e30.c2ln",
    ],
)
def test_a_malformed_token_is_unauthenticated_without_the_parsers_message(token: str) -> None:
    with pytest.raises(errors.Unauthenticated) as refused:
        TokenService(b"k" * 32).verify(token)
    message = refused.value.message
    assert message.startswith(("invalid token", "token signature is invalid"))
    for leak in ("codec", "utf-8", "Expecting", "padding", "Traceback", "Error", "byte"):
        assert leak not in message


def test_grants_understands_wildcards() -> None:
    assert grants({"*"}, "mesh:write")
    assert grants({"mesh:*"}, "mesh:write")
    assert not grants({"mesh:*"}, "memories:write")
    assert not grants({"mesh:read"}, "mesh:write")


def test_org_admin_flag_follows_the_permission() -> None:
    admin = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"org:admin"}), "j")
    member = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"memories:read"}), "j")
    assert admin.tenant.org_admin and not member.tenant.org_admin


def test_every_system_rpc_declares_a_permission() -> None:
    servicer = SystemServicer(system=None, bus=None)  # type: ignore[arg-type]
    descriptor = system_pb2.DESCRIPTOR.services_by_name["SystemService"]
    table = permissions.collect([(servicer, descriptor)])
    assert table == {
        "/auralink.v1.SystemService/GetStatus": "system:read",
        "/auralink.v1.SystemService/WatchEvents": "events:watch",
        "/auralink.v1.SystemService/Ping": "system:ping",
    }


def test_an_rpc_without_a_declaration_stops_the_server_from_starting() -> None:
    class Forgetful:
        @permissions.requires("system:read")
        async def GetStatus(self, request, context): ...

        async def Ping(self, request, context): ...

    descriptor = system_pb2.DESCRIPTOR.services_by_name["SystemService"]
    with pytest.raises(RuntimeError, match="Ping.*WatchEvents|WatchEvents.*Ping"):
        permissions.collect([(Forgetful(), descriptor)])


def test_permission_names_are_validated() -> None:
    with pytest.raises(ValueError):
        permissions.requires("Memories Write")


def test_every_domain_error_has_a_status_and_none_maps_to_internal() -> None:
    domain_errors = [
        cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.AuralinkError)
    ]
    for cls in domain_errors:
        if cls is errors.AuralinkError:
            continue
        assert cls in STATUS_FOR_ERROR, cls
        assert status_code_for(cls("x")).name != "INTERNAL"
