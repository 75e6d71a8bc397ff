"""Which Prefect server the daemon talks to: AURALINK_PREFECT_API_URL when set (an existing server and its
workers), else a local one this daemon starts on first need (a schedule, or a prefect-engine run), with its
database under <data_dir>/prefect, stopped with the daemon.

The local server is Prefect's own app (`prefect.server.api.server:create_app` under uvicorn) in a child process,
with its background services on (the scheduler creates the flow runs of cron schedules; Prefect's temporary
"ephemeral" server does not run it). Nothing of Prefect is imported into the daemon here.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 300.0  # migrations of a fresh database on a loaded machine

_lock = threading.Lock()
_process: subprocess.Popen[bytes] | None = None
_url = ""
_configured: dict[str, str] = {}


def configure(data_dir: Path, api_url: str) -> None:
    """The daemon's settings (data_dir, prefect_api_url), given at start; without them, the environment's."""
    _configured.update(data_dir=str(data_dir), api_url=api_url.strip())


def home() -> Path:
    return Path(_configured.get("data_dir") or os.environ.get("AURALINK_DATA_DIR", ".data")) / "prefect"


def external_url() -> str:
    if "api_url" in _configured:
        return _configured["api_url"]
    return os.environ.get("AURALINK_PREFECT_API_URL", "").strip()


def api_url() -> str:
    """The Prefect API to use, starting the local server when there is none yet (blocks until it is healthy)."""
    global _process, _url
    if external_url():
        return external_url()
    with _lock:
        if _process is not None and _process.poll() is None:
            return _url
        _process, _url = _start()
        return _url


def _start() -> tuple[subprocess.Popen[bytes], str]:
    spec = importlib.util.find_spec("prefect")  # where it is installed; this imports nothing of it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("prefect is not installed")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    root = home()
    root.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _stop_orphan(root / "server.pid")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT__SERVER_EPHEMERAL")}
    env.update(
        PREFECT_HOME=str(root), PREFECT_UI_ENABLED="false", PREFECT__SERVER_FINAL="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_SERVER_LEVEL="WARNING",
    )  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    output = open(root / "server.log", "ab")  # noqa: SIM115 - the child's; closed below
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(package_dir.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--lifespan", "on"],
            env=env, stdout=output, stderr=output, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        output.close()
    (root / "server.pid").write_text(f"{process.pid}\n")
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    started = time.monotonic()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local Prefect server exited with {process.returncode} (see {root / 'server.log'})")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    log.info("local Prefect server on %s (%.1f s to start)", url, time.monotonic() - started)
                    (root / "api_url").write_text(url + "\n")  # for `prefect` commands against it
                    return process, url
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"the local Prefect server did not answer in {STARTUP_TIMEOUT_S:.0f} s")


def _stop_orphan(pid_file: Path) -> None:
    """A server a killed daemon left on this data dir (its database is this one's): terminated first."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"prefect.server.api.server" in cmdline:
        log.warning("stopping the local Prefect server (pid %d) a previous daemon left running", pid)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.1)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def stop() -> None:
    """Stops the local server this daemon started (none: nothing)."""
    global _process
    with _lock:
        process, _process = _process, None
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
