"""Objects per organization: checked uploads, quotas, listing, deletion and signed URLs.

An upload is received whole (size limit and checksum checked as it arrives) before anything is recorded;
then one transaction, holding the org's usage row lock, checks the quota and ownership, commits the
bytes to the backend, and records the metadata, the counters and the audit row. A failure after the
bytes were committed removes them again, so metadata and backend never disagree about an object.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auralinkd.access.principal import Caller, Principal
from auralinkd.audit.service import AuditLog
from auralinkd.db.database import Database
from auralinkd.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, ResourceExhausted
from auralinkd.paging import decode_cursor, encode_cursor, page_size
from auralinkd.storage import keys
from auralinkd.storage import store as sql
from auralinkd.storage.backends import Backend
from auralinkd.storage.signing import SignedRequest, UrlSigner

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 256 * 1024
MAX_CHUNK = 4 * 1024 * 1024
DEFAULT_URL_EXPIRY_S = 3600
MAX_URL_EXPIRY_S = 7 * 24 * 3600


@dataclass(frozen=True)
class StoredObject:
    key: str
    size_bytes: int
    content_type: str
    sha256: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    backend: str


@dataclass(frozen=True)
class PutHeader:
    key: str
    content_type: str = ""
    sha256: str = ""
    size_bytes: int | None = None


@dataclass(frozen=True)
class SignedUrl:
    url: str
    method: str
    expires_at: datetime
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    used_bytes: int
    object_count: int
    quota_bytes: int
    max_object_bytes: int
    backend: str


def _object(row: dict[str, Any]) -> StoredObject:
    return StoredObject(
        key=row["key"],
        size_bytes=row["size_bytes"],
        content_type=row["content_type"],
        sha256=row["sha256"],
        created_by=str(row["created_by"] or ""),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        backend=row["backend"],
    )


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


class StorageService:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        backend: Backend,
        signer: UrlSigner,
        *,
        max_object_bytes: int,
        default_quota_bytes: int,
        public_url: str = "",
    ) -> None:
        self._database = database
        self._audit = audit
        self.backend = backend
        self._signer = signer
        self.max_object_bytes = max_object_bytes
        self.default_quota_bytes = default_quota_bytes
        self.public_url = public_url  # empty: no HTTP listener, so no daemon-served signed URLs

    # -- writes ---------------------------------------------------------------------------------

    async def put(self, caller: Caller, header: PutHeader, chunks: AsyncIterator[bytes]) -> StoredObject:
        key = keys.validate_key(header.key, "header.key")
        content_type = keys.content_type(header.content_type, "header.content_type")
        expected_sha = keys.sha256_hex(header.sha256, "header.sha256")
        declared = header.size_bytes
        if declared is not None:
            if declared < 0:
                raise InvalidArgument.for_field("header.size_bytes", f"must be >= 0, got {declared}")
            self._check_size(declared, "header.size_bytes")
            await self._precheck_quota(caller, declared)
        upload = await self.backend.begin()
        try:
            async for chunk in chunks:
                await upload.write(chunk)
                self._check_size(upload.size, "chunk")
                if declared is not None and upload.size > declared:
                    raise InvalidArgument.for_field(
                        "header.size_bytes", f"declared {declared} bytes, received more ({upload.size})"
                    )
            if declared is not None and upload.size != declared:
                raise InvalidArgument.for_field(
                    "header.size_bytes", f"declared {declared} bytes, received {upload.size}"
                )
            if expected_sha and upload.sha256 != expected_sha:
                raise InvalidArgument.for_field(
                    "header.sha256", f"the bytes received have SHA-256 {upload.sha256}, not {expected_sha}"
                )
            return await self._record(caller, key, content_type, upload)
        finally:
            await upload.abort()  # a no-op once committed

    def _check_size(self, size: int, field_name: str) -> None:
        if size > self.max_object_bytes:
            raise InvalidArgument.for_field(
                field_name, f"the object is over the size limit of {_size(self.max_object_bytes)}"
            )

    async def _precheck_quota(self, caller: Caller, size: int) -> None:
        async with self._database.tenant(caller.tenant) as conn:
            counters = await sql.usage(conn, caller.principal.org_id)
        used = counters["used_bytes"] if counters else 0
        quota = self._quota(counters)
        if used + size > quota:
            raise ResourceExhausted(self._over_quota(used, size, quota))

    def _quota(self, counters: dict[str, Any] | None) -> int:
        if counters and counters["quota_bytes"] is not None:
            return int(counters["quota_bytes"])
        return self.default_quota_bytes

    @staticmethod
    def _over_quota(used: int, size: int, quota: int) -> str:
        return (
            f"the organization's storage quota is {_size(quota)}; {_size(used)} are used and this object needs "
            f"{_size(size)}: delete objects or ask an operator for a larger quota"
        )

    async def _record(self, caller: Caller, key: str, content_type: str, upload: Any) -> StoredObject:
        org_id = caller.principal.org_id
        storage_path = f"{org_id}/{uuid.uuid4().hex}"
        committed = False
        replaced: dict[str, Any] | None = None
        try:
            async with self._database.tenant(caller.tenant) as conn:
                counters = await sql.lock_usage(conn, org_id)
                replaced = await sql.get_object(conn, org_id, key)
                if replaced is not None:
                    self._check_owner(caller, replaced, "replace")
                old_size = replaced["size_bytes"] if replaced else 0
                quota = self._quota(counters)
                if counters["used_bytes"] - old_size + upload.size > quota:
                    raise ResourceExhausted(self._over_quota(counters["used_bytes"] - old_size, upload.size, quota))
                await upload.commit(storage_path, content_type)
                committed = True
                row = await sql.upsert_object(
                    conn, org_id, caller.principal.user_id,
                    {"key": key, "backend": self.backend.name, "storage_path": storage_path,
                     "size_bytes": upload.size, "content_type": content_type, "sha256": upload.sha256},
                )  # fmt: skip
                await sql.add_usage(conn, org_id, upload.size - old_size, 0 if replaced else 1)
                await self._audit.record(
                    conn, caller, "StorageService/PutObject", "storage_object", key,
                    metadata={"size_bytes": upload.size, "sha256": upload.sha256, "replaced": replaced is not None},
                )  # fmt: skip
        except BaseException:
            if committed:
                await self._forget_blob(storage_path)
            raise
        if replaced is not None:
            await self._forget_blob(replaced["storage_path"])
        return _object(row)

    def _check_owner(self, caller: Caller, row: dict[str, Any], verb: str) -> None:
        if row["created_by"] != caller.principal.user_id and not caller.principal.is_org_admin:
            raise PermissionDenied(
                f"object {row['key']!r} was written by another member: only they or an org admin may {verb} it"
            )

    async def _forget_blob(self, storage_path: str) -> None:
        try:
            await self.backend.delete(storage_path)
        except Exception:  # noqa: BLE001 - an orphaned blob costs space, never correctness
            log.warning("could not remove the blob %s", storage_path, exc_info=True)

    async def delete(self, caller: Caller, key: str) -> None:
        key = keys.validate_key(key)
        org_id = caller.principal.org_id
        async with self._database.tenant(caller.tenant) as conn:
            await sql.lock_usage(conn, org_id)
            row = await sql.get_object(conn, org_id, key)
            if row is None:
                raise NotFound(f"no object with key {key!r}")
            self._check_owner(caller, row, "delete")
            await sql.delete_object(conn, org_id, key)
            await sql.add_usage(conn, org_id, -row["size_bytes"], -1)
            await self._audit.record(
                conn, caller, "StorageService/DeleteObject", "storage_object", key,
                metadata={"size_bytes": row["size_bytes"]},
            )  # fmt: skip
        await self._forget_blob(row["storage_path"])

    # -- reads ----------------------------------------------------------------------------------

    async def _find(self, caller: Caller, key: str) -> dict[str, Any]:
        key = keys.validate_key(key)
        async with self._database.tenant(caller.tenant) as conn:
            row = await sql.get_object(conn, caller.principal.org_id, key)
        if row is None:
            raise NotFound(f"no object with key {key!r}")
        return row

    async def head(self, caller: Caller, key: str) -> StoredObject:
        return _object(await self._find(caller, key))

    async def get(self, caller: Caller, key: str, chunk_size: int = 0) -> tuple[StoredObject, AsyncIterator[bytes]]:
        if chunk_size < 0 or chunk_size > MAX_CHUNK:
            raise InvalidArgument.for_field("chunk_size", f"must be between 0 and {MAX_CHUNK}, got {chunk_size}")
        row = await self._find(caller, key)
        return _object(row), self.backend.read(row["storage_path"], chunk_size or DEFAULT_CHUNK)

    async def list(self, caller: Caller, prefix: str, requested: int, token: str) -> tuple[list[StoredObject], str]:
        prefix = keys.validate_prefix(prefix)
        limit = page_size(requested)
        cursor = decode_cursor(token)
        after = cursor.get("k") if cursor else None
        if cursor is not None and (not isinstance(after, str) or cursor.get("p") != prefix):
            raise InvalidArgument.for_field("page_token", "is not a token for this prefix")
        async with self._database.tenant(caller.tenant) as conn:
            rows = await sql.list_objects(conn, caller.principal.org_id, prefix, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        next_token = encode_cursor({"p": prefix, "k": rows[-1]["key"]}) if more else ""
        return [_object(r) for r in rows], next_token

    async def usage(self, caller: Caller) -> Usage:
        async with self._database.tenant(caller.tenant) as conn:
            counters = await sql.usage(conn, caller.principal.org_id)
        return Usage(
            used_bytes=counters["used_bytes"] if counters else 0,
            object_count=counters["object_count"] if counters else 0,
            quota_bytes=self._quota(counters),
            max_object_bytes=self.max_object_bytes,
            backend=self.backend.name,
        )

    # -- signed URLs ----------------------------------------------------------------------------

    async def sign(
        self, caller: Caller, key: str, method: str, expires_s: int | None, content_type: str = ""
    ) -> SignedUrl:
        key = keys.validate_key(key)
        expires_s = DEFAULT_URL_EXPIRY_S if expires_s is None else expires_s
        if not 1 <= expires_s <= MAX_URL_EXPIRY_S:
            raise InvalidArgument.for_field("expires_in", f"must be between 1 second and 7 days, got {expires_s} s")
        expires = int(time.time()) + expires_s
        expires_at = datetime.fromtimestamp(expires, UTC)
        if method == "GET":
            row = await self._find(caller, key)
            native = await self.backend.presign_get(row["storage_path"], expires_s, key)
            if native is not None:
                return SignedUrl(native, "GET", expires_at)
            content_type = ""
        elif method == "PUT":
            content_type = keys.content_type(content_type)
            async with self._database.tenant(caller.tenant) as conn:
                row_or_none = await sql.get_object(conn, caller.principal.org_id, key)
            if row_or_none is not None:
                self._check_owner(caller, row_or_none, "replace")
        else:
            raise InvalidArgument.for_field("method", f"must be GET or PUT, got {method!r}")
        if not self.public_url:
            raise FailedPrecondition(
                f"signed {method} URLs of the {self.backend.name} backend are served by the daemon's HTTP "
                "listener: set AURALINK_HTTP_ADDRESS"
            )
        request = SignedRequest(method, caller.principal.org_id, caller.principal.user_id, key, expires, content_type)
        headers = {"Content-Type": content_type} if method == "PUT" else {}
        return SignedUrl(self._signer.url(self.public_url, request), method, expires_at, headers)

    def signed_caller(self, request: SignedRequest, signature: str, peer: str) -> Caller | None:
        """The caller a valid signed URL acts as, or None when the URL is expired, tampered or misused."""
        if not self._signer.verify(request, signature):
            return None
        permission = "storage:read" if request.method == "GET" else "storage:write"
        principal = Principal(request.user_id, request.org_id, frozenset({permission}), "signed-url")
        return Caller(principal, os.urandom(16).hex(), peer)
