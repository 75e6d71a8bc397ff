"""The access commands' pure functions: parsing, request building and pinned JSON shapes (no daemon).

Whole commands run against a real daemon: tests/e2e/test_cli_access.py and test_cli_access_calls.py.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2, timestamp_pb2

from auralink.v1 import access_pb2
from auralink_cli.commands import _access as common
from auralink_cli.commands import apikeys, audit, auth, orgs, roles, tokens, users
from auralink_cli.exit_codes import USAGE, CliError
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
