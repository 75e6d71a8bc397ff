"""`auralink` access commands (tokens, apikeys, audit, auth, users, roles) against a real auralinkd."""

from __future__ import annotations

import asyncio
import json
import queue
import stat
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from tests.support import BIN, Daemon

TOKEN_KEYS = {"token", "token_id", "expire_time", "scopes"}
ENTRY_KEYS = {
    "id", "organization_id", "actor_user_id", "actor_type", "action", "resource_type", "resource_id", "outcome",
    "request_id", "peer", "metadata", "create_time", "hash", "prev_hash", "heartbeat",
}  # fmt: skip


def ok_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def status_code_with(daemon: Daemon, token: str) -> int:
    return daemon.cli("status", "-o", "json", "--token", token).returncode


def _sql(daemon: Daemon, query: str, *args: object) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(daemon.env["AURALINK_DATABASE_URL"])
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


# --- tokens ----------------------------------------------------------------------------------


def test_an_issued_token_works_until_revoked_and_is_then_refused_with_exit_4(daemon: Daemon) -> None:
    issued = ok_json(
        daemon.cli("tokens", "issue", "--ttl", "1h", "--scope", "system:read", "--description", "ci", "-o", "json")
    )
    assert set(issued) == TOKEN_KEYS
    assert issued["scopes"] == ["system:read"]
    expires = datetime.fromisoformat(issued["expire_time"])
    assert 3500 < (expires - datetime.now(UTC)).total_seconds() <= 3600
    assert status_code_with(daemon, issued["token"]) == 0

    listed = ok_json(daemon.cli("tokens", "list", "-o", "json"))
    assert set(listed) == {"tokens", "next_page_token"}
    mine = [t for t in listed["tokens"] if t["token_id"] == issued["token_id"]]
    assert mine and mine[0]["description"] == "ci" and mine[0]["revoke_time"] is None
    assert issued["token"] not in json.dumps(listed)

    revoked = daemon.cli("tokens", "revoke", issued["token_id"], "--reason", "test", "--yes")
    assert revoked.returncode == 0, revoked.stderr
    deadline = time.monotonic() + 2
    while status_code_with(daemon, issued["token"]) != 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    refused = daemon.cli("status", "--token", issued["token"])
    assert refused.returncode == 4
    one_error_line(refused)


def test_tokens_issue_prints_the_token_once_with_a_warning_on_stderr(daemon: Daemon) -> None:
    proc = daemon.cli("tokens", "issue", "--ttl", "600")
    assert proc.returncode == 0, proc.stderr
    assert "shown only this once" in proc.stderr
    token = proc.stdout.strip().splitlines()[-1]
    assert token.count(".") == 2 and status_code_with(daemon, token) == 0


def test_revoking_without_yes_and_without_a_terminal_is_refused_and_changes_nothing(daemon: Daemon) -> None:
    issued = ok_json(daemon.cli("tokens", "issue", "-o", "json"))
    proc = daemon.cli("tokens", "revoke", issued["token_id"])
    assert proc.returncode == 2
    assert "--yes" in one_error_line(proc)
    assert status_code_with(daemon, issued["token"]) == 0


def test_scopes_beyond_the_catalogue_are_a_usage_error(daemon: Daemon) -> None:
    proc = daemon.cli("tokens", "issue", "--scope", "nothing:such")
    assert proc.returncode == 2
    one_error_line(proc)


# --- API keys and auth -----------------------------------------------------------------------


def test_an_api_key_logs_in_as_a_short_lived_jwt_in_a_0600_profile(daemon: Daemon, tmp_path: Path) -> None:
    created = ok_json(
        daemon.cli("apikeys", "create", "ci", "--scope", "self:read", "--scope", "system:read", "-o", "json")
    )
    assert set(created) == {"api_key", "secret"}
    key, prefix = created["secret"], created["api_key"]["prefix"]
    assert key.startswith(prefix + "_") and created["api_key"]["expire_time"] is None

    # A separate config file: the login must not change what the other commands use.
    env = {**daemon.env, "AURALINK_CONFIG": str(tmp_path / "cli.toml")}
    login = daemon.cli("auth", "login", "--api-key", key, "--profile", "ci", "-o", "json", env=env)
    data = ok_json(login)
    assert key not in login.stdout + login.stderr
    assert data["profile"] == "ci" and data["credential_type"] == "token" and data["expire_time"]
    config = tmp_path / "cli.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    text = config.read_text()
    assert key not in text and "token" in text

    # A first login into a named profile does not make it the default: plain commands keep the admin token.
    assert ok_json(daemon.cli("auth", "whoami", "-o", "json", env=env))["credential_id"] != data["credential_id"]
    me = ok_json(daemon.cli("auth", "whoami", "-o", "json", "--profile", "ci", env=env))
    assert me["credential_type"] == "token" and me["credential_id"] == data["credential_id"]
    assert set(me["permissions"]) <= {"self:read", "system:read"}
    assert me["expire_time"] == data["expire_time"]

    listed = ok_json(daemon.cli("apikeys", "list", "-o", "json"))
    assert prefix in [k["prefix"] for k in listed["api_keys"]] and key not in json.dumps(listed)
    assert daemon.cli("apikeys", "revoke", prefix, "--yes").returncode == 0
    again = daemon.cli("auth", "login", "--api-key", key, "--profile", "other", env=env)
    assert again.returncode == 4 and key not in again.stderr
    one_error_line(again)


