"""MeshRoutingService and ReputationService servicers: protos to domain calls and back, nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from google.protobuf import duration_pb2, json_format

from auralink.v1 import mesh_pb2, mesh_pb2_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import struct, timestamp
from auralinkd.api.errors import status_code_for
from auralinkd.api.permissions import requires
from auralinkd.errors import InvalidArgument
from auralinkd.mesh import status as mesh_status
from auralinkd.mesh.detector import NodeState
from auralinkd.mesh.eigentrust import Band, EvidenceKind
from auralinkd.mesh.graph import NodeInfo, Weights
from auralinkd.mesh.ingest import LinkReport
from auralinkd.mesh.pathfinding import Path
from auralinkd.mesh.registry import NewNode, Node
from auralinkd.mesh.reputation import ReputationService
from auralinkd.mesh.routes import RouteService, validated_weights
from auralinkd.mesh.service import MeshService
from auralinkd.streams import Streams

_STATE = {
    NodeState.ALIVE: mesh_pb2.NODE_STATE_ALIVE,
    NodeState.SUSPECT: mesh_pb2.NODE_STATE_SUSPECT,
    NodeState.OFFLINE: mesh_pb2.NODE_STATE_OFFLINE,
}
_STATE_NAME = {v: k.value for k, v in _STATE.items()}
_TYPE = {
    "peer": mesh_pb2.NODE_TYPE_PEER,
    "relay": mesh_pb2.NODE_TYPE_RELAY,
    "edge": mesh_pb2.NODE_TYPE_EDGE,
    "server": mesh_pb2.NODE_TYPE_SERVER,
}
_TYPE_NAME = {v: k for k, v in _TYPE.items()}
_BAND = {
    Band.UNTRUSTED: mesh_pb2.TRUST_BAND_UNTRUSTED,
    Band.LOW: mesh_pb2.TRUST_BAND_LOW,
    Band.MEDIUM: mesh_pb2.TRUST_BAND_MEDIUM,
    Band.HIGH: mesh_pb2.TRUST_BAND_HIGH,
}
_BAND_NAME = {v: k for k, v in _BAND.items()}
_KIND = {
    mesh_pb2.EVIDENCE_KIND_RELAY_SUCCESS: EvidenceKind.RELAY_SUCCESS,
    mesh_pb2.EVIDENCE_KIND_RELAY_FAILURE: EvidenceKind.RELAY_FAILURE,
    mesh_pb2.EVIDENCE_KIND_UPTIME: EvidenceKind.UPTIME,
    mesh_pb2.EVIDENCE_KIND_MISBEHAVIOR: EvidenceKind.MISBEHAVIOR,
}
_KIND_NUMBER = {v.value: k for k, v in _KIND.items()}
MAX_STREAM_ERRORS = 10
MAX_BATCH = 10_000  # heartbeats in one HeartbeatBatch
STREAM_GROUP = 512  # StreamHeartbeats applies the messages already received together, up to this many


def _duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def node_to_proto(node: Node) -> mesh_pb2.MeshNode:
    return mesh_pb2.MeshNode(
        id=node.id,
        name=node.name,
        address=node.address,
        region=node.region,
        node_type=_TYPE.get(node.node_type, 0),
        state=_STATE[node.state],
        capabilities=struct(node.capabilities),
        capacity=node.capacity,
        current_load=node.current_load,
        public_key=node.public_key,
        anchor=node.anchor,
        quarantined=node.quarantined,
        quarantine_reason=node.quarantine_reason,
        quarantine_expire_time=timestamp(node.quarantine_until),
        heartbeat_interval=_duration(node.heartbeat_interval_s),
        last_heartbeat_time=timestamp(node.last_heartbeat_at),
        state_change_time=timestamp(node.state_changed_at),
        create_time=timestamp(node.created_at),
        trust=node.trust,
        trust_band=_BAND[node.band],
        link_count=node.link_count,
    )


def path_to_proto(graph: Any, path: Path) -> mesh_pb2.RoutePath:
    hops = []
    for slot in path.slots:
        source, target = graph.link_of_slot(slot)
        estimate = graph.links[(source.id, target.id)]
        hops.append(
            mesh_pb2.RouteHop(
                from_node=source.id,
                to_node=target.id,
                to_name=target.name,
                latency_ms=estimate.latency_ms,
                bandwidth_kbps=estimate.bandwidth_kbps,
                loss_pct=estimate.loss_pct,
                etx=estimate.etx,
                cost=estimate.cost,
                relay_trust=target.trust,
            )
        )
    nodes = [graph.by_index[i] for i in path.indices]
    return mesh_pb2.RoutePath(
        nodes=[n.id for n in nodes],
        names=[n.name for n in nodes],
        hops=hops,
        cost=path.cost,
        latency_ms=path.latency_ms,
        bottleneck_bandwidth_kbps=path.bottleneck_kbps,
    )


class MeshServicer(mesh_pb2_grpc.MeshRoutingServiceServicer):
    def __init__(
        self, mesh: MeshService, routes: RouteService, reputation: ReputationService, streams: Streams
    ) -> None:
        self._mesh = mesh
        self._routes = routes
        self._reputation = reputation
        self._streams = streams

    @requires("mesh:write")
    async def RegisterNode(self, request: mesh_pb2.RegisterNodeRequest, context: Any) -> mesh_pb2.RegisterNodeResponse:
        if request.node_type and request.node_type not in _TYPE_NAME:
            raise InvalidArgument.for_field("node_type", f"unknown value {request.node_type}")
        new = NewNode(
            name=request.name,
            address=request.address,
            region=request.region,
            node_type=_TYPE_NAME.get(request.node_type, "peer"),
            capacity=request.capacity,
            capabilities=json_format.MessageToDict(request.capabilities),
            public_key=request.public_key,
            anchor=request.anchor,
            interval_s=request.heartbeat_interval.ToTimedelta().total_seconds()
            if request.HasField("heartbeat_interval")
            else 0.0,
        )
        node, issued = await self._mesh.registry.register(current_caller(), new, request.token_ttl_seconds)
        return mesh_pb2.RegisterNodeResponse(
            node=node_to_proto(node),
            token=issued.token,
            token_id=issued.token_id,
            token_expire_time=timestamp(issued.expires_at),
        )

    @requires("mesh:write")
    async def DeregisterNode(self, request: mesh_pb2.DeregisterNodeRequest, context: Any) -> Any:
        return mesh_pb2.DeregisterNodeResponse(id=await self._mesh.registry.deregister(current_caller(), request.node))

    @requires("mesh:read")
    async def GetNode(self, request: mesh_pb2.GetNodeRequest, context: Any) -> mesh_pb2.MeshNode:
        return node_to_proto(await self._mesh.registry.get(current_caller(), request.node))

    @requires("mesh:read")
    async def ListNodes(self, request: mesh_pb2.ListNodesRequest, context: Any) -> mesh_pb2.ListNodesResponse:
        nodes, token = await self._mesh.registry.list(
            current_caller(),
            size=request.page_size,
            token=request.page_token,
            state=_STATE_NAME.get(request.state, ""),
            region=request.region,
            quarantined=request.quarantined_only,
        )
        return mesh_pb2.ListNodesResponse(nodes=[node_to_proto(n) for n in nodes], next_page_token=token)

    def _beat(self, request: mesh_pb2.HeartbeatRequest) -> mesh_pb2.HeartbeatResponse:
        state, interval = self._mesh.ingest.heartbeat(current_caller(), request.node, request.load, _links(request))
        return mesh_pb2.HeartbeatResponse(state=_STATE[state], sequence=request.sequence, interval=_duration(interval))

    @requires("mesh:heartbeat")
    async def Heartbeat(self, request: mesh_pb2.HeartbeatRequest, context: Any) -> mesh_pb2.HeartbeatResponse:
        return self._beat(request)

    @requires("mesh:heartbeat")
    async def StreamHeartbeats(self, requests: AsyncIterator[mesh_pb2.HeartbeatRequest], context: Any) -> Any:
        """Messages that have already arrived are applied together (one vectorised update); an idle stream's
        message is applied as soon as it arrives, so batching never delays a heartbeat."""
        caller = current_caller()
        queue: asyncio.Queue[mesh_pb2.HeartbeatRequest | None] = asyncio.Queue(maxsize=4 * STREAM_GROUP)

        async def read() -> None:
            try:
                async for request in requests:
                    await queue.put(request)
            finally:
                await queue.put(None)

        reader = asyncio.create_task(read())
        accepted = rejected = 0
        errors: list[str] = []
        try:
            done = False
            while not done:
                item = await queue.get()
                group = []
                while item is not None:
                    group.append(item)
                    if len(group) >= STREAM_GROUP or queue.empty():
                        break
                    item = queue.get_nowait()
                done = item is None
                if not group:
                    continue
                results = self._mesh.ingest.heartbeat_batch(caller, [(r.node, r.load, _links(r)) for r in group])
                for request, result in zip(group, results, strict=True):
                    if result.error is None:
                        accepted += 1
                        continue
                    rejected += 1  # one bad beat is reported, not fatal to the stream
                    if len(errors) < MAX_STREAM_ERRORS:
                        error = result.error
                        errors.append(f"sequence {request.sequence}: {type(error).__name__}: {error.message}")
            await reader  # re-raises a broken stream
        finally:
            reader.cancel()
        return mesh_pb2.StreamHeartbeatsResponse(accepted=accepted, rejected=rejected, errors=errors)

    @requires("mesh:heartbeat")
    async def StreamHeartbeatBatches(self, batches: AsyncIterator[mesh_pb2.HeartbeatBatch], context: Any) -> Any:
        caller = current_caller()
        async for batch in batches:
            if len(batch.heartbeats) > MAX_BATCH:
                raise InvalidArgument.for_field("heartbeats", f"at most {MAX_BATCH} heartbeats per batch")
            beats = batch.heartbeats
            results = self._mesh.ingest.heartbeat_batch(caller, [(r.node, r.load, _links(r)) for r in beats])
            refusals = [
                mesh_pb2.HeartbeatRefusal(
                    index=i,
                    sequence=beats[i].sequence,
                    code=status_code_for(result.error).name,
                    message=result.error.message,
                )
                for i, result in enumerate(results)
                if result.error is not None
            ]
            yield mesh_pb2.HeartbeatBatchResponse(
                sequence=batch.sequence,
                accepted=len(results) - len(refusals),
                rejected=len(refusals),
                refusals=refusals,
            )
            self._streams.check()

    @requires("mesh:route")
    async def FindOptimalRoute(self, request: mesh_pb2.FindOptimalRouteRequest, context: Any) -> Any:
        caller = current_caller()
        weights = Weights()
        penalty = request.trust_penalty if request.HasField("trust_penalty") else weights.trust_penalty
        if request.HasField("weights"):
            w = request.weights
            weights = validated_weights(w.latency, w.bandwidth, w.reliability, w.cost, penalty)
        else:
            weights = validated_weights(weights.latency, weights.bandwidth, weights.reliability, weights.cost, penalty)
        c = request.constraints
        constraints = {
            "max_hops": c.max_hops,
            "min_bandwidth_kbps": c.min_bandwidth_kbps,
            "max_latency_ms": c.max_latency_ms,
            "excluded": list(c.excluded_nodes),
            "min_relay_trust": c.min_relay_trust,
        }
        graph, result, checked = self._routes.find(
            caller, request.source, request.destination, weights, constraints, request.k
        )
        route_id = ""
        if request.store and result.paths:
            route_id = await self._routes.store_route(caller, graph, result.paths[0], weights, checked)
        return mesh_pb2.FindOptimalRouteResponse(
            paths=[path_to_proto(graph, p) for p in result.paths], reason=result.reason, route_id=route_id
        )

    @requires("mesh:read")
    async def ListRoutes(self, request: mesh_pb2.ListRoutesRequest, context: Any) -> mesh_pb2.ListRoutesResponse:
        records, token = await self._routes.list(current_caller(), request.page_size, request.page_token)
        routes = [
            mesh_pb2.StoredRoute(
                id=r.id,
                source=r.source,
                destination=r.destination,
                path=mesh_pb2.RoutePath(
                    nodes=r.path,
                    cost=r.cost,
                    latency_ms=r.latency_ms,
                    bottleneck_bandwidth_kbps=r.bottleneck_bandwidth_kbps,
                ),
                active=r.active,
                update_time=timestamp(r.updated_at),
            )
            for r in records
        ]
        return mesh_pb2.ListRoutesResponse(routes=routes, next_page_token=token)

    @requires("mesh:read")
    async def PredictLatency(self, request: mesh_pb2.PredictLatencyRequest, context: Any) -> Any:
        org = str(current_caller().principal.org_id)
        prediction = self._mesh.predict_latency(org, request.source, request.destination)
        return mesh_pb2.PredictLatencyResponse(rtt_ms=prediction.rtt_ms, measured_rtt_ms=prediction.measured_rtt_ms)

    def _status(self, org: str) -> mesh_pb2.NetworkStatus:
        s = mesh_status.compute(self._mesh.graph(org))
        return mesh_pb2.NetworkStatus(
            nodes_by_state=s.nodes_by_state,
            link_count=s.link_count,
            mean_link_rtt_ms=s.mean_link_rtt_ms,
            p95_link_rtt_ms=s.p95_link_rtt_ms,
            components=s.components,
            central_relays=[mesh_pb2.RelayCentrality(node=i, name=n, betweenness=b) for i, n, b in s.central_relays],
            mean_route_stretch=s.mean_route_stretch,
            quarantined=s.quarantined,
            time=timestamp(_now()),
            latency_prediction=mesh_pb2.LatencyPredictionQuality(
                held_out_pairs=s.held_out_pairs,
                median_relative_error=_finite(s.vivaldi_error),
                baseline_median_relative_error=_finite(s.baseline_error),
            ),
        )

    @requires("mesh:read")
    async def GetNetworkStatus(self, request: mesh_pb2.GetNetworkStatusRequest, context: Any) -> Any:
        return self._status(str(current_caller().principal.org_id))

    @requires("mesh:watch")
    async def WatchNetworkStatus(self, request: mesh_pb2.WatchNetworkStatusRequest, context: Any) -> Any:
        interval = request.interval.ToTimedelta().total_seconds() if request.HasField("interval") else 5.0
        if not 1 <= interval <= 60:
            raise InvalidArgument.for_field("interval", f"must be between 1 and 60 s, got {interval:g}")
        org = str(current_caller().principal.org_id)

        async def feed() -> AsyncIterator[mesh_pb2.NetworkStatus]:
            while True:
                yield self._status(org)
                await asyncio.sleep(interval)

        def heartbeat() -> mesh_pb2.NetworkStatus:
            return mesh_pb2.NetworkStatus(heartbeat=True, time=timestamp(_now()))

        async for message in self._streams.keep_alive(feed(), heartbeat):
            yield message


def _links(request: mesh_pb2.HeartbeatRequest) -> list[LinkReport]:
    return [
        LinkReport(x.neighbor, x.rtt_ms, x.bandwidth_kbps, x.loss_pct, x.cost if x.HasField("cost") else None)
        for x in request.links
    ]


def _finite(value: float) -> float:
    return value if value == value else 0.0  # NaN (no held-out pairs yet) reads as 0


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


class ReputationServicer(mesh_pb2_grpc.ReputationServiceServicer):
    def __init__(self, mesh: MeshService, reputation: ReputationService) -> None:
        self._mesh = mesh
        self._reputation = reputation

    def _proto(self, info: NodeInfo) -> mesh_pb2.NodeReputation:
        return mesh_pb2.NodeReputation(
            node=info.id,
            name=info.name,
            trust=info.trust,
            band=_BAND[self._reputation.band_of(info)],
            global_trust=self._reputation.global_trust(info),
            anchor=info.anchor,
            quarantined=info.quarantined,
            quarantine_expire_time=timestamp(info.quarantine_until),
        )

    def _resolve(self, ref: str) -> NodeInfo:
        return self._mesh.resolve(str(current_caller().principal.org_id), ref)

    @requires("reputation:read")
    async def GetReputation(self, request: mesh_pb2.GetReputationRequest, context: Any) -> Any:
        return self._proto(self._resolve(request.node))

    @requires("reputation:read")
    async def ListReputations(self, request: mesh_pb2.ListReputationsRequest, context: Any) -> Any:
        only = _BAND_NAME.get(request.band) if request.band else None
        page, token = self._reputation.page(current_caller(), request.page_size, request.page_token, only)
        return mesh_pb2.ListReputationsResponse(reputations=[self._proto(i) for i in page], next_page_token=token)

    @requires("reputation:report")
    async def ReportEvidence(self, request: mesh_pb2.ReportEvidenceRequest, context: Any) -> Any:
        kind = _KIND.get(request.kind)
        if kind is None:
            raise InvalidArgument.for_field("kind", "must be RELAY_SUCCESS, RELAY_FAILURE, UPTIME or MISBEHAVIOR")
        evidence = json_format.MessageToDict(request.evidence)
        event_id, info = await self._reputation.report(
            current_caller(), request.node, request.reporter, kind, request.value, evidence
        )
        return mesh_pb2.ReportEvidenceResponse(event_id=event_id, reputation=self._proto(info))

    @requires("reputation:read")
    async def ExplainReputation(self, request: mesh_pb2.ExplainReputationRequest, context: Any) -> Any:
        result = await self._reputation.explain(current_caller(), request.node, request.limit)
        return mesh_pb2.ReputationExplanation(
            reputation=self._proto(result.node),
            summary=result.summary,
            contributions=[
                mesh_pb2.EvidenceContribution(
                    event_id=c.event_id,
                    kind=_KIND_NUMBER[c.kind.value],
                    reporter=c.reporter,
                    reporter_name=c.reporter_name,
                    reporter_trust=c.reporter_trust,
                    decayed_weight=c.decayed_weight,
                    impact=c.impact,
                    time=timestamp(c.time),
                    evidence=struct(c.evidence),
                )
                for c in result.contributions
            ],
        )

    @requires("reputation:manage")
    async def QuarantineNode(self, request: mesh_pb2.QuarantineNodeRequest, context: Any) -> Any:
        duration = request.duration.ToTimedelta().total_seconds() if request.HasField("duration") else 0.0
        return self._proto(await self._reputation.quarantine(current_caller(), request.node, request.reason, duration))

    @requires("reputation:manage")
    async def ReleaseNode(self, request: mesh_pb2.ReleaseNodeRequest, context: Any) -> Any:
        return self._proto(await self._reputation.release(current_caller(), request.node))
