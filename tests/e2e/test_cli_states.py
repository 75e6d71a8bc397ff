"""`auralink status` exit codes, error lines and `doctor`'s clock check against a real auralinkd driven into
each state: DEGRADED (its Redis killed), NOT_SERVING (its database stopped), STARTING (started while the
database is down), a stream that ends (the daemon shutting down), INTERNAL (a table renamed under it), a
BadRequest with several fields (the API boundary's validation), clock skew (the CLI's clock moved ahead).

STOPPING cannot be reached through the CLI: on SIGTERM the daemon removes its socket before draining, so
`status` sees no daemon (exit 3). Its exit code is pinned on the CLI's own mapping, `status_exit_code`."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from auralink_cli.commands.system import status_exit_code
from auralink_cli.render.system import status_table
from tests.support import (
    BIN,
    Daemon,
    EmbeddedServer,
    daemon_env,
    daemon_on_new_database,
    daemon_sql,
    free_port,
    short_tempdir,
)

REPO = Path(__file__).resolve().parents[2]


def _until(daemon: Daemon, code: int, *args: str, timeout_s: float = 30) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + timeout_s
    while (done := daemon.cli(*args)).returncode != code:
        assert time.monotonic() < deadline, f"exit {code} never came: {done.returncode} {done.stdout} {done.stderr}"
        time.sleep(0.2)
    return done


@pytest.fixture(scope="module")
def daemon(pg16_server: EmbeddedServer) -> Iterator[Daemon]:
    with daemon_on_new_database(pg16_server.dsn) as handle:
        yield handle


def test_status_exit_code_follows_the_state_of_a_real_daemon() -> None:
    root = short_tempdir()
    database = EmbeddedServer(root / "pg")
    dsn = database.start()
    database.stop()  # the daemon starts while its database is down
    port = free_port()
    redis_cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    redis = subprocess.Popen(redis_cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = daemon_env(
        root / "d", database_url=dsn, db_connect_attempts="60", redis_url=f"redis://127.0.0.1:{port}/0",
        watch_heartbeat_s="0.2",
    )  # fmt: skip
    daemon = Daemon(root / "d", env).start(wait=False)
    events: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 60
        while not daemon.socket.exists():
            assert time.monotonic() < deadline and daemon.proc and daemon.proc.poll() is None, daemon.logs()
            time.sleep(0.1)
        starting = _until(daemon, 8, "status")
        assert starting.stdout.split()[:2] == ["State", "STARTING"], starting.stdout

        database.start()
        _until(daemon, 0, "status")
        redis.terminate()
        redis.wait(10)
        degraded = _until(daemon, 7, "status")
        assert degraded.stdout.split()[:2] == ["State", "DEGRADED"] and "redis unavailable" in degraded.stdout

        database.stop()
        not_serving = _until(daemon, 8, "status")
        assert (
            not_serving.stdout.split()[:2] == ["State", "NOT_SERVING"] and "database unreachable" in not_serving.stdout
        )
        database.start()
        _until(daemon, 7, "status")  # Redis is still down

        # A stream ends when the daemon shuts down: the events seen so far, no heartbeats, then one error line.
        command = [str(BIN / "auralink"), "-o", "json", "events", "--topic", "mesh"]
        events = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # subscribed; what follows must be seen, heartbeats (every 0.2 s) come meanwhile
        assert daemon.cli("mesh", "nodes", "register", "n1", "--address", "n1:7000").returncode == 0
        assert daemon.cli("roles", "create", "r1", "--permission", "system:read").returncode == 0
        time.sleep(1.0)
        assert daemon.proc is not None
        daemon.proc.send_signal(signal.SIGTERM)
        out, err = events.communicate(timeout=30)
        lines = [json.loads(line) for line in out.splitlines()]
        assert [e["topic"] for e in lines] == ["mesh.node.registered"], out
        assert lines[0]["data"]["node"]["name"] == "n1" and lines[0]["heartbeat"] is False
        assert events.returncode == 3 and "shutting down" in err and err.count("\n") == 1, err
        assert daemon.proc.wait(30) == 0
        gone = daemon.cli("status")
        assert gone.returncode == 3 and "daemon unreachable" in gone.stderr
    finally:
        if events is not None and events.poll() is None:
            events.kill()
        daemon.stop()
        redis.kill()
        redis.wait(10)
        database.stop()


@pytest.mark.parametrize(
    ("state", "code"), [("SERVING", 0), ("DEGRADED", 7), ("NOT_SERVING", 8), ("STARTING", 8), ("STOPPING", 8)]
)
def test_status_exit_code_and_table_for_every_state(daemon: Daemon, state: str, code: int) -> None:
    """The one place STOPPING is reached: the real daemon's status with its state replaced."""
    data = json.loads(daemon.cli("status", "-o", "json").stdout)
    assert data["state"] == "SERVING"
    data["state"] = state
    assert status_exit_code(state) == code
    console = Console(file=io.StringIO(), width=120, no_color=True)
    console.print(status_table(data))
    assert console.file.getvalue().splitlines()[0].split() == ["State", state]


def test_bad_request_violations_are_joined_on_the_error_line(daemon: Daemon) -> None:
    long = "x" * 300
    proc = daemon.cli("mesh", "route", long, "y" * 300)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: invalid request: source: must be at most 256 characters, got 300; "
        "destination: must be at most 256 characters, got 300\n"
    )
    error = json.loads(daemon.cli("-o", "json", "mesh", "route", long, long).stderr)["error"]
    assert [v["field"] for v in error["field_violations"]] == ["source", "destination"]


def test_internal_errors_exit_1_and_carry_the_request_id(daemon: Daemon) -> None:
    daemon_sql(daemon, "ALTER TABLE rooms RENAME TO rooms_gone")
    try:
        proc = daemon.cli("rooms", "list")
        error = json.loads(daemon.cli("-o", "json", "rooms", "list").stderr)["error"]
    finally:
        daemon_sql(daemon, "ALTER TABLE rooms_gone RENAME TO rooms")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("error: INTERNAL: internal error (request id ") and "daemon log" in proc.stderr
    assert error["code"] == "INTERNAL" and f"(request id {error['request_id']})" in error["message"]
    assert daemon.cli("rooms", "list").returncode == 0


def test_doctor_flags_clock_skew(daemon: Daemon) -> None:
    def clock(offset_s: float) -> dict:
        # Only doctor's clock moves: gRPC computes its deadlines from time.time() too.
        ahead = (
            "import time, types; from auralink_cli.commands import doctor; "
            "doctor.time = types.SimpleNamespace(**{n: getattr(time, n) for n in dir(time) if n[0] != '_'}); "
            f"doctor.time.time = lambda: time.time() + {offset_s}"
        )
        proc = subprocess.run(
            [sys.executable, "-c", f"{ahead}; from auralink_cli.main import main; main()", "doctor", "-o", "json"],
            capture_output=True, text=True, env=daemon.env, cwd=REPO, timeout=60,
        )  # fmt: skip
        return {c["name"]: c for c in json.loads(proc.stdout)["checks"]}["clock"]

    assert clock(0)["ok"]
    skewed = clock(-60)  # the daemon's clock reads a minute ahead of the CLI's
    assert not skewed["ok"] and skewed["hint"] and skewed["detail"].startswith("skew +")


def test_doctor_without_a_daemon_fails_with_hints(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    env.update(AURALINK_DATA_DIR=str(tmp_path), AURALINK_CONFIG=str(tmp_path / "c.toml"))
    proc = subprocess.run(
        [sys.executable, "-c", "from auralink_cli.main import main; main()", "doctor"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "hint:" in proc.stdout
