"""ReputationService: evidence in, EigenTrust out (the arithmetic: eigentrust.py), quarantine, and explanations."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from auralinkd.access.principal import Caller
from auralinkd.audit.service import AuditLog
from auralinkd.bus import Event, EventBus
from auralinkd.db.database import Database
from auralinkd.errors import InvalidArgument, PermissionDenied
from auralinkd.mesh import store
from auralinkd.mesh.eigentrust import (
    DEFAULT_HALF_LIFE_S,
    OPERATOR,
    Band,
    EvidenceKind,
    Ledger,
    TrustResult,
    band,
    decay,
    eigentrust,
    score,
    signed_weight,
)
from auralinkd.mesh.graph import NodeInfo
from auralinkd.mesh.service import MeshService
from auralinkd.paging import decode_cursor, encode_cursor, page_size

MAX_COUNT = 1000
DEFAULT_QUARANTINE_S = 3600
MAX_QUARANTINE_S = 30 * 24 * 3600
MAX_EVIDENCE_BYTES = 8192


@dataclass
class Contribution:
    """One piece of evidence and how much it moved the node's trust."""

    event_id: str
    kind: EvidenceKind
    reporter: str  # node id; "" for an operator
    reporter_name: str
    reporter_trust: float
    decayed_weight: float
    impact: float
    time: datetime
    evidence: dict[str, Any]


@dataclass
class Explanation:
    node: NodeInfo
    contributions: list[Contribution]
    summary: list[str]


