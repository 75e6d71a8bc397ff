"""Replication: other replicas' mesh changes, read from the bus ("mesh." topics), applied to this replica's
graph. Events this part does not apply itself (stored routes, reputation reports) go to `event_listeners`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auralinkd.bus import Event, EventBus, Subscription
from auralinkd.mesh.detector import NodeState
from auralinkd.mesh.registry import NodeRegistry, unwire
from auralinkd.mesh.smoothing import LinkEstimate


class Replication:
    def __init__(self, registry: NodeRegistry, bus: EventBus) -> None:
        self._registry = registry
        self._bus = bus
        self.event_listeners: list[Callable[[Event], Any]] = []

    async def apply_pending(self, subscription: Subscription) -> None:
        """Apply every event already queued on the subscription (never waits for more)."""
        while True:
            event = await subscription.next(0)
            if event is None:
                return
            if event.replica_id != self._bus.replica_id:
                self.apply_event(event)
                for listener in self.event_listeners:
                    listener(event)

    def apply_event(self, event: Event) -> None:
        """Another replica's change, applied to this replica's graph."""
        data, org = event.data, str(event.data.get("org", ""))
        topic = event.topic
        if topic == "mesh.node.registered" and data["node"]["id"] not in self._registry.node_org:
            self._registry.add(unwire(data["node"]), self._registry.clock())
        elif topic == "mesh.node.deregistered":
            self._registry.forget(org, data["id"])
        elif topic.startswith("mesh.node.") and data.get("id") in self._registry.node_org:
            info = self._registry.graphs[org].nodes[data["id"]]
            state = topic.rsplit(".", 1)[1]
            if state in NodeState.__members__.values() and info.state.value != state:
                info.state = NodeState(state)
                if info.state is NodeState.ALIVE:
                    info.detector.heartbeat(self._registry.clock())
                self._registry.graphs[org].node_changed(info)
            elif state in ("quarantined", "released"):
                info.quarantined = state == "quarantined"
                self._registry.graphs[org].node_changed(info)
        elif topic == "mesh.links":
            now = self._registry.clock()
            by_org: dict[str, list[tuple[str, str, LinkEstimate]]] = {}
            for o, source, target, srtt, rttvar, bw, loss, cost, samples in data["links"]:
                if source in self._registry.node_org and target in self._registry.node_org:
                    estimate = LinkEstimate(srtt, rttvar, bw, loss, cost, samples)
                    by_org.setdefault(o, []).append((source, target, estimate))
            for o, rows in by_org.items():
                self._registry.graph(o).set_links(rows, now)
            for node_id, load in data.get("beats", []):
                org_of = self._registry.node_org.get(node_id)
                if org_of is not None:
                    info = self._registry.graphs[org_of].nodes[node_id]
                    info.load = load
                    info.detector.heartbeat(now)