def test_login_with_a_token_from_stdin_stores_it_and_whoami_shows_the_admin(daemon: Daemon, tmp_path: Path) -> None:
    env = {**daemon.env, "AURALINK_CONFIG": str(tmp_path / "cli.toml")}
    login = subprocess.run(
        [str(BIN / "auralink"), "auth", "login", "--token", "-"],
        input=daemon.token + "\n", env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert daemon.token not in login.stdout + login.stderr
    assert stat.S_IMODE((tmp_path / "cli.toml").stat().st_mode) == 0o600

    table = daemon.cli("auth", "whoami", env=env)
    assert table.returncode == 0 and "Permissions" in table.stdout and daemon.token not in table.stdout
    me = ok_json(daemon.cli("auth", "whoami", "-o", "json", env=env))
    assert me["credential_type"] == "token" and "*" in me["permissions"]


def test_login_with_a_bad_token_stores_nothing(daemon: Daemon, tmp_path: Path) -> None:
    env = {**daemon.env, "AURALINK_CONFIG": str(tmp_path / "cli.toml")}
    proc = daemon.cli("auth", "login", "--token", "forged.token.value", env=env)
    assert proc.returncode == 4 and "forged" not in proc.stderr
    assert not (tmp_path / "cli.toml").exists()


# --- audit -----------------------------------------------------------------------------------


def test_audit_verify_exits_0_and_list_has_the_pinned_shape(daemon: Daemon) -> None:
    ok_json(daemon.cli("apikeys", "create", "audited", "-o", "json"))
    verified = ok_json(daemon.cli("audit", "verify", "-o", "json"))
    assert verified["ok"] is True and verified["first_broken_id"] == 0 and verified["rows_checked"] >= 1
    assert set(verified) == {"ok", "rows_checked", "first_broken_id", "reason", "checkpoint"}
    assert verified["checkpoint"].startswith("alck1.")  # a signed checkpoint of the head (#22.7)

    listed = ok_json(daemon.cli("audit", "list", "--action", "CredentialService/*", "--since", "1h", "-o", "json"))
    assert set(listed) == {"entries", "next_page_token"}
    assert listed["entries"] and all(set(e) == ENTRY_KEYS for e in listed["entries"])
    entry = next(e for e in listed["entries"] if e["action"] == "CredentialService/CreateApiKey")
    assert isinstance(entry["id"], int) and entry["outcome"] == "success" and len(entry["hash"]) == 64
    assert entry["resource_type"] == "api_key" and entry["heartbeat"] is False

    nothing = ok_json(daemon.cli("audit", "list", "--until", "2000-01-01T00:00:00Z", "-o", "json"))
    assert nothing["entries"] == []
    assert daemon.cli("audit", "list", "--since", "yesterday").returncode == 2


def test_audit_verify_exits_1_naming_a_row_edited_by_hand(daemon: Daemon) -> None:
    for name in ("a", "b", "c"):
        assert daemon.cli("apikeys", "create", name, "-o", "json").returncode == 0
    rows = _sql(daemon, "SELECT id FROM audit_logs ORDER BY id")
    victim = rows[len(rows) // 2]["id"]
    _sql(daemon, "UPDATE audit_logs SET metadata = metadata || '{\"edited\": true}' WHERE id = $1", victim)
    proc = daemon.cli("audit", "verify")
    assert proc.returncode == 1
    assert f"row {victim}" in proc.stdout and f"row {victim}" in one_error_line(proc)
    data = json.loads(daemon.cli("audit", "verify", "-o", "json").stdout)
    assert data["ok"] is False and data["first_broken_id"] == victim


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[dict[str, Any]]:
    """The process's JSON lines as they come (read by a thread, so a test can wait with a timeout)."""
    lines: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _until(lines: queue.Queue[dict[str, Any]], seen: list[dict[str, Any]], wanted: str, timeout_s: float) -> bool:
    """Collect lines into `seen` until one mentions `wanted`; False if none did within the timeout."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        try:
            seen.append(lines.get(timeout=left))
        except queue.Empty:
            return False
        if wanted in json.dumps(seen[-1]):
            return True
    return False


def test_audit_watch_and_verify_watch_stream_new_entries(daemon: Daemon) -> None:
    command = [str(BIN / "auralink")]
    after = _sql(daemon, "SELECT coalesce(max(id), 0) AS id FROM audit_logs")[0]["id"]
    watchers = [
        subprocess.Popen(  # from the current last entry: what is written while it connects still reaches it
            [*command, "audit", "watch", "--since-id", str(after), "-o", "json"],
            env=daemon.env, stdout=subprocess.PIPE, text=True,
        ),
        subprocess.Popen(
            [*command, "audit", "verify", "--watch", "--interval", "0.5", "-o", "json"],
            env=daemon.env, stdout=subprocess.PIPE, text=True,
        ),
    ]  # fmt: skip
    try:
        plain_lines, verifying_lines = (_lines(w) for w in watchers)
        plain: list[dict[str, Any]] = []
        verifying = [verifying_lines.get(timeout=60)]  # its first verification: the CLI is connected
        # verify --watch follows from "now": an entry written before its stream opened is not shown, so write
        # entries until one is (the first normally is).
        for attempt in range(5):
            assert daemon.cli("apikeys", "create", f"watched-{attempt}", "-o", "json").returncode == 0
            if _until(verifying_lines, verifying, "CreateApiKey", 10):
                break
        assert _until(plain_lines, plain, "CreateApiKey", 20)
    finally:
        for watcher in watchers:
            watcher.terminate()
            watcher.wait(10)
    assert plain[-1]["action"] == "CredentialService/CreateApiKey" and set(plain[-1]) == ENTRY_KEYS
    assert verifying[0] == {"kind": "verify", "result": verifying[0]["result"]} and verifying[0]["result"]["ok"]
    assert verifying[-1]["kind"] == "entry" and verifying[-1]["entry"]["action"] == "CredentialService/CreateApiKey"


# --- users and roles (need the Organization/User/Role servicers in the daemon) -------------


def test_users_create_list_show_update_and_deactivate(daemon: Daemon) -> None:
    created = ok_json(
        daemon.cli(
            "users", "create", "--email", "ada@example.com", "--username", "ada", "--display-name", "Ada",
            "--role", "moderator", "--aura-id", "@ada.aura", "-o", "json",
        )
    )  # fmt: skip
    assert created["base_role"] == "MODERATOR" and created["aura_id"]["aura_id"] == "@ada.aura"
    assert created["active"] is True and created["etag"]

    listed = ok_json(daemon.cli("users", "list", "--filter", "ada", "-o", "json"))
    assert [u["id"] for u in listed["users"]] == [created["id"]]
    shown = ok_json(daemon.cli("users", "show", "ada", "-o", "json"))
    assert shown == created

    updated = ok_json(daemon.cli("users", "update", "ada", "--display-name", "Ada L.", "-o", "json"))
    assert updated["display_name"] == "Ada L." and updated["email"] == "ada@example.com"
    assert updated["base_role"] == "MODERATOR" and updated["etag"] != created["etag"]
    stale = daemon.cli("users", "update", created["id"], "--display-name", "x", "--etag", created["etag"])
    assert stale.returncode == 6

    resolved = ok_json(daemon.cli("auraid", "resolve", "@ada.aura", "-o", "json"))
    assert resolved["user_id"] == created["id"]

    assert daemon.cli("users", "deactivate", "ada").returncode == 2  # no terminal, no --yes
    gone = ok_json(daemon.cli("users", "deactivate", "ada", "--yes", "-o", "json"))
    assert gone["active"] is False
    duplicate = daemon.cli("users", "create", "--email", "ada@example.com", "--username", "ada2")
    assert duplicate.returncode == 6


def test_roles_create_grant_assign_and_the_refusals(daemon: Daemon) -> None:
    role = ok_json(
        daemon.cli("roles", "create", "auditors", "--description", "read the log", "-p", "audit:read", "-o", "json")
    )
    assert role["name"] == "auditors" and role["permissions"] == ["audit:read"] and role["system"] is False

    unknown = daemon.cli("roles", "grant", "auditors", "nothing:such")
    assert unknown.returncode == 2
    one_error_line(unknown)
    granted = ok_json(daemon.cli("roles", "grant", "auditors", "audit:verify", "-o", "json"))
    assert set(granted["permissions"]) == {"audit:read", "audit:verify"}

    catalogue = ok_json(daemon.cli("roles", "permissions", "-o", "json"))
    names = {p["name"] for p in catalogue["permissions"]}
    assert {"audit:read", "roles:create", "tokens:create"} <= names

    roles = ok_json(daemon.cli("roles", "list", "-o", "json"))
    system_role = next(r for r in roles["roles"] if r["system"])
    refused = daemon.cli("roles", "delete", system_role["name"], "--yes")
    assert refused.returncode == 6
    one_error_line(refused)

    user = ok_json(daemon.cli("users", "create", "--email", "bob@example.com", "--username", "bob", "-o", "json"))
    assigned = ok_json(daemon.cli("roles", "assign", "auditors", "bob", "-o", "json"))
    assert assigned["assignment"]["user_id"] == user["id"] and assigned["assignment"]["role_name"] == "auditors"
    effective = ok_json(daemon.cli("roles", "effective", "bob", "-o", "json"))
    assert "audit:verify" in effective["permissions"]

    assert daemon.cli("roles", "unassign", "auditors", "bob", "--yes").returncode == 0
    deleted = ok_json(daemon.cli("roles", "delete", "auditors", "--yes", "-o", "json"))
    assert deleted == {"resource": "role", "id": "auditors", "deleted": True}  # the one delete shape
    assert daemon.cli("roles", "show", "auditors").returncode == 5


def test_org_show_of_the_admins_org_and_an_unknown_one(daemon: Daemon) -> None:
    orgs = ok_json(daemon.cli("orgs", "list", "-o", "json"))
    assert orgs["organizations"]
    first = orgs["organizations"][0]
    assert ok_json(daemon.cli("orgs", "show", first["id"], "-o", "json"))["id"] == first["id"]
    assert daemon.cli("orgs", "show", "no-such-org").returncode == 5


def test_orgs_create_update_and_deactivate_with_the_etag_read_first(daemon: Daemon) -> None:
    created = ok_json(daemon.cli("orgs", "create", "Acme", "--slug", "acme", "-o", "json"))
    assert created["slug"] == "acme" and created["active"] is True
    assert daemon.cli("orgs", "create", "Acme again", "--slug", "acme").returncode == 6

    renamed = ok_json(daemon.cli("orgs", "update", "acme", "--name", "Acme Inc", "-o", "json"))
    assert renamed["id"] == created["id"] and renamed["name"] == "Acme Inc" and renamed["etag"] != created["etag"]
    stale = daemon.cli("orgs", "update", created["id"], "--name", "x", "--etag", created["etag"])
    assert stale.returncode == 6
    one_error_line(stale)

    table = daemon.cli("orgs", "list")
    assert table.returncode == 0 and "acme" in table.stdout and "\x1b[" not in table.stdout
    gone = ok_json(daemon.cli("orgs", "deactivate", "acme", "--yes", "-o", "json"))
    assert gone["active"] is False
    listed = ok_json(daemon.cli("orgs", "list", "-o", "json"))
    assert "acme" not in [o["slug"] for o in listed["organizations"]]


# --- names for ids, watching a list ----------------------------------------------------------


def test_tokens_and_budgets_take_a_user_by_email_or_username(daemon: Daemon) -> None:
    user = ok_json(daemon.cli("users", "create", "--email", "nia@example.com", "--username", "nia", "-o", "json"))
    for ref in ("nia@example.com", "nia"):
        issued = ok_json(daemon.cli("tokens", "issue", "--user", ref, "--scope", "system:read", "-o", "json"))
        listed = ok_json(daemon.cli("tokens", "list", "--user", ref, "-o", "json"))
        assert issued["token_id"] in [t["token_id"] for t in listed["tokens"]]
        assert {t["user_id"] for t in listed["tokens"]} == {user["id"]}
    budget = ok_json(daemon.cli("usage", "budget", "user", "5", "--subject", "nia", "-o", "json"))
    assert budget["subject_id"] == user["id"]
    unknown = daemon.cli("tokens", "issue", "--user", "nobody@example.com", "--scope", "system:read")
    assert unknown.returncode == 5, unknown.stderr


def test_a_watched_list_prints_one_json_document_per_refresh_until_interrupted(daemon: Daemon) -> None:
    proc = subprocess.Popen(
        [str(BIN / "auralink"), "users", "list", "-w", "--interval", "0.2", "-o", "json"],
        env=daemon.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        first, second = json.loads(proc.stdout.readline()), json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(2)  # Ctrl-C
        _, err = proc.communicate(timeout=20)
    assert set(first) == set(second) == {"users", "next_page_token"}
    assert first["users"] and [u["id"] for u in first["users"]] == [u["id"] for u in second["users"]]
    assert proc.returncode == 0, err
