"""RouteService: route queries and stored routes: validation, k paths, hysteresis, and rerouting around failures.

The search itself (ALT A*, Yen's k shortest paths) is pathfinding.py."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.bus import Event, EventBus
from auralinkd.db.database import Database
from auralinkd.errors import FailedPrecondition, InvalidArgument
from auralinkd.mesh import store
from auralinkd.mesh.graph import INF, MeshGraph, Weights
from auralinkd.mesh.pathfinding import MAX_K, Constraints, Hysteresis, Path, RouteResult, find_routes, path_cost
from auralinkd.mesh.service import MeshService, Periodic
from auralinkd.paging import decode_cursor, encode_cursor, page_size

log = logging.getLogger(__name__)
MAX_TRUST_PENALTY = 10.0


REEVALUATE_S = 2.0  # stored routes are re-evaluated this often (hysteresis needs repeated evaluations) ...
YIELD_EVERY = 64  # ... routes between two yields to the event loop


@dataclass
class StoredRoute:
    """A kept route. Its path is a list of node ids (graph indices are reused after a node is removed)."""

    id: str
    org_id: str
    weights: Weights
    constraints: Constraints
    hysteresis: Hysteresis
    active: bool = True
    seen: tuple[int, int] = (-1, -1)  # the graph's (version, cost_writes) at the last evaluation


def validated_weights(latency: float, bandwidth: float, reliability: float, cost: float, penalty: float) -> Weights:
    values = {"latency": latency, "bandwidth": bandwidth, "reliability": reliability, "cost": cost}
    for name, value in values.items():
        if not (math.isfinite(value) and value >= 0):
            raise InvalidArgument.for_field(f"weights.{name}", f"must be finite and >= 0, got {value}")
    if sum(values.values()) <= 0:
        raise InvalidArgument.for_field("weights", "must not all be 0 (their sum must be > 0)")
    if not (math.isfinite(penalty) and 0 <= penalty <= MAX_TRUST_PENALTY):
        raise InvalidArgument.for_field("trust_penalty", f"must be between 0 and {MAX_TRUST_PENALTY:g}, got {penalty}")
    return Weights(latency, bandwidth, reliability, cost, penalty)


@dataclass(frozen=True, slots=True)
class RouteRecord:
    """A stored route as ListRoutes shows it (its row in mesh_routes)."""

    id: str
    source: str
    destination: str
    path: list[str]  # node ids
    cost: float
    latency_ms: float
    bottleneck_bandwidth_kbps: float
    active: bool
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> RouteRecord:
        return cls(
            id=str(row["id"]),
            source=str(row["source_node_id"]),
            destination=str(row["destination_node_id"]),
            path=[str(n) for n in row["path"]],
            cost=float(row["cost"]),
            latency_ms=float(row["latency_estimate_ms"] or 0),
            bottleneck_bandwidth_kbps=float(row["bandwidth_estimate_kbps"] or 0),
            active=row["is_active"],
            updated_at=row["updated_at"],
        )


class RouteService:
    def __init__(self, mesh: MeshService, database: Database, audit: AuditLog, bus: EventBus) -> None:
        self._mesh = mesh
        self._database = database
        self._audit = audit
        self._bus = bus
        self.stored: dict[str, StoredRoute] = {}
        mesh.failures.route_listeners.append(self.node_offline)
        mesh.periodic.append(Periodic(REEVALUATE_S, self.reevaluate, "stored-route re-evaluation"))
        mesh.replication.event_listeners.append(self._remote_event)

    def validated_constraints(self, org: str, c: dict[str, Any]) -> Constraints:
        for name in ("min_bandwidth_kbps", "max_latency_ms", "min_relay_trust"):
            value = c.get(name, 0.0)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidArgument.for_field(f"constraints.{name}", f"must be finite and >= 0, got {value}")
        if c.get("max_hops", 0) < 0:
            raise InvalidArgument.for_field("constraints.max_hops", f"must be >= 0, got {c['max_hops']}")
        if c.get("min_relay_trust", 0.0) > 1:
            raise InvalidArgument.for_field("constraints.min_relay_trust", "must be between 0 and 1")
        excluded = frozenset(
            self._mesh.resolve(org, ref, "constraints.excluded_nodes").id for ref in c.get("excluded", ())
        )
        return Constraints(
            c.get("max_hops", 0),
            c.get("min_bandwidth_kbps", 0.0),
            c.get("max_latency_ms", 0.0),
            excluded,
            c.get("min_relay_trust", 0.0),
        )

    def find(
        self, caller: Caller, source: str, destination: str, weights: Weights, constraints: dict[str, Any], k: int
    ) -> tuple[MeshGraph, RouteResult, Constraints]:
        org = str(caller.principal.org_id)
        k = k or 1
        if not 1 <= k <= MAX_K:
            raise InvalidArgument.for_field("k", f"must be between 1 and {MAX_K}, got {k}")
        src = self._mesh.resolve(org, source, "source")
        dst = self._mesh.resolve(org, destination, "destination")
        if src.id == dst.id:
            raise InvalidArgument.for_field("destination", "must differ from the source")
        checked = self.validated_constraints(org, constraints)
        if src.id in checked.excluded or dst.id in checked.excluded:
            raise InvalidArgument.for_field("constraints.excluded_nodes", "may not contain the source or destination")
        for end in (src, dst):
            if not end.usable:
                why = "quarantined" if end.quarantined else end.state.value.upper()
                raise FailedPrecondition(f"node {end.name or end.id} is {why}; no route may use it")
        graph = self._mesh.graphs[org]
        return graph, find_routes(graph, src.id, dst.id, weights, checked, k), checked

    async def store_route(
        self, caller: Caller, graph: MeshGraph, path: Path, weights: Weights, constraints: Constraints
    ) -> str:
        ids = [UUID(graph.by_index[i].id) for i in path.indices]
        params = {
            "weights": list(weights.key),
            "constraints": {
                "max_hops": constraints.max_hops,
                "min_bandwidth_kbps": constraints.min_bandwidth_kbps,
                "max_latency_ms": constraints.max_latency_ms,
                "excluded": sorted(constraints.excluded),
                "min_relay_trust": constraints.min_relay_trust,
            },
        }
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.insert_route(
                conn,
                org_id=caller.principal.org_id,
                user_id=caller.principal.user_id,
                path=ids,
                cost=path.cost,
                latency_ms=path.latency_ms,
                bandwidth_kbps=path.bottleneck_kbps,
                params=params,
            )
            await self._audit.record(
                conn,
                caller,
                "MeshRoutingService/FindOptimalRoute",
                "mesh_route",
                str(row["id"]),
                metadata={"path": [str(i) for i in ids]},
            )
        route_id = str(row["id"])
        path_ids = [str(i) for i in ids]
        self.stored[route_id] = StoredRoute(route_id, graph.org_id, weights, constraints, Hysteresis(path_ids))
        await self._bus.publish(
            "mesh.route.stored",
            {"org": graph.org_id, "id": route_id, "path": path_ids, "params": params},
            org=graph.org_id,
        )
        return route_id

    async def list(self, caller: Caller, size: int, token: str) -> tuple[list[RouteRecord], str]:
        limit = page_size(size)
        cursor = decode_cursor(token)
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_routes(conn, after=cursor["id"] if cursor else None, limit=limit + 1)
        more = len(rows) > limit
        routes = [RouteRecord.from_row(r) for r in rows[:limit]]
        return routes, encode_cursor({"id": routes[-1].id}) if more else ""

    async def load(self) -> None:
        """Stored routes of every org (start-up; daemon bookkeeping, hence database.system())."""
        async with self._database.system() as conn:
            rows = await store.all_routes(conn)
        for row in rows:
            params = row["params"] if isinstance(row["params"], dict) else json.loads(row["params"])
            self._keep(str(row["organization_id"]), str(row["id"]), [str(n) for n in row["path"]], params)
            self.stored[str(row["id"])].active = row["is_active"]

    def _keep(self, org: str, route_id: str, path: list[str], params: dict[str, Any]) -> None:
        if org not in self._mesh.graphs or len(path) < 2:
            return
        c = params.get("constraints", {})
        constraints = Constraints(
            c.get("max_hops", 0),
            c.get("min_bandwidth_kbps", 0.0),
            c.get("max_latency_ms", 0.0),
            frozenset(c.get("excluded", ())),
            c.get("min_relay_trust", 0.0),
        )
        weights = Weights(*params.get("weights", Weights().key))
        self.stored[route_id] = StoredRoute(route_id, org, weights, constraints, Hysteresis(path))

    def _remote_event(self, event: Event) -> None:
        """Another replica stored a route: re-evaluate it here too (both write the same outcome)."""
        if event.topic == "mesh.route.stored" and event.data["id"] not in self.stored:
            data = event.data
            self._keep(data["org"], data["id"], data["path"], data["params"])

    async def reevaluate(self, only_through: str | None = None) -> int:
        """Evaluate stored routes (all, or those through one node); returns how many switched.

        Change-driven: a route whose graph has not changed (no state, topology or cost change) since its
        last evaluation would get the same answer, so it is skipped. Long passes yield to the event loop.
        """
        switched = 0
        for done, route in enumerate(list(self.stored.values())):
            if done and done % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            graph = self._mesh.graphs.get(route.org_id)
            if graph is None:
                continue
            current = route.hysteresis.current
            if only_through is not None and only_through not in current:
                continue
            state = (graph.version, graph.cost_writes)
            if only_through is None and route.seen == state and route.hysteresis.pending is None:
                continue  # nothing changed and no switch awaits its confirmation: the same answer again
            route.seen = state
            src, dst = graph.nodes.get(current[0]), graph.nodes.get(current[-1])
            if src is None or dst is None:  # an endpoint was deregistered (its rows cascade away)
                self.stored.pop(route.id, None)
                continue
            result = find_routes(graph, src.id, dst.id, route.weights, route.constraints, 1)
            now_cost = path_cost(
                graph, graph.costs(route.weights), [graph.nodes[n].index if n in graph.nodes else -1 for n in current]
            )
            best = result.paths[0] if result.paths else None
            if best is None:
                if route.active and not math.isfinite(now_cost):
                    route.active = False
                    await self._save(route, graph, None)
                    switched += 1
                continue
            best_ids = [graph.by_index[i].id for i in best.indices]
            if not route.active:  # a path exists again
                route.hysteresis.evaluate(INF, best_ids, best.cost)
            elif not route.hysteresis.evaluate(now_cost, best_ids, best.cost):
                continue
            route.active = True
            await self._save(route, graph, best)
            switched += 1
        return switched

    async def _save(self, route: StoredRoute, graph: MeshGraph, path: Path | None) -> None:
        ids = [UUID(graph.by_index[i].id) for i in path.indices] if path else None
        async with self._database.system() as conn:  # background re-evaluation: no caller to act as
            await store.update_route_path(
                conn,
                UUID(route.id),
                ids,
                path.cost if path else 0.0,
                path.latency_ms if path else 0.0,
                path.bottleneck_kbps if path else 0.0,
            )
        await self._bus.publish(
            "mesh.route.changed",
            {
                "org": route.org_id,
                "id": route.id,
                "path": [str(i) for i in ids] if ids else [],
                "active": path is not None,
            },
            org=route.org_id,
        )

    async def node_offline(self, org: str, node_id: str) -> None:
        await self.reevaluate(only_through=node_id)
