"""AuditService servicer: list, verify and watch the audit log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from auralink.v1 import access_pb2, access_pb2_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import optional_datetime, struct, timestamp
from auralinkd.api.permissions import requires
from auralinkd.audit.service import AuditEntry, AuditFilter, AuditLog
from auralinkd.streams import Streams

POLL_INTERVAL_S = 0.5


class AuditServicer(access_pb2_grpc.AuditServiceServicer):
    def __init__(self, audit: AuditLog, streams: Streams) -> None:
        self._audit = audit
        self._streams = streams

    @requires("audit:read")
    async def ListAuditLogs(
        self, request: access_pb2.ListAuditLogsRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ListAuditLogsResponse:
        filters = AuditFilter(
            actor_user_id=request.actor_user_id, action=request.action, resource_type=request.resource_type,
            resource_id=request.resource_id, outcome=request.outcome,
            start=optional_datetime(request, "start_time"), end=optional_datetime(request, "end_time"),
        )  # fmt: skip
        entries, next_token = await self._audit.list(current_caller(), filters, request.page_size, request.page_token)
        return access_pb2.ListAuditLogsResponse(entries=[entry(e) for e in entries], next_page_token=next_token)

    @requires("audit:verify")
    async def VerifyAuditChain(
        self, request: access_pb2.VerifyAuditChainRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.VerifyAuditChainResponse:
        result = await self._audit.verify(current_caller(), request.checkpoint)
        return access_pb2.VerifyAuditChainResponse(
            ok=result.ok, rows_checked=result.rows_checked, first_broken_id=result.first_broken_id,
            reason=result.reason, checkpoint=result.checkpoint,
        )  # fmt: skip

    @requires("audit:read")
    async def WatchAudit(
        self, request: access_pb2.WatchAuditRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[access_pb2.AuditEntry]:
        caller = current_caller()
        after = request.since_id if request.since_id > 0 else await self._audit.last_id(caller)

        def heartbeat() -> access_pb2.AuditEntry:
            return access_pb2.AuditEntry(heartbeat=True, id=after)

        async def feed() -> AsyncIterator[access_pb2.AuditEntry]:
            nonlocal after
            yield heartbeat()
            while True:
                entries = await self._audit.since(caller, after)
                for e in entries:
                    yield entry(e)
                    after = e.id
                if not entries:
                    await asyncio.sleep(POLL_INTERVAL_S)

        async for message in self._streams.keep_alive(feed(), heartbeat):
            yield message


def entry(e: AuditEntry) -> access_pb2.AuditEntry:
    return access_pb2.AuditEntry(
        id=e.id, organization_id=e.organization_id, actor_user_id=e.actor_user_id, actor_type=e.actor_type,
        action=e.action, resource_type=e.resource_type, resource_id=e.resource_id, outcome=e.outcome,
        request_id=e.request_id, peer=str(e.metadata.get("peer", "")), metadata=struct(e.metadata),
        create_time=timestamp(e.created_at), hash=e.hash.hex(), prev_hash=e.prev_hash.hex(),
    )  # fmt: skip
