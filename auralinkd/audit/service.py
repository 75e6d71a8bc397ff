"""Recording, listing, verifying and tailing the audit log."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from auralinkd.access.principal import Caller
from auralinkd.audit import chain, store
from auralinkd.audit.throttle import DeniedThrottle
from auralinkd.db.database import Database, Tenant
from auralinkd.errors import FailedPrecondition, InvalidArgument
from auralinkd.paging import decode_cursor, encode_cursor, page_size

log = logging.getLogger(__name__)

OUTCOMES = ("success", "failure", "denied")
_VERIFY_BATCH = 1000
_MAX_TEXT = 500
# Set once a refusal of the current call is recorded (each RPC runs in a task of its own), so the call guard,
# which audits every refused mutation, does not write a second row for one a service already recorded.
_refusal_recorded: ContextVar[bool] = ContextVar("auralink_refusal_recorded", default=False)


def refusal_recorded() -> bool:
    """Has a refusal of the current call been recorded (or folded by the throttle) already?"""
    return _refusal_recorded.get()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    first_broken_id: int
    reason: str
    checkpoint: str = ""  # a signed checkpoint of the head, when ok and the chain is keyed


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log row, as listing and tailing return it."""

    id: int
    organization_id: str
    actor_user_id: str  # "" for the daemon itself
    actor_type: str
    action: str
    resource_type: str
    resource_id: str
    outcome: str
    request_id: str
    metadata: dict[str, Any]
    created_at: datetime
    hash: bytes
    prev_hash: bytes

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        return cls(
            id=int(row["id"]), organization_id=row["organization_id"], actor_user_id=row["actor_user_id"] or "",
            actor_type=row["actor_type"], action=row["action"], resource_type=row["resource_type"] or "",
            resource_id=row["resource_id"] or "", outcome=row["outcome"], request_id=row["request_id"] or "",
            metadata=dict(row["metadata"] or {}), created_at=row["created_at"], hash=row["hash"] or b"",
            prev_hash=row["prev_hash"] or b"",
        )  # fmt: skip


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


@dataclass
class _Walk:
    checked: int = 0
    last_id: int = 0
    last_hash: bytes = b""
    keyed: bool = False
    anchors_seen: set[int] = field(default_factory=set)
    broken: VerifyResult | None = None


