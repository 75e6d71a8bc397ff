"""`auralink status`, `doctor` and error reporting against a real auralinkd: the local admin token and a
request id on every call, readable tables, refusals. Each serving state, INTERNAL, several bad fields and clock skew:
test_cli_states.py."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support import Daemon

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def test_status_uses_the_local_admin_token_and_every_call_sends_a_request_id(daemon: Daemon) -> None:
    assert "AURALINK_TOKEN" not in daemon.env  # the admin.token in the data directory is what authenticates
    proc = daemon.cli("status", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    server = json.loads(daemon.cli("version", "-o", "json").stdout)["server"]
    assert data["state"] == "SERVING" and data["version"] == server and isinstance(data["uptime"], float)

    refused = daemon.cli("roles", "show", "nosuch-role", "-o", "json")  # the daemon echoes the client's id
    assert refused.returncode == 5
    assert REQUEST_ID.match(json.loads(refused.stderr.splitlines()[-1])["error"]["request_id"])
    created = daemon.cli("roles", "create", "sys-probe", "--permission", "system:read", "-o", "json")
    assert created.returncode == 0, created.stderr
    entries = json.loads(daemon.cli("audit", "list", "--since", "1h", "-o", "json").stdout)["entries"]
    mine = [e for e in entries if e["action"].endswith("CreateRole") or "create" in e["action"].lower()]
    assert mine and all(REQUEST_ID.match(e["request_id"]) for e in mine), entries[:3]
    assert mine[0]["actor_user_id"]  # the admin token's user, not anonymous


def test_status_table_is_readable_and_plain_when_piped(daemon: Daemon) -> None:
    proc = daemon.cli("status")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    version = json.loads(daemon.cli("version", "-o", "json").stdout)["server"]
    assert "SERVING" in proc.stdout and version in proc.stdout
    assert re.search(r"Uptime +\d+(\.\d)?s|Uptime +\d+m \d\ds", proc.stdout), proc.stdout  # e.g. "2.2s", "1m 01s"
    assert "external, PostgreSQL 16" in proc.stdout and "auralink.v1.MemoryService: SERVING" in proc.stdout


def test_a_wrong_token_exits_4_with_one_line_and_bad_requests_list_their_fields(daemon: Daemon) -> None:
    proc = daemon.cli("status", "--token", "wrong")
    assert proc.returncode == 4 and proc.stdout == ""
    malformed = "invalid token: not a well-formed token (three base64url parts: header, claims, signature)"
    assert proc.stderr == f"error: {malformed}\n", proc.stderr

    bad = daemon.cli("users", "create", "--email", "not-an-email", "--username", "x1")  # the daemon's BadRequest
    assert bad.returncode == 2, bad.stderr
    line = one_line(bad.stderr)
    assert line.startswith("error: ") and "email" in line, line
    violations = json.loads(daemon.cli("-o", "json", "users", "create", "--email", "nope", "--username", "x2").stderr)
    assert [v["field"] for v in violations["error"]["field_violations"]] == ["email"], violations


def test_doctor_with_a_wrong_token_passes_the_daemon_and_fails_auth(daemon: Daemon) -> None:
    proc = daemon.cli("doctor", "-o", "json", "--token", "wrong")
    assert proc.returncode == 1
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["daemon"]["ok"] and not checks["auth"]["ok"]
    assert checks["database"]["detail"].startswith("skipped")


def one_line(stderr: str) -> Any:
    assert stderr.count("\n") == 1, stderr
    return stderr
