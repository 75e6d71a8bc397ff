"""AuditService servicer: list, verify and watch the audit log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from auralink.v1 import access_pb2, access_pb2_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import optional_datetime, struct, timestamp
from auralinkd.api.permissions import requires
from auralinkd.audit.service import AuditFilter, AuditLog
from auralinkd.errors import Unavailable

POLL_INTERVAL_S = 0.5
HEARTBEAT_S = 15.0


class AuditServicer(access_pb2_grpc.AuditServiceServicer):
    def __init__(self, audit: AuditLog, stopping: Callable[[], bool]) -> None:
        self._audit = audit
        self._stopping = stopping

    @requires("audit:read")
    async def ListAuditLogs(
        self, request: access_pb2.ListAuditLogsRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.ListAuditLogsResponse:
        filters = AuditFilter(
            actor_user_id=request.actor_user_id, action=request.action, resource_type=request.resource_type,
            resource_id=request.resource_id, outcome=request.outcome,
            start=optional_datetime(request, "start_time"), end=optional_datetime(request, "end_time"),
        )  # fmt: skip
        rows, next_token = await self._audit.list(current_caller(), filters, request.page_size, request.page_token)
        return access_pb2.ListAuditLogsResponse(entries=[entry(r) for r in rows], next_page_token=next_token)

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
        loop = asyncio.get_running_loop()
        last_sent = loop.time()
        yield access_pb2.AuditEntry(heartbeat=True, id=after)
        while True:
            if self._stopping():
                raise Unavailable("the daemon is shutting down; reconnect")
            rows = await self._audit.since(caller, after)
            for row in rows:
                yield entry(row)
                after = row["id"]
                last_sent = loop.time()
            if loop.time() - last_sent >= HEARTBEAT_S:
                yield access_pb2.AuditEntry(heartbeat=True, id=after)
                last_sent = loop.time()
            if not rows:
                await asyncio.sleep(POLL_INTERVAL_S)


def entry(row: dict[str, Any]) -> access_pb2.AuditEntry:
    metadata = dict(row["metadata"] or {})
    return access_pb2.AuditEntry(
        id=row["id"], organization_id=row["organization_id"], actor_user_id=row["actor_user_id"] or "",
        actor_type=row["actor_type"], action=row["action"], resource_type=row["resource_type"] or "",
        resource_id=row["resource_id"] or "", outcome=row["outcome"], request_id=row["request_id"] or "",
        peer=str(metadata.get("peer", "")), metadata=struct(metadata), create_time=timestamp(row["created_at"]),
        hash=(row["hash"] or b"").hex(), prev_hash=(row["prev_hash"] or b"").hex(),
    )  # fmt: skip
