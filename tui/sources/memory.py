"""Memory data: recent memories, recall with score components, stats, and evolve (dry run, then apply)."""

from __future__ import annotations

from auralink.v1 import memory_pb2 as pb
from tui import messages as m
from tui.sources.link import UNARY_TIMEOUT_S, Area

SERVICE = "auralink.v1.MemoryService"
RECENT = 20


class MemorySource(Area):
    NAME = "memory"

    async def on_connect(self) -> None:
        if self.link.unavailable_unless(self.NAME, SERVICE):
            await self.memory_stats()
            await self.recent()

    async def recent(self) -> None:
        """The newest memories: what the screen shows before any search."""
        request = pb.ListMemoriesRequest(page_size=RECENT)
        resp = await self.link.act(
            "memory.list",
            lambda: self.client.memory.ListMemories(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if resp is not None:
            self.post(m.RecentMemories(list(resp.memories)))

    async def recall(self, query: str) -> None:
        request = pb.RecallMemoriesRequest(query=query, limit=20)
        resp = await self.link.act(
            "memory.recall",
            lambda: self.client.memory.RecallMemories(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if resp is not None:
            self.post(m.MemoryResults(query, list(resp.results)))

    async def memory_stats(self) -> None:
        resp = await self.link.act(
            "memory.stats",
            lambda: self.client.memory.GetMemoryStats(
                pb.GetMemoryStatsRequest(), metadata=self.md(), timeout=UNARY_TIMEOUT_S
            ),
            self.NAME,
        )
        if resp is not None:
            self.post(m.MemoryStats(resp))

    async def evolve(self, dry_run: bool) -> None:
        request = pb.EvolveMemoriesRequest(dry_run=dry_run)
        resp = await self.link.act(
            "memory.evolve",
            lambda: self.client.memory.EvolveMemories(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
            self.NAME,
        )
        if resp is not None:
            self.post(m.EvolvePreview(resp, applied=not dry_run))
            if not dry_run:
                run = resp.run
                detail = f"evolved: examined {run.examined}, consolidated {run.consolidated}, forgotten {run.forgotten}"
                self.post(m.ActionDone("memory.evolve", detail))
                await self.memory_stats()
