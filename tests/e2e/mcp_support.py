"""A daemon for the MCP tests: stdio allow-list with the real servers, loopback HTTP allow-listed for one port."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import MigratedTemplates, _create_database, _drop_database
from tests.support import BIN, ROOT, Daemon, EmbeddedServer, daemon_env, short_tempdir

TIME = str(BIN / "mcp-server-time")
GIT = str(BIN / "mcp-server-git")
FAKES = str(ROOT / "tests" / "fakes" / "mcp_servers.py")


@contextmanager
def mcp_daemon_on(
    pg16_server: EmbeddedServer, templates: MigratedTemplates, http_port: int = 0, **settings: str
) -> Iterator[Daemon]:
    """A daemon on a fresh clone of the migrated template that may run mcp-server-time, -git and Python."""
    template = asyncio.run(templates.name_for(pg16_server.dsn))
    name, dsn = asyncio.run(_create_database(pg16_server.dsn, template))
    root = short_tempdir()
    env = daemon_env(
        root / "d",
        database_url=dsn,
        mcp_stdio_commands=f"{TIME},{GIT},{sys.executable}",
        mcp_http_allow=f"127.0.0.1:{http_port}" if http_port else "",
        mcp_restart_backoff_max_s="1",
        **settings,
    )
    handle = Daemon(root / "d", env)
    try:
        yield handle.start()
    finally:
        handle.stop()
        shutil.rmtree(root, ignore_errors=True)
        asyncio.run(_drop_database(pg16_server.dsn, name))
