"""`auralink status` while a daemon on a fresh data directory starts: exit 8 (not ready), never 4.

No admin.token exists until the database is up, so status answers the phase to a caller without one;
the database is held down here so that the STARTING phase lasts as long as the test needs.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Daemon, EmbeddedServer, daemon_env, short_tempdir


@pytest.fixture
def workspace() -> Iterator[Path]:
    root = short_tempdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_status_exits_8_while_a_fresh_daemon_waits_for_its_database_then_0(workspace: Path) -> None:
    server = EmbeddedServer(workspace / "pg")
    dsn = server.start()
    server.stop()  # down while the daemon starts
    daemon = Daemon(workspace / "d", daemon_env(workspace / "d", database_url=dsn, db_connect_attempts="60"))
    daemon.start(wait=False)
    try:
        deadline = time.monotonic() + 30
        while not daemon.socket.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not (daemon.data_dir / "admin.token").exists()
        starting = daemon.cli("-o", "json", "status")
        assert starting.returncode == 8, starting.stderr
        data = json.loads(starting.stdout)
        assert data["state"] == "STARTING" and "waiting for the database" in data["reasons"]
        assert data["database"]["server_version"] == "" and data["replica_id"] == ""  # nothing but the phase
        assert daemon.cli("status").returncode == 8
        refused = daemon.cli("agents", "list")  # everything else still needs a token
        assert refused.returncode == 4 and "missing credentials" in refused.stderr

        server.start()
        codes = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (not codes or codes[-1] != 0):
            codes.append(daemon.cli("status").returncode)
            time.sleep(0.2)
        assert codes[-1] == 0 and set(codes) <= {0, 8}, codes
        forged = daemon.cli("status", env={**daemon.env, "AURALINK_TOKEN": "not-a-token"})
        assert forged.returncode == 4  # a bad token is refused as ever
    finally:
        daemon.stop()
        server.stop()
