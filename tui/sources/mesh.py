"""Mesh data: the network status stream, nodes and reputations (polled: they have no stream), routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration

from auralink.v1 import mesh_pb2 as pb
from tui import messages as m
from tui.sources.link import UNARY_TIMEOUT_S, Area, Link


class MeshSource(Area):
    NAME = "mesh"

    def __init__(self, link: Link, *, interval_s: float = 2.0) -> None:
        super().__init__(link)
        self.interval_s = interval_s

    def background(self) -> list[Awaitable[Any]]:
        return [self.link.stream("mesh", self._network), self._poll()]

    async def _network(self) -> AsyncIterator[None]:
        request = pb.WatchNetworkStatusRequest(interval=Duration(seconds=2))
        async for status in self.client.mesh.WatchNetworkStatus(request, metadata=self.md()):
            if not status.heartbeat:
                self.post(m.NetworkStatusReceived(status))
            yield None

    async def _poll(self) -> None:
        while True:
            await self.link.connected.wait()
            try:
                nodes = await self.client.mesh.ListNodes(
                    pb.ListNodesRequest(page_size=200), metadata=self.md(), timeout=UNARY_TIMEOUT_S
                )
                self.post(m.MeshNodes(list(nodes.nodes)))
                reps = await self.client.reputation.ListReputations(
                    pb.ListReputationsRequest(page_size=200), metadata=self.md(), timeout=UNARY_TIMEOUT_S
                )
                self.post(m.Reputations(list(reps.reputations)))
            except grpc.RpcError as err:
                if err.code().name in ("UNIMPLEMENTED", "PERMISSION_DENIED"):
                    self.post(m.ServiceUnavailable("mesh", err.code().name, err.details() or ""))
                    await self.link.wait_reconnect()
                    continue
            await asyncio.sleep(self.interval_s)

    async def find_route(self, source: str, destination: str, k: int = 3) -> None:
        request = pb.FindOptimalRouteRequest(source=source, destination=destination, k=k)
        resp = await self.link.act(
            "mesh.route",
            lambda: self.client.mesh.FindOptimalRoute(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
        )
        if resp is not None:
            self.post(m.RouteFound(source, destination, resp))

    async def explain_reputation(self, node: str) -> None:
        request = pb.ExplainReputationRequest(node=node, limit=20)
        resp = await self.link.act(
            "reputation.explain",
            lambda: self.client.reputation.ExplainReputation(request, metadata=self.md(), timeout=UNARY_TIMEOUT_S),
        )
        if resp is not None:
            self.post(m.ReputationExplained(resp))
