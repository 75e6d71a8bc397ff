"""One small aiohttp server for what must be plain HTTP: Prometheus scrapes and signed object URLs.

Routes are added before `start()`; aiohttp is imported only when the listener starts, so a daemon
without `AURALINK_HTTP_ADDRESS` never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def split_address(address: str) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`) -> (host, port); ValueError when it is not one."""
    host, sep, port = address.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected host:port, got {address!r}")
    return host, int(port)


class HttpListener:
    """`add_route(method, path, handler)` for each route, then `await start()`; `await stop()` at shutdown.

    A handler is an aiohttp handler: `async def handler(request: web.Request) -> web.StreamResponse`.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self._host, self._port = split_address(address)
        self._routes: list[tuple[str, str, Handler]] = []
        self._runner: Any = None
        self.port: int | None = None  # the bound port once started (differs from the address's when it says 0)

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        method = method.upper()
        if self._runner is not None:
            raise RuntimeError(f"add_route({method} {path}) after the HTTP listener started")
        if method not in _METHODS:
            raise ValueError(f"unknown HTTP method {method!r}")
        if not path.startswith("/"):
            raise ValueError(f"a route path starts with '/', got {path!r}")
        self._routes.append((method, path, handler))

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application(client_max_size=64 * 1024 * 1024)
        for method, path, handler in self._routes:
            app.router.add_route(method, path, handler)
        # No access log: a scrape every 15 s per replica would drown the daemon's own log lines.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise OSError(f"cannot listen for HTTP on {self.address}: {exc.strerror or exc}") from None
        self._runner = runner
        self.port = _bound_port(runner, self._port)
        log.info("listening for HTTP on %s:%s (%d routes)", self._host, self.port, len(self._routes))

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def _bound_port(runner: Any, wanted: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return wanted
