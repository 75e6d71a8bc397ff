"""Where object bytes live: the local filesystem under the data directory, or an S3-compatible store.

An upload always lands first in a private temporary file while its SHA-256 and size are computed; only
a complete, checked upload is committed (local: fsync, then an atomic rename; S3: one managed upload).
A crash mid-upload therefore leaves no partial object, only a temporary file that the next start removes.
Blob paths are `<org id>/<random>`, never derived from the user's key, so a key cannot reach outside.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Any, Protocol

from auralinkd.errors import Unavailable

log = logging.getLogger(__name__)


class Upload:
    """Bytes being received: written to a temporary file and hashed; committed or aborted once."""

    def __init__(self, handle: IO[bytes], commit: Callable[[IO[bytes], str, str], Awaitable[None]]) -> None:
        self._handle = handle
        self._commit = commit
        self._hash = hashlib.sha256()
        self.size = 0
        self._done = False

    async def write(self, chunk: bytes) -> None:
        if chunk:
            await asyncio.to_thread(self._write, chunk)

    def _write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    async def commit(self, storage_path: str, content_type: str) -> None:
        self._done = True
        try:
            await self._commit(self._handle, storage_path, content_type)
        finally:
            await asyncio.to_thread(_close_quietly, self._handle)

    async def abort(self) -> None:
        if not self._done:
            self._done = True
            await asyncio.to_thread(_close_quietly, self._handle)


def _close_quietly(handle: IO[bytes]) -> None:
    name = getattr(handle, "name", None)
    try:
        handle.close()
    finally:
        if isinstance(name, str) and os.path.exists(name):
            os.unlink(name)


class Backend(Protocol):
    name: str

    def prepare(self) -> None: ...

    async def begin(self) -> Upload: ...

    def read(self, storage_path: str, chunk_size: int) -> AsyncIterator[bytes]: ...

    async def delete(self, storage_path: str) -> None: ...

    async def presign_get(self, storage_path: str, expires_s: int, key: str) -> str | None: ...


class LocalBackend:
    """Objects as files under `<root>`; uploads in `<root>/.incoming` (same filesystem: rename is atomic)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / ".incoming"

    def prepare(self) -> None:
        """Create the folders and drop temporary files a crash left behind (the data dir lock is held)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.incoming.exists():
            shutil.rmtree(self.incoming, ignore_errors=True)
        self.incoming.mkdir(mode=0o700, exist_ok=True)

    async def begin(self) -> Upload:
        handle = await asyncio.to_thread(_temporary_file, self.incoming)
        return Upload(handle, self._commit)

    async def _commit(self, handle: IO[bytes], storage_path: str, content_type: str) -> None:
        await asyncio.to_thread(self._place, handle, storage_path)

    def _place(self, handle: IO[bytes], storage_path: str) -> None:
        handle.flush()
        os.fsync(handle.fileno())
        target = self._path(storage_path)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(handle.name, target)
        _fsync_dir(target.parent)

    def _path(self, storage_path: str) -> Path:
        return self.root / storage_path

    async def read(self, storage_path: str, chunk_size: int) -> AsyncIterator[bytes]:
        try:
            handle = await asyncio.to_thread(open, self._path(storage_path), "rb")
        except FileNotFoundError:
            raise Unavailable("the object's bytes are missing from the local store") from None
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            handle.close()

    async def delete(self, storage_path: str) -> None:
        await asyncio.to_thread(_unlink_missing_ok, self._path(storage_path))

    async def presign_get(self, storage_path: str, expires_s: int, key: str) -> str | None:
        return None  # the daemon's HTTP listener serves local objects


def _temporary_file(folder: Path) -> IO[bytes]:
    return tempfile.NamedTemporaryFile(dir=folder, prefix="up-", delete=False)  # noqa: SIM115 - Upload closes it


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_missing_ok(path: Path) -> None:
    path.unlink(missing_ok=True)


class S3Backend:
    """An S3-compatible bucket through boto3 (imported on first use; its calls run in threads)."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        spool_dir: Path,
    ) -> None:
        self.bucket = bucket
        self._config = {
            "endpoint_url": endpoint_url or None,
            "region_name": region,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
        }
        self.incoming = spool_dir
        self._client: Any = None

    def prepare(self) -> None:
        if self.incoming.exists():
            shutil.rmtree(self.incoming, ignore_errors=True)
        self.incoming.mkdir(parents=True, mode=0o700, exist_ok=True)

    def _s3(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.session.Session().client(
                "s3", config=Config(signature_version="s3v4", retries={"max_attempts": 3}), **self._config
            )
        return self._client

    async def _call(self, name: str, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(lambda: getattr(self._s3(), name)(**params))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise Unavailable(f"the S3 store refused {name} ({code or 'error'})") from exc
        except BotoCoreError as exc:
            raise Unavailable(f"the S3 store is unreachable: {type(exc).__name__}") from exc

    async def begin(self) -> Upload:
        handle = await asyncio.to_thread(_temporary_file, self.incoming)
        return Upload(handle, self._commit)

    async def _commit(self, handle: IO[bytes], storage_path: str, content_type: str) -> None:
        await asyncio.to_thread(handle.seek, 0)
        await self._call(
            "upload_fileobj", Fileobj=handle, Bucket=self.bucket, Key=storage_path,
            ExtraArgs={"ContentType": content_type},
        )  # fmt: skip

    async def read(self, storage_path: str, chunk_size: int) -> AsyncIterator[bytes]:
        response = await self._call("get_object", Bucket=self.bucket, Key=storage_path)
        body = response["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, chunk_size):
                yield chunk
        finally:
            body.close()

    async def delete(self, storage_path: str) -> None:
        await self._call("delete_object", Bucket=self.bucket, Key=storage_path)

    async def presign_get(self, storage_path: str, expires_s: int, key: str) -> str | None:
        filename = key.rsplit("/", 1)[-1].replace('"', "")
        params = {
            "Bucket": self.bucket,
            "Key": storage_path,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        }
        return str(
            await asyncio.to_thread(
                lambda: self._s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)
            )
        )
