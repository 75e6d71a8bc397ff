"""Tokens, API keys and the audit log, end to end against a daemon."""

from __future__ import annotations

import threading

import asyncpg
import grpc
import pytest

from auralink.v1 import access_pb2, access_pb2_grpc, system_pb2, system_pb2_grpc
from tests.support import Daemon, bearer, daemon_sql


def _credentials(channel: grpc.Channel) -> access_pb2_grpc.CredentialServiceStub:
    return access_pb2_grpc.CredentialServiceStub(channel)


def _audit(channel: grpc.Channel) -> access_pb2_grpc.AuditServiceStub:
    return access_pb2_grpc.AuditServiceStub(channel)


def _status_code(daemon: Daemon, token: str) -> grpc.StatusCode:
    with daemon.channel() as channel:
        try:
            system_pb2_grpc.SystemServiceStub(channel).GetStatus(
                system_pb2.GetStatusRequest(), metadata=bearer(token), timeout=5
            )
        except grpc.RpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


_sql = daemon_sql


def _member_token(daemon: Daemon, username: str = "member") -> str:
    """A plain member of the admin's org, with a token the admin issues for them."""
    rows = _sql(
        daemon,
        "INSERT INTO users (organization_id, email, username) SELECT organization_id, $1, $2 FROM users "
        "WHERE username = 'admin' RETURNING id",
        f"{username}@example.com",
        username,
    )
    with daemon.channel() as channel:
        issued = _credentials(channel).IssueToken(
            access_pb2.IssueTokenRequest(user=str(rows[0]["id"]), scopes=["self:read", "system:read", "tokens:read"]),
            metadata=bearer(daemon.token),
            timeout=5,
        )
    return issued.token