class AuditLog:
    def __init__(
        self, database: Database, denied_throttle: DeniedThrottle | None = None, keys: chain.ChainKeys | None = None
    ) -> None:
        self._database = database
        self._denied_throttle = denied_throttle or DeniedThrottle()
        self._keys = keys
        self._checkpoint_file: Path | None = None

    def use_keys(self, keys: chain.ChainKeys) -> None:
        """Key the chain (HMAC under keys derived from the KEK) and anchor its head; call before serving."""
        self._keys = keys

    def keep_checkpoints_in(self, path: Path) -> None:
        """Save every org's anchored head, signed, to `path` (the data dir: out of the database's reach);
        verification then also checks the saved checkpoint of the caller's org."""
        self._checkpoint_file = path

    async def save_checkpoints(self) -> int:
        """Copy every org's anchored head into the checkpoint file; a head that went back is not copied
        (the saved checkpoint keeps naming the deleted rows). Returns how many checkpoints changed."""
        if self._keys is None or self._checkpoint_file is None:
            return 0
        async with self._database.system() as conn:
            heads = await store.all_heads(conn)
        saved = self._saved_checkpoints()
        changed = 0
        for head in heads:
            org_id = str(head["organization_id"])
            if not self._keys.head_is_genuine(org_id, head["last_id"], head["hash"], head["mac"]):
                log.error("the anchored audit head of org %s fails its MAC; checkpoint not moved", org_id)
                continue
            old = self._keys.read_checkpoint(saved.get(org_id, ""))
            if old is not None and old.last_id > head["last_id"]:
                log.error(
                    "the audit head of org %s went back from row %d to row %d; checkpoint not moved",
                    org_id, old.last_id, head["last_id"],
                )  # fmt: skip
                continue
            if old is None or (old.last_id, old.hash) != (head["last_id"], head["hash"]):
                saved[org_id] = self._keys.checkpoint(org_id, head["last_id"], head["hash"], int(time.time()))
                changed += 1
        if changed:
            temporary = self._checkpoint_file.with_suffix(".tmp")
            temporary.write_text(json.dumps(saved, indent=1, sort_keys=True))
            temporary.chmod(0o600)
            temporary.replace(self._checkpoint_file)
        return changed

    async def run_checkpoints(self, interval_s: float) -> None:
        """Save checkpoints every `interval_s` seconds, for the daemon's life."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.save_checkpoints()
            except Exception as exc:  # noqa: BLE001 - retried on the next turn
                log.warning("could not save audit checkpoints: %s", exc)

    def _saved_checkpoints(self) -> dict[str, str]:
        if self._checkpoint_file is None or not self._checkpoint_file.exists():
            return {}
        try:
            data = json.loads(self._checkpoint_file.read_text())
        except (OSError, ValueError) as exc:
            log.error("unreadable audit checkpoint file %s: %s", self._checkpoint_file, exc)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    async def anchor_heads(self) -> int:
        """Anchor the head of every chain that has none (rows written before chains were anchored).

        Trust on first use: the rows as they are now become the anchored prefix. Returns how many.
        """
        if self._keys is None:
            return 0
        async with self._database.system() as conn:
            heads = await store.unanchored_heads(conn)
            for head in heads:
                mac = self._keys.head_mac(str(head["organization_id"]), head["id"], head["hash"])
                await store.anchor_head(conn, head["organization_id"], head["id"], head["hash"], mac)
        if heads:
            log.info("anchored the audit chain heads of %d organizations", len(heads))
        return len(heads)

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
        if self._keys is None:
            await store.insert(conn, row, prev_hash, chain.link(prev_hash, row))
        else:
            hash_ = self._keys.link(prev_hash, row)
            mac = self._keys.head_mac(row["organization_id"], row_id, hash_)
            await store.insert(conn, row, prev_hash, hash_, head_mac=mac)
        return int(row["id"])

    async def record_denied(self, caller: Caller, action: str, reason: str) -> None:
        """A refused attempt, in a transaction of its own (the call itself changed nothing); rate limited."""
        await self.record_refused(caller, action, "denied", reason)

    async def record_refused(self, caller: Caller, action: str, outcome: str, reason: str, code: str = "") -> None:
        """A refused call ("denied", or "failure" with the status `code`), in a transaction of its own (the
        call itself changed nothing); rate limited like every refusal."""
        _refusal_recorded.set(True)
        folded = self._denied_throttle.admit(str(caller.principal.user_id), action, reason)
        if folded is None:
            return
        metadata: dict[str, Any] = {"reason": reason}
        if code:
            metadata["code"] = code
        if folded:
            metadata["repeats_suppressed"] = folded
        try:
            async with self._database.tenant(caller.tenant) as conn:
                await self.record(conn, caller, action, outcome=outcome, metadata=metadata)
        except Exception:  # noqa: BLE001 - never turn a refusal into an INTERNAL error
            log.warning("could not audit a refused %s by %s", action, caller.principal.user_id, exc_info=True)

    def _reader(self, caller: Caller) -> Tenant:
        # The read policy is admin-only; holding audit:read (checked by the guard) is that grant.
        return Tenant(caller.principal.user_id, caller.principal.org_id, org_admin=True)

    async def list(
        self, caller: Caller, filters: AuditFilter, requested_size: int, token: str
    ) -> tuple[list[AuditEntry], str]:
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
        entries = [AuditEntry.from_row(r) for r in rows[:size]]
        return entries, encode_cursor({"before": entries[-1].id}) if more and entries else ""

    async def verify(self, caller: Caller, checkpoint: str = "") -> VerifyResult:
        """Walk the org's chain: links, content, the anchored head and, when given, an earlier checkpoint.

        The head is read first and checked like a checkpoint (its row must still be there, unchanged), so
        rows appended while the walk runs raise no false alarm, and deleting the newest rows is caught.
        """
        org_id = str(caller.principal.org_id)
        anchors: dict[int, tuple[bytes, str]] = {}
        if checkpoint:
            wanted = self._read_checkpoint(checkpoint, org_id)
            anchors[wanted.last_id] = (wanted.hash, "the checkpoint")
        async with self._database.tenant(self._reader(caller)) as conn:
            head = await store.head(conn)
            if head is not None and self._keys is not None:
                if not self._keys.head_is_genuine(org_id, head["last_id"], head["hash"], head["mac"]):
                    return VerifyResult(False, 0, head["last_id"], "the anchored head was altered (its MAC is wrong)")
                anchors.setdefault(head["last_id"], (head["hash"], "the anchored head"))
            saved = self._keys.read_checkpoint(self._saved_checkpoints().get(org_id, "")) if self._keys else None
            if saved is not None:
                anchors.setdefault(saved.last_id, (saved.hash, "the daemon's saved checkpoint"))
            walk = await self._walk(conn, anchors)
        if walk.broken is not None:
            return walk.broken
        for anchor_id, (_, what) in sorted(anchors.items()):
            if anchor_id not in walk.anchors_seen:
                ends = f"the chain ends at row {walk.last_id}" if walk.last_id else "the chain is empty"
                reason = f"row {anchor_id}, named by {what}, is missing: rows were deleted ({ends})"
                return VerifyResult(False, walk.checked, anchor_id, reason)
        if head is None and self._keys is not None and walk.checked:
            async with self._database.tenant(self._reader(caller)) as conn:
                if await store.head(conn) is None:  # not just this org's first row, appended meanwhile
                    return VerifyResult(False, walk.checked, walk.last_id, "the chain's anchored head is missing")
        token = ""
        if self._keys is not None and walk.last_id:
            token = self._keys.checkpoint(org_id, walk.last_id, walk.last_hash, int(time.time()))
        return VerifyResult(True, walk.checked, 0, "", token)

    async def _walk(self, conn: asyncpg.Connection, anchors: dict[int, tuple[bytes, str]]) -> _Walk:
        walk = _Walk()
        prev_hash: bytes | None = None
        after = 0
        while True:
            rows = await store.chain_rows(conn, after, _VERIFY_BATCH)
            for row in rows:
                walk.checked += 1
                if row["prev_hash"] != prev_hash:
                    walk.broken = VerifyResult(
                        False, walk.checked, row["id"], "prev_hash does not match the previous row"
                    )
                    return walk
                if (
                    self._keys is not None
                    and row["hash"] is not None
                    and self._keys.links_to(prev_hash, row, row["hash"])
                ):
                    walk.keyed = True
                elif row["hash"] != chain.link(prev_hash, row):
                    walk.broken = VerifyResult(False, walk.checked, row["id"], "content does not match its hash")
                    return walk
                elif walk.keyed:  # an unkeyed link is only valid before the chain was keyed
                    walk.broken = VerifyResult(
                        False, walk.checked, row["id"], "an unkeyed hash after keyed rows (the chain was recomputed)"
                    )
                    return walk
                anchor = anchors.get(row["id"])
                if anchor is not None:
                    if row["hash"] != anchor[0]:
                        walk.broken = VerifyResult(False, walk.checked, row["id"], f"the row differs from {anchor[1]}")
                        return walk
                    walk.anchors_seen.add(row["id"])
                prev_hash = row["hash"]
                walk.last_id, walk.last_hash = row["id"], row["hash"]
            if len(rows) < _VERIFY_BATCH:
                return walk
            after = rows[-1]["id"]

    def _read_checkpoint(self, token: str, org_id: str) -> chain.Checkpoint:
        if self._keys is None:
            raise FailedPrecondition("this daemon has no audit chain key, so it cannot check a checkpoint")
        checkpoint = self._keys.read_checkpoint(token)
        if checkpoint is None:
            raise InvalidArgument.for_field("checkpoint", "not a checkpoint signed with this deployment's key")
        if checkpoint.org_id != org_id:
            raise InvalidArgument.for_field("checkpoint", "the checkpoint is of another organization's log")
        return checkpoint

    async def since(self, caller: Caller, after_id: int, limit: int = 500) -> list[AuditEntry]:
        async with self._database.tenant(self._reader(caller)) as conn:
            return [AuditEntry.from_row(r) for r in await store.chain_rows(conn, after_id, limit)]

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
