"""The container health probe (Dockerfile HEALTHCHECK): one health Check, exit 0 when SERVING, 1 otherwise."""

from __future__ import annotations

import subprocess
import sys

from tests.support import Daemon


def probe(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "auralinkd.tools.healthcheck", "--timeout", "5"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_the_probe_passes_on_a_serving_daemon_and_fails_without_one(daemon: Daemon) -> None:
    assert probe(daemon.env).returncode == 0
    gone = probe({**daemon.env, "AURALINK_DATA_DIR": str(daemon.data_dir / "nowhere")})
    assert gone.returncode == 1 and "unhealthy: UNAVAILABLE" in gone.stderr
