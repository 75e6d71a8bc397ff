"""Compression data: the metrics stream and the streamed benchmark."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any

from auralink.v1 import compression_pb2 as pb
from tui import messages as m
from tui.sources.link import Area


class CompressionSource(Area):
    NAME = "compression"

    def background(self) -> list[Awaitable[Any]]:
        return [self.link.stream("compression", self._metrics)]

    async def _metrics(self) -> AsyncIterator[None]:
        async for item in self.client.compression.WatchMetrics(pb.WatchMetricsRequest(), metadata=self.md()):
            if item.WhichOneof("event") == "metrics":
                self.post(m.CompressionMetrics(item.metrics))
            yield None

    async def run_benchmark(self, quick: bool = True) -> None:
        async def consume() -> bool:
            request = pb.RunBenchmarkRequest(quick=quick)
            async for item in self.client.compression.RunBenchmark(request, metadata=self.md()):
                kind = item.WhichOneof("event")
                if kind == "progress":
                    self.post(m.BenchmarkProgress(item.progress.fraction, item.progress.step))
                elif kind == "row":
                    self.post(m.BenchmarkRow(item.row))
                elif kind == "done":
                    self.post(m.BenchmarkDone(item.done))
            return True

        await self.link.act("compression.bench", consume)
