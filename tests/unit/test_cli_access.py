"""The access commands: parsing, request building, pinned JSON shapes, and confirmation (no daemon).

Pure functions are tested directly; whole commands run through main() against in-process fake
services on a unix socket (the real daemon is in tests/e2e/test_cli_access.py).
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from auralink.v1 import access_pb2, access_pb2_grpc
from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.commands import apikeys, audit, auth, orgs, roles, tokens, users
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.main import main
from auralink_cli.shapes import message_to_dict

REPO = Path(__file__).resolve().parents[2]
USER_ID = "3f2b6c1e-8d4a-4b7e-9c1f-2a3b4c5d6e7f"
ORG_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
API_KEY = "alk_abcd1234_s3cr3t-value"


def ts(seconds: int) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds)


def fake_jwt(exp: int) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'sub': USER_ID, 'exp': exp})}.c2lnbmF0dXJl"


JWT = fake_jwt(1_900_000_000)


def a_user(**changes: Any) -> access_pb2.User:
    user = access_pb2.User(
        id=USER_ID,
        organization_id=ORG_ID,
        email="ada@example.com",
        username="ada",
        display_name="Ada",
        base_role=access_pb2.BASE_ROLE_ADMIN,
        active=True,
        aura_id=access_pb2.AuraId(
            aura_id="@ada.aura", privacy_level=access_pb2.PRIVACY_LEVEL_PUBLIC, federated_domains=["example.org"]
        ),
        create_time=ts(1_700_000_000),
        update_time=ts(1_700_000_100),
        etag="etag-1",
    )
    for key, value in changes.items():
        setattr(user, key, value)
    return user


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3600", 3600), ("1h", 3600), ("90s", 90), ("30m", 1800), ("1h30m", 5400), ("2d", 172800), ("1w", 604800)],
)
def test_durations_are_seconds_or_unit_suffixed(text: str, seconds: int) -> None:
    assert common.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "-5", "1.5h", "one hour", "1h 30m"])
def test_bad_durations_are_usage_errors_naming_the_option(text: str) -> None:
    with pytest.raises(CliError) as err:
        common.parse_duration(text, "--ttl")
    assert err.value.exit_code == USAGE and "--ttl" in err.value.message


def test_times_are_a_duration_ago_or_iso_8601_in_utc() -> None:
    now = datetime(2025, 1, 2, 12, 0, tzinfo=UTC)
    assert common.parse_time("1h", "--since", now) == datetime(2025, 1, 2, 11, 0, tzinfo=UTC)
    assert common.parse_time("2025-01-01T10:00:00Z", "--since") == datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    assert common.parse_time("2025-01-01", "--since") == datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(CliError) as err:
        common.parse_time("yesterday", "--until")
    assert err.value.exit_code == USAGE and "--until" in err.value.message


def test_paginate_asks_only_for_what_is_still_wanted_and_returns_the_exact_next_token() -> None:
    asked: list[tuple[int, str]] = []

    def fetch(size: int, token: str) -> tuple[list[int], str]:
        asked.append((size, token))
        start = int(token or 0)
        page = list(range(start, min(start + size, 250)))
        end = start + len(page)
        return page, (str(end) if end < 250 else "")

    items, token = common.paginate(fetch, 150)
    assert items == list(range(150)) and token == "150"
    assert asked == [(100, ""), (50, "100")]
    rest, token = common.paginate(fetch, 0, "150")
    assert rest == list(range(150, 250)) and token == ""


# --- request building ------------------------------------------------------------------------


def test_users_update_masks_only_the_given_flags_and_uses_the_current_etag() -> None:
    request = users.update_request("ada", current=a_user(), display_name="Ada L.")
    assert list(request.update_mask.paths) == ["display_name"]
    assert request.user.id == USER_ID and request.user.etag == "etag-1"
    assert request.user.display_name == "Ada L." and request.user.email == ""


def test_users_update_with_an_explicit_etag_and_id_needs_no_read() -> None:
    request = users.update_request(USER_ID, etag="etag-9", email="new@example.com", role="Moderator")
    assert list(request.update_mask.paths) == ["email", "base_role"]
    assert request.user.id == USER_ID and request.user.etag == "etag-9"
    assert request.user.base_role == access_pb2.BASE_ROLE_MODERATOR


def test_users_update_of_one_auraid_setting_keeps_the_others() -> None:
    request = users.update_request("ada", current=a_user(), privacy="private")
    assert list(request.update_mask.paths) == ["aura_id"]
    aura = request.user.aura_id
    assert aura.aura_id == "@ada.aura" and list(aura.federated_domains) == ["example.org"]
    assert aura.privacy_level == access_pb2.PRIVACY_LEVEL_PRIVATE


def test_users_update_without_a_field_or_with_a_bad_role_is_a_usage_error() -> None:
    with pytest.raises(CliError) as nothing:
        users.update_request("ada", current=a_user())
    assert nothing.value.exit_code == USAGE and "nothing to update" in nothing.value.message
    with pytest.raises(CliError) as bad:
        users.update_request("ada", role="root")
    assert bad.value.exit_code == USAGE and "--role" in bad.value.message


def test_users_create_sets_the_auraid_only_when_given() -> None:
    plain = users.create_request("bo@example.com", "bo")
    assert not plain.user.HasField("aura_id") and plain.user.base_role == access_pb2.BASE_ROLE_UNSPECIFIED
    full = users.create_request("ada@example.com", "ada", "Ada", "agent", "@ada.aura", "contacts", True, None, "acme")
    assert full.user.base_role == access_pb2.BASE_ROLE_AGENT and full.organization == "acme"
    assert full.user.aura_id.aura_id == "@ada.aura" and full.user.aura_id.allow_cross_app_calls
    assert full.user.aura_id.privacy_level == access_pb2.PRIVACY_LEVEL_CONTACTS


def test_orgs_update_names_the_org_by_id_or_slug() -> None:
    by_slug = orgs.update_request("acme", etag="e", name="Acme Inc")
    assert by_slug.organization.slug == "acme" and by_slug.organization.id == ""
    assert list(by_slug.update_mask.paths) == ["name"]
    by_id = orgs.update_request(ORG_ID, etag="e", name="Acme Inc")
    assert by_id.organization.id == ORG_ID and by_id.organization.etag == "e"
    current = access_pb2.Organization(id=ORG_ID, slug="acme", etag="e-now")
    assert orgs.update_request("acme", current=current, name="x").organization.etag == "e-now"


def test_roles_update_masks_the_given_fields_of_the_role_by_id() -> None:
    current = access_pb2.Role(id="r1", name="auditors", etag="e1", permissions=["audit:read"])
    request = roles.update_request(current, name="reviewers", permissions=["audit:read", "audit:verify"])
    assert request.role.id == "r1" and request.role.etag == "e1"
    assert list(request.update_mask.paths) == ["name", "permissions"]
    assert list(request.role.permissions) == ["audit:read", "audit:verify"]
    assert roles.create_request("a", "d", ["x:y"]).role.permissions == ["x:y"]


def test_tokens_issue_and_apikeys_create_turn_durations_into_seconds() -> None:
    request = tokens.issue_request("1h", ["system:read", "self:read"], "bo", "ci")
    assert request.ttl_seconds == 3600 and list(request.scopes) == ["system:read", "self:read"]
    assert request.user == "bo" and request.description == "ci"
    assert tokens.issue_request().ttl_seconds == 0  # the daemon's default (1h)
    key = apikeys.create_request("ci", ["self:read"], "90d")
    assert key.ttl_seconds == 90 * 86400 and key.name == "ci"
    assert apikeys.create_request("ci").ttl_seconds == 0  # never expires


def test_audit_list_filters_and_time_range() -> None:
    request = audit.list_request("u1", "RoleService/*", "role", "r1", "denied", "2025-01-01T00:00:00Z", None)
    assert request.actor_user_id == "u1" and request.action == "RoleService/*" and request.outcome == "denied"
    assert request.start_time.ToJsonString() == "2025-01-01T00:00:00Z" and not request.HasField("end_time")


# --- pinned JSON shapes ----------------------------------------------------------------------


def test_issued_token_json_shape() -> None:
    resp = access_pb2.IssueTokenResponse(token=JWT, token_id="jti-1", expire_time=ts(1_900_000_000), scopes=["a:b"])
    assert message_to_dict(resp) == {
        "token": JWT,
        "token_id": "jti-1",
        "expire_time": "2030-03-17T17:46:40Z",
        "scopes": ["a:b"],
    }


def test_api_key_json_shape_has_null_unset_times() -> None:
    resp = access_pb2.CreateApiKeyResponse(
        api_key=access_pb2.ApiKey(id="k1", name="ci", prefix="alk_abcd1234", user_id=USER_ID, create_time=ts(0)),
        secret=API_KEY,
    )
    assert message_to_dict(resp) == {
        "api_key": {
            "id": "k1",
            "name": "ci",
            "prefix": "alk_abcd1234",
            "user_id": USER_ID,
            "scopes": [],
            "create_time": "1970-01-01T00:00:00Z",
            "expire_time": None,
            "last_use_time": None,
            "revoke_time": None,
        },
        "secret": API_KEY,
    }


def test_user_json_shape_has_short_enum_names_and_the_auraid() -> None:
    assert message_to_dict(a_user()) == {
        "id": USER_ID,
        "organization_id": ORG_ID,
        "email": "ada@example.com",
        "username": "ada",
        "display_name": "Ada",
        "base_role": "ADMIN",
        "active": True,
        "aura_id": {
            "aura_id": "@ada.aura",
            "privacy_level": "PUBLIC",
            "allow_cross_app_calls": False,
            "federated_domains": ["example.org"],
            "verified": False,
        },
        "create_time": "2023-11-14T22:13:20Z",
        "update_time": "2023-11-14T22:15:00Z",
        "etag": "etag-1",
    }


def test_role_org_and_assignment_json_shapes() -> None:
    role = access_pb2.Role(id="r1", name="admin", permissions=["*"], system=True, etag="e")
    assert message_to_dict(role) == {
        "id": "r1", "organization_id": "", "name": "admin", "description": "", "permissions": ["*"],
        "system": True, "create_time": None, "update_time": None, "etag": "e",
    }  # fmt: skip
    org = access_pb2.Organization(id=ORG_ID, name="Acme", slug="acme", active=True)
    assert set(message_to_dict(org)) == {"id", "name", "slug", "active", "create_time", "update_time", "etag"}
    effective = access_pb2.GetEffectivePermissionsResponse(
        user_id=USER_ID, assignments=[access_pb2.RoleAssignment(role_id="r1", role_name="admin")], permissions=["*"]
    )
    assert message_to_dict(effective)["assignments"] == [
        {
            "id": "", "user_id": "", "role_id": "r1", "role_name": "admin", "granted_by": "", "create_time": None,
            "implicit": False,
        }
    ]  # fmt: skip


def test_audit_entry_and_verification_json_shapes() -> None:
    metadata = struct_pb2.Struct()
    metadata.update({"peer": "unix:", "n": 2})
    entry = access_pb2.AuditEntry(
        id=42, organization_id=ORG_ID, actor_user_id=USER_ID, actor_type="user", action="RoleService/CreateRole",
        resource_type="role", resource_id="r1", outcome="success", request_id="req", peer="unix:",
        metadata=metadata, create_time=ts(1_700_000_000), hash="ab" * 32, prev_hash="cd" * 32,
    )  # fmt: skip
    assert message_to_dict(entry) == {
        "id": 42, "organization_id": ORG_ID, "actor_user_id": USER_ID, "actor_type": "user",
        "action": "RoleService/CreateRole", "resource_type": "role", "resource_id": "r1", "outcome": "success",
        "request_id": "req", "peer": "unix:", "metadata": {"peer": "unix:", "n": 2.0},
        "create_time": "2023-11-14T22:13:20Z", "hash": "ab" * 32, "prev_hash": "cd" * 32, "heartbeat": False,
    }  # fmt: skip
    broken = access_pb2.VerifyAuditChainResponse(ok=False, rows_checked=10, first_broken_id=7, reason="hash mismatch")
    assert message_to_dict(broken) == {
        "ok": False, "rows_checked": 10, "first_broken_id": 7, "reason": "hash mismatch", "checkpoint": "",
    }  # fmt: skip
    assert "row 7" in audit.verify_text(message_to_dict(broken))


def test_whoami_expiry_falls_back_to_the_jwt_exp_claim() -> None:
    resp = access_pb2.WhoAmIResponse(permissions=["self:read"], credential_type="token", credential_id="jti")
    data = auth.whoami_dict(resp, JWT)
    assert set(data) == {"user", "organization", "permissions", "credential_type", "credential_id", "expire_time"}
    assert data["expire_time"] == "2030-03-17T17:46:40Z"
    assert auth.whoami_dict(resp, API_KEY)["expire_time"] is None
    assert auth.jwt_expiry("not.a.jwt") is None


# --- whole commands against fake services ----------------------------------------------------


@dataclass
class Fakes(
    access_pb2_grpc.UserServiceServicer,
    access_pb2_grpc.CredentialServiceServicer,
    access_pb2_grpc.AuditServiceServicer,
    access_pb2_grpc.RoleServiceServicer,
):
    """Answers a few RPCs of each service and records (method, request, authorization)."""

    calls: list[tuple[str, Any, str]] = field(default_factory=list)
    verify_result: access_pb2.VerifyAuditChainResponse = field(
        default_factory=lambda: access_pb2.VerifyAuditChainResponse(ok=True, rows_checked=3)
    )

    def _record(self, method: str, request: Any, context: grpc.ServicerContext) -> None:
        self.calls.append((method, request, dict(context.invocation_metadata()).get("authorization", "")))

    def methods(self) -> list[str]:
        return [m for m, _, _ in self.calls]

    def GetUser(self, request: Any, context: grpc.ServicerContext) -> access_pb2.User:
        self._record("GetUser", request, context)
        return a_user()

    def UpdateUser(self, request: Any, context: grpc.ServicerContext) -> access_pb2.User:
        self._record("UpdateUser", request, context)
        return a_user(display_name=request.user.display_name or "Ada", etag="etag-2")

    def IssueToken(self, request: Any, context: grpc.ServicerContext) -> access_pb2.IssueTokenResponse:
        self._record("IssueToken", request, context)
        return access_pb2.IssueTokenResponse(
            token=JWT, token_id="jti-1", expire_time=ts(1_900_000_000), scopes=list(request.scopes)
        )

    def RevokeToken(self, request: Any, context: grpc.ServicerContext) -> access_pb2.RevokeTokenResponse:
        self._record("RevokeToken", request, context)
        return access_pb2.RevokeTokenResponse()

    def ExchangeApiKey(self, request: Any, context: grpc.ServicerContext) -> access_pb2.IssueTokenResponse:
        self._record("ExchangeApiKey", request, context)
        if dict(context.invocation_metadata()).get("authorization") != f"Bearer {API_KEY}":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid API key")
        return access_pb2.IssueTokenResponse(token=JWT, token_id="jti-x", expire_time=ts(1_900_000_000))

    def WhoAmI(self, request: Any, context: grpc.ServicerContext) -> access_pb2.WhoAmIResponse:
        self._record("WhoAmI", request, context)
        return access_pb2.WhoAmIResponse(
            user=a_user(), permissions=["self:read"], credential_type="token", credential_id="jti-x"
        )

    def VerifyAuditChain(self, request: Any, context: grpc.ServicerContext) -> access_pb2.VerifyAuditChainResponse:
        self._record("VerifyAuditChain", request, context)
        return self.verify_result

    def ListRoles(self, request: Any, context: grpc.ServicerContext) -> access_pb2.ListRolesResponse:
        self._record("ListRoles", request, context)
        start = int(request.page_token or 0)
        names = [f"role{i}" for i in range(start, min(start + request.page_size, 5))]
        end = start + len(names)
        return access_pb2.ListRolesResponse(
            roles=[access_pb2.Role(id=n, name=n) for n in names], next_page_token=str(end) if end < 5 else ""
        )


@dataclass
class Fake:
    services: Fakes
    config: Path


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    sock_dir = Path(tempfile.mkdtemp(prefix="alacc", dir="/tmp"))  # unix socket paths max 107 bytes
    services = Fakes()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    for add in ("UserService", "CredentialService", "AuditService", "RoleService"):
        getattr(access_pb2_grpc, f"add_{add}Servicer_to_server")(services, server)
    address = f"unix://{sock_dir}/fake.sock"
    server.add_insecure_port(address)
    server.start()
    for name in [k for k in os.environ if k.startswith("AURALINK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AURALINK_ADDRESS", address)
    monkeypatch.setenv("AURALINK_TOKEN", "admin-token")
    monkeypatch.setenv("AURALINK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal, as in CI
    try:
        yield Fake(services, tmp_path / "config.toml")
    finally:
        server.stop(None)
        shutil.rmtree(sock_dir, ignore_errors=True)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run main() in-process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def test_users_update_reads_the_user_then_sends_only_the_given_field(fake: Fake, capsys: Any) -> None:
    code, out, err = cli(capsys, "users", "update", "ada", "--display-name", "Ada L.", "-o", "json")
    assert code == 0, err
    assert fake.services.methods() == ["GetUser", "UpdateUser"]
    sent = fake.services.calls[-1][1]
    assert list(sent.update_mask.paths) == ["display_name"] and sent.user.etag == "etag-1"
    assert json.loads(out)["etag"] == "etag-2"


def test_users_update_with_etag_and_id_skips_the_read(fake: Fake, capsys: Any) -> None:
    code, _, err = cli(capsys, "users", "update", USER_ID, "--role", "user", "--etag", "etag-0")
    assert code == 0, err
    assert fake.services.methods() == ["UpdateUser"]
    sent = fake.services.calls[-1][1]
    assert list(sent.update_mask.paths) == ["base_role"] and sent.user.etag == "etag-0"


def test_users_update_without_fields_fails_before_any_call(fake: Fake, capsys: Any) -> None:
    code, out, err = cli(capsys, "users", "update", "ada")
    assert code == 2 and out == "" and err.startswith("error: nothing to update")
    assert fake.services.calls == []


def test_tokens_issue_json_and_table(fake: Fake, capsys: Any) -> None:
    code, out, err = cli(capsys, "tokens", "issue", "--ttl", "1h", "--scope", "system:read", "-o", "json")
    assert code == 0, err
    assert json.loads(out) == {
        "token": JWT,
        "token_id": "jti-1",
        "expire_time": "2030-03-17T17:46:40Z",
        "scopes": ["system:read"],
    }
    assert fake.services.calls[-1][1].ttl_seconds == 3600 and err == ""

    code, out, err = cli(capsys, "tokens", "issue")
    assert code == 0
    assert out.splitlines()[-1] == JWT  # whole, on its own line
    assert err.startswith("warning: ") and "shown only this once" in err and JWT not in err


def test_destructive_commands_without_a_terminal_need_yes(fake: Fake, capsys: Any) -> None:
    for args in (
        ["tokens", "revoke", "jti-1"],
        ["apikeys", "revoke", "alk_abcd1234"],
        ["roles", "delete", "auditors"],
        ["roles", "revoke", "auditors", "audit:read"],
        ["roles", "unassign", "auditors", "ada"],
        ["users", "deactivate", "ada"],
        ["orgs", "deactivate", "acme"],
    ):
        code, out, err = cli(capsys, *args)
        assert code == 2, args
        assert out == "" and len(err.splitlines()) == 1 and "--yes" in err
    assert fake.services.calls == []

    code, out, err = cli(capsys, "tokens", "revoke", "jti-1", "--reason", "leaked", "--yes", "-o", "json")
    assert code == 0, err
    assert json.loads(out) == {"resource": "token", "id": "jti-1", "revoked": True}
    assert fake.services.calls[-1][1].reason == "leaked"


def test_on_a_terminal_the_answer_decides(fake: Fake, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "interactive", lambda: True)
    monkeypatch.setattr(output, "confirm", lambda question: False)
    code, _, err = cli(capsys, "tokens", "revoke", "jti-1")
    assert code == 1 and "aborted" in err and fake.services.calls == []
    monkeypatch.setattr(output, "confirm", lambda question: True)
    code, _, err = cli(capsys, "tokens", "revoke", "jti-1")
    assert code == 0 and fake.services.methods() == ["RevokeToken"]
    assert "revoked" in err


def test_audit_verify_exits_0_when_intact_and_1_naming_the_broken_row(fake: Fake, capsys: Any) -> None:
    code, out, _ = cli(capsys, "audit", "verify")
    assert code == 0 and "ok" in out
    fake.services.verify_result = access_pb2.VerifyAuditChainResponse(
        ok=False, rows_checked=9, first_broken_id=5, reason="hash mismatch"
    )
    code, out, err = cli(capsys, "audit", "verify", "-o", "json")
    assert code == 1
    assert json.loads(out) == {
        "ok": False, "rows_checked": 9, "first_broken_id": 5, "reason": "hash mismatch", "checkpoint": "",
    }  # fmt: skip
    assert err.count("\n") == 1 and "row 5" in err and "hash mismatch" in err


def test_login_with_an_api_key_stores_the_exchanged_jwt_in_a_0600_profile(fake: Fake, capsys: Any) -> None:
    code, out, err = cli(capsys, "auth", "login", "--api-key", API_KEY, "--profile", "ci", "-o", "json")
    assert code == 0, err
    assert fake.services.methods() == ["ExchangeApiKey", "WhoAmI"]
    assert fake.services.calls[1][2] == f"Bearer {JWT}"  # WhoAmI checks the JWT, not the key
    assert API_KEY not in out + err and JWT not in out + err
    data = json.loads(out)
    assert data == {
        "profile": "ci",
        "config_path": str(fake.config),
        "user_id": USER_ID,
        "username": "ada",
        "organization_id": "",
        "credential_type": "token",
        "credential_id": "jti-x",
        "expire_time": "2030-03-17T17:46:40Z",
    }
    assert stat.S_IMODE(fake.config.stat().st_mode) == 0o600
    text = fake.config.read_text()
    assert JWT in text and API_KEY not in text and "current" not in text  # never switched to silently
    assert "auralink config use ci" in err


def test_login_reads_a_token_from_stdin_and_refuses_without_one(
    fake: Fake, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = cli(capsys, "auth", "login")
    assert code == 2 and "--token" in err and not fake.config.exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO(JWT + "\n"))
    code, _, err = cli(capsys, "auth", "login", "--token", "-")
    assert code == 0, err
    assert fake.services.calls[-1][2] == f"Bearer {JWT}" and JWT in fake.config.read_text()


def test_login_with_a_refused_api_key_stores_nothing(fake: Fake, capsys: Any) -> None:
    code, out, err = cli(capsys, "auth", "login", "--api-key", "alk_wrong123_nope")
    assert code == 4 and out == "" and "alk_wrong123_nope" not in err
    assert not fake.config.exists()


def test_lists_page_through_up_to_the_limit(fake: Fake, capsys: Any) -> None:
    code, out, _ = cli(capsys, "roles", "list", "--limit", "3", "-o", "json")
    data = json.loads(out)
    assert code == 0 and [r["name"] for r in data["roles"]] == ["role0", "role1", "role2"]
    assert data["next_page_token"] == "3"
    code, out, _ = cli(capsys, "roles", "list", "--limit", "0", "-o", "json")
    assert [r["name"] for r in json.loads(out)["roles"]] == [f"role{i}" for i in range(5)]


def test_access_help_imports_no_grpc() -> None:
    code = (
        "import sys; sys.argv = ['auralink', 'users', '--help']\n"
        "from auralink_cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", "import json\n" + code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert "Usage: auralink users" in proc.stdout
    top_level = {name.split(".")[0] for name in json.loads(proc.stderr.strip().splitlines()[-1])}
    assert "grpc" not in top_level and "google" not in top_level
