"""Faults under load, against real servers: terminated backends, a hung or killed embedded PostgreSQL,
`kill -9` of the daemon under concurrent writers, Redis killed mid-load.

Every call made during a fault answers OK or UNAVAILABLE (never INTERNAL or UNKNOWN), and the daemon
comes back to SERVING by itself. The recovery times are printed (`pytest -s`) for the closing notes.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import grpc
import psutil
import pytest

from auralink.v1 import access_pb2, access_pb2_grpc, common_pb2, system_pb2, system_pb2_grpc
from tests.support import BIN, PG15_ADMIN_DSN, Daemon, bearer, daemon_env, free_port, short_tempdir

FAULT_SETTINGS = {"health_probe_timeout_s": "1.0", "db_connect_attempts": "3"}
ALLOWED_DURING_FAULTS = {"OK", "UNAVAILABLE"}


@pytest.fixture
def workspace() -> Iterator[Path]:
    root = short_tempdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _cluster(pgdata: Path) -> list[psutil.Process]:
    """The live processes of the PostgreSQL server on `pgdata` (postgres processes run in their data dir)."""
    target = str(pgdata.resolve())
    found = []
    for proc in psutil.process_iter(["name", "cwd", "status"]):
        if proc.info["name"] == "postgres" and proc.info["cwd"] == target and proc.info["status"] != "zombie":
            found.append(proc)
    return found


def _signal_cluster(pgdata: Path, sig: int) -> int:
    procs = _cluster(pgdata)
    for proc in procs:
        try:
            proc.send_signal(sig)
        except psutil.NoSuchProcess:
            pass
    return len(procs)


def _state(daemon: Daemon) -> str:
    try:
        with daemon.channel() as channel:
            status = system_pb2_grpc.SystemServiceStub(channel).GetStatus(
                system_pb2.GetStatusRequest(), metadata=bearer(daemon.token), timeout=3
            )
        return common_pb2.ServingState.Name(status.state).removeprefix("SERVING_STATE_")
    except grpc.RpcError as exc:
        return f"error {exc.code().name}"


def _seconds_until(check: Callable[[], bool], timeout_s: float, what: str, daemon: Daemon) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout_s:g} s:\n{daemon.logs()[-6000:]}")


class Load:
    """Callers in threads: each creates a role (a write, audited) and reads the role list, in a loop.

    Records every status code, and the names whose CreateRole was acknowledged (answered OK).
    """

    def __init__(self, daemon: Daemon, callers: int = 3, timeout_s: float = 5.0) -> None:
        self.daemon = daemon
        self.codes: Counter[str] = Counter()
        self.acknowledged: list[str] = []
        self.timeout_s = timeout_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(callers)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def reset(self) -> Counter[str]:
        with self._lock:
            codes, self.codes = self.codes, Counter()
        return codes

    def _note(self, code: str) -> None:
        with self._lock:
            self.codes[code] += 1

    def _run(self) -> None:
        token = self.daemon.token
        with self.daemon.channel() as channel:
            roles = access_pb2_grpc.RoleServiceStub(channel)
            while not self._stop.is_set():
                name = f"load_{uuid.uuid4().hex[:12]}"
                try:
                    roles.CreateRole(
                        access_pb2.CreateRoleRequest(role=access_pb2.Role(name=name, permissions=["memories:read"])),
                        metadata=bearer(token), timeout=self.timeout_s,
                    )  # fmt: skip
                    with self._lock:
                        self.acknowledged.append(name)
                    self._note("OK")
                    roles.ListRoles(access_pb2.ListRolesRequest(page_size=5), metadata=bearer(token), timeout=5)
                    self._note("OK")
                except grpc.RpcError as exc:
                    self._note(exc.code().name)
                    if exc.code() != grpc.StatusCode.OK:
                        time.sleep(0.05)


def _calls_succeed(daemon: Daemon, n: int = 3) -> None:
    with daemon.channel() as channel:
        roles = access_pb2_grpc.RoleServiceStub(channel)
        for _ in range(n):
            roles.ListRoles(access_pb2.ListRolesRequest(page_size=5), metadata=bearer(daemon.token), timeout=10)


def _role_names(daemon: Daemon) -> set[str]:
    names: set[str] = set()
    token = ""
    with daemon.channel() as channel:
        roles = access_pb2_grpc.RoleServiceStub(channel)
        while True:
            page = roles.ListRoles(
                access_pb2.ListRolesRequest(page_size=500, page_token=token), metadata=bearer(daemon.token), timeout=30
            )
            names.update(r.name for r in page.roles)
            token = page.next_page_token
            if not token:
                return names


async def _terminate_backends(database: str, seconds: float) -> int:
    """pg_terminate_backend on every connection to `database` (the daemon's pool and probe), in a loop."""
    conn = await asyncpg.connect(PG15_ADMIN_DSN)
    terminated = 0
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            terminated += await conn.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    return terminated


async def _allow_connections(database: str, allowed: bool) -> None:
    conn = await asyncpg.connect(PG15_ADMIN_DSN)
    try:
        await conn.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
    finally:
        await conn.close()


@pytest.mark.parametrize("server_dsn", ["pg15"], indirect=True)
def test_terminated_backends_answer_unavailable_never_internal_and_recover_without_restart(
    fresh_dsn: str, workspace: Path
) -> None:
    database = fresh_dsn.rsplit("/", 1)[-1]
    daemon = Daemon(workspace / "d", daemon_env(workspace / "d", database_url=fresh_dsn, **FAULT_SETTINGS))
    daemon.start()
    try:
        with Load(daemon) as load:
            time.sleep(1.0)
            assert set(load.reset()) == {"OK"}

            # 1. Backends terminated over and over, the probe's included.
            terminated = asyncio.run(_terminate_backends(database, 4.0))
            codes = load.reset()
            assert terminated > 0
            assert set(codes) <= ALLOWED_DURING_FAULTS, codes
            recovered = _seconds_until(lambda: _state(daemon) == "SERVING", 30, "SERVING again", daemon)
            time.sleep(0.5)
            load.reset()
            time.sleep(1.0)
            assert set(load.reset()) == {"OK"}  # the pool holds no broken connection

            # 2. The database refuses connections: NOT_SERVING and UNAVAILABLE, then back by itself.
            asyncio.run(_allow_connections(database, False))
            went_down = _seconds_until(lambda: _state(daemon) == "NOT_SERVING", 20, "NOT_SERVING", daemon)
            time.sleep(1.0)
            codes = load.reset()
            assert codes["UNAVAILABLE"] > 0 and set(codes) <= ALLOWED_DURING_FAULTS, codes
            asyncio.run(_allow_connections(database, True))
            came_back = _seconds_until(lambda: _state(daemon) == "SERVING", 30, "SERVING again", daemon)
            load.reset()
            time.sleep(1.0)
            assert set(load.reset()) == {"OK"}
        print(
            f"\n[faults] pg15 terminate loop: {terminated} backends terminated in 4 s, codes {dict(codes)}; "
            f"SERVING {recovered:.2f} s after the loop; connections refused: NOT_SERVING after {went_down:.2f} s, "
            f"SERVING {came_back:.2f} s after they were allowed again"
        )
        assert "internal error" not in daemon.logs()
    finally:
        asyncio.run(_allow_connections(database, True))
        daemon.stop()


def test_a_hung_then_killed_embedded_postgres_turns_not_serving_and_the_daemon_restarts_it(workspace: Path) -> None:
    daemon = Daemon(workspace / "d", daemon_env(workspace / "d", **FAULT_SETTINGS))
    pgdata = workspace / "d" / "pg"
    daemon.start()
    try:
        assert _cluster(pgdata)
        # SIGSTOP: the probe times out, so readiness follows within a few probe intervals.
        with Load(daemon, timeout_s=3.0) as load:
            time.sleep(0.5)
            assert _signal_cluster(pgdata, signal.SIGSTOP) > 0
            try:
                hung = _seconds_until(lambda: daemon.health() == "NOT_SERVING", 15, "NOT_SERVING", daemon)
                time.sleep(1.0)
            finally:
                _signal_cluster(pgdata, signal.SIGCONT)
            resumed = _seconds_until(lambda: daemon.health() == "SERVING", 30, "SERVING after SIGCONT", daemon)
            codes = load.reset()
            assert set(codes) <= ALLOWED_DURING_FAULTS | {"DEADLINE_EXCEEDED"}, codes  # calls already waiting

            # SIGKILL of every server process: the daemon starts the server again by itself.
            load.reset()
            killed_at = time.monotonic()
            assert _signal_cluster(pgdata, signal.SIGKILL) > 0
            _seconds_until(lambda: daemon.health() == "NOT_SERVING", 15, "NOT_SERVING after SIGKILL", daemon)
            _seconds_until(lambda: _state(daemon) == "SERVING", 60, "SERVING after SIGKILL", daemon)
            restarted = time.monotonic() - killed_at
            codes = load.reset()
            assert set(codes) <= ALLOWED_DURING_FAULTS, codes
            time.sleep(1.0)
            assert set(load.reset()) == {"OK"}
            acknowledged = list(load.acknowledged)
        assert "embedded PostgreSQL restarted" in daemon.logs()
        assert set(acknowledged) <= _role_names(daemon)
        print(
            f"\n[faults] embedded SIGSTOP: NOT_SERVING after {hung:.2f} s, SERVING {resumed:.2f} s after SIGCONT; "
            f"SIGKILL: SERVING again {restarted:.2f} s after the kill"
        )
    finally:
        _signal_cluster(pgdata, signal.SIGCONT)
        assert daemon.stop() == 0
    assert not _cluster(pgdata), "a postgres process outlived the daemon"


def test_kill_9_under_concurrent_writers_loses_no_acknowledged_write_and_leaves_no_stray_postgres(
    workspace: Path,
) -> None:
    rounds = 3
    pgdata = workspace / "d" / "pg"
    daemon = Daemon(workspace / "d", daemon_env(workspace / "d", **FAULT_SETTINGS))
    acknowledged: list[str] = []
    start_times = []
    try:
        for _ in range(rounds):
            started = time.monotonic()
            daemon.start()
            start_times.append(time.monotonic() - started)
            with Load(daemon, callers=4) as load:
                time.sleep(1.0)
                assert daemon.proc is not None
                daemon.proc.send_signal(signal.SIGKILL)
                daemon.proc.wait(10)
            acknowledged += load.acknowledged
            assert set(load.codes) <= {"OK", "UNAVAILABLE", "CANCELLED"}, load.codes
            assert _cluster(pgdata), "the embedded server died with the daemon: adoption goes untested"
        started = time.monotonic()
        daemon.start()  # adopts the server the last killed daemon left behind
        start_times.append(time.monotonic() - started)
        assert "adopted the embedded PostgreSQL" in daemon.logs()
        # A process sharing the server (`auralinkd migrate` beside the daemon) leaves it running on exit.
        migrate = subprocess.run(
            [str(BIN / "auralinkd"), "migrate", "--status"], env=daemon.env, capture_output=True, text=True, timeout=120
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        time.sleep(1.0)
        assert _state(daemon) == "SERVING"
        _calls_succeed(daemon)
        names = _role_names(daemon)
        lost = [name for name in acknowledged if name not in names]
        assert acknowledged and not lost, f"{len(lost)} of {len(acknowledged)} acknowledged writes lost"
        print(
            f"\n[faults] kill -9 x{rounds}: {len(acknowledged)} acknowledged writes, 0 lost; "
            f"starts to SERVING {', '.join(f'{t:.1f}' for t in start_times)} s"
        )
    finally:
        assert daemon.stop() == 0
    assert not _cluster(pgdata), "the embedded PostgreSQL kept running after a clean stop"
    assert not (pgdata / "postmaster.pid").exists()


def test_redis_killed_mid_load_is_degraded_with_calls_succeeding_then_serving_by_itself(
    pg16_fresh_dsn: str, workspace: Path
) -> None:
    port = free_port()
    redis_cmd = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(workspace),
    ]  # fmt: skip
    redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    settings = {"database_url": pg16_fresh_dsn, "redis_url": f"redis://127.0.0.1:{port}/0", **FAULT_SETTINGS}
    daemon = Daemon(workspace / "d", daemon_env(workspace / "d", **settings))
    try:
        time.sleep(0.3)
        daemon.start()
        _seconds_until(lambda: _state(daemon) == "SERVING", 20, "SERVING", daemon)
        with Load(daemon) as load:
            time.sleep(1.0)
            redis.kill()
            redis.wait(10)
            degraded = _seconds_until(lambda: _state(daemon) == "DEGRADED", 20, "DEGRADED", daemon)
            time.sleep(1.0)
            assert daemon.health() == "SERVING"
            redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            back = _seconds_until(lambda: _state(daemon) == "SERVING", 60, "SERVING after Redis returned", daemon)
            time.sleep(0.5)
            codes = load.reset()
        assert set(codes) == {"OK"}, codes  # Redis is an accelerator: every call still succeeded
        print(
            f"\n[faults] redis kill -9 mid-load: DEGRADED after {degraded:.2f} s, SERVING {back:.2f} s after "
            f"Redis was back; {codes['OK']} calls, all OK"
        )
    finally:
        daemon.stop()
        redis.kill()
        redis.wait(10)
