"""Mesh nodes, heartbeats, failure detection and routes: the domain logic behind MeshRoutingService.

State lives in memory per org (MeshGraph) and is rebuilt from PostgreSQL on start-up. Heartbeats never
write synchronously: a background loop writes state transitions within one tick (and retries until they
are written), and batches loads, link estimates and per-link history every flush interval. Other
replicas learn the same changes through the bus ("mesh." topics) and apply them to their own graph.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import numpy as np

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.bus import Event, EventBus
from auralinkd.db.database import Database
from auralinkd.errors import AlreadyExists, AuralinkError, InvalidArgument, NotFound, PermissionDenied
from auralinkd.mesh import store
from auralinkd.mesh.detector import NodeState, PhiAccrual
from auralinkd.mesh.graph import MeshGraph, NodeInfo
from auralinkd.mesh.routing import warm_up
from auralinkd.mesh.smoothing import LinkEstimate
from auralinkd.mesh.vivaldi import MAX_RTT_MS, MIN_RTT_MS, Coordinate, update_batch
from auralinkd.paging import decode_cursor, encode_cursor, page_size

log = logging.getLogger(__name__)

NODE_SCOPES = ["mesh:heartbeat", "reputation:report"]
NODE_TYPES = ("peer", "relay", "edge", "server")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
DEFAULT_INTERVAL_S = 2.0
DEFAULT_TOKEN_TTL_S = 30 * 24 * 3600
MAX_LOAD = 1_000_000
MAX_LINKS = 256
TICK_S = 0.1
FLUSH_S = 1.0
HISTORY_WINDOW_S = 60


@dataclass(slots=True)
class LinkReport:
    neighbor: str
    rtt_ms: float
    bandwidth_kbps: float
    loss_pct: float
    cost: float | None = None


@dataclass(slots=True)
class BeatResult:
    """One heartbeat of a batch: the node's state and interval, or why it was refused (nothing applied)."""

    state: NodeState | None = None
    interval_s: float = 0.0
    error: AuralinkError | None = None


# One heartbeat: (node id or name, load, links).
Beat = tuple[str, int, Sequence[LinkReport]]


@dataclass
class _Pending:
    nodes: set[str] = field(default_factory=set)
    transitions: list[tuple[str, str, NodeState, datetime]] = field(default_factory=list)


@dataclass
class Periodic:
    """Work that MeshService.run does every `interval_s` (e.g. RouteService.reevaluate)."""

    interval_s: float
    work: Callable[[], Awaitable[Any]]
    name: str
    last: float = 0.0


_RANK = {NodeState.ALIVE: 0, NodeState.SUSPECT: 1, NodeState.OFFLINE: 2}


