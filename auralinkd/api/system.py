"""SystemService servicer: status, live events and ping, translated to and from protos."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
from google.protobuf import struct_pb2, timestamp_pb2

from auralink.v1 import common_pb2, system_pb2, system_pb2_grpc
from auralinkd.api import context as call_context
from auralinkd.api.permissions import requires
from auralinkd.bus import Event, EventBus
from auralinkd.errors import DeadlineExceeded, InvalidArgument, PermissionDenied
from auralinkd.streams import Streams, events
from auralinkd.system.service import State, StatusReport, SystemService

MAX_REPLAY = 1000
MAX_HEARTBEAT_S = 15.0
MIN_HEARTBEAT_S = 1.0
MAX_PING_DELAY_S = 30.0

_STATE = {
    State.STARTING: common_pb2.SERVING_STATE_STARTING,
    State.SERVING: common_pb2.SERVING_STATE_SERVING,
    State.DEGRADED: common_pb2.SERVING_STATE_DEGRADED,
    State.NOT_SERVING: common_pb2.SERVING_STATE_NOT_SERVING,
    State.STOPPING: common_pb2.SERVING_STATE_STOPPING,
}


class SystemServicer(system_pb2_grpc.SystemServiceServicer):
    def __init__(self, system: SystemService, bus: EventBus, streams: Streams | None = None) -> None:
        self._system = system
        self._bus = bus
        self._streams = streams or Streams(lambda: False)

    @requires("system:read")
    async def GetStatus(
        self, request: system_pb2.GetStatusRequest, context: grpc.aio.ServicerContext
    ) -> system_pb2.GetStatusResponse:
        report = self._system.status()
        if call_context.caller_or_none() is None:  # no token yet, while starting: the phase only
            reasons = [*report.reasons, "details need a token (admin.token is written once the database is up)"]
            return system_pb2.GetStatusResponse(state=_STATE[report.state], reasons=reasons)
        return status_to_proto(report)

    @requires("system:ping")
    async def Ping(self, request: system_pb2.PingRequest, context: grpc.aio.ServicerContext) -> system_pb2.PingResponse:
        if request.HasField("delay"):
            delay = request.delay.ToTimedelta().total_seconds()
            if not 0 <= delay <= MAX_PING_DELAY_S:
                raise InvalidArgument.for_field("delay", f"must be between 0 and {MAX_PING_DELAY_S:g} s, got {delay:g}")
            remaining = context.time_remaining()
            if remaining is not None and remaining < delay:
                raise DeadlineExceeded(f"the deadline ({remaining:.3f} s left) is shorter than the delay ({delay:g} s)")
            await asyncio.sleep(delay)
        now = timestamp_pb2.Timestamp()
        now.GetCurrentTime()
        return system_pb2.PingResponse(payload=request.payload, server_time=now)

    @requires("events:watch")
    async def WatchEvents(
        self, request: system_pb2.WatchEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[system_pb2.Event]:
        if not 0 <= request.replay <= MAX_REPLAY:
            raise InvalidArgument.for_field("replay", f"must be between 0 and {MAX_REPLAY}, got {request.replay}")
        heartbeat_s = MAX_HEARTBEAT_S
        if request.HasField("heartbeat_interval"):
            heartbeat_s = request.heartbeat_interval.ToTimedelta().total_seconds()
            if not MIN_HEARTBEAT_S <= heartbeat_s <= MAX_HEARTBEAT_S:
                raise InvalidArgument.for_field(
                    "heartbeat_interval",
                    f"must be between {MIN_HEARTBEAT_S:g} and {MAX_HEARTBEAT_S:g} s, got {heartbeat_s:g}",
                )
        principal = call_context.current_caller().principal
        if request.all_organizations and not principal.is_platform_admin:
            raise PermissionDenied("all_organizations is for platform operators; you see your organization's events")
        scope = None if request.all_organizations else principal.org_id
        subscription = self._bus.subscribe(request.topics, replay=request.replay, scope=scope)

        def heartbeat() -> system_pb2.Event:
            return system_pb2.Event(heartbeat=True, replica_id=self._bus.replica_id, time=_now())

        async def feed() -> AsyncIterator[system_pb2.Event]:
            try:
                yield heartbeat()
                async for event in events(subscription):
                    yield event_to_proto(event)
            finally:
                self._bus.unsubscribe(subscription)

        async for message in self._streams.keep_alive(feed(), heartbeat, heartbeat_s):
            yield message


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def event_to_proto(event: Event) -> system_pb2.Event:
    data = struct_pb2.Struct()
    data.update(event.data)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(event.time)
    return system_pb2.Event(
        id=event.id, topic=event.topic, time=stamp, data=data, replica_id=event.replica_id, organization_id=event.org
    )


def status_to_proto(report: StatusReport) -> system_pb2.GetStatusResponse:
    started = timestamp_pb2.Timestamp()
    started.FromDatetime(report.started_at)
    response = system_pb2.GetStatusResponse(
        version=report.version,
        started_at=started,
        state=_STATE[report.state],
        reasons=report.reasons,
        database=system_pb2.DatabaseStatus(**vars(report.database)),
        redis=system_pb2.RedisStatus(**vars(report.redis)),
        services=[
            system_pb2.ServiceStatus(name=s.name, state=_STATE[s.state], detail=s.detail) for s in report.services
        ],
        replica_id=report.replica_id,
        rpc=system_pb2.RpcStats(calls_total=report.calls_total, errors_total=report.errors_total),
    )
    response.uptime.FromNanoseconds(int(report.uptime_s * 1e9))
    return response
