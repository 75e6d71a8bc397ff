"""Failure detection: nodes move to SUSPECT and OFFLINE when their heartbeats stop (phi accrual, detector.py).

Every state change is queued here, written to PostgreSQL within one tick of the background loop (and retried
until it is), then published ("mesh.node.<state>") and, for OFFLINE, handed to the route listeners.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.mesh import store
from auralinkd.mesh.detector import NodeState
from auralinkd.mesh.graph import NodeInfo
from auralinkd.mesh.registry import NodeRegistry

_RANK = {NodeState.ALIVE: 0, NodeState.SUSPECT: 1, NodeState.OFFLINE: 2}

# (org, node id, new state, when)
Transition = tuple[str, str, NodeState, datetime]


class FailureDetection:
    def __init__(self, registry: NodeRegistry, database: Database, bus: EventBus) -> None:
        self._registry = registry
        self._database = database
        self._bus = bus
        self.pending: list[Transition] = []
        self.route_listeners: list[Callable[[str, str], Any]] = []  # (org, offline node) -> reroute

    def transition(self, info: NodeInfo, state: NodeState) -> None:
        """Change a node's state now (in memory) and queue the change for writing."""
        info.state = state
        self._registry.graphs[info.org_id].node_changed(info)
        self.pending.append((info.org_id, info.id, state, datetime.now(UTC)))

    def detect(self) -> list[NodeInfo]:
        """One detector pass over every node; returns the nodes whose state changed."""
        now = self._registry.clock()
        changed = []
        for graph in self._registry.graphs.values():
            graph.expire(now)
            for info in graph.nodes.values():
                verdict = info.detector.state(now)
                # The detector only moves a node down; only a heartbeat brings it back to ALIVE.
                if _RANK[verdict] > _RANK[info.state]:
                    self.transition(info, verdict)
                    changed.append(info)
        return changed

    async def write(self) -> None:
        """Write queued transitions, then publish them; on failure they stay queued (never lost)."""
        batch = list(self.pending)
        if not batch:
            return
        async with self._database.system() as conn:  # daemon bookkeeping across orgs, rows addressed by id
            changed = set(await store.set_states(conn, [(UUID(n), s.value, at) for _, n, s, at in batch]))
        del self.pending[: len(batch)]
        for org, node_id, state, _ in batch:
            if UUID(node_id) in changed:
                await self._bus.publish(f"mesh.node.{state.value}", {"org": org, "id": node_id}, org=org)
                if state is NodeState.OFFLINE:
                    for listener in self.route_listeners:
                        await listener(org, node_id)
