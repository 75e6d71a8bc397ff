"""`auralink mcp …` end to end: the CLI against a daemon running the real mcp-server-time over stdio."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import MigratedTemplates
from tests.e2e.mcp_support import TIME, mcp_daemon_on
from tests.support import Daemon, EmbeddedServer

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def mcp_daemon(pg16_server: EmbeddedServer, migrated_templates: MigratedTemplates) -> Iterator[Daemon]:
    with mcp_daemon_on(pg16_server, migrated_templates) as daemon:
        yield daemon


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def as_json(daemon: Daemon, *args: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    return json.loads(ok(daemon.cli("-o", "json", *args, env=env, timeout_s=120)).stdout)


def test_a_newcomer_adds_the_time_server_lists_its_tools_and_calls_one(mcp_daemon: Daemon) -> None:
    env = {**mcp_daemon.env, "TIME_SECRET": "s3cret-from-env"}
    added = as_json(
        mcp_daemon, "mcp", "connections", "add", "time", "--command", TIME, "-e", "HINT=@TIME_SECRET",
        "--", "--local-timezone", "UTC", env=env,
    )  # fmt: skip
    assert added["transport"] == "STDIO" and added["args"] == ["--local-timezone", "UTC"]
    assert added["env_names"] == ["HINT"] and added["env"] == {} and added["state"] == "IDLE"

    table = ok(mcp_daemon.cli("mcp", "tools", "time", "--timeout", "60")).stdout
    assert "convert_time" in table and "source_timezone" in table

    converted = ok(
        mcp_daemon.cli(
            "mcp",
            "call",
            "time",
            "convert_time",
            "--arg",
            "source_timezone=UTC",
            "--arg",
            "time=12:00",
            "--arg",
            "target_timezone=Asia/Kolkata",
            "--timeout",
            "60",
        )  # fmt: skip
    ).stdout
    assert json.loads(converted)["target"]["datetime"].startswith(json.loads(converted)["source"]["datetime"][:10])
    assert "17:30:00" in json.loads(converted)["target"]["datetime"]

    result = as_json(
        mcp_daemon, "mcp", "call", "time", "convert_time", "--json",
        '{"source_timezone": "UTC", "time": "00:00", "target_timezone": "Asia/Tokyo"}',
    )  # fmt: skip
    assert result["is_error"] is False and "09:00:00" in result["content"][0]["text"]

    listed = as_json(mcp_daemon, "mcp", "connections", "list")["connections"]
    assert [(c["name"], c["state"]) for c in listed] == [("time", "CONNECTED")]
    shown = ok(mcp_daemon.cli("mcp", "connections", "show", "time")).stdout
    assert "connected" in shown and "HINT" in shown and "s3cret" not in shown
    tested = as_json(mcp_daemon, "mcp", "connections", "test", "time")
    assert tested["connection"]["server_name"] == "mcp-time" and tested["latency"] >= 0

    updated = as_json(
        mcp_daemon, "mcp", "connections", "update", "time", "--description", "clock", "--call-timeout", "5"
    )
    assert updated["description"] == "clock" and updated["timeout"] == 5.0 and updated["state"] == "IDLE"
    ok(mcp_daemon.cli("mcp", "connections", "rm", "time", "--yes"))
    missing = mcp_daemon.cli("mcp", "connections", "show", "time")
    assert missing.returncode == 5


def test_cli_errors_have_the_right_exit_codes(mcp_daemon: Daemon) -> None:
    denied = mcp_daemon.cli("mcp", "connections", "add", "sh", "--command", "/bin/sh")
    assert denied.returncode == 4 and "allow-list" in denied.stderr
    ssrf = mcp_daemon.cli("mcp", "connections", "add", "local", "--url", "http://127.0.0.1:9/mcp")
    assert ssrf.returncode == 4
    as_json(mcp_daemon, "mcp", "connections", "add", "clock", "--command", TIME)
    invalid = mcp_daemon.cli("mcp", "call", "clock", "convert_time", "--arg", "time=12:00", "--timeout", "60")
    assert invalid.returncode == 2 and "source_timezone" in invalid.stderr
    unknown = mcp_daemon.cli("mcp", "call", "clock", "nope", "--timeout", "60")
    assert unknown.returncode == 5
    usage = mcp_daemon.cli("mcp", "call", "clock", "get_current_time", "--arg", "x=1", "--json", "{}")
    assert usage.returncode == 2
