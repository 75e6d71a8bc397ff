"""Helpers shared by the test suites: real PostgreSQL servers, fresh databases, a daemon subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests import bare_services

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The system PostgreSQL 15, or on a bare machine a pgvector-less stand-in (tests/bare_services.py).
PG15_ADMIN_DSN = bare_services.PG15_ADMIN_DSN
SYSTEM_REDIS_URL = os.environ.get("AURALINK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# The workflow frameworks' top-level packages: neither daemon start, `auralink --help` nor a definition's
# validation may import one (framework imports live in auralinkd/workflows/engines/<engine>.py, loaded lazily).
WORKFLOW_FRAMEWORKS = (
    "langgraph", "langchain_core", "langchain", "crewai", "autogen", "autogen_agentchat", "autogen_core",
    "autogen_ext", "prefect", "psycopg",
)  # fmt: skip


def short_tempdir(prefix: str = "al") -> Path:
    """Unix socket paths must stay under 108 bytes, so data dirs live directly in /tmp."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


class EmbeddedServer:
    """A pgserver PostgreSQL 16 (+pgvector) that a test can stop and start again at the same address."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._server = None
        self.dsn = ""

    def start(self) -> str:
        import pgserver

        self._server = pgserver.get_server(self.directory, cleanup_mode="stop")
        self.dsn = self._server.get_uri()
        return self.dsn

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


@dataclass
class Daemon:
    """An `auralinkd serve` subprocess on its own data directory."""

    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"

    @property
    def socket(self) -> Path:
        return self.data_dir / "auralinkd.sock"

    @property
    def address(self) -> str:
        return f"unix://{self.socket}"

    @property
    def token(self) -> str:
        return (self.data_dir / "admin.token").read_text().strip()

    def start(self, wait: bool = True) -> Daemon:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen([str(BIN / "auralinkd"), "serve"], env=self.env, stdout=log, stderr=log)
        if wait:
            self.wait_health("SERVING", timeout_s=90)
        return self

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.address)

    def health(self, service: str = "") -> str:
        try:
            with self.channel() as channel:
                response = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=2
                )
            return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        except grpc.RpcError as exc:
            return f"unreachable: {exc.code().name}"

    def wait_health(self, wanted: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        seen = ""
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"auralinkd exited with {self.proc.returncode}:\n{self.logs()}")
            seen = self.health() if self.socket.exists() else "no socket"
            if seen == wanted:
                return
            time.sleep(0.1)
        raise AssertionError(f"health never became {wanted} (last: {seen}):\n{self.logs()}")

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout_s: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run the `auralink` CLI against this daemon."""
        return subprocess.run(
            [str(BIN / "auralink"), *args],
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )


def daemon_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURALINK_")}
    env.update(
        AURALINK_DATA_DIR=str(data_dir),
        AURALINK_CONFIG=str(data_dir.parent / f"{data_dir.name}-cli.toml"),
        AURALINK_HEALTH_PROBE_INTERVAL_S="0.2",
        AURALINK_LOG_LEVEL="info",
        # Each test daemon lives seconds: load the embedding model only when a test uses memory.
        AURALINK_WARM_MODELS_ON_START="false",
        # Each would export MiniLM's ONNX query graph into its own data dir; tests/unit/memory covers it once.
        AURALINK_MEMORY_QUERY_ONNX="false",
    )
    env.update({f"AURALINK_{k.upper()}": v for k, v in settings.items()})
    return env


@contextmanager
def running_daemon(**settings: str) -> Iterator[Daemon]:
    root = short_tempdir()
    daemon = Daemon(root / "d", daemon_env(root / "d", **settings))
    try:
        yield daemon.start()
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def create_room(daemon: Daemon, name: str = "standup") -> str:
    """A room made through RoomService, as the WebRTC server would register a call's room; its id."""
    from auralink.v1 import rooms_pb2, rooms_pb2_grpc

    with daemon.channel() as channel:
        room = rooms_pb2_grpc.RoomServiceStub(channel).CreateRoom(
            rooms_pb2.CreateRoomRequest(room=rooms_pb2.Room(name=name, type=rooms_pb2.ROOM_TYPE_MEETING)),
            metadata=bearer(daemon.token),
            timeout=10,
        )
    return room.id


@contextmanager
def daemon_on_new_database(admin_dsn: str, **settings: str) -> Iterator[Daemon]:
    """A running daemon on a new database of a shared test server, dropped afterwards (module fixtures)."""
    import asyncio

    import asyncpg

    name = unique_name("auralink_d")

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        with running_daemon(database_url=with_database(admin_dsn, name), **settings) as daemon:
            yield daemon
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def daemon_sql(daemon: Daemon, query: str, *args: object) -> list:
    """Run one statement on the daemon's database as its (superuser) DSN; the rows it returns."""
    import asyncio

    import asyncpg

    async def run() -> list:
        conn = await asyncpg.connect(daemon.env["AURALINK_DATABASE_URL"])
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())
