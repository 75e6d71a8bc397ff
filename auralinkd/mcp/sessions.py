"""Kept-alive MCP client sessions, one per connection, each owned by one asyncio task.

The SDK's transports and ClientSession are anyio context managers that must be entered and left in the
same task, so each session lives in a task of its own (`Session._run`); callers in other tasks use the
live ClientSession, which is safe (requests go through memory streams). A session starts on first use,
reports CONNECTED / DEGRADED / FAILED with a reason, is restarted with capped backoff when its server
exits, and keeps the server's tool list, refreshed on `notifications/tools/list_changed`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from auralinkd.errors import DeadlineExceeded, InvalidArgument, Unavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 30.0
BACKOFF_FIRST_S = 0.2
# Consecutive failed starts before the session parks in FAILED; the next use tries again at once.
MAX_START_ATTEMPTS = 5


class State(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DEGRADED = "degraded"
    FAILED = "failed"


@dataclass(frozen=True)
class Target:
    """What to start or reach, secrets opened (lives only in memory)."""

    transport: str  # "stdio" or "streamable_http"
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    version: str = ""  # the connection's etag: a changed connection gets a new session
    http_policy: Any = None  # policy.HttpPolicy: checks every address the HTTP client connects to


@dataclass(frozen=True)
class Health:
    state: State
    reason: str = ""
    server_name: str = ""
    server_version: str = ""
    tool_count: int = 0


class Session:
    """One connection's session and the task that owns it."""

    def __init__(self, key: str, target: Target, stderr_path: Path, backoff_max_s: float) -> None:
        self.key = key
        self.target = target
        self._stderr_path = stderr_path
        self._backoff_max_s = backoff_max_s
        self.state = State.IDLE
        self.reason = ""
        self.server_name = ""
        self.server_version = ""
        self.tools: list[Any] = []  # mcp.types.Tool
        self._client: Any = None  # mcp.ClientSession while CONNECTED
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._dead = asyncio.Event()
        self._tools_stale = False
        self._task: asyncio.Task[None] | None = None
        self._parked = False

    # -- what callers see -----------------------------------------------------------------------

    def health(self) -> Health:
        return Health(self.state, self.reason, self.server_name, self.server_version, len(self.tools))

    async def client(self, deadline: float) -> Any:
        """The live ClientSession, starting or waking the session; UNAVAILABLE when it cannot start."""
        self._start()
        while True:
            if self.state is State.CONNECTED and self._client is not None and not self._dead.is_set():
                return self._client
            if self.state is State.FAILED and not self._parked:
                raise Unavailable(f"MCP server unavailable: {self.reason}")
            changed = self._changed
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded(f"the MCP session did not connect in time ({self.state.value}: {self.reason})")
            with suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def list_tools(self, deadline: float) -> list[Any]:
        client = await self.client(deadline)
        if self._tools_stale:
            self.tools = await _bounded(self._fetch_tools(client), deadline, "listing tools")
        return self.tools

    async def call_tool(self, name: str, arguments: dict[str, Any], deadline: float) -> Any:
        """The CallToolResult; UNAVAILABLE when the server goes away, DEADLINE_EXCEEDED past `deadline`."""
        from mcp.shared.exceptions import McpError
        from mcp.types import CONNECTION_CLOSED, INVALID_PARAMS, METHOD_NOT_FOUND

        client = await self.client(deadline)
        try:
            return await _bounded(client.call_tool(name, arguments), deadline, f"tool {name!r}")
        except McpError as exc:
            if exc.error.code == CONNECTION_CLOSED:
                self._dead.set()
                raise Unavailable(f"the MCP server exited during the call to {name!r}; it is being restarted") from None
            if exc.error.code in (INVALID_PARAMS, METHOD_NOT_FOUND):
                raise InvalidArgument.for_field(
                    "arguments", f"the server refused the call: {exc.error.message}"
                ) from None
            raise Unavailable(f"the MCP server failed the call to {name!r}: {exc.error.message}") from None
        except RuntimeError as exc:  # the SDK's output-schema check of structured content
            raise Unavailable(f"the MCP server answered {name!r} with invalid content: {exc}") from None
        except (OSError, *_closed_errors()) as exc:
            self._dead.set()
            raise Unavailable(f"the MCP server connection broke during {name!r}: {type(exc).__name__}") from None

    async def ping(self, deadline: float) -> None:
        client = await self.client(deadline)
        await _bounded(client.send_ping(), deadline, "ping")

    async def restart(self) -> None:
        """Drop the live session (if any); the next use starts a fresh one."""
        await self.close()
        self._stop = asyncio.Event()
        self._dead = asyncio.Event()
        self._task = None
        self._set(State.IDLE)

    async def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task

    # -- the owner task -------------------------------------------------------------------------

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._parked = False
            self._set(State.CONNECTING, self.reason)
            self._task = asyncio.create_task(self._run(), name=f"mcp-session-{self.key}")
        elif self._parked:
            self._parked = False
            self._set(State.CONNECTING, self.reason)
            self._wake.set()

    def _set(self, state: State, reason: str = "") -> None:
        self.state, self.reason = state, reason
        self._changed.set()
        self._changed = asyncio.Event()

    async def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            was_connected, reason = await self._connect_once()
            if self._stop.is_set():
                break
            failures = 0 if was_connected else failures + 1
            if was_connected:
                self._set(State.DEGRADED, reason)
            else:
                self._set(State.FAILED, reason)
            if failures >= MAX_START_ATTEMPTS:
                self._parked = True  # wait for the next use instead of spawning forever
                self._wake.clear()
                await self._wake.wait()
                failures = 0
                continue
            delay = min(self._backoff_max_s, BACKOFF_FIRST_S * 2 ** max(failures - 1, 0))
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    async def _connect_once(self) -> tuple[bool, str]:
        """Run one session until it dies or is stopped: (whether it connected, why it ended)."""
        from mcp import ClientSession

        self._dead = asyncio.Event()
        connected = False
        try:
            async with AsyncExitStack() as stack:
                read, write = await self._open_transport(stack)
                read = await _watched(stack, read, self._dead)
                client = await stack.enter_async_context(ClientSession(read, write, message_handler=self._on_message))
                init = await self._until_dead(client.initialize(), "initializing")
                self.server_name, self.server_version = init.serverInfo.name, init.serverInfo.version
                self.tools = await self._until_dead(self._fetch_tools(client), "listing tools")
                self._client = client
                connected = True
                self._set(State.CONNECTED)
                log.info("MCP session %s connected (%s %s)", self.key, self.server_name, self.server_version)
                await _first(self._stop.wait(), self._dead.wait())
                reason = "the server exited or closed the connection"
        except asyncio.CancelledError:
            if self._stop.is_set():
                return connected, "stopped"
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to start is the connection's state
            reason = _describe(exc)
        finally:
            self._client = None
        if not self._stop.is_set():
            log.warning("MCP session %s ended: %s", self.key, reason)
        return connected, reason

    async def _open_transport(self, stack: AsyncExitStack) -> tuple[Any, Any]:
        t = self.target
        if t.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            errlog = stack.enter_context(_stderr_file(self._stderr_path))
            params = StdioServerParameters(command=t.command, args=list(t.args), env=dict(t.env) or None)
            read, write = await stack.enter_async_context(stdio_client(params, errlog=errlog))
            return read, write
        import httpx
        from mcp.client.streamable_http import streamable_http_client

        from auralinkd.mcp.policy import checked_transport

        transport = checked_transport(t.http_policy) if t.http_policy is not None else None
        http = await stack.enter_async_context(
            httpx.AsyncClient(
                headers=t.headers,
                timeout=httpx.Timeout(CONNECT_TIMEOUT_S, read=300.0),
                transport=transport,
                trust_env=False,
            )
        )
        read, write, _ = await stack.enter_async_context(streamable_http_client(t.url, http_client=http))
        return read, write

    async def _until_dead(self, work: Awaitable[Any], what: str) -> Any:
        task = asyncio.ensure_future(work)
        dead = asyncio.ensure_future(self._dead.wait())
        try:
            done, _ = await asyncio.wait({task, dead}, timeout=CONNECT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        finally:
            dead.cancel()
        if task in done:
            return task.result()
        task.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await task
        if self._dead.is_set():
            raise ConnectionError(f"the server exited while {what}{self._stderr_tail()}")
        raise TimeoutError(f"no answer while {what} within {CONNECT_TIMEOUT_S:g}s")

    async def _fetch_tools(self, client: Any) -> list[Any]:
        self._tools_stale = False
        tools: list[Any] = []
        cursor: str | None = None
        while True:
            page = await client.list_tools(cursor) if cursor else await client.list_tools()
            tools.extend(page.tools)
            cursor = page.nextCursor
            if not cursor:
                return tools

    async def _on_message(self, message: Any) -> None:
        from mcp import types

        if isinstance(message, Exception):
            log.warning("MCP session %s: transport error: %s", self.key, message)
            self.reason = _describe(message)
            self._dead.set()
        elif isinstance(message, types.ServerNotification) and isinstance(
            message.root, types.ToolListChangedNotification
        ):
            self._tools_stale = True  # the next ListTools (or CallTool's look-up) fetches the list again

    def _stderr_tail(self) -> str:
        try:
            text = self._stderr_path.read_text(errors="replace").strip()
        except OSError:
            return ""
        last = text.splitlines()[-1][:200] if text else ""
        return f" (last stderr line: {last})" if last else ""


class SessionPool:
    """Every live session of this daemon, keyed by connection id."""

    def __init__(self, log_dir: Path, backoff_max_s: float) -> None:
        self._log_dir = log_dir
        self._backoff_max_s = backoff_max_s
        self._sessions: dict[str, Session] = {}

    def get(self, key: str, target: Target) -> Session:
        session = self._sessions.get(key)
        if session is not None and session.target.version == target.version:
            return session
        if session is not None:  # the connection changed: the old session goes
            asyncio.create_task(session.close())
        session = Session(key, target, self._log_dir / f"{key}.stderr.log", self._backoff_max_s)
        self._sessions[key] = session
        return session

    def peek(self, key: str, version: str) -> Session | None:
        session = self._sessions.get(key)
        return session if session is not None and session.target.version == version else None

    def health(self, key: str, version: str) -> Health:
        session = self.peek(key, version)
        return session.health() if session is not None else Health(State.IDLE)

    async def drop(self, key: str) -> None:
        session = self._sessions.pop(key, None)
        if session is not None:
            await session.close()

    async def close(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


# -- helpers ------------------------------------------------------------------------------------


async def _bounded(work: Awaitable[Any], deadline: float, what: str) -> Any:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlineExceeded(f"no time left for {what}")
    try:
        return await asyncio.wait_for(work, remaining)
    except TimeoutError:
        raise DeadlineExceeded(f"{what} did not finish within the deadline ({remaining:.1f}s)") from None


async def _first(*waits: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def _watched(stack: AsyncExitStack, read: Any, dead: asyncio.Event) -> Any:
    """A copy of the transport's read stream that sets `dead` when the original ends (the server left)."""
    import anyio

    send, receive = anyio.create_memory_object_stream[Any](0)

    async def pump() -> None:
        try:
            async with send:
                async for message in read:
                    await send.send(message)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass
        finally:
            dead.set()

    group = await stack.enter_async_context(anyio.create_task_group())
    stack.callback(group.cancel_scope.cancel)  # runs before the group's exit waits for the pump
    group.start_soon(pump)
    return receive


def _closed_errors() -> tuple[type[BaseException], ...]:
    import anyio

    return (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream)


class _stderr_file:  # noqa: N801 - used like open()
    """The server's stderr, appended to a 0600 file in the daemon's data directory."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        import os

        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._handle = os.fdopen(fd, "w")
        return self._handle

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions[:3])
    if isinstance(exc, FileNotFoundError):
        return f"command not found: {exc.filename or exc}"
    text = str(exc) or type(exc).__name__
    return text[:300]
