"""Issue 17.4: a new tenant from nothing, through the CLI only.

The platform operator creates the org with its first admin and gets a one-time API key; that admin logs
in with it, manages their own users, and sees nothing of any other org. Tokens the operator issues for
the new org's users carry that org.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support import Daemon


def ok_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_new_orgs_first_admin_manages_their_org_and_sees_no_other(daemon: Daemon, tmp_path: Path) -> None:
    operator = ok_json(daemon.cli("auth", "whoami", "-o", "json"))
    made = ok_json(
        daemon.cli("orgs", "create", "Acme Inc", "--slug", "acme", "--admin-email", "boss@acme.test", "-o", "json")
    )
    org, boss, key = made["organization"], made["admin"], made["secret"]
    assert boss["organization_id"] == org["id"] and boss["base_role"] == "ADMIN" and boss["username"] == "boss"
    assert key.startswith(made["api_key"]["prefix"] + "_")
    table = daemon.cli("orgs", "create", "Beta", "--slug", "beta", "--admin-email", "ann@beta.test")
    assert table.returncode == 0 and "shown once" in table.stderr and "alk_" in table.stdout

    # The admin's own profile, from the one-time key.
    env = {**daemon.env, "AURALINK_CONFIG": str(tmp_path / "acme.toml")}
    ok_json(daemon.cli("auth", "login", "--api-key", key, "--profile", "acme", "-o", "json", env=env))

    def acme(*args: str) -> subprocess.CompletedProcess[str]:
        return daemon.cli(*args, "--profile", "acme", env=env)

    me = ok_json(acme("auth", "whoami", "-o", "json"))
    assert me["organization"]["id"] == org["id"] and me["user"]["id"] == boss["id"]
    eve = ok_json(acme("users", "create", "--email", "eve@acme.test", "--username", "eve", "-o", "json"))
    assert eve["organization_id"] == org["id"]
    users = ok_json(acme("users", "list", "-o", "json"))["users"]
    assert {u["username"] for u in users} == {"boss", "eve"}
    assert [o["slug"] for o in ok_json(acme("orgs", "list", "-o", "json"))["organizations"]] == ["acme"]

    # Nothing of the operator's org, nor of Beta, exists for Acme's admin.
    assert acme("users", "show", operator["user"]["id"]).returncode == 5
    assert acme("orgs", "show", "beta").returncode == 5
    refused = acme("tokens", "issue", "--user", operator["user"]["id"], "--scope", "system:ping")
    assert refused.returncode == 5, refused.stderr

    # Tokens for Acme's users carry Acme, whoever issues them: its admin, or the platform operator.
    for issued_by in (acme, daemon.cli):
        issued = ok_json(issued_by("tokens", "issue", "--user", eve["id"], "--scope", "self:read", "-o", "json"))
        as_eve = ok_json(daemon.cli("auth", "whoami", "-o", "json", "--token", issued["token"]))
        assert as_eve["organization"]["id"] == org["id"] and as_eve["user"]["id"] == eve["id"]

    # The short-lived token used to create the key is revoked; the key is the admin's only credential.
    tokens = ok_json(acme("tokens", "list", "--include-revoked", "-o", "json"))["tokens"]
    bootstrap = [t for t in tokens if t["description"] == "first admin: API key bootstrap"]
    assert len(bootstrap) == 1 and bootstrap[0]["revoke_time"]
