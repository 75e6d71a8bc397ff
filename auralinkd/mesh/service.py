"""MeshService: the mesh's parts, named by job, and the background loop that drives them.

- registry.py (NodeRegistry): every org's graph in memory; registering, looking up and removing nodes;
- ingest.py (HeartbeatIngest): heartbeats validated and applied in memory, never written synchronously;
- failures.py (FailureDetection): SUSPECT/OFFLINE from the heartbeats' timing, state changes written within
  one tick and published;
- flush.py (Flusher): loads, link estimates, coordinates and history windows written every flush interval;
- replication.py (Replication): other replicas' changes from the bus ("mesh." topics) applied here.

State lives in memory per org (MeshGraph) and is rebuilt from PostgreSQL on start-up (`load`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.errors import InvalidArgument
from auralinkd.mesh import store
from auralinkd.mesh.failures import FailureDetection
from auralinkd.mesh.flush import Flusher
from auralinkd.mesh.graph import MeshGraph, NodeInfo
from auralinkd.mesh.ingest import HeartbeatIngest
from auralinkd.mesh.pathfinding import warm_up
from auralinkd.mesh.registry import NodeRegistry
from auralinkd.mesh.replication import Replication
from auralinkd.mesh.smoothing import LinkEstimate
from auralinkd.mesh.vivaldi import distance

log = logging.getLogger(__name__)

TICK_S = 0.1
FLUSH_S = 1.0


@dataclass
class Periodic:
    """Work that MeshService.run does every `interval_s` (e.g. RouteService.reevaluate)."""

    interval_s: float
    work: Callable[[], Awaitable[Any]]
    name: str
    last: float = 0.0


@dataclass(frozen=True, slots=True)
class LatencyPrediction:
    rtt_ms: float  # Vivaldi distance between the two nodes' coordinates
    measured_rtt_ms: float | None  # the link's smoothed RTT, when the source reports a link to the destination


class MeshService:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        bus: EventBus,
        credentials: Any,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._bus = bus
        self.clock = clock
        self.registry = NodeRegistry(database, audit, bus, credentials, clock)
        self.failures = FailureDetection(self.registry, database, bus)
        self.flusher = Flusher(self.registry, database, bus)
        self.ingest = HeartbeatIngest(self.registry, self.failures, self.flusher)
        self.replication = Replication(self.registry, bus)
        # Periodic work (stored-route re-evaluation) that runs inside this service's background loop.
        self.periodic: list[Periodic] = []

    # -- look-ups every mesh service shares -------------------------------------------------------

    @property
    def graphs(self) -> dict[str, MeshGraph]:
        return self.registry.graphs

    def graph(self, org_id: str) -> MeshGraph:
        return self.registry.graph(org_id)

    def resolve(self, org_id: str, ref: str, field_name: str = "node") -> NodeInfo:
        return self.registry.resolve(org_id, ref, field_name)

    def predict_latency(self, org_id: str, source: str, destination: str) -> LatencyPrediction:
        a = self.resolve(org_id, source, "source")
        b = self.resolve(org_id, destination, "destination")
        if a.id == b.id:
            raise InvalidArgument.for_field("destination", "must differ from the source")
        graph = self.registry.graphs[org_id]
        measured = graph.links.get((a.id, b.id))
        return LatencyPrediction(
            rtt_ms=distance(graph.coordinate(a.index), graph.coordinate(b.index)),
            measured_rtt_ms=measured.srtt_ms if measured else None,
        )

    # -- start-up ---------------------------------------------------------------------------------

    async def load(self) -> None:
        """Rebuild every org's graph from PostgreSQL. Daemon bookkeeping across orgs, before any caller:
        database.system() is the right scope (there is no tenant to act as)."""
        async with self._database.system() as conn:
            nodes = await store.all_nodes(conn)
            links = await store.all_links(conn)
        now = self.clock()
        for row in nodes:
            self.registry.add(row, now)
        node_org = self.registry.node_org
        by_org: dict[str, list[tuple[str, str, LinkEstimate]]] = {}
        for row in links:
            source, target = str(row["source_node_id"]), str(row["target_node_id"])
            if source in node_org and target in node_org:
                estimate = LinkEstimate(
                    row["srtt_ms"],
                    row["rttvar_ms"],
                    row["bandwidth_kbps"],
                    row["loss_pct"],
                    row["cost"],
                    int(row["samples"]),
                )
                by_org.setdefault(str(row["organization_id"]), []).append((source, target, estimate))
                self.flusher.link_ids[(source, target)] = row["id"]
        for org, rows in by_org.items():
            self.registry.graph(org).set_links(rows, now)
        log.info("mesh graph rebuilt: %d nodes, %d links", len(nodes), len(links))
        started = time.perf_counter()
        warm_up()  # compile the route search now (or load it from numba's cache), not on the first query
        log.info("route search ready in %.2f s", time.perf_counter() - started)

    # -- the background loop ------------------------------------------------------------------------

    async def run(self) -> None:
        """Background task: detect every tick, write transitions at once, flush the rest every second."""
        last_flush = self.clock()
        subscription = self._bus.subscribe(["mesh."])
        try:
            while True:
                await asyncio.sleep(TICK_S)
                await self.replication.apply_pending(subscription)
                self.failures.detect()
                try:
                    await self.failures.write()
                    if self.clock() - last_flush >= FLUSH_S:
                        last_flush = self.clock()
                        await self.flusher.flush()
                except Exception as exc:  # noqa: BLE001 - keep the loop alive; pending work is retried
                    log.warning("mesh state not written yet (will retry): %s", exc)
                await self.run_periodic()
        finally:
            self._bus.unsubscribe(subscription)

    async def run_periodic(self) -> None:
        now = self.clock()
        for task in self.periodic:
            if now - task.last >= task.interval_s:
                task.last = now
                try:
                    await task.work()
                except Exception as exc:  # noqa: BLE001 - periodic work retries on its next turn
                    log.warning("mesh %s failed (will retry): %s", task.name, exc)

    async def close(self) -> None:
        """Shutdown: write what is pending (transitions first)."""
        await self.failures.write()
        await self.flusher.flush(final=True)
