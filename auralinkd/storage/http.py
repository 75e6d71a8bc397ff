"""Signed object URLs on the daemon's HTTP listener: GET streams an object, PUT uploads one.

A URL that is expired, tampered with, or used with another method, key or org gets 403 and reveals
nothing else; domain errors map to the HTTP status a plain client expects.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from uuid import UUID

from auralinkd import errors
from auralinkd.http.listener import HttpListener
from auralinkd.storage.service import PutHeader, StorageService
from auralinkd.storage.signing import PATH_PREFIX, SignedRequest

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

_HTTP_STATUS = {
    errors.InvalidArgument: 400,
    errors.NotFound: 404,
    errors.PermissionDenied: 403,
    errors.ResourceExhausted: 413,
    errors.FailedPrecondition: 409,
    errors.Unavailable: 503,
}
CHUNK = 256 * 1024


def register(listener: HttpListener, storage: StorageService) -> None:
    routes = _Routes(storage)
    listener.add_route("GET", PATH_PREFIX + "{key:.+}", routes.get)
    listener.add_route("PUT", PATH_PREFIX + "{key:.+}", routes.put)


class _Routes:
    def __init__(self, storage: StorageService) -> None:
        self._storage = storage

    def _caller(self, request: web.Request, content_type: str = "") -> object | None:
        query = request.query
        try:
            signed = SignedRequest(
                request.method, UUID(query["org"]), UUID(query["user"]), request.match_info["key"],
                int(query["expires"]), content_type,
            )  # fmt: skip
        except (KeyError, ValueError):
            return None
        return self._storage.signed_caller(signed, query.get("signature", ""), request.remote or "")

    async def get(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        caller = self._caller(request)
        if caller is None:
            return _forbidden()
        try:
            found, chunks = await self._storage.get(caller, request.match_info["key"])  # type: ignore[arg-type]
            response = web.StreamResponse(
                headers={
                    "Content-Type": found.content_type,
                    "Content-Length": str(found.size_bytes),
                    "ETag": f'"{found.sha256}"',
                }
            )
            await response.prepare(request)
            async for chunk in chunks:
                await response.write(chunk)
            await response.write_eof()
            return response
        except errors.AuralinkError as exc:
            return _error(exc)

    async def put(self, request: web.Request) -> web.StreamResponse:
        content_type = request.headers.get("Content-Type", "")
        caller = self._caller(request, content_type)
        if caller is None:
            return _forbidden()
        header = PutHeader(request.match_info["key"], content_type, size_bytes=request.content_length)
        try:
            stored = await self._storage.put(caller, header, _body(request))  # type: ignore[arg-type]
        except errors.AuralinkError as exc:
            return _error(exc)
        return _json(200, {"key": stored.key, "size_bytes": stored.size_bytes, "sha256": stored.sha256})


async def _body(request: web.Request) -> AsyncIterator[bytes]:
    async for chunk in request.content.iter_chunked(CHUNK):
        yield chunk


def _json(status: int, body: dict[str, object]) -> web.Response:
    from aiohttp import web

    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def _forbidden() -> web.Response:
    return _json(403, {"error": "the signature is invalid or expired"})


def _error(exc: errors.AuralinkError) -> web.Response:
    for cls in type(exc).__mro__:
        if cls in _HTTP_STATUS:
            return _json(_HTTP_STATUS[cls], {"error": exc.message})
    log.error("signed URL request failed: %s", exc)
    return _json(500, {"error": "internal error"})