class ReputationService:
    def __init__(
        self,
        mesh: MeshService,
        database: Database,
        audit: AuditLog,
        bus: EventBus,
        half_life_s: float = DEFAULT_HALF_LIFE_S,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._mesh = mesh
        self._database = database
        self._audit = audit
        self._bus = bus
        self.half_life_s = half_life_s
        self.wall = wall
        self.ledgers: dict[str, Ledger] = {}
        self.results: dict[str, TrustResult] = {}
        self._dirty: set[str] = set()
        self._lock = asyncio.Lock()
        mesh.replication.event_listeners.append(self._remote_event)

    def ledger(self, org: str) -> Ledger:
        if org not in self.ledgers:
            self.ledgers[org] = Ledger(self.half_life_s)
        return self.ledgers[org]

    async def load(self) -> None:
        """Evidence still heavy enough to count, for every org (start-up; daemon bookkeeping: system())."""
        since = datetime.now(UTC) - timedelta(seconds=self.half_life_s * 20)
        async with self._database.system() as conn:
            rows = await store.recent_events(conn, since)
        for row in rows:
            if row["event_type"] not in EvidenceKind.__members__.values():
                continue
            details = json.loads(row["details"]) if isinstance(row["details"], str) else row["details"]
            weight = signed_weight(EvidenceKind(row["event_type"]), float(details.get("value", 1)))
            reporter = str(row["reported_by_node_id"]) if row["reported_by_node_id"] else OPERATOR
            org = str(row["organization_id"])
            self.ledger(org).add(reporter, str(row["node_id"]), weight, row["created_at"].timestamp())
            self._dirty.add(org)
        for org in list(self._dirty):
            self.recompute(org)

    def recompute(self, org: str) -> TrustResult | None:
        graph = self._mesh.graphs.get(org)
        if graph is None:
            return None
        nodes = list(graph.nodes)
        anchors = [n for n, info in graph.nodes.items() if info.anchor]
        result = eigentrust(nodes, self.ledger(org).local(self.wall()), anchors)
        for node_id, value in result.trust.items():
            graph.nodes[node_id].trust = score(value, len(nodes))
        graph.trust_changed()
        self.results[org] = result
        self._dirty.discard(org)
        return result

    async def report(
        self,
        caller: Caller,
        node_ref: str,
        reporter_ref: str,
        kind: EvidenceKind,
        value: float,
        evidence: dict[str, Any],
    ) -> tuple[str, NodeInfo]:
        org = str(caller.principal.org_id)
        target = self._mesh.resolve(org, node_ref)
        acting_as = caller.principal.node_id
        if reporter_ref:
            reporter: NodeInfo | None = self._mesh.resolve(org, reporter_ref, "reporter")
            if acting_as is not None and reporter.id != acting_as:  # type: ignore[union-attr]
                raise PermissionDenied("a node credential may only report as its own node")
        else:
            reporter = self._mesh.resolve(org, acting_as, "reporter") if acting_as else None
        if reporter is not None and reporter.id == target.id:
            raise InvalidArgument.for_field("node", "a node may not report evidence about itself")
        value = self._validated_value(kind, value)
        if kind is EvidenceKind.MISBEHAVIOR and not evidence:
            raise InvalidArgument.for_field("evidence", "is required for MISBEHAVIOR (what was observed)")
        if len(json.dumps(evidence)) > MAX_EVIDENCE_BYTES:
            raise InvalidArgument.for_field("evidence", f"must be at most {MAX_EVIDENCE_BYTES} bytes of JSON")
        weight = signed_weight(kind, value)
        details = {"value": value, "weight": weight, "evidence": evidence}
        async with self._database.tenant(caller.tenant) as conn:
            row = await store.insert_event(
                conn,
                org_id=caller.principal.org_id,
                node_id=UUID(target.id),
                reporter=UUID(reporter.id) if reporter else None,
                user_id=caller.principal.user_id,
                kind=kind.value,
                delta=max(-1.0, min(1.0, weight / 10)),
                details=details,
            )
            await self._audit.record(
                conn,
                caller,
                "ReputationService/ReportEvidence",
                "mesh_node",
                target.id,
                metadata={
                    "kind": kind.value,
                    "reporter": reporter.id if reporter else "operator",
                    "event": str(row["id"]),
                },
            )
        self.ledger(org).add(reporter.id if reporter else OPERATOR, target.id, weight, row["created_at"].timestamp())
        self._dirty.add(org)
        await self.refresh(org, kind)
        await self.count_relay(caller, target, kind)
        await self._bus.publish(
            "mesh.reputation.reported",
            {
                "org": org,
                "id": target.id,
                "kind": kind.value,
                "reporter": reporter.id if reporter else OPERATOR,
                "weight": weight,
                "at": row["created_at"].timestamp(),
            },
            org=org,
        )
        return str(row["id"]), target

    @staticmethod
    def _validated_value(kind: EvidenceKind, value: float) -> float:
        if not math.isfinite(value) or value < 0:
            raise InvalidArgument.for_field("value", f"must be finite and >= 0, got {value}")
        if kind is EvidenceKind.UPTIME:
            if value > 1:
                raise InvalidArgument.for_field("value", f"UPTIME is a ratio between 0 and 1, got {value}")
            return value
        value = value or 1.0
        if value > MAX_COUNT:
            raise InvalidArgument.for_field("value", f"a count between 1 and {MAX_COUNT}, got {value}")
        return value

    async def refresh(self, org: str, kind: EvidenceKind | None = None) -> None:
        """Recompute (coalesced) and persist scores; relay counters move with relay evidence."""
        async with self._lock:
            if org not in self._dirty:
                return
            result = self.recompute(org)
        if result is None:
            return
        graph = self._mesh.graphs[org]
        rows = [
            (UUID(org), UUID(n), info.trust, band(info.trust, info.quarantined).value, 0, 0, None)
            for n, info in graph.nodes.items()
        ]
        async with self._database.system() as conn:  # one org's derived scores, addressed by id
            await store.upsert_reputation(conn, rows)

    async def count_relay(self, caller: Caller, node: NodeInfo, kind: EvidenceKind) -> None:
        ok, bad = int(kind is EvidenceKind.RELAY_SUCCESS), int(kind is EvidenceKind.RELAY_FAILURE)
        if ok or bad:
            async with self._database.tenant(caller.tenant) as conn:
                await store.upsert_reputation(
                    conn,
                    [
                        (
                            caller.principal.org_id,
                            UUID(node.id),
                            node.trust,
                            band(node.trust, node.quarantined).value,
                            ok,
                            bad,
                            datetime.now(UTC),
                        )
                    ],
                )

    async def quarantine(self, caller: Caller, ref: str, reason: str, duration_s: float) -> NodeInfo:
        org = str(caller.principal.org_id)
        info = self._mesh.resolve(org, ref)
        duration_s = duration_s or DEFAULT_QUARANTINE_S
        if not (math.isfinite(duration_s) and 1 <= duration_s <= MAX_QUARANTINE_S):
            raise InvalidArgument.for_field("duration", f"must be between 1 s and {MAX_QUARANTINE_S} s")
        if not reason.strip() or len(reason) > 500:
            raise InvalidArgument.for_field("reason", "is required (at most 500 characters)")
        until = datetime.now(UTC) + timedelta(seconds=duration_s)
        await self._set_quarantine(caller, info, True, reason, until)
        return info

    async def release(self, caller: Caller, ref: str) -> NodeInfo:
        info = self._mesh.resolve(str(caller.principal.org_id), ref)
        await self._set_quarantine(caller, info, False, None, None)
        return info

    async def _set_quarantine(
        self, caller: Caller | None, info: NodeInfo, on: bool, reason: str | None, until: datetime | None
    ) -> None:
        kind = "quarantine" if on else "unquarantine"
        scope = self._database.tenant(caller.tenant) if caller else self._database.system()
        async with scope as conn:
            await store.set_quarantine(conn, UUID(info.id), on, reason, until)
            await store.insert_event(
                conn,
                org_id=UUID(info.org_id),
                node_id=UUID(info.id),
                reporter=None,
                user_id=caller.principal.user_id if caller else None,  # type: ignore[arg-type]
                kind=kind,
                delta=0.0,
                details={"reason": reason or "expired", "until": until.isoformat() if until else None},
            )
            if caller is not None:
                await self._audit.record(
                    conn,
                    caller,
                    f"ReputationService/{'Quarantine' if on else 'Release'}Node",
                    "mesh_node",
                    info.id,
                    metadata={"reason": reason or ""},
                )
        info.quarantined, info.quarantine_until = on, until
        self._mesh.graphs[info.org_id].node_changed(info)
        await self._bus.publish(
            f"mesh.node.{'quarantined' if on else 'released'}",
            {"org": info.org_id, "id": info.id, "reason": reason or ""},
            org=info.org_id,
        )
        for listener in self._mesh.failures.route_listeners:
            if on:
                await listener(info.org_id, info.id)

    async def expire(self) -> int:
        """Release quarantines whose expiry passed (the background loop calls this)."""
        now = datetime.now(UTC)
        expired = [
            i
            for g in self._mesh.graphs.values()
            for i in g.nodes.values()
            if i.quarantined and i.quarantine_until is not None and i.quarantine_until <= now
        ]
        for info in expired:
            await self._set_quarantine(None, info, False, None, None)
        return len(expired)

    async def run(self, interval_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.expire()
            for org in list(self._dirty):
                await self.refresh(org)

    def _remote_event(self, event: Event) -> None:
        if event.topic == "mesh.reputation.reported":
            self.apply_remote(event.data)

    def apply_remote(self, data: dict[str, Any]) -> None:
        """Another replica's report (bus topic mesh.reputation.reported)."""
        org = data["org"]
        self.ledger(org).add(data["reporter"], data["id"], data["weight"], data["at"])
        self._dirty.add(org)

    def page(self, caller: Caller, size: int, token: str, only: Band | None) -> tuple[list[NodeInfo], str]:
        """The org's nodes by trust, highest first (ties by id), optionally of one band; keyset-paged."""
        limit = page_size(size)
        cursor = decode_cursor(token)
        ordered = sorted(self._mesh.graph(str(caller.principal.org_id)).nodes.values(), key=lambda i: (-i.trust, i.id))
        if only is not None:
            ordered = [i for i in ordered if self.band_of(i) is only]
        if cursor:
            after = (-float(cursor["t"]), str(cursor["id"]))
            ordered = [i for i in ordered if (-i.trust, i.id) > after]
        page = ordered[:limit]
        return page, encode_cursor({"t": page[-1].trust, "id": page[-1].id}) if len(ordered) > limit else ""

    def band_of(self, info: NodeInfo) -> Band:
        return band(info.trust, info.quarantined)

    def global_trust(self, info: NodeInfo) -> float:
        result = self.results.get(info.org_id)
        return result.trust.get(info.id, 0.0) if result else 0.0

    async def explain(self, caller: Caller, ref: str, limit: int) -> Explanation:
        org = str(caller.principal.org_id)
        info = self._mesh.resolve(org, ref)
        limit = limit or 20
        if not 1 <= limit <= 100:
            raise InvalidArgument.for_field("limit", f"must be between 1 and 100, got {limit}")
        async with self._database.tenant(caller.tenant) as conn:
            rows = await store.events_about(conn, UUID(info.id), 500)
        graph = self._mesh.graphs[org]
        now = self.wall()
        contributions = []
        for row in rows:
            if row["event_type"] not in EvidenceKind.__members__.values():
                continue
            details = json.loads(row["details"]) if isinstance(row["details"], str) else row["details"]
            reporter = str(row["reported_by_node_id"]) if row["reported_by_node_id"] else ""
            reporter_trust = graph.nodes[reporter].trust if reporter in graph.nodes else (0.0 if reporter else 1.0)
            weight = float(details.get("weight", 0.0)) * decay(now - row["created_at"].timestamp(), self.half_life_s)
            contributions.append(
                Contribution(
                    event_id=str(row["id"]),
                    kind=EvidenceKind(row["event_type"]),
                    reporter=reporter,
                    reporter_name=row["reporter"] or ("operator" if not reporter else ""),
                    reporter_trust=reporter_trust,
                    decayed_weight=weight,
                    impact=reporter_trust * weight,
                    time=row["created_at"],
                    evidence=details.get("evidence") or {},
                )
            )
        contributions.sort(key=lambda c: abs(c.impact), reverse=True)
        return Explanation(info, contributions[:limit], self._summary(info))

    def _summary(self, info: NodeInfo) -> list[str]:
        graph = self._mesh.graphs[info.org_id]
        result = self.results.get(info.org_id)
        lines = [
            f"trust {info.trust:.3f} ({self.band_of(info).value}); global EigenTrust value "
            f"{self.global_trust(info):.6f} over {len(graph.nodes)} nodes"
        ]
        anchors = [n.name or n.id for n in graph.nodes.values() if n.anchor]
        if info.anchor:
            lines.append("this node is an anchor: part of the pre-trusted set")
        lines.append(
            f"pre-trusted set: anchors {', '.join(anchors) or '(none)'}"
            + (" and operator reports" if result and OPERATOR in result.pretrusted else "")
        )
        if not anchors and not (result and result.pretrusted):
            lines.append("warning: no anchors and no operator evidence, so trust is uniform (no Sybil resistance)")
        inflow = result.inflow.get(info.id, {}) if result else {}
        if inflow:
            top = sorted(inflow.items(), key=lambda kv: kv[1], reverse=True)[:3]
            names = [(graph.nodes[r].name if r in graph.nodes else r) for r, _ in top]
            lines.append(
                "trust flows in from " + ", ".join(f"{n} ({v:.6f})" for n, (_, v) in zip(names, top, strict=True))
            )
        elif not info.anchor:
            lines.append("no trusted node vouches for it: no path from the pre-trusted set, so no trust")
        if info.quarantined:
            until = info.quarantine_until.isoformat() if info.quarantine_until else "release"
            lines.append(f"quarantined until {until}: excluded from relaying, band forced to untrusted")
        return lines
