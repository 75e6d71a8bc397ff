"""`auralink storage put|get|ls|rm|sign|usage` (StorageService): objects of your organization by key.

Uploads and downloads stream in chunks (a progress bar on stderr for large transfers at a terminal);
`put` sends the file's SHA-256 and size, so the daemon refuses a corrupted or over-quota upload.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from auralink_cli import output
from auralink_cli.commands import _access as common
from auralink_cli.exit_codes import USAGE, CliError
from auralink_cli.render.storage import object_table, objects_table

storage_app = typer.Typer(name="storage", help="Objects: put, get, list, delete, signed URLs.", no_args_is_help=True)

CHUNK = 256 * 1024
BAR_FROM_BYTES = 8 * 1024 * 1024
TRANSFER_TIMEOUT_S = 3600.0


def register(app: typer.Typer) -> None:
    app.add_typer(storage_app, name="storage")


def file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest(), path.stat().st_size


def put_requests(
    source: Path | bytes, key: str, content_type: str, sha256: str, size: int, bar: Any = None
) -> Iterator[Any]:
    """The PutObject stream: the header, then the file (or the bytes) in chunks."""
    from auralink.v1 import storage_pb2 as pb

    yield pb.PutObjectRequest(
        header=pb.PutObjectHeader(key=key, content_type=content_type, sha256=sha256, size_bytes=size)
    )
    task = bar.add_task("uploading", total=size) if bar else None
    for chunk in _chunks(source):
        yield pb.PutObjectRequest(chunk=chunk)
        if bar:
            bar.update(task, advance=len(chunk))


def _chunks(source: Path | bytes) -> Iterator[bytes]:
    if isinstance(source, bytes):
        yield from (source[i : i + CHUNK] for i in range(0, len(source), CHUNK))
        return
    with source.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


TO_STORAGE = "storage:"
ToOption = Annotated[
    str, typer.Option("--to", help="Also write the result to an object of your organization: storage:KEY.")
]


def storage_key(target: str) -> str:
    """KEY of a `--to storage:KEY` (checked before any work is done)."""
    key = target.removeprefix(TO_STORAGE)
    if not target.startswith(TO_STORAGE) or not key.strip():
        raise CliError(USAGE, f"--to: expected storage:KEY, got {target!r}")
    return key


def put_bytes(settings: Any, key: str, data: bytes, content_type: str) -> dict[str, Any]:
    """Store `data` as object `key` through StorageService (sha256 and size checked by the daemon)."""
    from auralink_cli.client import Client

    sha256 = hashlib.sha256(data).hexdigest()
    with Client(settings) as client:
        requests = put_requests(data, key, content_type, sha256, len(data))
        stored = client.storage.PutObject(requests, timeout=max(settings.timeout, TRANSFER_TIMEOUT_S))
    return dict(common.to_dict(stored))


def _bar(settings: Any, size: int) -> Any:
    if settings.output != "table" or not sys.stderr.isatty() or size < BAR_FROM_BYTES:
        return None
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        console=output.console(settings.no_color, stderr=True), transient=True,
    )  # fmt: skip


@storage_app.command("put")
def put(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The file to upload.", exists=True, dir_okay=False, readable=True)],
    key: Annotated[str, typer.Argument(help="The object key (default: the file name).")] = "",
    content_type: Annotated[str, typer.Option("--content-type", "-t", help="Default: guessed from the name.")] = "",
) -> None:
    """Upload a file as an object (replaces an object with the same key)."""
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    key = key or file.name
    content_type = content_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    sha256, size = file_digest(file)
    bar = _bar(settings, size)
    with Client(settings) as client:
        if bar:
            bar.start()
        try:
            requests = put_requests(file, key, content_type, sha256, size, bar)
            stored = client.storage.PutObject(requests, timeout=max(settings.timeout, TRANSFER_TIMEOUT_S))
        finally:
            if bar:
                bar.stop()
    common.emit(settings, common.to_dict(stored), object_table)


@storage_app.command("get")
def get(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The object key.")],
    out: Annotated[str, typer.Option("--out", "-O", help="Write here ('-': stdout). Default: the key's name.")] = "",
) -> None:
    """Download an object (to a file, written whole or not at all, or to stdout)."""
    from auralink.v1 import storage_pb2 as pb
    from auralink_cli.client import Client

    settings = common.settings_of(ctx)
    target = out or key.rsplit("/", 1)[-1]
    with Client(settings) as client:
        parts = iter(client.storage.GetObject(pb.GetObjectRequest(key=key, chunk_size=CHUNK * 4)))
        head = next(parts).object
        if target == "-":
            for part in parts:
                sys.stdout.buffer.write(part.chunk)
            sys.stdout.buffer.flush()
            return
        path = Path(target)
        temporary = path.with_name(f".{path.name}.part")
        bar = _bar(settings, head.size_bytes)
        task = bar.add_task("downloading", total=head.size_bytes) if bar else None
        digest = hashlib.sha256()
        try:
            if bar:
                bar.start()
            with temporary.open("wb") as handle:
                for part in parts:
                    handle.write(part.chunk)
                    digest.update(part.chunk)
                    if bar:
                        bar.update(task, advance=len(part.chunk))
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        finally:
            if bar:
                bar.stop()
        if digest.hexdigest() != head.sha256:
            temporary.unlink(missing_ok=True)
            raise CliError(USAGE, f"{key}: the bytes received do not match the object's SHA-256; nothing written")
        os.replace(temporary, path)
    data = {"key": head.key, "file": str(path), "size_bytes": head.size_bytes, "sha256": head.sha256}
    common.emit(settings, data, object_table)


@storage_app.command("ls")
@common.watchable
def ls(
    ctx: typer.Context,
    prefix: Annotated[str, typer.Argument(help="Only keys that start with it.")] = "",
    limit: Annotated[
        int, typer.Option("--limit", "--page-size", min=0, help="Show at most N objects (0: all of them).")
    ] = common.DEFAULT_LIMIT,
    page_token: Annotated[str, common.PageTokenOption] = "",
) -> None:
    """List objects (by key, in byte order)."""
    from auralink.v1 import storage_pb2 as pb

    settings = common.settings_of(ctx)
    data = common.listed(
        settings,
        lambda c, size, token: c.storage.ListObjects(
            pb.ListObjectsRequest(prefix=prefix, page_size=size, page_token=token)
        ),
        "objects", limit, page_token,
    )  # fmt: skip
    common.emit(settings, data, objects_table, wide=True)


@storage_app.command("rm")
def rm(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The object key.")],
    yes: Annotated[bool, common.YesOption] = False,
) -> None:
    """Delete an object."""
    from auralink.v1 import storage_pb2 as pb

    settings = common.settings_of(ctx)
    common.require_confirmation(yes, f"Delete object {key!r}?")
    common.connected(settings, lambda c: c.storage.DeleteObject(pb.DeleteObjectRequest(key=key)))
    common.deleted(settings, "object", key, f"deleted {key}")


@storage_app.command("sign")
def sign(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The object key.")],
    put: Annotated[bool, typer.Option("--put", help="A URL that uploads (PUT) instead of one that reads.")] = False,
    expires: Annotated[str, typer.Option("--expires", "-e", help="Lifetime: 90s, 30m, 1h, 2d (max 7d).")] = "1h",
    content_type: Annotated[str, typer.Option("--content-type", "-t", help="PUT: the type to send.")] = "",
) -> None:
    """A URL that reads or writes one object without a token until it expires (curl it)."""
    from google.protobuf.duration_pb2 import Duration

    from auralink.v1 import storage_pb2 as pb

    settings = common.settings_of(ctx)
    method = pb.SIGNED_URL_METHOD_PUT if put else pb.SIGNED_URL_METHOD_GET
    request = pb.SignUrlRequest(
        key=key, method=method, content_type=content_type,
        expires_in=Duration(seconds=common.parse_duration(expires, "--expires")),
    )  # fmt: skip
    data = common.to_dict(common.connected(settings, lambda c: c.storage.SignUrl(request)))
    if settings.output == "table":
        output.plain(data["url"])
    else:
        common.emit(settings, data)


@storage_app.command("usage")
def usage(ctx: typer.Context) -> None:
    """Your organization's stored bytes and objects against its quota."""
    from auralink.v1 import storage_pb2 as pb

    settings = common.settings_of(ctx)
    data = common.to_dict(common.connected(settings, lambda c: c.storage.GetStorageUsage(pb.GetStorageUsageRequest())))
    common.emit(settings, data, object_table)