def test_whoami_shows_the_admin_as_a_platform_admin(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        me = _credentials(channel).WhoAmI(access_pb2.WhoAmIRequest(), metadata=bearer(daemon.token), timeout=5)
    assert me.credential_type == "token"
    assert "*" in me.permissions


def test_an_issued_token_works_until_revoked_and_is_then_refused(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        issued = _credentials(channel).IssueToken(
            access_pb2.IssueTokenRequest(ttl_seconds=600, scopes=["system:read"], description="ci"),
            metadata=bearer(daemon.token),
            timeout=5,
        )
        assert list(issued.scopes) == ["system:read"]
        assert _status_code(daemon, issued.token) is grpc.StatusCode.OK
        listed = _credentials(channel).ListTokens(
            access_pb2.ListTokensRequest(), metadata=bearer(daemon.token), timeout=5
        )
        assert issued.token_id in [t.token_id for t in listed.tokens]
        assert issued.token not in str(listed)  # never echoed back

        _credentials(channel).RevokeToken(
            access_pb2.RevokeTokenRequest(token_id=issued.token_id, reason="leaked"),
            metadata=bearer(daemon.token),
            timeout=5,
        )
    assert _status_code(daemon, issued.token) is grpc.StatusCode.UNAUTHENTICATED
    assert _status_code(daemon, daemon.token) is grpc.StatusCode.OK


def test_scopes_beyond_the_callers_permissions_are_refused_and_nothing_is_stored(daemon: Daemon) -> None:
    member = _member_token(daemon)
    before = _sql(daemon, "SELECT count(*) AS n FROM sessions")[0]["n"]
    with daemon.channel() as channel, pytest.raises(grpc.RpcError) as caught:
        _credentials(channel).IssueToken(
            access_pb2.IssueTokenRequest(scopes=["audit:read"]), metadata=bearer(member), timeout=5
        )
    # The member's token lacks tokens:create in its scopes, and audit:read in its roles.
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert _sql(daemon, "SELECT count(*) AS n FROM sessions")[0]["n"] == before


def test_unknown_scopes_are_invalid_argument(daemon: Daemon) -> None:
    with daemon.channel() as channel, pytest.raises(grpc.RpcError) as caught:
        _credentials(channel).IssueToken(
            access_pb2.IssueTokenRequest(scopes=["memories:fly"]), metadata=bearer(daemon.token), timeout=5
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "memories:fly" in caught.value.details()


def test_an_api_key_is_shown_once_accepted_directly_exchanged_and_revoked(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        created = _credentials(channel).CreateApiKey(
            access_pb2.CreateApiKeyRequest(name="ci", scopes=["system:read", "self:read"]),
            metadata=bearer(daemon.token),
            timeout=5,
        )
        secret = created.secret
        assert secret.startswith(created.api_key.prefix + "_")
        stored = _sql(daemon, "SELECT key_hash FROM api_keys WHERE prefix = $1", created.api_key.prefix)[0]["key_hash"]
        assert secret not in stored and stored.startswith("sha256$")
        listed = _credentials(channel).ListApiKeys(
            access_pb2.ListApiKeysRequest(), metadata=bearer(daemon.token), timeout=5
        )
        assert secret not in str(listed) and created.api_key.prefix in [k.prefix for k in listed.api_keys]

        assert _status_code(daemon, secret) is grpc.StatusCode.OK
        exchanged = _credentials(channel).ExchangeApiKey(
            access_pb2.ExchangeApiKeyRequest(ttl_seconds=300), metadata=bearer(secret), timeout=5
        )
        assert set(exchanged.scopes) == {"system:read", "self:read"}
        assert _status_code(daemon, exchanged.token) is grpc.StatusCode.OK
        me = _credentials(channel).WhoAmI(access_pb2.WhoAmIRequest(), metadata=bearer(secret), timeout=5)
        assert me.credential_type == "api_key" and me.credential_id == created.api_key.prefix

        _credentials(channel).RevokeApiKey(
            access_pb2.RevokeApiKeyRequest(api_key=created.api_key.prefix), metadata=bearer(daemon.token), timeout=5
        )
    assert _status_code(daemon, secret) is grpc.StatusCode.UNAUTHENTICATED
    assert _status_code(daemon, secret[:-4] + "abcd") is grpc.StatusCode.UNAUTHENTICATED


def test_mutations_and_refusals_are_audited_and_the_chain_verifies(daemon: Daemon) -> None:
    member = _member_token(daemon, "auditee")
    with daemon.channel() as channel:
        _credentials(channel).CreateApiKey(
            access_pb2.CreateApiKeyRequest(name="k1"), metadata=bearer(daemon.token), timeout=5
        )
        with pytest.raises(grpc.RpcError):
            _audit(channel).VerifyAuditChain(access_pb2.VerifyAuditChainRequest(), metadata=bearer(member), timeout=5)
        listed = _audit(channel).ListAuditLogs(
            access_pb2.ListAuditLogsRequest(), metadata=bearer(daemon.token), timeout=5
        )
        actions = [(e.action, e.outcome) for e in listed.entries]
        assert ("CredentialService/CreateApiKey", "success") in actions
        assert ("CredentialService/IssueToken", "success") in actions
        assert ("AuditService/VerifyAuditChain", "denied") in actions
        assert all(e.request_id for e in listed.entries)
        denied = _audit(channel).ListAuditLogs(
            access_pb2.ListAuditLogsRequest(outcome="denied"), metadata=bearer(daemon.token), timeout=5
        )
        assert {e.outcome for e in denied.entries} == {"denied"}
        verified = _audit(channel).VerifyAuditChain(
            access_pb2.VerifyAuditChainRequest(), metadata=bearer(daemon.token), timeout=5
        )
    assert verified.ok and verified.rows_checked >= 3


def test_audit_verify_finds_a_row_edited_by_hand(daemon: Daemon) -> None:
    with daemon.channel() as channel:
        for name in ("a", "b", "c"):
            _credentials(channel).CreateApiKey(
                access_pb2.CreateApiKeyRequest(name=name), metadata=bearer(daemon.token), timeout=5
            )
        rows = _sql(daemon, "SELECT id FROM audit_logs ORDER BY id")
        victim = rows[len(rows) // 2]["id"]
        # A superuser can bypass the append-only trigger; the chain still tells.
        _sql(daemon, "UPDATE audit_logs SET metadata = metadata || '{\"edited\": true}' WHERE id = $1", victim)
        verified = _audit(channel).VerifyAuditChain(
            access_pb2.VerifyAuditChainRequest(), metadata=bearer(daemon.token), timeout=5
        )
    assert not verified.ok
    assert verified.first_broken_id == victim
    assert "hash" in verified.reason


def test_audit_rows_cannot_be_changed_through_the_app_role(daemon: Daemon) -> None:
    with pytest.raises(asyncpg.PostgresError):
        _sql(daemon, "SET ROLE auralink_app; DELETE FROM audit_logs")


def test_watch_audit_streams_new_rows(daemon: Daemon) -> None:
    seen: list[access_pb2.AuditEntry] = []
    watching = threading.Event()  # the stream's first message (a heartbeat) says where it starts

    def watch() -> None:
        with daemon.channel() as channel:
            stream = _audit(channel).WatchAudit(
                access_pb2.WatchAuditRequest(), metadata=bearer(daemon.token), timeout=20
            )
            try:
                for entry in stream:
                    watching.set()
                    if not entry.heartbeat:
                        seen.append(entry)
                        if entry.action == "CredentialService/CreateApiKey":
                            return
            except grpc.RpcError:
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert watching.wait(20), "WatchAudit sent nothing"
    with daemon.channel() as channel:
        _credentials(channel).CreateApiKey(
            access_pb2.CreateApiKeyRequest(name="watched"), metadata=bearer(daemon.token), timeout=5
        )
    watcher.join(20)
    assert [e.action for e in seen][-1:] == ["CredentialService/CreateApiKey"]
