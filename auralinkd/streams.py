"""Watch streams: keep-alive heartbeats and the end on shutdown, in one place for every Watch* RPC.

API.md: a watch stream sends a heartbeat message at least every 15 s, so clients detect dead connections, and
ends with UNAVAILABLE when the daemon shuts down. A servicer writes its stream as a plain async iterator of
messages (a snapshot, then deltas) and hands it to `Streams.keep_alive`, which interleaves heartbeats while
the source is quiet and ends the stream on shutdown. Nothing here knows gRPC: Unavailable maps to its status
code in api/errors.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from auralinkd.bus import Event, Subscription
from auralinkd.errors import Unavailable

T = TypeVar("T")

HEARTBEAT_S = 15.0  # API.md's upper bound on the gap between two messages of a watch stream
CHECK_S = 0.25  # how often a quiet stream looks at the shutdown flag


def shutting_down() -> Unavailable:
    return Unavailable("the daemon is shutting down; reconnect")


class Streams:
    """Paces every watch stream of one daemon: `heartbeat_s` between messages at most, ended on shutdown."""

    def __init__(self, stopping: Callable[[], bool], heartbeat_s: float = HEARTBEAT_S) -> None:
        self.stopping = stopping
        self.heartbeat_s = heartbeat_s

    def check(self) -> None:
        """Raise Unavailable once the daemon is shutting down (for long-lived streams between messages)."""
        if self.stopping():
            raise shutting_down()

    async def keep_alive(
        self, source: AsyncIterator[T], heartbeat: Callable[[], T], heartbeat_s: float | None = None
    ) -> AsyncIterator[T]:
        """`source`'s messages, with `heartbeat()` after every `heartbeat_s` without one; Unavailable on
        shutdown (or when the source raises EOFError: the event bus has closed). Ends when the source ends."""
        interval = self.heartbeat_s if heartbeat_s is None else min(heartbeat_s, self.heartbeat_s)
        pending: asyncio.Future[T] | None = None
        last = time.monotonic()
        try:
            while True:
                self.check()
                if pending is None:
                    pending = asyncio.ensure_future(anext(source))
                wait = max(0.0, min(CHECK_S, interval - (time.monotonic() - last)))
                done, _ = await asyncio.wait({pending}, timeout=wait)
                if done:
                    pending = None
                    try:
                        message = done.pop().result()
                    except StopAsyncIteration:
                        return
                    except EOFError:
                        raise shutting_down() from None
                    yield message
                    last = time.monotonic()
                elif time.monotonic() - last >= interval:
                    yield heartbeat()
                    last = time.monotonic()
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()


async def events(subscription: Subscription) -> AsyncIterator[Event]:
    """A bus subscription as an async iterator; raises EOFError once the bus has closed."""
    while True:
        event = await subscription.next(3600)
        if event is not None:
            yield event
