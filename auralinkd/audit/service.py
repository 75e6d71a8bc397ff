"""Recording, listing, verifying and tailing the audit log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from auralinkd.access.principal import Caller
from auralinkd.audit import chain, store
from auralinkd.audit.throttle import DeniedThrottle
from auralinkd.db.database import Database, Tenant
from auralinkd.errors import InvalidArgument
from auralinkd.paging import decode_cursor, encode_cursor, page_size

log = logging.getLogger(__name__)

OUTCOMES = ("success", "failure", "denied")
_VERIFY_BATCH = 1000
_MAX_TEXT = 500


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    first_broken_id: int
    reason: str


@dataclass(frozen=True)
class AuditFilter:
    actor_user_id: str = ""
    action: str = ""
    resource_type: str = ""
    resource_id: str = ""
    outcome: str = ""
    start: datetime | None = None
    end: datetime | None = None


def _plain(value: Any) -> Any:
    """Metadata as JSON that survives jsonb unchanged (no floats: jsonb may rewrite them)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


class AuditLog:
    def __init__(self, database: Database, denied_throttle: DeniedThrottle | None = None) -> None:
        self._database = database
        self._denied_throttle = denied_throttle or DeniedThrottle()

    async def record(
        self,
        conn: asyncpg.Connection,
        caller: Caller,
        action: str,
        resource_type: str = "",
        resource_id: str = "",
        outcome: str = "success",
        metadata: dict[str, Any] | None = None,
    ) -> int:
        """Append one row inside the caller's open transaction (so it commits or rolls back with the change)."""
        row_id, prev_hash = await store.reserve_next(conn)
        principal = caller.principal
        row = {
            "id": row_id,
            "organization_id": str(principal.org_id),
            "actor_user_id": str(principal.user_id),
            "actor_type": "api_key" if principal.credential_type == "api_key" else "user",
            "action": action[:200],
            "resource_type": resource_type[:_MAX_TEXT] or None,
            "resource_id": resource_id[:_MAX_TEXT] or None,
            "outcome": outcome,
            "request_id": caller.request_id,
            "ip_address": None,
            "user_agent": None,
            "metadata": _plain({**(metadata or {}), "peer": caller.peer, "credential": principal.credential_id}),
            "created_at": datetime.now(UTC),
        }
        hash_ = chain.link(prev_hash, row)
        await store.insert(conn, row, prev_hash, hash_)
        return int(row["id"])

    async def record_denied(self, caller: Caller, action: str, reason: str) -> None:
        """A refused attempt, in a transaction of its own (the call itself changed nothing); rate limited."""
        folded = self._denied_throttle.admit(str(caller.principal.user_id), action, reason)
        if folded is None:
            return
        metadata: dict[str, Any] = {"reason": reason}
        if folded:
            metadata["repeats_suppressed"] = folded
        try:
            async with self._database.tenant(caller.tenant) as conn:
                await self.record(conn, caller, action, outcome="denied", metadata=metadata)
        except Exception:  # noqa: BLE001 - never turn a refusal into an INTERNAL error
            log.warning("could not audit a denied %s by %s", action, caller.principal.user_id, exc_info=True)

    def _reader(self, caller: Caller) -> Tenant:
        # The read policy is admin-only; holding audit:read (checked by the guard) is that grant.
        return Tenant(caller.principal.user_id, caller.principal.org_id, org_admin=True)

    async def list(
        self, caller: Caller, filters: AuditFilter, requested_size: int, token: str
    ) -> tuple[list[dict[str, Any]], str]:
        size = page_size(requested_size)
        cursor = decode_cursor(token)
        before = int(cursor["before"]) if cursor and "before" in cursor else None
        if filters.outcome and filters.outcome not in OUTCOMES:
            raise InvalidArgument.for_field("outcome", f"must be one of {', '.join(OUTCOMES)}, got {filters.outcome!r}")
        actor = _uuid_or_invalid("actor_user_id", filters.actor_user_id)
        async with self._database.tenant(self._reader(caller)) as conn:
            rows = await store.list_rows(
                conn,
                before_id=before,
                limit=size + 1,
                actor_user_id=actor,
                action=filters.action,
                resource_type=filters.resource_type,
                resource_id=filters.resource_id,
                outcome=filters.outcome,
                start=filters.start,
                end=filters.end,
            )
        more = len(rows) > size
        rows = rows[:size]
        return rows, encode_cursor({"before": rows[-1]["id"]}) if more and rows else ""

    async def verify(self, caller: Caller) -> VerifyResult:
        checked = 0
        prev_hash: bytes | None = None
        after = 0
        async with self._database.tenant(self._reader(caller)) as conn:
            while True:
                rows = await store.chain_rows(conn, after, _VERIFY_BATCH)
                for row in rows:
                    checked += 1
                    if row["prev_hash"] != prev_hash and not (prev_hash is None and row["prev_hash"] is None):
                        return VerifyResult(False, checked, row["id"], "prev_hash does not match the previous row")
                    if row["hash"] != chain.link(prev_hash, row):
                        return VerifyResult(False, checked, row["id"], "content does not match its hash")
                    prev_hash = row["hash"]
                if len(rows) < _VERIFY_BATCH:
                    return VerifyResult(True, checked, 0, "")
                after = rows[-1]["id"]

    async def since(self, caller: Caller, after_id: int, limit: int = 500) -> list[dict[str, Any]]:
        async with self._database.tenant(self._reader(caller)) as conn:
            return await store.chain_rows(conn, after_id, limit)

    async def last_id(self, caller: Caller) -> int:
        async with self._database.tenant(self._reader(caller)) as conn:
            rows = await store.list_rows(
                conn, before_id=None, limit=1, actor_user_id=None, action="", resource_type="",
                resource_id="", outcome="", start=None, end=None,
            )  # fmt: skip
        return int(rows[0]["id"]) if rows else 0


def _uuid_or_invalid(field: str, value: str) -> UUID | None:
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise InvalidArgument.for_field(field, f"must be a UUID, got {value!r}") from None
