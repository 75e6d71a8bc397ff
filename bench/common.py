"""What every benchmark area shares: the results file, the machine description and a daemon to measure.

`write_results` gives every `bench/results/<area>.json` the same shape; `start_daemon`/`stop_daemon` run a real
`auralinkd serve` on a temporary data dir (embedded PostgreSQL) for areas that benchmark through gRPC.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_RESULTS_DIR = BENCH_DIR / "results"
RESULTS_DIR_ENV = "AURALINK_BENCH_RESULTS_DIR"
DAEMON_READY_TIMEOUT_S = 60.0
DAEMON_STOP_TIMEOUT_S = 30.0


# -- results ------------------------------------------------------------------------------------


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }


def results_dir(override: str | Path | None = None) -> Path:
    """`override`, else $AURALINK_BENCH_RESULTS_DIR, else the committed bench/results."""
    chosen = override or os.environ.get(RESULTS_DIR_ENV)
    return Path(chosen) if chosen else DEFAULT_RESULTS_DIR


def _with_ratio(figure: Mapping[str, Any]) -> dict[str, Any]:
    missing = {"name", "value", "baseline"} - figure.keys()
    if missing:
        raise ValueError(f"figure {figure!r} lacks {', '.join(sorted(missing))}")
    out = dict(figure)
    if "ratio" not in out:
        out["ratio"] = out["value"] / out["baseline"] if out["baseline"] else None
    return out


def write_results(
    area: str,
    figures: Sequence[Mapping[str, Any]],
    meta: Mapping[str, Any] | None = None,
    directory: str | Path | None = None,
) -> Path:
    """Write `<results dir>/<area>.json`: date, commit, machine, meta and every figure with baseline and ratio.

    Each figure needs `name`, `value` and `baseline`; `ratio` is value/baseline unless the figure gives it.
    """
    document = {
        "area": area,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine(),
        "meta": dict(meta or {}),
        "figures": [_with_ratio(f) for f in figures],
    }
    target_dir = results_dir(directory)
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / f"{area}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


# -- a daemon to measure --------------------------------------------------------------------------


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_serving(address: str, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll grpc.health.v1 (service "") at `address` until SERVING; raise TimeoutError or if `process` exits."""
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode} before it was ready")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass  # not listening yet, or not ready
            if time.monotonic() > deadline:
                raise TimeoutError(f"{address} was not SERVING within {timeout_s:g} s")
            time.sleep(0.2)


def start_daemon(
    tmpdir: str | Path, extra_env: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start `auralinkd serve` with data dir `<tmpdir>/data`; return (process, unix address, admin token).

    Inherited AURALINK_* variables are dropped so the daemon runs on the embedded PostgreSQL unless
    `extra_env` says otherwise (e.g. AURALINK_TCP_ADDRESS). Its log goes to `<tmpdir>/auralinkd.log`.
    """
    tmp = Path(tmpdir)
    data_dir = tmp / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    env["AURALINK_DATA_DIR"] = str(data_dir)
    env.update(extra_env or {})
    log_path = tmp / "auralinkd.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "auralinkd", "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    address = f"unix://{data_dir / 'auralinkd.sock'}"
    try:
        wait_serving(address, DAEMON_READY_TIMEOUT_S, process)
        token = (data_dir / "admin.token").read_text().strip()
        wait_quiet(process.pid)
    except BaseException as exc:
        stop_daemon(process)
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"auralinkd did not become ready: {exc}\n--- {log_path} (tail) ---\n{tail}") from exc
    return process, address, token


def wait_quiet(pid: int, timeout_s: float = 90.0, window_s: float = 0.5, busy_share: float = 0.05) -> None:
    """Wait until the process has finished its start-up work (model warm-up, JIT compiles) in the background.

    SERVING comes first on purpose (readiness does not wait for warm-ups); a benchmark must not measure
    a daemon that is still loading a model in another thread.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        time.sleep(window_s)
        after = _cpu_seconds(pid)
        if before is None or after is None or after - before < busy_share * window_s:
            return


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_daemon(process: subprocess.Popen[bytes], timeout_s: float = DAEMON_STOP_TIMEOUT_S) -> int:
    """SIGTERM, wait for a graceful stop, and kill only if it overstays `timeout_s`. Returns the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)
