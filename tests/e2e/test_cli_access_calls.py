"""The access commands' request building, confirmation, login and paging against a real auralinkd: what a
command sends shows in what the daemon does with it (the fields it changed, the etag it checked, the
permission a call needed, the audit row it wrote). Pure parsing and JSON shapes: tests/unit/test_cli_access.py."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from auralink_cli import output
from auralink_cli.main import main
from tests.support import BIN, Daemon, EmbeddedServer, daemon_on_new_database, daemon_sql


def ok(daemon: Daemon, *args: str, env: dict[str, str] | None = None) -> Any:
    done = daemon.cli("-o", "json", *args, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def audit_rows(daemon: Daemon) -> int:
    return daemon_sql(daemon, "SELECT count(*) AS n FROM audit_logs")[0]["n"]


@pytest.fixture(scope="module")
def daemon(pg16_server: EmbeddedServer) -> Iterator[Daemon]:
    with daemon_on_new_database(pg16_server.dsn) as handle:
        ok(handle, "users", "create", "--email", "ada@example.com", "--username", "ada", "--display-name", "Ada")
        yield handle


def test_users_update_sends_only_the_given_field_guarded_by_the_current_etag(daemon: Daemon) -> None:
    before = ok(daemon, "users", "show", "ada")
    updated = ok(daemon, "users", "update", "ada", "--display-name", "Ada L.")
    assert updated["display_name"] == "Ada L." and updated["etag"] != before["etag"]
    assert {k: v for k, v in updated.items() if k not in ("display_name", "etag", "update_time")} == {
        k: v for k, v in before.items() if k not in ("display_name", "etag", "update_time")
    }  # only display_name was in the mask


def test_users_update_with_etag_and_id_skips_the_read(daemon: Daemon) -> None:
    user = ok(daemon, "users", "show", "ada")
    # A token that may update users but not read them: only a command that skips the read can succeed.
    token = ok(daemon, "tokens", "issue", "--scope", "users:update", "--scope", "org:admin")["token"]
    assert daemon.cli("users", "show", user["id"], "--token", token).returncode == 4
    needs_read = daemon.cli("users", "update", user["id"], "--role", "user", "--token", token)
    assert needs_read.returncode == 4 and "GetUser needs permission 'users:read'" in needs_read.stderr
    done = ok(daemon, "users", "update", user["id"], "--role", "user", "--etag", user["etag"], "--token", token)
    assert done["base_role"] == "USER" and done["display_name"] == user["display_name"]
    stale = daemon.cli("users", "update", user["id"], "--role", "user", "--etag", user["etag"])
    assert stale.returncode == 6 and "stale etag" in stale.stderr  # the given etag was sent, not a fresh one


def test_users_update_without_fields_fails_before_any_call(daemon: Daemon) -> None:
    rows = audit_rows(daemon)
    proc = daemon.cli("users", "update", "nobody-at-all")  # a call would have answered NOT_FOUND (exit 5)
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.startswith("error: nothing to update")
    assert audit_rows(daemon) == rows


def test_tokens_issue_json_and_table(daemon: Daemon) -> None:
    proc = daemon.cli("tokens", "issue", "--ttl", "1h", "--scope", "self:read", "-o", "json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"token", "token_id", "expire_time", "scopes"} and data["scopes"] == ["self:read"]
    me = ok(daemon, "auth", "whoami", "--token", data["token"])
    assert me["expire_time"] == data["expire_time"]
    issued = daemon_sql(daemon, "SELECT now() AS now")[0]["now"].timestamp()
    expires = datetime.fromisoformat(data["expire_time"].replace("Z", "+00:00")).timestamp()
    assert abs(expires - issued - 3600) < 60  # --ttl 1h is 3600 s

    table = daemon.cli("tokens", "issue")
    assert table.returncode == 0
    token = table.stdout.splitlines()[-1]
    assert token.count(".") == 2 and daemon.cli("status", "--token", token).returncode == 0  # whole, own line
    assert table.stderr.startswith("warning: ") and "shown only this once" in table.stderr
    assert token not in table.stderr


def test_destructive_commands_without_a_terminal_need_yes(daemon: Daemon) -> None:
    issued = ok(daemon, "tokens", "issue")
    rows = audit_rows(daemon)
    for args in (
        ["tokens", "revoke", issued["token_id"]],
        ["apikeys", "revoke", "alk_abcd1234"],
        ["roles", "delete", "auditors"],
        ["roles", "revoke", "auditors", "audit:read"],
        ["roles", "unassign", "auditors", "ada"],
        ["users", "deactivate", "ada"],
        ["orgs", "deactivate", "acme"],
    ):
        proc = daemon.cli(*args)
        assert proc.returncode == 2, args
        assert proc.stdout == "" and len(proc.stderr.splitlines()) == 1 and "--yes" in proc.stderr
    assert audit_rows(daemon) == rows and daemon.cli("status", "--token", issued["token"]).returncode == 0

    done = ok(daemon, "tokens", "revoke", issued["token_id"], "--reason", "leaked", "--yes")
    assert done == {"resource": "token", "id": issued["token_id"], "revoked": True}
    assert daemon.cli("status", "--token", issued["token"]).returncode == 4
    (row,) = daemon_sql(
        daemon, "SELECT metadata::text AS m FROM audit_logs WHERE action LIKE '%RevokeToken' ORDER BY id DESC LIMIT 1"
    )
    assert "leaked" in row["m"]


def test_on_a_terminal_the_answer_decides(
    daemon: Daemon, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = ok(daemon, "tokens", "issue")
    for name, value in daemon.env.items():
        monkeypatch.setenv(name, value)

    def cli(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return code, capsys.readouterr().err

    monkeypatch.setattr(output, "interactive", lambda: True)
    monkeypatch.setattr(output, "confirm", lambda question: False)
    code, err = cli("tokens", "revoke", issued["token_id"])
    assert code == 1 and "aborted" in err
    assert daemon.cli("status", "--token", issued["token"]).returncode == 0
    monkeypatch.setattr(output, "confirm", lambda question: True)
    code, err = cli("tokens", "revoke", issued["token_id"])
    assert code == 0 and "revoked" in err
    assert daemon.cli("status", "--token", issued["token"]).returncode == 4


def test_login_with_an_api_key_stores_the_exchanged_jwt_in_a_0600_profile(daemon: Daemon, tmp_path: Path) -> None:
    key = ok(daemon, "apikeys", "create", "ci", "--scope", "self:read")["secret"]
    config = tmp_path / "cli.toml"
    env = {**daemon.env, "AURALINK_CONFIG": str(config)}
    login = daemon.cli("auth", "login", "--api-key", key, "--profile", "ci", "-o", "json", env=env)
    assert login.returncode == 0, login.stderr
    admin = ok(daemon, "auth", "whoami")
    data = json.loads(login.stdout)
    assert set(data) == {"profile", "config_path", "user_id", "username", "organization_id", "credential_type",
                         "credential_id", "expire_time"}  # fmt: skip
    assert (data["profile"], data["config_path"], data["credential_type"]) == ("ci", str(config), "token")
    assert data["user_id"] == admin["user"]["id"] and data["username"] == admin["user"]["username"]
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    text = config.read_text()
    jwt = next(line.split('"')[1] for line in text.splitlines() if line.startswith("token"))
    assert jwt.count(".") == 2 and key not in text and "current" not in text  # never switched to silently
    assert key not in login.stdout + login.stderr and jwt not in login.stdout + login.stderr
    assert "auralink config use ci" in login.stderr
    # WhoAmI was asked with the exchanged JWT, not the key: its token id is what login printed
    assert ok(daemon, "auth", "whoami", "--token", jwt)["credential_id"] == data["credential_id"]


def test_login_reads_a_token_from_stdin_and_refuses_without_one(daemon: Daemon, tmp_path: Path) -> None:
    config = tmp_path / "cli.toml"
    env = {**daemon.env, "AURALINK_CONFIG": str(config)}
    refused = subprocess.run(
        [str(BIN / "auralink"), "auth", "login"], input="", env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2 and "--token" in refused.stderr and not config.exists()
    token = ok(daemon, "tokens", "issue")["token"]
    login = subprocess.run(
        [str(BIN / "auralink"), "auth", "login", "--token", "-"],
        input=token + "\n", env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    assert token in config.read_text()


def test_login_with_a_refused_api_key_stores_nothing(daemon: Daemon, tmp_path: Path) -> None:
    env = {**daemon.env, "AURALINK_CONFIG": str(tmp_path / "cli.toml")}
    proc = daemon.cli("auth", "login", "--api-key", "alk_wrong123_nope", env=env)
    assert proc.returncode == 4 and proc.stdout == "" and "alk_wrong123_nope" not in proc.stderr
    assert not (tmp_path / "cli.toml").exists()


def test_lists_page_through_up_to_the_limit(daemon: Daemon) -> None:
    for i in range(5):
        ok(daemon, "roles", "create", f"pager{i}", "--permission", "system:read")
    every = ok(daemon, "roles", "list", "--limit", "0")
    assert {f"pager{i}" for i in range(5)} <= {r["name"] for r in every["roles"]} and every["next_page_token"] == ""
    first = ok(daemon, "roles", "list", "--limit", "3")
    assert [r["name"] for r in first["roles"]] == [r["name"] for r in every["roles"][:3]]
    assert first["next_page_token"]


def test_audit_verify_exits_0_when_intact_and_1_naming_the_broken_row(daemon: Daemon) -> None:
    intact = daemon.cli("audit", "verify")
    assert intact.returncode == 0 and "ok" in intact.stdout
    victim = daemon_sql(daemon, "SELECT max(id) AS id FROM audit_logs")[0]["id"] - 1
    edit = "UPDATE audit_logs SET metadata = metadata || '{\"edited\": true}' WHERE id = $1"
    daemon_sql(daemon, edit, victim)
    try:
        proc = daemon.cli("audit", "verify", "-o", "json")
    finally:
        daemon_sql(daemon, "UPDATE audit_logs SET metadata = metadata - 'edited' WHERE id = $1", victim)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert set(data) == {"ok", "rows_checked", "first_broken_id", "reason", "checkpoint"}
    assert (data["ok"], data["first_broken_id"]) == (False, victim) and data["rows_checked"] >= victim
    assert data["reason"] and proc.stderr.count("\n") == 1
    assert f"row {victim}" in proc.stderr and data["reason"] in proc.stderr
