"""StorageService over gRPC against a running daemon: the local backend, signed URLs on the HTTP listener,
an S3-compatible backend (moto's S3 server, started here as the stand-in of the remote protocol), quotas,
bad keys, another org's objects and a crash mid-upload."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator

import grpc
import httpx
import pytest
from google.protobuf import duration_pb2

from auralink.v1 import access_pb2, access_pb2_grpc, storage_pb2, storage_pb2_grpc
from auralinkd.access.tokens import TokenService
from tests.support import Daemon, bearer, daemon_env, free_port, short_tempdir

QUOTA = 1_000_000
MAX_OBJECT = 400_000


def _start(dsn: str, **settings: str) -> Daemon:
    root = short_tempdir()
    data_dir = root / "d"
    return Daemon(data_dir, daemon_env(data_dir, database_url=dsn, **settings)).start()


def _stop(daemon: Daemon) -> None:
    daemon.stop()
    shutil.rmtree(daemon.data_dir.parent, ignore_errors=True)


@pytest.fixture
def storage_daemon(pg16_fresh_dsn: str) -> Iterator[Daemon]:
    daemon = _start(
        pg16_fresh_dsn,
        http_address=f"127.0.0.1:{free_port()}",
        storage_org_quota_bytes=str(QUOTA),
        storage_max_object_bytes=str(MAX_OBJECT),
    )
    yield daemon
    _stop(daemon)


def _stub(channel: grpc.Channel) -> storage_pb2_grpc.StorageServiceStub:
    return storage_pb2_grpc.StorageServiceStub(channel)


def _put_requests(
    key: str, data: bytes, chunk: int = 65536, **header: object
) -> Iterator[storage_pb2.PutObjectRequest]:
    yield storage_pb2.PutObjectRequest(header=storage_pb2.PutObjectHeader(key=key, **header))  # type: ignore[arg-type]
    for start in range(0, len(data), chunk):
        yield storage_pb2.PutObjectRequest(chunk=data[start : start + chunk])


def put(daemon: Daemon, key: str, data: bytes, token: str | None = None, **header: object) -> storage_pb2.StorageObject:
    with daemon.channel() as channel:
        return _stub(channel).PutObject(
            _put_requests(key, data, **header), metadata=bearer(token or daemon.token), timeout=30
        )


def get(daemon: Daemon, key: str, token: str | None = None) -> tuple[storage_pb2.StorageObject, bytes]:
    with daemon.channel() as channel:
        parts = list(
            _stub(channel).GetObject(
                storage_pb2.GetObjectRequest(key=key, chunk_size=10_000),
                metadata=bearer(token or daemon.token),
                timeout=30,
            )
        )
    return parts[0].object, b"".join(p.chunk for p in parts[1:])


def refused(call, request, token: str) -> grpc.RpcError:  # noqa: ANN001 - a stub method
    with pytest.raises(grpc.RpcError) as caught:
        result = call(request, metadata=bearer(token), timeout=30)
        if not hasattr(result, "SerializeToString"):  # a server stream: the error comes while reading
            list(result)
    return caught.value


def _user_token(daemon: Daemon, org: str | None) -> str:
    """A plain member (of a new org when `org` is given) and a token for them."""
    name = f"u{uuid.uuid4().hex[:8]}"
    with daemon.channel() as channel:
        auth = bearer(daemon.token)
        if org:
            access_pb2_grpc.OrganizationServiceStub(channel).CreateOrganization(
                access_pb2.CreateOrganizationRequest(name=org, slug=org), metadata=auth, timeout=10
            )
        user = access_pb2_grpc.UserServiceStub(channel).CreateUser(
            access_pb2.CreateUserRequest(
                user=access_pb2.User(email=f"{name}@x.example", username=name, base_role=access_pb2.BASE_ROLE_USER),
                organization=org or "",
            ),
            metadata=auth,
            timeout=10,
        )
    # Minted with the daemon's secret: IssueToken hands out tokens of the issuer's own org only.
    tokens = TokenService((daemon.data_dir / "jwt.secret").read_text().strip().encode())
    return tokens.issue(uuid.UUID(user.id), uuid.UUID(user.organization_id), None, ttl_s=600)[0]


def test_put_get_head_list_and_delete_round_trip_with_checked_sha256(storage_daemon: Daemon) -> None:
    d = storage_daemon
    data = os.urandom(150_001)
    digest = hashlib.sha256(data).hexdigest()
    stored = put(d, "reports/2026/q1.bin", data, sha256=digest, content_type="application/x-test", size_bytes=len(data))
    assert (stored.key, stored.size_bytes, stored.sha256, stored.backend) == (
        "reports/2026/q1.bin", len(data), digest, "local",
    )  # fmt: skip
    assert stored.content_type == "application/x-test"
    head, body = get(d, "reports/2026/q1.bin")
    assert body == data and head.sha256 == digest
    for key in ("reports/2026/q2.bin", "reports/2025/a.txt", "other/x"):
        put(d, key, key.encode())
    replaced = put(d, "reports/2025/a.txt", b"new text", content_type="text/plain")
    assert replaced.size_bytes == 8 and get(d, "reports/2025/a.txt")[1] == b"new text"

    with d.channel() as channel:
        stub, auth = _stub(channel), bearer(d.token)
        keys, token = [], ""
        while True:
            page = stub.ListObjects(
                storage_pb2.ListObjectsRequest(prefix="reports/", page_size=2, page_token=token), metadata=auth
            )
            keys += [o.key for o in page.objects]
            token = page.next_page_token
            if not token:
                break
        assert keys == ["reports/2025/a.txt", "reports/2026/q1.bin", "reports/2026/q2.bin"]
        usage = stub.GetStorageUsage(storage_pb2.GetStorageUsageRequest(), metadata=auth)
        assert (usage.object_count, usage.used_bytes) == (4, len(data) + len("reports/2026/q2.bin") + 8 + 7)
        assert (usage.quota_bytes, usage.max_object_bytes) == (QUOTA, MAX_OBJECT)

        stub.DeleteObject(storage_pb2.DeleteObjectRequest(key="reports/2026/q1.bin"), metadata=auth)
        gone = refused(stub.HeadObject, storage_pb2.HeadObjectRequest(key="reports/2026/q1.bin"), d.token)
        assert gone.code() is grpc.StatusCode.NOT_FOUND
        again = refused(stub.DeleteObject, storage_pb2.DeleteObjectRequest(key="reports/2026/q1.bin"), d.token)
        assert again.code() is grpc.StatusCode.NOT_FOUND
        assert stub.GetStorageUsage(storage_pb2.GetStorageUsageRequest(), metadata=auth).object_count == 3
    blobs = [p for p in (d.data_dir / "objects").rglob("*") if p.is_file()]
    assert len(blobs) == 3  # the replaced and the deleted objects' bytes are gone too


def test_bad_keys_checksums_sizes_and_quota_are_refused_with_nothing_stored(storage_daemon: Daemon) -> None:
    d = storage_daemon
    for key, why in (("a/../b", "'..'"), ("a\x00b", "NUL"), ("k" * 1025, "1024 bytes"), ("", "required")):
        with pytest.raises(grpc.RpcError) as caught:
            put(d, key, b"x")
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT and why in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        put(d, "sum", b"abc", sha256=hashlib.sha256(b"abd").hexdigest())
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "SHA-256" in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        put(d, "big", os.urandom(MAX_OBJECT + 1))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT and "size limit" in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        put(d, "declared", b"", size_bytes=MAX_OBJECT + 1)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with d.channel() as channel:
        headless = refused(_stub(channel).PutObject, iter([storage_pb2.PutObjectRequest(chunk=b"x")]), d.token)
    assert headless.code() is grpc.StatusCode.INVALID_ARGUMENT and "header" in headless.details()

    put(d, "fill/1", os.urandom(MAX_OBJECT))
    put(d, "fill/2", os.urandom(MAX_OBJECT))
    with pytest.raises(grpc.RpcError) as caught:
        put(d, "fill/3", os.urandom(MAX_OBJECT))
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED and "quota" in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        put(d, "fill/3", b"", size_bytes=MAX_OBJECT)  # refused before any byte is sent
    assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    put(d, "fill/2", b"smaller")  # replacing an object frees its old size first
    with d.channel() as channel:
        listed = _stub(channel).ListObjects(storage_pb2.ListObjectsRequest(), metadata=bearer(d.token))
    assert [o.key for o in listed.objects] == ["fill/1", "fill/2"]
    assert not any((d.data_dir / "objects" / ".incoming").iterdir())


def test_another_orgs_object_reads_as_missing_and_members_keep_their_own(storage_daemon: Daemon) -> None:
    d = storage_daemon
    put(d, "secret/plan.txt", b"admin's plan")
    outsider = _user_token(d, "acme")
    member = _user_token(d, None)
    with d.channel() as channel:
        stub = _stub(channel)
        for call, request in (
            (stub.HeadObject, storage_pb2.HeadObjectRequest(key="secret/plan.txt")),
            (stub.GetObject, storage_pb2.GetObjectRequest(key="secret/plan.txt")),
            (stub.DeleteObject, storage_pb2.DeleteObjectRequest(key="secret/plan.txt")),
            (stub.SignUrl, storage_pb2.SignUrlRequest(key="secret/plan.txt", method=storage_pb2.SIGNED_URL_METHOD_GET)),
        ):
            error = refused(call, request, outsider)
            assert error.code() is grpc.StatusCode.NOT_FOUND, (call, error.details())
            assert error.details() == "no object with key 'secret/plan.txt'"
        assert not stub.ListObjects(storage_pb2.ListObjectsRequest(), metadata=bearer(outsider)).objects
        put(d, "secret/plan.txt", b"acme's own", token=outsider)  # same key, another org: its own object
        assert get(d, "secret/plan.txt")[1] == b"admin's plan"

        # a member of the same org reads the org's objects but may not replace or delete another's
        assert get(d, "secret/plan.txt", token=member)[1] == b"admin's plan"
        denied = refused(stub.DeleteObject, storage_pb2.DeleteObjectRequest(key="secret/plan.txt"), member)
        assert denied.code() is grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as caught:
            put(d, "secret/plan.txt", b"overwrite", token=member)
        assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED


def _sign(
    daemon: Daemon, key: str, method: int, seconds: int = 600, content_type: str = ""
) -> storage_pb2.SignUrlResponse:
    with daemon.channel() as channel:
        return _stub(channel).SignUrl(
            storage_pb2.SignUrlRequest(
                key=key, method=method, expires_in=duration_pb2.Duration(seconds=seconds), content_type=content_type
            ),
            metadata=bearer(daemon.token),
            timeout=10,
        )


def test_signed_urls_on_the_http_listener_grant_one_method_on_one_key_until_they_expire(
    storage_daemon: Daemon,
) -> None:
    d = storage_daemon
    data = os.urandom(70_000)
    put(d, "share/a.bin", data, content_type="application/x-a")
    put(d, "share/b.bin", b"bbb")
    signed = _sign(d, "share/a.bin", storage_pb2.SIGNED_URL_METHOD_GET)
    assert signed.method == "GET" and signed.url.startswith("http://127.0.0.1:")
    with httpx.Client(timeout=10) as http:
        fetched = http.get(signed.url)
        assert fetched.status_code == 200 and fetched.content == data
        assert fetched.headers["content-type"] == "application/x-a"
        assert http.get(signed.url.replace("share/a.bin", "share/b.bin")).status_code == 403  # another key
        assert http.put(signed.url, content=b"x").status_code == 403  # another method
        tampered = signed.url.replace("expires=", "expires=9")
        assert http.get(tampered).status_code == 403
        assert http.get(signed.url[:-1] + ("0" if signed.url[-1] != "0" else "1")).status_code == 403

        upload = _sign(d, "share/up.txt", storage_pb2.SIGNED_URL_METHOD_PUT, content_type="text/plain")
        assert dict(upload.headers) == {"Content-Type": "text/plain"}
        assert http.put(upload.url, content=b"via url", headers={"Content-Type": "text/html"}).status_code == 403
        response = http.put(upload.url, content=b"via url", headers=dict(upload.headers))
        assert response.status_code == 200, response.text
        assert response.json()["sha256"] == hashlib.sha256(b"via url").hexdigest()
        head, body = get(d, "share/up.txt")
        assert body == b"via url" and head.content_type == "text/plain"

        short = _sign(d, "share/b.bin", storage_pb2.SIGNED_URL_METHOD_GET, seconds=1)
        time.sleep(2.1)
        assert http.get(short.url).status_code == 403  # expired
    with d.channel() as channel:
        too_long = refused(
            _stub(channel).SignUrl,
            storage_pb2.SignUrlRequest(
                key="share/a.bin", method=storage_pb2.SIGNED_URL_METHOD_GET,
                expires_in=duration_pb2.Duration(seconds=8 * 24 * 3600),
            ),
            d.token,
        )  # fmt: skip
        assert too_long.code() is grpc.StatusCode.INVALID_ARGUMENT and "7 days" in too_long.details()


def test_the_s3_backend_stores_in_the_bucket_and_signs_native_urls(pg16_fresh_dsn: str) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    creds = {"aws_access_key_id": "test-key-id", "aws_secret_access_key": "test-secret-never-logged"}
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **creds)
    s3.create_bucket(Bucket="auralink-objects")
    daemon = _start(
        pg16_fresh_dsn,
        storage_backend="s3",
        storage_s3_endpoint_url=endpoint,
        storage_s3_bucket="auralink-objects",
        storage_s3_access_key_id=creds["aws_access_key_id"],
        storage_s3_secret_access_key=creds["aws_secret_access_key"],
    )
    try:
        data = os.urandom(300_000)
        stored = put(daemon, "audio/hello.wav", data, content_type="audio/wav")
        assert stored.backend == "s3" and stored.sha256 == hashlib.sha256(data).hexdigest()
        blobs = s3.list_objects_v2(Bucket="auralink-objects")["Contents"]
        assert [b["Size"] for b in blobs] == [len(data)]
        assert get(daemon, "audio/hello.wav")[1] == data
        signed = _sign(daemon, "audio/hello.wav", storage_pb2.SIGNED_URL_METHOD_GET)
        assert "X-Amz-Signature=" in signed.url
        assert httpx.get(signed.url, timeout=10).content == data
        with daemon.channel() as channel:
            no_listener = refused(
                _stub(channel).SignUrl,
                storage_pb2.SignUrlRequest(key="audio/new.wav", method=storage_pb2.SIGNED_URL_METHOD_PUT),
                daemon.token,
            )
            assert no_listener.code() is grpc.StatusCode.FAILED_PRECONDITION
            assert "AURALINK_HTTP_ADDRESS" in no_listener.details()
            _stub(channel).DeleteObject(
                storage_pb2.DeleteObjectRequest(key="audio/hello.wav"), metadata=bearer(daemon.token)
            )
        assert "Contents" not in s3.list_objects_v2(Bucket="auralink-objects")
        assert "test-secret-never-logged" not in daemon.logs()
    finally:
        _stop(daemon)
        moto.stop()


def test_a_daemon_killed_mid_upload_leaves_no_partial_object(pg16_fresh_dsn: str) -> None:
    daemon = _start(pg16_fresh_dsn)
    try:
        sent = []

        def slow_upload() -> Iterator[storage_pb2.PutObjectRequest]:
            yield storage_pb2.PutObjectRequest(header=storage_pb2.PutObjectHeader(key="half.bin"))
            for _ in range(4):
                sent.append(1)
                yield storage_pb2.PutObjectRequest(chunk=os.urandom(65536))
            assert daemon.proc is not None
            daemon.proc.send_signal(signal.SIGKILL)
            daemon.proc.wait(10)
            yield storage_pb2.PutObjectRequest(chunk=b"never")

        with daemon.channel() as channel, pytest.raises(grpc.RpcError):
            _stub(channel).PutObject(slow_upload(), metadata=bearer(daemon.token), timeout=30)
        assert len(sent) == 4
        incoming = daemon.data_dir / "objects" / ".incoming"
        daemon.start()
        with daemon.channel() as channel:
            missing = refused(_stub(channel).HeadObject, storage_pb2.HeadObjectRequest(key="half.bin"), daemon.token)
        assert missing.code() is grpc.StatusCode.NOT_FOUND
        assert not any(incoming.iterdir())  # the temporary file is gone, and no object file was ever placed
        assert not [p for p in (daemon.data_dir / "objects").rglob("*") if p.is_file()]
    finally:
        _stop(daemon)
