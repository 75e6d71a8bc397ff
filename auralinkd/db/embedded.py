"""The embedded PostgreSQL 16 + pgvector (pgserver wheel) that the daemon runs when no database_url is set.

The daemon owns this server outright: it holds the data directory's lock, so no other auralinkd uses it.
That makes three things safe here that pgserver's shared-handle bookkeeping would not do by itself:

- adoption: a server left running by a daemon that was killed (`kill -9`) is taken over on the next start;
- stop: the server is stopped on a clean shutdown unless another live process (`auralinkd migrate`)
  still holds a handle; handles of dead processes do not count;
- restart: a server that died under the daemon is started again (`supervise`, with backoff, logged).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# pgserver's own bookkeeping file: the pids of the processes holding a handle on the server.
_HANDLES_FILE = ".handle_pids.json"
RESTART_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


class EmbeddedPostgres:
    """Owns a PostgreSQL server whose data lives in `<data_dir>/pg`; blocking calls, run them in a thread."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._server: Any = None
        self.restarts = 0

    def start(self) -> str:
        """Start (or adopt) the server and return its DSN (a unix socket, no TCP port)."""
        import pgserver  # lazy: pulls psutil/platformdirs, only the daemon needs it

        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with pgserver.postgres_server.PostgresServer._lock:
            adopted = self._forget_dead_handles()
            self._clear_dead_cluster()
        # cleanup_mode="stop": pgserver's exit hook stops it too, if we never get to stop() ourselves.
        self._server = pgserver.get_server(self.directory, cleanup_mode="stop")
        uri: str = self._server.get_uri()
        if adopted and self._server.get_pid() is not None:
            log.info("adopted the embedded PostgreSQL left running by a previous daemon (pids %s)", adopted)
        log.info("embedded PostgreSQL running in %s", self.directory)
        return uri

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are rolled back), even one this daemon adopted,
        unless another live process still uses it."""
        if self._server is None:
            return
        from pgserver._commands import pg_ctl  # pinned pgserver==0.1.4

        server, self._server = self._server, None
        with server._lock:  # pgserver's inter-process lock: no other process attaches meanwhile
            self._forget_dead_handles()
            users = [pid for pid in self._handles().get() if pid != os.getpid()]
            if not users and self._postmaster_alive():
                try:
                    pg_ctl(["-w", "-t", "30", "-m", "fast", "stop"], pgdata=self.directory, user=server.system_user)
                except Exception as exc:  # noqa: BLE001 - fall back to signals below
                    log.warning("pg_ctl stop failed (%s); killing the embedded PostgreSQL", exc)
                    self._kill_cluster(signal.SIGKILL)
        if users:  # e.g. `auralinkd migrate` next to a running daemon: the server stays for the other
            server.cleanup()
            log.info("embedded PostgreSQL left running for process %s", ", ".join(map(str, users)))
            return
        # Our handle goes; the server is already down, so pgserver's own clean-up has nothing left to stop.
        self._handles().put([os.getpid()])
        server.cleanup()
        log.info("embedded PostgreSQL stopped")

    # -- supervision ------------------------------------------------------------------------------

    def alive(self) -> bool:
        """Whether the postmaster runs (a stopped, SIGSTOPped one counts as running: it may resume)."""
        return self._postmaster_alive()

    def restart(self) -> None:
        """Start the server again after it died; the DSN (socket directory) stays the same."""
        assert self._server is not None, "restart() before start()"
        self._clear_dead_cluster()
        with self._server._lock:  # pgserver's inter-process lock around start-up
            self._server.ensure_postgres_running()
        self.restarts += 1

    async def supervise(self, interval_s: float, on_restart: Any = None) -> None:
        """Restart the server whenever it dies, with growing pauses between failed attempts."""
        failures = 0
        next_try = 0.0
        down_since: float | None = None
        while True:
            await asyncio.sleep(interval_s)
            if await asyncio.to_thread(self.alive):
                failures, down_since = 0, None
                continue
            now = time.monotonic()
            if down_since is None:
                down_since = now
                log.error("embedded PostgreSQL is not running; restarting it")
            if now < next_try:
                continue
            try:
                await asyncio.to_thread(self.restart)
            except Exception as exc:  # noqa: BLE001 - retried with backoff; each failure logged
                pause = RESTART_BACKOFF_S[min(failures, len(RESTART_BACKOFF_S) - 1)]
                failures += 1
                next_try = time.monotonic() + pause
                log.error(
                    "embedded PostgreSQL restart attempt %d failed (%s); next try in %.1f s", failures, exc, pause
                )
                continue
            log.warning(
                "embedded PostgreSQL restarted %.1f s after it was found down (restart %d)",
                time.monotonic() - down_since, self.restarts,
            )  # fmt: skip
            failures, down_since = 0, None
            if on_restart is not None:
                await on_restart()

    # -- processes --------------------------------------------------------------------------------

    def _handles(self) -> Any:
        from pgserver.utils import DiskList  # pinned pgserver==0.1.4

        return DiskList(self.directory / _HANDLES_FILE)

    def _forget_dead_handles(self) -> list[int]:
        """Drop pids of dead processes from pgserver's handle list; returns them (a killed daemon's)."""
        import psutil

        handles = self._handles()
        pids = handles.get()
        dead = [pid for pid in pids if not _running(psutil, pid)]
        if dead:
            handles.put([pid for pid in pids if pid not in dead])
        return dead

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.directory / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def _postmaster_alive(self) -> bool:
        import psutil

        pid = self._postmaster_pid()
        if pid is None or not _running(psutil, pid):
            return False
        try:
            return bool(psutil.Process(pid).name() == "postgres")  # not a recycled pid
        except psutil.Error:
            return False

    def _cluster(self) -> list[Any]:
        """Every live process of this server: postgres processes whose working directory is its data dir."""
        import psutil

        found = []
        target = str(self.directory.resolve())
        for proc in psutil.process_iter(["name", "cwd", "status"]):
            info = proc.info
            if info["name"] == "postgres" and info["cwd"] == target and info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        return found

    def _kill_cluster(self, sig: int) -> None:
        import psutil

        procs = self._cluster()
        for proc in procs:
            try:
                proc.send_signal(sig)
            except psutil.Error:
                pass
        psutil.wait_procs(procs, timeout=5)

    def _clear_dead_cluster(self) -> None:
        """With the postmaster gone, end its orphaned children and a lock file only a zombie still holds.

        Children that outlive their postmaster keep the shared memory attached, and PostgreSQL refuses to
        start until they exit. A postmaster that nobody reaped stays a zombie, and PostgreSQL reads its pid
        as a live server; the lock file goes only once no process of the old server is left.
        """
        if self._postmaster_alive():
            return
        leftovers = self._cluster()
        if leftovers:
            log.warning("ending %d orphaned processes of the dead embedded PostgreSQL", len(leftovers))
            self._kill_cluster(signal.SIGKILL)
        pid = self._postmaster_pid()
        if pid is not None and not self._cluster():
            import psutil

            if psutil.pid_exists(pid):  # a zombie, or a recycled pid: PostgreSQL would read it as a live server
                (self.directory / "postmaster.pid").unlink(missing_ok=True)


def _running(psutil: Any, pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
