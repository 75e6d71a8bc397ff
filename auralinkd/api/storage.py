"""StorageService servicer: proto <-> storage domain values, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from auralink.v1 import storage_pb2 as pb
from auralink.v1 import storage_pb2_grpc
from auralinkd.api.context import current_caller
from auralinkd.api.convert import timestamp
from auralinkd.api.permissions import requires
from auralinkd.errors import InvalidArgument
from auralinkd.storage.service import PutHeader, StorageService, StoredObject

_METHODS = {pb.SIGNED_URL_METHOD_GET: "GET", pb.SIGNED_URL_METHOD_PUT: "PUT"}


def object_to_proto(o: StoredObject) -> pb.StorageObject:
    return pb.StorageObject(
        key=o.key,
        size_bytes=o.size_bytes,
        content_type=o.content_type,
        sha256=o.sha256,
        created_by=o.created_by,
        create_time=timestamp(o.created_at),
        update_time=timestamp(o.updated_at),
        backend=o.backend,
    )


async def _chunks(requests: AsyncIterator[pb.PutObjectRequest]) -> AsyncIterator[bytes]:
    async for request in requests:
        if request.WhichOneof("part") != "chunk":
            raise InvalidArgument.for_field("header", "only the first message may carry a header")
        yield request.chunk


class StorageServicer(storage_pb2_grpc.StorageServiceServicer):
    def __init__(self, storage: StorageService) -> None:
        self._storage = storage

    @requires("storage:write")
    async def PutObject(
        self, requests: AsyncIterator[pb.PutObjectRequest], context: grpc.aio.ServicerContext
    ) -> pb.StorageObject:
        first = await anext(aiter(requests), None)
        if first is None or first.WhichOneof("part") != "header":
            raise InvalidArgument.for_field("header", "the first message must carry the header (key, content type)")
        h = first.header
        header = PutHeader(h.key, h.content_type, h.sha256, h.size_bytes if h.HasField("size_bytes") else None)
        return object_to_proto(await self._storage.put(current_caller(), header, _chunks(requests)))

    @requires("storage:read")
    async def GetObject(
        self, request: pb.GetObjectRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.GetObjectResponse]:
        found, chunks = await self._storage.get(current_caller(), request.key, request.chunk_size)
        yield pb.GetObjectResponse(object=object_to_proto(found))
        async for chunk in chunks:
            yield pb.GetObjectResponse(chunk=chunk)

    @requires("storage:read")
    async def HeadObject(self, request: pb.HeadObjectRequest, context: grpc.aio.ServicerContext) -> pb.StorageObject:
        return object_to_proto(await self._storage.head(current_caller(), request.key))

    @requires("storage:read")
    async def ListObjects(
        self, request: pb.ListObjectsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListObjectsResponse:
        found, token = await self._storage.list(current_caller(), request.prefix, request.page_size, request.page_token)
        return pb.ListObjectsResponse(objects=[object_to_proto(o) for o in found], next_page_token=token)

    @requires("storage:delete")
    async def DeleteObject(
        self, request: pb.DeleteObjectRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteObjectResponse:
        await self._storage.delete(current_caller(), request.key)
        return pb.DeleteObjectResponse()

    @requires("storage:sign")
    async def SignUrl(self, request: pb.SignUrlRequest, context: grpc.aio.ServicerContext) -> pb.SignUrlResponse:
        method = _METHODS.get(request.method)
        if method is None:
            raise InvalidArgument.for_field("method", "must be SIGNED_URL_METHOD_GET or SIGNED_URL_METHOD_PUT")
        expires_s = request.expires_in.seconds if request.HasField("expires_in") else None
        signed = await self._storage.sign(current_caller(), request.key, method, expires_s, request.content_type)
        return pb.SignUrlResponse(
            url=signed.url, expire_time=timestamp(signed.expires_at), method=signed.method, headers=signed.headers
        )

    @requires("storage:read")
    async def GetStorageUsage(
        self, request: pb.GetStorageUsageRequest, context: grpc.aio.ServicerContext
    ) -> pb.StorageUsage:
        u = await self._storage.usage(current_caller())
        return pb.StorageUsage(
            used_bytes=u.used_bytes, object_count=u.object_count, quota_bytes=u.quota_bytes,
            max_object_bytes=u.max_object_bytes, backend=u.backend,
        )  # fmt: skip
