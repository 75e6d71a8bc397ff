"""The TUI's one connection to auralinkd: a grpc.aio channel, the status loop, streams that resume.

Address, token and profile come from auralink_cli's resolution, so `auralink tui` reaches the same
daemon as every other `auralink` command. The status loop is what tells the app "connected" or
"reconnecting"; each area's streams wait for it and resume on their own with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

from auralink.v1 import system_pb2
from auralink_cli.client import Client, grpc_target, translate_error
from auralink_cli.profiles import Settings
from auralink_cli.retries import service_config
from tui import messages as m

log = logging.getLogger(__name__)

Sink = Callable[[m.DataMessage], None]

# Reconnect quickly after a daemon restart: grpc's default backoff grows to 120 s.
CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.primary_user_agent", "auralink-tui"),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2_000),
    ("grpc.service_config", service_config()),  # the CLI's: reads retried on UNAVAILABLE, mutations never
]
BACKOFF_FIRST_S = 0.25
BACKOFF_MAX_S = 4.0
UNARY_TIMEOUT_S = 5.0


def backoff(attempt: int) -> float:
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * (2 ** max(0, attempt - 1)))


def unavailable_line(code: str) -> str:
    return f"service not available on this daemon ({code})"


class AsyncClient(Client):
    """auralink_cli's Client (settings, token, request ids, one typed stub per service) on a grpc.aio channel.

    The accessors (`client.roles`, `client.workflows`, …) build the generated stubs on this channel; the
    areas pass the metadata themselves (the CLI's interceptors are for its sync channel)."""

    def open(self) -> None:
        target, tls = grpc_target(self.settings.address)
        if not tls:
            self._channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)  # type: ignore[assignment]
        else:
            ca = self.settings.ca_file
            root = Path(ca).expanduser().read_bytes() if ca else None
            credentials = grpc.ssl_channel_credentials(root)
            self._channel = grpc.aio.secure_channel(target, credentials, CHANNEL_OPTIONS)  # type: ignore[assignment]

    async def aclose(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close()  # type: ignore[func-returns-value]

    @property
    def is_open(self) -> bool:
        return self._channel is not None

    def md(self) -> list[tuple[str, str]]:
        """Auth and a fresh request id, for one call."""
        return self.metadata()[0]


class Link:
    """Owns the client, the sink and every background task; tells the areas when the daemon is there."""

    def __init__(
        self,
        settings: Settings,
        *,
        reload_settings: Callable[[], Settings] | None = None,
        status_interval_s: float = 1.0,
    ) -> None:
        self.client = AsyncClient(settings)
        self._reload = reload_settings
        self.status_interval_s = status_interval_s
        self._sink: Sink = lambda _msg: None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.connected = asyncio.Event()
        self.disconnected = asyncio.Event()
        self._ever_connected = False
        self._on_connect: Callable[[], Awaitable[Any]] | None = None
        self.services: set[str] = set()

    @property
    def settings(self) -> Settings:
        return self.client.settings

    @property
    def address(self) -> str:
        return self.client.settings.address

    # --- life cycle ------------------------------------------------------------------------

    def start(self, sink: Sink, on_connect: Callable[[], Awaitable[Any]]) -> None:
        self._sink = sink
        self._on_connect = on_connect
        self.client.open()
        self.post(m.ConnectionChanged("connecting", self.address))
        self.spawn(self._status_loop())

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.client.aclose()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def post(self, message: m.DataMessage) -> None:
        self._sink(message)

    # --- connection ------------------------------------------------------------------------

    async def _status_loop(self) -> None:
        attempt = 0
        while True:
            try:
                status = await self.client.system.GetStatus(
                    system_pb2.GetStatusRequest(), metadata=self.client.md(), timeout=UNARY_TIMEOUT_S
                )
            except grpc.RpcError as err:
                attempt += 1
                self._lost(err, attempt)
                await asyncio.sleep(backoff(attempt))
                continue
            attempt = 0
            self.services = {s.name for s in status.services}
            if not self.connected.is_set():
                self.disconnected.clear()
                self.connected.set()
                self._ever_connected = True
                self.post(m.ConnectionChanged("connected", self.address))
                if self._on_connect is not None:
                    self.spawn(self._on_connect())
            self.post(m.StatusReceived(status, time.monotonic()))
            await asyncio.sleep(self.status_interval_s)

    def _lost(self, err: grpc.RpcError, attempt: int) -> None:
        code = err.code().name if hasattr(err, "code") else "UNKNOWN"
        self.connected.clear()
        self.disconnected.set()
        if code == "UNAUTHENTICATED" and self._reload is not None:
            # A daemon restarted on a fresh data dir writes a new admin.token: read it again.
            with contextlib.suppress(Exception):
                self.client.settings = self._reload()
        state = "unauthenticated" if code == "UNAUTHENTICATED" else "reconnecting"
        state = state if self._ever_connected or state == "unauthenticated" else "connecting"
        self.post(m.ConnectionChanged(state, self.address, detail=code, attempt=attempt))

    def unavailable_unless(self, area: str, service: str) -> bool:
        """True when the daemon serves `service`; otherwise the area is marked unavailable."""
        if service in self.services:
            return True
        self.post(m.ServiceUnavailable(area, "UNIMPLEMENTED", unavailable_line("UNIMPLEMENTED")))
        return False

    async def stream(self, area: str, opener: Callable[[], AsyncIterator[Any]]) -> None:
        """Run one server stream for ever: resume with backoff, stop only on a permanent refusal."""
        attempt = 0
        while True:
            await self.connected.wait()
            try:
                async for _ in opener():
                    attempt = 0
            except grpc.RpcError as err:
                code = err.code().name
                if code in ("UNIMPLEMENTED", "PERMISSION_DENIED"):
                    detail = unavailable_line(code) if code == "UNIMPLEMENTED" else (err.details() or code)
                    self.post(m.ServiceUnavailable(area, code, detail))
                    await self.wait_reconnect()
                    continue
                if code == "CANCELLED" and not self.client.is_open:
                    return
            except Exception:  # a bug in this client must not end the stream for good
                log.exception("stream %s failed", area)
            attempt += 1
            await asyncio.sleep(backoff(attempt))

    async def poll(self, interval_s: float, service: str, load: Callable[[], Awaitable[Any]]) -> None:
        """Call `load` every `interval_s` while connected to a daemon that serves `service`."""
        while True:
            await asyncio.sleep(interval_s)
            await self.connected.wait()
            if service in self.services:
                await load()

    async def wait_reconnect(self) -> None:
        """After a permanent refusal, try again only once the daemon has gone and come back."""
        await self.disconnected.wait()
        await self.connected.wait()

    async def act(self, action: str, call: Callable[[], Awaitable[Any]], area: str = "") -> Any:
        """Run one call for `action`; a failure becomes ActionFailed with the CLI's wording.

        UNIMPLEMENTED in an optional area (an older daemon) marks the area unavailable instead.
        """
        try:
            return await call()
        except grpc.RpcError as err:
            code = err.code().name
            if area and code == "UNIMPLEMENTED":
                self.post(m.ServiceUnavailable(area, code, unavailable_line(code)))
                return None
            cli = translate_error(err, address=self.address, request_id="-", has_token=bool(self.settings.token))
            self.post(m.ActionFailed(action, code, cli.message))
            return None


class Area:
    """One area of the dashboard's data: its calls, its streams, and the messages they post."""

    NAME = ""

    def __init__(self, link: Link) -> None:
        self.link = link

    @property
    def client(self) -> AsyncClient:
        return self.link.client

    def md(self) -> list[tuple[str, str]]:
        return self.link.client.md()

    def post(self, message: m.DataMessage) -> None:
        self.link.post(message)

    def background(self) -> list[Awaitable[Any]]:
        """Loops to run for the app's life (streams, polls)."""
        return []

    async def on_connect(self) -> None:
        """One-shot loads after each (re)connection."""
