"""The node registry: every org's graph in memory, and registering, looking up and removing mesh nodes.

Registration and removal write PostgreSQL (and the audit log) first, then the graph, then tell the other
replicas through the bus ("mesh.node.registered", "mesh.node.deregistered").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.bus import EventBus
from auralinkd.db.database import Database
from auralinkd.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from auralinkd.mesh import store
from auralinkd.mesh.detector import NodeState, PhiAccrual
from auralinkd.mesh.eigentrust import Band, band
from auralinkd.mesh.graph import MeshGraph, NodeInfo
from auralinkd.mesh.vivaldi import Coordinate
from auralinkd.paging import decode_cursor, encode_cursor, page_size

NODE_SCOPES = ["mesh:heartbeat", "reputation:report"]
NODE_TYPES = ("peer", "relay", "edge", "server")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
DEFAULT_INTERVAL_S = 2.0
DEFAULT_TOKEN_TTL_S = 30 * 24 * 3600
MAX_LOAD = 1_000_000


@dataclass(frozen=True, slots=True)
class Node:
    """A registered node as callers see it: its stored row with the in-memory truth (state, load, trust,
    links) laid over it."""

    id: str
    organization_id: str
    name: str
    address: str
    region: str
    node_type: str
    state: NodeState
    capabilities: dict[str, Any]
    capacity: int
    current_load: int
    public_key: str
    anchor: bool
    quarantined: bool
    quarantine_reason: str
    quarantine_until: datetime | None
    heartbeat_interval_s: float
    last_heartbeat_at: datetime | None
    state_changed_at: datetime | None
    created_at: datetime | None
    trust: float = 0.0
    link_count: int = 0

    @property
    def band(self) -> Band:
        return band(self.trust, self.quarantined)


@dataclass(frozen=True, slots=True)
class NewNode:
    """What RegisterNode asks for, before validation (0 / "" where the caller left a field out)."""

    name: str
    address: str
    region: str = ""
    node_type: str = "peer"
    capacity: int = 0
    capabilities: dict[str, Any] | None = None
    public_key: str = ""
    anchor: bool = False
    interval_s: float = 0.0


def _uuid(value: str) -> UUID:
    return UUID(value)


class NodeRegistry:
    def __init__(
        self, database: Database, audit: AuditLog, bus: EventBus, credentials: Any, clock: Callable[[], float]
    ) -> None:
        self._database = database
        self._audit = audit
        self._bus = bus
        self._credentials = credentials
        self.clock = clock
        self.graphs: dict[str, MeshGraph] = {}
        self.node_org: dict[str, str] = {}
        self.names: dict[tuple[str, str], str] = {}  # (org, name) -> id
        self.forgotten: list[Callable[[str], None]] = []  # node id -> drop what other parts keep of it

    def graph(self, org_id: str) -> MeshGraph:
        graph = self.graphs.get(org_id)
        if graph is None:
            graph = self.graphs[org_id] = MeshGraph(org_id)
        return graph

    def resolve(self, org_id: str, ref: str, field_name: str = "node") -> NodeInfo:
        if not ref:
            raise InvalidArgument.for_field(field_name, "is required (a node id or name)")
        graph = self.graphs.get(org_id)
        node_id = self.names.get((org_id, ref), ref)
        info = graph.nodes.get(node_id) if graph else None
        if info is None:
            raise NotFound(f"no mesh node {ref!r} in this organization")
        return info

    def add(self, row: dict[str, Any], now: float) -> NodeInfo:
        """A stored node (a row of store.py, or its copy from another replica) into its org's graph."""
        org = str(row["organization_id"])
        interval = row["heartbeat_interval_ms"] / 1000
        info = NodeInfo(
            id=str(row["id"]),
            org_id=org,
            name=row["name"] or "",
            region=row["region"] or "",
            index=-1,
            interval_s=interval,
            detector=PhiAccrual(interval, now),
            state=NodeState(row["state"]),
            quarantined=row["quarantined"],
            quarantine_until=row["quarantine_until"],
            anchor=row["anchor"],
            load=row["current_load"],
            capacity=row["capacity"],
        )
        self.graph(org).add_node(info, Coordinate.from_list(row["coordinates"]))
        self.node_org[info.id] = org
        if info.name:
            self.names[(org, info.name)] = info.id
        return info

    def forget(self, org: str, node_id: str) -> None:
        graph = self.graphs.get(org)
        if graph is None or node_id not in graph.nodes:
            return
        info = graph.nodes[node_id]
        graph.remove_node(node_id)
        self.node_org.pop(node_id, None)
        self.names.pop((org, info.name), None)
        for listener in self.forgotten:
            listener(node_id)

    # -- registration -----------------------------------------------------------------------------

    async def register(self, caller: Caller, new: NewNode, token_ttl_s: int) -> tuple[Node, Any]:
        """The node, and its heartbeat credential (issued with the registrar's node scopes)."""
        values = self._validated(caller, new)
        ttl = token_ttl_s or DEFAULT_TOKEN_TTL_S
        if not 60 <= ttl <= DEFAULT_TOKEN_TTL_S:
            raise InvalidArgument.for_field("token_ttl_seconds", f"must be between 60 and {DEFAULT_TOKEN_TTL_S}")
        principal = caller.principal
        # The node's credential carries only scopes its registrar holds; without mesh:heartbeat it would be
        # useless, so refuse before anything is written.
        scopes = [s for s in NODE_SCOPES if principal.can(s)]
        if "mesh:heartbeat" not in scopes:
            raise PermissionDenied(
                "registering a node issues its heartbeat credential: you need mesh:heartbeat as well as mesh:write"
            )
        async with self._database.tenant(caller.tenant) as conn:
            clash = await store.find_conflict(conn, values["name"], values["address"], values["public_key"])
            if clash:
                raise AlreadyExists(f"a mesh node with this {clash} already exists in the organization")
            row = await store.insert_node(conn, org_id=principal.org_id, owner=principal.user_id, values=values)
            await self._audit.record(
                conn,
                caller,
                "MeshRoutingService/RegisterNode",
                "mesh_node",
                str(row["id"]),
                metadata={"name": values["name"], "anchor": values["anchor"]},
            )
        try:
            issued = await self._credentials.issue_node_token(caller, str(row["id"]), scopes, ttl)
        except Exception:
            async with self._database.tenant(caller.tenant) as conn:  # no node without its credential
                await store.delete_node(conn, row["id"])
            raise
        self.add(row, self.clock())
        await self._bus.publish(
            "mesh.node.registered", {"org": str(principal.org_id), "node": wire(row)}, org=principal.org_id
        )
        return self.live(row), issued

    def _validated(self, caller: Caller, new: NewNode) -> dict[str, Any]:
        """The columns to insert, or InvalidArgument / PermissionDenied naming the field."""
        if not NAME.match(new.name):
            raise InvalidArgument.for_field("name", "must match [a-z0-9][a-z0-9._-]{0,62}")
        if not new.address or len(new.address) > 255:
            raise InvalidArgument.for_field("address", "is required (host:port or a URL, at most 255 characters)")
        node_type = new.node_type or "peer"
        if node_type not in NODE_TYPES:
            raise InvalidArgument.for_field("node_type", f"must be one of {', '.join(NODE_TYPES)}")
        capacity = new.capacity or 100
        if not 0 < capacity <= MAX_LOAD:
            raise InvalidArgument.for_field("capacity", f"must be between 1 and {MAX_LOAD}, got {capacity}")
        interval = new.interval_s or DEFAULT_INTERVAL_S
        if not (math.isfinite(interval) and 0.05 <= interval <= 600):
            raise InvalidArgument.for_field("heartbeat_interval", f"must be between 0.05 and 600 s, got {interval}")
        if new.anchor and not caller.principal.is_org_admin:
            raise PermissionDenied("only an org admin may designate an anchor node")
        return {
            "name": new.name,
            "address": new.address,
            "region": new.region[:100],
            "public_key": new.public_key,
            "node_type": node_type,
            "capabilities": new.capabilities or {},
            "capacity": capacity,
            "anchor": new.anchor,
            "heartbeat_interval_ms": int(round(interval * 1000)),
        }

    async def deregister(self, caller: Caller, ref: str) -> str:
        org = str(caller.principal.org_id)
        info = self.resolve(org, ref)
        async with self._database.tenant(caller.tenant) as conn:
            if not await store.delete_node(conn, _uuid(info.id)):
                raise NotFound(f"no mesh node {ref!r} in this organization")
            await self._audit.record(conn, caller, "MeshRoutingService/DeregisterNode", "mesh_node", info.id)
        self.forget(org, info.id)
        await self._bus.publish("mesh.node.deregistered", {"org": org, "id": info.id}, org=org)
        return info.id

    # -- reading ------------------------------------------------------------------------------------

    async def get(self, caller: Caller, ref: str) -> Node:
        info = self.resolve(str(caller.principal.org_id), ref)
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.get_node(conn, info.id)
        if row is None:
            raise NotFound(f"no mesh node {ref!r} in this organization")
        return self.live(row)

    async def list(
        self, caller: Caller, *, size: int, token: str, state: str, region: str, quarantined: bool
    ) -> tuple[list[Node], str]:
        limit = page_size(size)
        cursor = decode_cursor(token)
        after = (str(cursor["name"]), str(cursor["id"])) if cursor else None
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.list_nodes(
                conn, after=after, limit=limit + 1, state=state, region=region, quarantined=quarantined
            )
        more = len(rows) > limit
        rows = rows[:limit]
        next_token = encode_cursor({"name": rows[-1]["name"] or "", "id": str(rows[-1]["id"])}) if more else ""
        return [self.live(r) for r in rows], next_token

    def live(self, row: dict[str, Any]) -> Node:
        """A stored row with the in-memory truth (state, load, trust, links) laid over it."""
        info = self.graphs.get(str(row["organization_id"]), MeshGraph("")).nodes.get(str(row["id"]))
        state, load, quarantined = NodeState(row["state"]), row["current_load"], row["quarantined"]
        trust, link_count = 0.0, 0
        if info is not None:
            state, load, quarantined, trust = info.state, info.load, info.quarantined, info.trust
            link_count = self.graphs[info.org_id].graph.out_degree(info.index)
        return Node(
            id=str(row["id"]),
            organization_id=str(row["organization_id"]),
            name=row["name"] or "",
            address=row["address"],
            region=row["region"] or "",
            node_type=row["node_type"],
            state=state,
            capabilities=row["capabilities"],
            capacity=row["capacity"],
            current_load=load,
            public_key=row["public_key"] or "",
            anchor=row["anchor"],
            quarantined=quarantined,
            quarantine_reason=row["quarantine_reason"] or "",
            quarantine_until=row["quarantine_until"],
            heartbeat_interval_s=row["heartbeat_interval_ms"] / 1000,
            last_heartbeat_at=row["last_heartbeat_at"],
            state_changed_at=row["state_changed_at"],
            created_at=row["created_at"],
            trust=trust,
            link_count=link_count,
        )


def wire(row: dict[str, Any]) -> dict[str, Any]:
    """A stored node as JSON for the bus (registry.unwire reads it back on the other replicas)."""
    return {k: (str(v) if isinstance(v, UUID | datetime) else v) for k, v in row.items()}


def unwire(data: dict[str, Any]) -> dict[str, Any]:
    row = dict(data)
    for key in ("quarantine_until",):
        row[key] = datetime.fromisoformat(row[key]) if row.get(key) else None
    return row
