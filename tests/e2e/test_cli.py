"""`auralink` against a real auralinkd (the `daemon` fixture in tests/conftest.py)."""

from __future__ import annotations

import json
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from auralink.v1 import access_pb2, access_pb2_grpc
from auralink_cli.version import client_version
from tests.support import bearer

REPO = Path(__file__).resolve().parents[2]
STATUS_KEYS = {
    "version",
    "started_at",
    "uptime",
    "state",
    "reasons",
    "database",
    "redis",
    "services",
    "replica_id",
    "rpc",
}
CHECK_NAMES = ["config", "address", "token", "daemon", "auth", "database", "migrations", "redis", "clock"]


def auralink(daemon: Any, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (or the module's main() when not on PATH) in the daemon's env."""
    script = shutil.which("auralink", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-c", "from auralink_cli.main import main; main()"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env={**daemon.env, **env},
        cwd=REPO,
        timeout=60,
    )


def test_status_json_reports_serving_and_exits_0(daemon: Any) -> None:
    proc = auralink(daemon, "status", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == STATUS_KEYS
    assert data["state"] == "SERVING"
    assert isinstance(data["uptime"], float) and data["uptime"] >= 0
    assert isinstance(data["rpc"]["calls_total"], int)
    assert data["database"]["reachable"] is True and data["database"]["migrations_pending"] == 0
    assert all(
        svc["state"] in {"SERVING", "DEGRADED", "STARTING", "NOT_SERVING", "STOPPING"} for svc in data["services"]
    )


def test_output_option_before_or_after_the_subcommand_gives_the_same_shape(daemon: Any) -> None:
    before = auralink(daemon, "-o", "json", "status")
    after = auralink(daemon, "status", "-o", "json")
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    first, second = json.loads(before.stdout), json.loads(after.stdout)
    assert first.keys() == second.keys()
    assert first["database"].keys() == second["database"].keys()
    assert first["state"] == second["state"] == "SERVING"


def test_explicit_address_and_token_work_from_anywhere(daemon: Any) -> None:
    proc = auralink(daemon, "status", "--address", daemon.address, "--output=json", "--token", daemon.token)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == "SERVING"


def test_status_table_is_plain_text_when_piped(daemon: Any) -> None:
    proc = auralink(daemon, "status")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    assert "SERVING" in proc.stdout and "Database" in proc.stdout and "Redis" in proc.stdout


def test_status_with_a_wrong_token_exits_4_with_one_stderr_line(daemon: Any) -> None:
    proc = auralink(daemon, "status", "--token", "not-a-valid-token")
    assert proc.returncode == 4
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "not-a-valid-token" not in proc.stderr


def test_token_from_the_environment_is_used(daemon: Any) -> None:
    assert auralink(daemon, "status", AURALINK_TOKEN="wrong").returncode == 4
    assert auralink(daemon, "status", "-o", "json", AURALINK_TOKEN=daemon.token).returncode == 0


def test_version_shows_client_and_server_versions(daemon: Any) -> None:
    proc = auralink(daemon, "version", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["client"] == client_version()
    assert data["server"] and data["server"] not in ("unreachable", "unknown")

    table = auralink(daemon, "version")
    assert table.returncode == 0 and client_version() in table.stdout


def test_doctor_json_lists_every_check(daemon: Any) -> None:
    proc = auralink(daemon, "doctor", "-o", "json")
    data = json.loads(proc.stdout)
    assert [c["name"] for c in data["checks"]] == CHECK_NAMES
    assert all(set(c) == {"name", "ok", "detail", "hint"} for c in data["checks"])
    by_name = {c["name"]: c for c in data["checks"]}
    for name in ("config", "address", "token", "daemon", "auth", "database", "migrations", "clock"):
        assert by_name[name]["ok"], by_name[name]
    # Redis is not configured for this daemon: in-process cache and bus is a pass.
    assert by_name["redis"]["ok"], by_name["redis"]
    assert data["ok"] is True and proc.returncode == 0
    assert daemon.token not in proc.stdout + proc.stderr


def test_config_set_use_get_drive_the_connection(daemon: Any) -> None:
    config = Path(daemon.env["AURALINK_CONFIG"])
    assert auralink(daemon, "config", "set", "address", daemon.address, "--profile", "local").returncode == 0
    assert auralink(daemon, "config", "set", "token", daemon.token, "--profile", "local").returncode == 0
    assert auralink(daemon, "config", "set", "output", "json", "--profile", "local").returncode == 0
    assert auralink(daemon, "config", "set", "token", "wrong", "--profile", "broken").returncode == 0
    assert stat.S_IMODE(config.stat().st_mode) == 0o600

    assert auralink(daemon, "config", "use", "broken").returncode == 0
    assert auralink(daemon, "config", "get", "current").stdout.strip() == "broken"
    assert auralink(daemon, "status").returncode == 4  # the profile's wrong token wins over admin.token

    assert auralink(daemon, "config", "use", "local").returncode == 0
    proc = auralink(daemon, "status")  # output json from the profile
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == "SERVING"

    shown = auralink(daemon, "config", "get", "token")
    assert shown.returncode == 0 and "(redacted)" in shown.stdout and daemon.token not in shown.stdout
    assert auralink(daemon, "config", "get", "token", "--show-secrets").stdout.strip() == daemon.token

    # Flags beat the profile.
    assert auralink(daemon, "status", "--token", "wrong").returncode == 4
    assert auralink(daemon, "status", "-o", "yaml").stdout.startswith("version:")


def test_events_streams_json_lines_and_ctrl_c_exits_0(daemon: Any) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "from auralink_cli.main import main; main()", "events", "--replay", "10", "-o", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=daemon.env,
        cwd=REPO,
    )
    # An event of our own (replayed if it comes before the stream is open): once it is printed, the CLI is
    # connected and following.
    with daemon.channel() as channel:
        keys = access_pb2_grpc.CredentialServiceStub(channel)
        key = keys.CreateApiKey(
            access_pb2.CreateApiKeyRequest(name="events"), metadata=bearer(daemon.token), timeout=10
        )
        keys.RevokeApiKey(
            access_pb2.RevokeApiKeyRequest(api_key=key.api_key.id), metadata=bearer(daemon.token), timeout=10
        )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if json.loads(line)["topic"] == "access.apikey.revoked":
            break
    assert proc.poll() is None and lines, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert err == ""
    for line in [*lines, *out.splitlines()]:
        event = json.loads(line)
        assert set(event) == {"id", "topic", "time", "data", "replica_id", "heartbeat", "organization_id"}
        assert event["heartbeat"] is False


def test_unreachable_daemon_exits_3(daemon: Any) -> None:
    missing = daemon.data_dir / "nope" / "auralinkd.sock"
    proc = auralink(daemon, "status", "--address", f"unix://{missing}")
    assert proc.returncode == 3
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("error: daemon unreachable")
