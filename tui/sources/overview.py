"""Overview data: the daemon's event stream (its status comes from the link's status loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any

from auralink.v1 import system_pb2
from tui import messages as m
from tui.sources.link import Area


class OverviewSource(Area):
    NAME = "overview"

    def background(self) -> list[Awaitable[Any]]:
        return [self.link.stream("events", self._events)]

    async def _events(self) -> AsyncIterator[None]:
        request = system_pb2.WatchEventsRequest(replay=50)
        async for event in self.client.system.WatchEvents(request, metadata=self.md()):
            if not event.heartbeat:
                self.post(m.EventReceived(event))
            yield None