def _uuid(value: str) -> UUID:
    return UUID(value)


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
        self._audit = audit
        self._bus = bus
        self._credentials = credentials
        self.clock = clock
        self.graphs: dict[str, MeshGraph] = {}
        self.node_org: dict[str, str] = {}
        self.names: dict[tuple[str, str], str] = {}  # (org, name) -> id
        self._pending = _Pending()
        self._rng = np.random.default_rng(0)
        self._link_ids: dict[tuple[str, str], UUID] = {}
        self.route_listeners: list[Callable[[str, str], Any]] = []  # (org, offline node) -> reroute
        # Other replicas' "mesh." events beyond the graph's own (reputation reports), and periodic work
        # (stored-route re-evaluation) that runs inside this service's background loop.
        self.event_listeners: list[Callable[[Event], Any]] = []
        self.periodic: list[Periodic] = []
        self.heartbeats = 0

    # -- start-up ---------------------------------------------------------------------------------

    def graph(self, org_id: str) -> MeshGraph:
        graph = self.graphs.get(org_id)
        if graph is None:
            graph = self.graphs[org_id] = MeshGraph(org_id)
        return graph

    async def load(self) -> None:
        """Rebuild every org's graph from PostgreSQL. Daemon bookkeeping across orgs, before any caller:
        database.system() is the right scope (there is no tenant to act as)."""
        async with self._database.system() as conn:
            nodes = await store.all_nodes(conn)
            links = await store.all_links(conn)
        now = self.clock()
        for row in nodes:
            self._add(row, now)
        by_org: dict[str, list[tuple[str, str, LinkEstimate]]] = {}
        for row in links:
            source, target = str(row["source_node_id"]), str(row["target_node_id"])
            if source in self.node_org and target in self.node_org:
                estimate = LinkEstimate(
                    row["srtt_ms"],
                    row["rttvar_ms"],
                    row["bandwidth_kbps"],
                    row["loss_pct"],
                    row["cost"],
                    int(row["samples"]),
                )
                by_org.setdefault(str(row["organization_id"]), []).append((source, target, estimate))
                self._link_ids[(source, target)] = row["id"]
        for org, rows in by_org.items():
            self.graph(org).set_links(rows, now)
        log.info("mesh graph rebuilt: %d nodes, %d links", len(nodes), len(links))
        started = time.perf_counter()
        warm_up()  # compile the route search now (or load it from numba's cache), not on the first query
        log.info("route search ready in %.2f s", time.perf_counter() - started)

    def _add(self, row: dict[str, Any], now: float) -> NodeInfo:
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

    # -- look-ups ---------------------------------------------------------------------------------

    def resolve(self, org_id: str, ref: str, field_name: str = "node") -> NodeInfo:
        if not ref:
            raise InvalidArgument.for_field(field_name, "is required (a node id or name)")
        graph = self.graphs.get(org_id)
        node_id = self.names.get((org_id, ref), ref)
        info = graph.nodes.get(node_id) if graph else None
        if info is None:
            raise NotFound(f"no mesh node {ref!r} in this organization")
        return info

    # -- registration -----------------------------------------------------------------------------

    async def register(self, caller: Caller, values: dict[str, Any], token_ttl_s: int) -> tuple[dict[str, Any], Any]:
        values = self._validated_registration(caller, values)
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
        self._add(row, self.clock())
        await self._bus.publish(
            "mesh.node.registered", {"org": str(principal.org_id), "node": _wire(row)}, org=principal.org_id
        )
        return row, issued

    def _validated_registration(self, caller: Caller, values: dict[str, Any]) -> dict[str, Any]:
        name = values.get("name", "")
        if not NAME.match(name):
            raise InvalidArgument.for_field("name", "must match [a-z0-9][a-z0-9._-]{0,62}")
        if not values.get("address") or len(values["address"]) > 255:
            raise InvalidArgument.for_field("address", "is required (host:port or a URL, at most 255 characters)")
        if values.get("node_type", "peer") not in NODE_TYPES:
            raise InvalidArgument.for_field("node_type", f"must be one of {', '.join(NODE_TYPES)}")
        capacity = values.get("capacity") or 100
        if not 0 < capacity <= MAX_LOAD:
            raise InvalidArgument.for_field("capacity", f"must be between 1 and {MAX_LOAD}, got {capacity}")
        interval = values.get("interval_s") or DEFAULT_INTERVAL_S
        if not (math.isfinite(interval) and 0.05 <= interval <= 600):
            raise InvalidArgument.for_field("heartbeat_interval", f"must be between 0.05 and 600 s, got {interval}")
        if values.get("anchor") and not caller.principal.is_org_admin:
            raise PermissionDenied("only an org admin may designate an anchor node")
        return {
            "name": name,
            "address": values["address"],
            "region": values.get("region", "")[:100],
            "public_key": values.get("public_key", ""),
            "node_type": values.get("node_type", "peer"),
            "capabilities": values.get("capabilities") or {},
            "capacity": capacity,
            "anchor": bool(values.get("anchor")),
            "heartbeat_interval_ms": int(round(interval * 1000)),
        }

    async def deregister(self, caller: Caller, ref: str) -> str:
        org = str(caller.principal.org_id)
        info = self.resolve(org, ref)
        async with self._database.tenant(caller.tenant) as conn:
            if not await store.delete_node(conn, _uuid(info.id)):
                raise NotFound(f"no mesh node {ref!r} in this organization")
            await self._audit.record(conn, caller, "MeshRoutingService/DeregisterNode", "mesh_node", info.id)
        self._forget(org, info.id)
        await self._bus.publish("mesh.node.deregistered", {"org": org, "id": info.id}, org=org)
        return info.id

    def _forget(self, org: str, node_id: str) -> None:
        graph = self.graphs.get(org)
        if graph is None or node_id not in graph.nodes:
            return
        info = graph.nodes[node_id]
        graph.remove_node(node_id)
        self.node_org.pop(node_id, None)
        self.names.pop((org, info.name), None)
        self._pending.nodes.discard(node_id)
        for key in [k for k in self._link_ids if node_id in k]:
            del self._link_ids[key]

    async def get(self, caller: Caller, ref: str) -> dict[str, Any]:
        info = self.resolve(str(caller.principal.org_id), ref)
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.get_node(conn, info.id)
        if row is None:
            raise NotFound(f"no mesh node {ref!r} in this organization")
        return self.live(row)

    async def list(
        self, caller: Caller, *, size: int, token: str, state: str, region: str, quarantined: bool
    ) -> tuple[list[dict[str, Any]], str]:
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

    def live(self, row: dict[str, Any]) -> dict[str, Any]:
        """A stored row with the in-memory truth (state, load, trust, links) laid over it."""
        info = self.graphs.get(str(row["organization_id"]), MeshGraph("")).nodes.get(str(row["id"]))
        out = dict(row)
        if info is not None:
            graph = self.graphs[info.org_id]
            out.update(
                state=info.state.value,
                current_load=info.load,
                trust=info.trust,
                quarantined=info.quarantined,
                link_count=graph.graph.out_degree(info.index),
            )
        return out

    # -- heartbeats -------------------------------------------------------------------------------

    def heartbeat(self, caller: Caller, ref: str, load: int, links: Sequence[LinkReport]) -> tuple[NodeState, float]:
        """One heartbeat: validated completely first (a refusal changes nothing), then applied in memory."""
        result = self.heartbeat_batch(caller, [(ref, load, links)])[0]
        if result.error is not None:
            raise result.error
        assert result.state is not None
        return result.state, result.interval_s

    def heartbeat_batch(self, caller: Caller, beats: Sequence[Beat]) -> list[BeatResult]:
        """Many heartbeats (one node's, or a gateway's for many nodes): each is validated on its own and
        refused on its own (its BeatResult carries the error, and nothing of it is applied); the accepted
        ones are applied together, their links in one vectorised update of the graph."""
        org = str(caller.principal.org_id)
        own = caller.principal.node_id
        results = [BeatResult() for _ in beats]
        staged: list[tuple[int, NodeInfo, list[NodeInfo], int]] = []
        rtt: list[float] = []
        bandwidth: list[float] = []
        loss: list[float] = []
        cost: list[float] = []
        for i, (ref, load, links) in enumerate(beats):
            try:
                info, targets = self._check(org, own, ref, load, links)
            except AuralinkError as exc:
                results[i].error = exc
                continue
            staged.append((i, info, targets, len(rtt)))
            for link in links:
                rtt.append(link.rtt_ms)
                bandwidth.append(link.bandwidth_kbps)
                loss.append(link.loss_pct)
                cost.append(math.nan if link.cost is None else link.cost)
        if not staged:
            return results
        r, bw, lo, co = (np.array(v, dtype=float) for v in (rtt, bandwidth, loss, cost))
        bad = _bad_metrics(r, bw, lo, co)
        graph = self.graphs[org]
        now = self.clock()
        slots: list[int] = []
        keep: list[np.ndarray] = []
        for i, info, targets, start in staged:
            end = start + len(targets)
            if bad[start:end].any():
                results[i].error = _metric_error(beats[i][2], int(np.argmax(bad[start:end])))
                continue
            info.detector.heartbeat(now)
            info.load = beats[i][1]
            self.heartbeats += 1
            self._pending.nodes.add(info.id)
            if info.state is not NodeState.ALIVE:
                self._transition(info, NodeState.ALIVE)
            results[i].state, results[i].interval_s = info.state, info.interval_s
            slots.extend(graph.link_slot(info, target, now) for target in targets)
            keep.append(np.arange(start, end))
        if slots:
            chosen = np.concatenate(keep)
            s = np.array(slots, dtype=np.int64)
            graph.observe(s, r[chosen], bw[chosen], lo[chosen], co[chosen], now)
            train = ~graph.held[s]  # held-out links measure the prediction error
            update_batch(
                graph.position, graph.height, graph.error, graph.placed,
                graph._src[s][train], graph._dst[s][train], r[chosen][train], self._rng,
            )  # fmt: skip
        return results

    def _check(
        self, org: str, own: str | None, ref: str, load: int, links: Sequence[LinkReport]
    ) -> tuple[NodeInfo, list[NodeInfo]]:
        """Everything about one heartbeat but its metrics (checked for the whole batch at once)."""
        info = self.resolve(org, ref)
        if own is not None and own != info.id:
            raise PermissionDenied("a node credential may only send heartbeats as its own node")
        if not 0 <= load <= MAX_LOAD:
            raise InvalidArgument.for_field("load", f"must be between 0 and {MAX_LOAD}, got {load}")
        if len(links) > MAX_LINKS:
            raise InvalidArgument.for_field("links", f"at most {MAX_LINKS} links per heartbeat")
        nodes = self.graphs[org].nodes
        targets = []
        for i, link in enumerate(links):
            target = nodes.get(link.neighbor)
            if target is None:
                target = self.resolve(org, link.neighbor, f"links[{i}].neighbor")
            if target is info:
                raise InvalidArgument.for_field(f"links[{i}].neighbor", "a node is not its own neighbour")
            targets.append(target)
        return info, targets

    def _transition(self, info: NodeInfo, state: NodeState) -> None:
        info.state = state
        self.graphs[info.org_id].node_changed(info)
        self._pending.transitions.append((info.org_id, info.id, state, datetime.now(UTC)))

    # -- the background loop ------------------------------------------------------------------------

    def detect(self) -> list[NodeInfo]:
        """One detector pass over every node; returns the nodes whose state changed."""
        now = self.clock()
        changed = []
        for graph in self.graphs.values():
            graph.expire(now)
            for info in graph.nodes.values():
                verdict = info.detector.state(now)
                # The detector only moves a node down; only a heartbeat brings it back to ALIVE.
                if _RANK[verdict] > _RANK[info.state]:
                    self._transition(info, verdict)
                    changed.append(info)
        return changed

    async def run(self) -> None:
        """Background task: detect every tick, write transitions at once, flush the rest every second."""
        last_flush = self.clock()
        subscription = self._bus.subscribe(["mesh."])
        try:
            while True:
                await asyncio.sleep(TICK_S)
                await self._apply_remote(subscription)
                self.detect()
                try:
                    await self.write_transitions()
                    if self.clock() - last_flush >= FLUSH_S:
                        last_flush = self.clock()
                        await self.flush()
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

    async def write_transitions(self) -> None:
        """Write queued transitions, then publish them; on failure they stay queued (never lost)."""
        batch = list(self._pending.transitions)
        if not batch:
            return
        async with self._database.system() as conn:  # daemon bookkeeping across orgs, rows addressed by id
            changed = set(await store.set_states(conn, [(_uuid(n), s.value, at) for _, n, s, at in batch]))
        del self._pending.transitions[: len(batch)]
        for org, node_id, state, _ in batch:
            if _uuid(node_id) in changed:
                await self._bus.publish(f"mesh.node.{state.value}", {"org": org, "id": node_id}, org=org)
                if state is NodeState.OFFLINE:
                    for listener in self.route_listeners:
                        await listener(org, node_id)

    async def flush(self, final: bool = False) -> None:
        """Loads, link estimates, coordinates and closed history windows, in one transaction."""
        nodes, self._pending.nodes = self._pending.nodes, set()
        now, wall = self.clock(), datetime.now(UTC)
        node_rows = []
        for node_id in nodes:
            org = self.node_org.get(node_id)
            if org is not None:
                graph = self.graphs[org]
                info = graph.nodes[node_id]
                node_rows.append((_uuid(node_id), info.load, wall, graph.coordinate(info.index).as_list()))
        link_rows: list[store.LinkRow] = []
        taken: list[tuple[MeshGraph, np.ndarray]] = []
        for org, graph in self.graphs.items():
            count = len(graph._keys)
            slots = np.flatnonzero(graph.dirty[:count] & graph._live[:count])
            if not len(slots):
                continue
            graph.dirty[slots] = False
            taken.append((graph, slots))
            org_id = _uuid(org)
            columns = (graph.srtt, graph.rttvar, graph.bandwidth, graph.loss, graph._etx, graph._money)
            values = [c[slots].tolist() for c in columns]
            samples = graph.samples[slots].tolist()
            for k, slot in enumerate(slots.tolist()):
                source, target = graph.key_of_slot(slot)
                srtt, rttvar, bw, loss, etx, cost = (v[k] for v in values)
                link_rows.append(
                    (org_id, _uuid(source), _uuid(target), srtt, rttvar, bw, loss, etx, cost, samples[k], wall)
                )
        try:
            async with self._database.system() as conn:  # daemon bookkeeping across orgs, rows addressed by id
                if node_rows:
                    await store.flush_nodes(conn, node_rows)
                if link_rows:
                    ids = await store.upsert_links(conn, link_rows)
                    self._link_ids.update({(str(s), str(t)): i for (s, t), i in ids.items()})
                await store.insert_link_performance(conn, self._closed_windows(now, wall, final))
        except Exception:
            self._pending.nodes |= nodes
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
                org_of = self.node_org.get(str(r[0]))
                if org_of is not None:
                    beats_by_org.setdefault(org_of, []).append([str(r[0]), r[1]])
            for org_of, links in links_by_org.items():
                await self._bus.publish(
                    "mesh.links", {"links": links, "beats": beats_by_org.get(org_of, [])}, org=org_of
                )

    def _closed_windows(self, now: float, wall: datetime, final: bool) -> list[Any]:
        rows = []
        for org, graph in self.graphs.items():
            count = len(graph._keys)
            closing = (graph.win_n[:count] > 0) & graph._live[:count]
            if not final:
                closing &= now - graph.win_started[:count] >= HISTORY_WINDOW_S
            for slot in np.flatnonzero(closing).tolist():
                link_id = self._link_ids.get(graph.key_of_slot(slot))
                if link_id is None:
                    continue
                n = int(graph.win_n[slot])
                rows.append(
                    (
                        _uuid(org),
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

    async def close(self) -> None:
        """Shutdown: write what is pending (transitions first)."""
        await self.write_transitions()
        await self.flush(final=True)

    # -- replicas -----------------------------------------------------------------------------------

    async def _apply_remote(self, subscription: Any) -> None:
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
        if topic == "mesh.node.registered" and data["node"]["id"] not in self.node_org:
            self._add(_unwire(data["node"]), self.clock())
        elif topic == "mesh.node.deregistered":
            self._forget(org, data["id"])
        elif topic.startswith("mesh.node.") and data.get("id") in self.node_org:
            info = self.graphs[org].nodes[data["id"]]
            state = topic.rsplit(".", 1)[1]
            if state in NodeState.__members__.values() and info.state.value != state:
                info.state = NodeState(state)
                if info.state is NodeState.ALIVE:
                    info.detector.heartbeat(self.clock())
                self.graphs[org].node_changed(info)
            elif state in ("quarantined", "released"):
                info.quarantined = state == "quarantined"
                self.graphs[org].node_changed(info)
        elif topic == "mesh.links":
            now = self.clock()
            by_org: dict[str, list[tuple[str, str, LinkEstimate]]] = {}
            for o, source, target, srtt, rttvar, bw, loss, cost, samples in data["links"]:
                if source in self.node_org and target in self.node_org:
                    estimate = LinkEstimate(srtt, rttvar, bw, loss, cost, samples)
                    by_org.setdefault(o, []).append((source, target, estimate))
            for o, rows in by_org.items():
                self.graph(o).set_links(rows, now)
            for node_id, load in data.get("beats", []):
                org_of = self.node_org.get(node_id)
                if org_of is not None:
                    info = self.graphs[org_of].nodes[node_id]
                    info.load = load
                    info.detector.heartbeat(now)


# Bounds of what a heartbeat may report per link (beyond them a value is an error, not a measurement):
# rtt 0 (not measured) or MIN_RTT_MS..MAX_RTT_MS, bandwidth up to 1 Tbit/s, loss 0..100 %, cost up to 1e9.
MAX_BANDWIDTH_KBPS = 1e9
MAX_LINK_COST = 1e9


def _rtt_ok(rtt: float) -> bool:
    return rtt == 0 or MIN_RTT_MS <= rtt <= MAX_RTT_MS


def _bad_metrics(rtt: np.ndarray, bandwidth: np.ndarray, loss: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Per link: any metric NaN, infinite or outside its bounds."""
    with np.errstate(invalid="ignore"):
        bad = ~((rtt == 0) | ((rtt >= MIN_RTT_MS) & (rtt <= MAX_RTT_MS)))
        bad |= ~((bandwidth >= 0) & (bandwidth <= MAX_BANDWIDTH_KBPS))
        bad |= ~((loss >= 0) & (loss <= 100))
        bad |= ~np.isnan(cost) & ~((cost >= 0) & (cost <= MAX_LINK_COST))
    return bad


def _metric_error(links: Sequence[LinkReport], i: int) -> InvalidArgument:
    link = links[i]
    if not _rtt_ok(link.rtt_ms):
        return InvalidArgument.for_field(
            f"links[{i}].rtt_ms", f"must be 0 (not measured) or {MIN_RTT_MS:g} to {MAX_RTT_MS:g} ms, got {link.rtt_ms}"
        )
    if not 0 <= link.bandwidth_kbps <= MAX_BANDWIDTH_KBPS:
        return InvalidArgument.for_field(
            f"links[{i}].bandwidth_kbps", f"must be 0 to {MAX_BANDWIDTH_KBPS:g}, got {link.bandwidth_kbps}"
        )
    if not 0 <= link.loss_pct <= 100:
        return InvalidArgument.for_field(f"links[{i}].loss_pct", f"must be 0 to 100, got {link.loss_pct}")
    return InvalidArgument.for_field(f"links[{i}].cost", f"must be 0 to {MAX_LINK_COST:g}, got {link.cost}")


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, UUID | datetime) else v) for k, v in row.items()}


def _unwire(data: dict[str, Any]) -> dict[str, Any]:
    row = dict(data)
    for key in ("quarantine_until",):
        row[key] = datetime.fromisoformat(row[key]) if row.get(key) else None
    return row
