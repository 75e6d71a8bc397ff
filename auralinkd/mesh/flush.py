"""Flushing: what heartbeats changed in memory (loads, link estimates, coordinates, closed one-minute
history windows) written to PostgreSQL in one transaction every flush interval, and published to the other
replicas ("mesh.links"). A failed flush keeps everything dirty for the next one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import numpy as np

from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.mesh import store
from auralinkd.mesh.graph import MeshGraph
from auralinkd.mesh.registry import NodeRegistry

HISTORY_WINDOW_S = 60


class Flusher:
    def __init__(self, registry: NodeRegistry, database: Database, bus: EventBus) -> None:
        self._registry = registry
        self._database = database
        self._bus = bus
        self.touched: set[str] = set()  # nodes with a heartbeat since the last flush
        self.link_ids: dict[tuple[str, str], UUID] = {}  # (source, target) -> mesh_links.id
        registry.forgotten.append(self.forget)

    def forget(self, node_id: str) -> None:
        self.touched.discard(node_id)
        for key in [k for k in self.link_ids if node_id in k]:
            del self.link_ids[key]

    async def flush(self, final: bool = False) -> None:
        """Loads, link estimates, coordinates and closed history windows, in one transaction."""
        nodes, self.touched = self.touched, set()
        now, wall = self._registry.clock(), datetime.now(UTC)
        node_rows = []
        for node_id in nodes:
            org = self._registry.node_org.get(node_id)
            if org is not None:
                graph = self._registry.graphs[org]
                info = graph.nodes[node_id]
                node_rows.append((UUID(node_id), info.load, wall, graph.coordinate(info.index).as_list()))
        link_rows: list[store.LinkRow] = []
        taken: list[tuple[MeshGraph, np.ndarray]] = []
        for org, graph in self._registry.graphs.items():
            count = len(graph._keys)
            slots = np.flatnonzero(graph.dirty[:count] & graph._live[:count])
            if not len(slots):
                continue
            graph.dirty[slots] = False
            taken.append((graph, slots))
            org_id = UUID(org)
            columns = (graph.srtt, graph.rttvar, graph.bandwidth, graph.loss, graph._etx, graph._money)
            values = [c[slots].tolist() for c in columns]
            samples = graph.samples[slots].tolist()
            for k, slot in enumerate(slots.tolist()):
                source, target = graph.key_of_slot(slot)
                srtt, rttvar, bw, loss, etx, cost = (v[k] for v in values)
                link_rows.append(
                    (org_id, UUID(source), UUID(target), srtt, rttvar, bw, loss, etx, cost, samples[k], wall)
                )
        try:
            async with self._database.system() as conn:  # daemon bookkeeping across orgs, rows addressed by id
                if node_rows:
                    await store.flush_nodes(conn, node_rows)
                if link_rows:
                    ids = await store.upsert_links(conn, link_rows)
                    self.link_ids.update({(str(s), str(t)): i for (s, t), i in ids.items()})
                await store.insert_link_performance(conn, self._closed_windows(now, wall, final))
        except Exception:
            self.touched |= nodes
            for graph, slots in taken:
                graph.dirty[slots] = graph._live[slots]
            raise
        if link_rows:
            # One event per organization: each belongs to its org and is seen only there.
            links_by_org: dict[str, list[list[Any]]] = {}
            for r in link_rows:
                links_by_org.setdefault(str(r[0]), []).append(
                    [str(r[0]), str(r[1]), str(r[2]), r[3], r[4], r[5], r[6], r[8], r[9]]
                )
            beats_by_org: dict[str, list[list[Any]]] = {}
            for r in node_rows:
                org_of = self._registry.node_org.get(str(r[0]))
                if org_of is not None:
                    beats_by_org.setdefault(org_of, []).append([str(r[0]), r[1]])
            for org_of, links in links_by_org.items():
                await self._bus.publish(
                    "mesh.links", {"links": links, "beats": beats_by_org.get(org_of, [])}, org=org_of
                )

    def _closed_windows(self, now: float, wall: datetime, final: bool) -> list[Any]:
        rows = []
        for org, graph in self._registry.graphs.items():
            count = len(graph._keys)
            closing = (graph.win_n[:count] > 0) & graph._live[:count]
            if not final:
                closing &= now - graph.win_started[:count] >= HISTORY_WINDOW_S
            for slot in np.flatnonzero(closing).tolist():
                link_id = self.link_ids.get(graph.key_of_slot(slot))
                if link_id is None:
                    continue
                n = int(graph.win_n[slot])
                rows.append(
                    (
                        UUID(org),
                        link_id,
                        float(graph.win_rtt[slot]) / n / 2,
                        float(graph.win_jitter[slot]) / n,
                        float(graph.win_loss[slot]) / n / 100,
                        float(graph.win_bw[slot]) / n,
                        n,
                        wall,
                        HISTORY_WINDOW_S,
                    )
                )
                graph.win_n[slot] = 0
                graph.win_rtt[slot] = graph.win_jitter[slot] = graph.win_loss[slot] = graph.win_bw[slot] = 0.0
                graph.win_started[slot] = now
        return rows
