"""The TUI's data sources: one link to the daemon and one source per area, all posting Textual messages.

Collection only (Dolphie's split): tui/state.py folds what arrives into the dashboard's state, and
screens render it. A screen acts through its area, `self.source.<area>.<action>(...)`; the outcome
arrives as messages, never as a return value. Every call goes through the link's typed client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from auralink_cli.profiles import Settings
from tui.sources.access import AccessSource
from tui.sources.agents import AgentsSource
from tui.sources.compression import CompressionSource
from tui.sources.link import Area, Link, Sink
from tui.sources.mcp import McpSource
from tui.sources.memory import MemorySource
from tui.sources.mesh import MeshSource
from tui.sources.overview import OverviewSource
from tui.sources.workflows import WorkflowsSource

__all__ = ["DataSource", "AREA_SOURCES"]

# Attribute of DataSource -> the class behind it (the recorded test source mirrors exactly these).
AREA_SOURCES: dict[str, type[Area]] = {
    "overview": OverviewSource,
    "access": AccessSource,
    "mesh": MeshSource,
    "compression": CompressionSource,
    "agents": AgentsSource,
    "mcp": McpSource,
    "memory": MemorySource,
    "workflows": WorkflowsSource,
}


class DataSource:
    """The link and every area; `start` runs their loops, each (re)connection runs their loads."""

    def __init__(
        self,
        settings: Settings,
        *,
        reload_settings: Callable[[], Settings] | None = None,
        status_interval_s: float = 1.0,
        mesh_interval_s: float = 2.0,
    ) -> None:
        self.link = Link(settings, reload_settings=reload_settings, status_interval_s=status_interval_s)
        self.overview = OverviewSource(self.link)
        self.access = AccessSource(self.link)
        self.mesh = MeshSource(self.link, interval_s=mesh_interval_s)
        self.compression = CompressionSource(self.link)
        self.agents = AgentsSource(self.link)
        self.mcp = McpSource(self.link)
        self.memory = MemorySource(self.link)
        self.workflows = WorkflowsSource(self.link)

    @property
    def address(self) -> str:
        return self.link.address

    def areas(self) -> list[Area]:
        return [getattr(self, name) for name in AREA_SOURCES]

    def start(self, sink: Sink) -> None:
        """Open the channel and start every loop; call from the app's event loop."""
        self.link.start(sink, self._on_connect)
        for area in self.areas():
            for loop in area.background():
                self.link.spawn(loop)

    async def stop(self) -> None:
        await self.link.stop()

    async def _on_connect(self) -> None:
        """Identity first, so that actions can be gated; then every area's loads."""
        await self.access.load_identity()
        await asyncio.gather(
            self.access.load_roles(),
            self.access.load_catalogue(),
            self.access.verify_audit(),
            *(area.on_connect() for area in self.areas()),
            return_exceptions=True,
        )
