"""The embedded PostgreSQL 16 + pgvector (pgserver wheel) that the daemon runs when no database_url is set."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """Owns a PostgreSQL server whose data lives in `<data_dir>/pg`; blocking calls, run them in a thread."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return its DSN (a unix socket, no TCP port)."""
        import pgserver  # lazy: pulls psutil/platformdirs, only the daemon needs it

        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # cleanup_mode="stop": stopped on exit unless another process still uses it.
        self._server = pgserver.get_server(self.directory, cleanup_mode="stop")
        uri: str = self._server.get_uri()
        log.info("embedded PostgreSQL running in %s", self.directory)
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            log.info("embedded PostgreSQL stopped")
