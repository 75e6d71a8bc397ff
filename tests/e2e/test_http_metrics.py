"""The daemon's optional HTTP listener: off by default, on at AURALINK_HTTP_ADDRESS."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest

from tests.support import Daemon, daemon_env, free_port, short_tempdir


@pytest.fixture
def http_daemon(pg16_fresh_dsn: str) -> Iterator[tuple[Daemon, str]]:
    root = short_tempdir()
    address = f"127.0.0.1:{free_port()}"
    daemon = Daemon(root / "d", daemon_env(root / "d", database_url=pg16_fresh_dsn, http_address=address))
    try:
        yield daemon.start(), f"http://{address}"
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_the_http_listener_answers_at_its_address_and_stops_with_the_daemon(http_daemon: tuple[Daemon, str]) -> None:
    daemon, base = http_daemon
    assert httpx.get(f"{base}/no-such-route", timeout=5).status_code == 404
    assert daemon.stop() == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/no-such-route", timeout=2)
