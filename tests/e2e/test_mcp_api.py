"""MCPService against a running daemon and real MCP servers: no mocks of MCP.

Peers: `mcp-server-time` and `mcp-server-git` from PyPI over stdio, the SDK's FastMCP (tests/fakes/
mcp_servers.py) over stdio for the faults (a server that exits or hangs mid-call), and the same tools over
streamable HTTP on loopback. One daemon serves the whole module (sessions are kept alive between tests).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import grpc
import pytest
from google.protobuf import field_mask_pb2, json_format, struct_pb2
from google.rpc import error_details_pb2, status_pb2

from auralink.v1 import access_pb2, access_pb2_grpc, mcp_pb2, mcp_pb2_grpc, providers_pb2, providers_pb2_grpc
from auralinkd.access.tokens import TokenService
from tests.conftest import MigratedTemplates
from tests.e2e.mcp_support import FAKES, GIT, TIME, mcp_daemon_on
from tests.fakes.mcp_servers import HttpServer
from tests.support import Daemon, EmbeddedServer, bearer, free_port

pytestmark = pytest.mark.timeout(240)

SECRET = "Bearer hdr-secret-9f8e7d"


@pytest.fixture(scope="module")
def http_server() -> Iterator[HttpServer]:
    with HttpServer(free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def mcp_daemon(
    pg16_server: EmbeddedServer, migrated_templates: MigratedTemplates, http_server: HttpServer
) -> Iterator[Daemon]:
    with mcp_daemon_on(pg16_server, migrated_templates, http_server.port) as daemon:
        yield daemon


def stub(channel: grpc.Channel) -> mcp_pb2_grpc.MCPServiceStub:
    return mcp_pb2_grpc.MCPServiceStub(channel)


def create(daemon: Daemon, token: str | None = None, **fields: object) -> mcp_pb2.MCPConnection:
    with daemon.channel() as channel:
        return stub(channel).CreateConnection(
            mcp_pb2.CreateConnectionRequest(connection=mcp_pb2.MCPConnection(**fields)),
            metadata=bearer(token or daemon.token),
            timeout=20,
        )


def call(
    daemon: Daemon, connection: str, tool: str, arguments: dict, timeout: float = 60, token: str | None = None
) -> mcp_pb2.CallToolResponse:  # type: ignore[type-arg]
    args = struct_pb2.Struct()
    args.update(arguments)
    with daemon.channel() as channel:
        return stub(channel).CallTool(
            mcp_pb2.CallToolRequest(connection=connection, tool=tool, arguments=args),
            metadata=bearer(token or daemon.token),
            timeout=timeout,
        )


def refused(work) -> grpc.RpcError:  # noqa: ANN001 - a zero-argument callable
    with pytest.raises(grpc.RpcError) as caught:
        work()
    return caught.value


def violations(error: grpc.RpcError) -> list[str]:
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    fields: list[str] = []
    for detail in status_pb2.Status.FromString(raw).details if raw else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return fields


def sql(daemon: Daemon, query: str, *args: object) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(daemon.env["AURALINK_DATABASE_URL"])
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def fakes(daemon: Daemon, name: str) -> mcp_pb2.MCPConnection:
    return create(daemon, name=name, transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=sys.executable, args=[FAKES])


def test_time_server_over_stdio_lists_its_tools_and_converts_a_time(mcp_daemon: Daemon) -> None:
    created = create(
        mcp_daemon, name="time", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=TIME,
        args=["--local-timezone", "UTC"], env={"TZ_HINT": "not-a-secret-but-sealed"},
    )  # fmt: skip
    assert created.state == mcp_pb2.MCP_CONNECTION_STATE_IDLE  # lazy: nothing started yet
    assert list(created.env_names) == ["TZ_HINT"] and not created.env

    with mcp_daemon.channel() as channel:
        tools = stub(channel).ListTools(mcp_pb2.ListToolsRequest(connection="time"), metadata=bearer(mcp_daemon.token))
    by_name = {t.name: t for t in tools.tools}
    assert {"get_current_time", "convert_time"} <= set(by_name)
    schema = json_format.MessageToDict(by_name["convert_time"].input_schema)
    assert set(schema["required"]) == {"source_timezone", "time", "target_timezone"}

    result = call(
        mcp_daemon, "time", "convert_time",
        {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Kolkata"},
    )  # fmt: skip
    assert not result.is_error
    converted = json.loads(result.content[0].text)
    assert converted["target"]["timezone"] == "Asia/Kolkata" and "T17:30:00" in converted["target"]["datetime"]

    with mcp_daemon.channel() as channel:
        shown = stub(channel).GetConnection(
            mcp_pb2.GetConnectionRequest(connection=created.id), metadata=bearer(mcp_daemon.token)
        )
    assert shown.state == mcp_pb2.MCP_CONNECTION_STATE_CONNECTED and shown.server_name == "mcp-time"
    assert shown.tool_count >= 2

    # The audit row of an answered call is written just after the reply (write-behind): it appears at once.
    for _ in range(50):
        rows = sql(
            mcp_daemon,
            "SELECT outcome, metadata::text AS m FROM audit_logs WHERE action = 'MCPService/CallTool' "
            "AND resource_id = $1",
            f"{created.id}/convert_time",
        )
        if rows:
            break
        time.sleep(0.1)
    assert rows and rows[-1]["outcome"] == "success"
    metadata = json.loads(rows[-1]["m"])
    assert metadata["arguments"].startswith("sha256:") and "duration_ms" in metadata
    assert "Asia/Kolkata" not in rows[-1]["m"]  # arguments only as a hash
    stored = sql(mcp_daemon, "SELECT encrypted_credentials FROM mcp_connections WHERE id = $1::uuid", created.id)
    assert stored[0]["encrypted_credentials"] and b"not-a-secret" not in stored[0]["encrypted_credentials"]


def test_kek_rotation_rewraps_connection_secrets_and_the_server_still_gets_them(mcp_daemon: Daemon) -> None:
    created = create(
        mcp_daemon, name="fakes-kek", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=sys.executable,
        args=[FAKES], env={"FAKES_TOKEN": "sealed-before-rotation"},
    )  # fmt: skip
    assert call(mcp_daemon, "fakes-kek", "env_value", {"variable": "FAKES_TOKEN"}).content[0].text == (
        "sealed-before-rotation"
    )
    before = sql(mcp_daemon, "SELECT kek_id, wrapped_data_key FROM mcp_connections WHERE id = $1::uuid", created.id)

    with mcp_daemon.channel() as channel:
        rotated = providers_pb2_grpc.AIProviderServiceStub(channel).RotateKeyEncryptionKey(
            providers_pb2.RotateKeyEncryptionKeyRequest(), metadata=bearer(mcp_daemon.token), timeout=30
        )
        # The session starts again from the stored row: the env is unsealed under the new key.
        stub(channel).TestConnection(
            mcp_pb2.TestConnectionRequest(connection="fakes-kek"), metadata=bearer(mcp_daemon.token), timeout=30
        )
    after = sql(mcp_daemon, "SELECT kek_id, wrapped_data_key FROM mcp_connections WHERE id = $1::uuid", created.id)
    assert before[0]["kek_id"] == rotated.previous_kek_id != rotated.kek_id == after[0]["kek_id"]
    assert after[0]["wrapped_data_key"] != before[0]["wrapped_data_key"]
    assert call(mcp_daemon, "fakes-kek", "env_value", {"variable": "FAKES_TOKEN"}).content[0].text == (
        "sealed-before-rotation"
    )


def test_schema_invalid_arguments_are_invalid_argument_naming_the_field(mcp_daemon: Daemon) -> None:
    missing = refused(lambda: call(mcp_daemon, "time", "convert_time", {"source_timezone": "UTC", "time": "12:00"}))
    assert missing.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(missing) == ["arguments.target_timezone"]
    fakes(mcp_daemon, "fakes-schema")
    wrong_type = refused(lambda: call(mcp_daemon, "fakes-schema", "add", {"a": "one", "b": 2}))
    assert wrong_type.code() == grpc.StatusCode.INVALID_ARGUMENT and violations(wrong_type) == ["arguments.a"]
    assert call(mcp_daemon, "fakes-schema", "add", {"a": 40, "b": 2}).content[0].text == "42"


def test_unknown_connection_and_unknown_tool_are_not_found(mcp_daemon: Daemon) -> None:
    assert refused(lambda: call(mcp_daemon, "no-such-connection", "x", {})).code() == grpc.StatusCode.NOT_FOUND
    create(mcp_daemon, name="time-2", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=TIME)
    unknown = refused(lambda: call(mcp_daemon, "time-2", "no_such_tool", {}))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND and "no_such_tool" in unknown.details()


def test_a_command_off_the_allow_list_is_permission_denied(mcp_daemon: Daemon) -> None:
    error = refused(lambda: create(mcp_daemon, name="shell", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command="/bin/sh"))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "allow-list" in error.details()


def test_a_loopback_url_off_the_allow_list_is_permission_denied(mcp_daemon: Daemon, http_server: HttpServer) -> None:
    for url in (f"http://127.0.0.1:{http_server.port + 1}/mcp", "http://localhost:9/mcp", "http://10.1.2.3/mcp"):
        error = refused(
            lambda url=url: create(mcp_daemon, name="ssrf", transport=mcp_pb2.MCP_TRANSPORT_STREAMABLE_HTTP, url=url)
        )
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, url
    bad = refused(
        lambda: create(mcp_daemon, name="bad", transport=mcp_pb2.MCP_TRANSPORT_STREAMABLE_HTTP, url="ftp://x")
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and violations(bad) == ["url"]


def test_a_server_exiting_mid_call_is_unavailable_and_the_connection_restarts(mcp_daemon: Daemon) -> None:
    fakes(mcp_daemon, "fakes-exit")
    assert call(mcp_daemon, "fakes-exit", "add", {"a": 1, "b": 1}).content[0].text == "2"
    error = refused(lambda: call(mcp_daemon, "fakes-exit", "exit_now", {}))
    assert error.code() == grpc.StatusCode.UNAVAILABLE and "exited" in error.details()
    assert call(mcp_daemon, "fakes-exit", "add", {"a": 2, "b": 3}).content[0].text == "5"  # restarted


def test_a_hanging_server_is_deadline_exceeded_and_the_daemon_stays_responsive(mcp_daemon: Daemon) -> None:
    fakes(mcp_daemon, "fakes-hang")
    call(mcp_daemon, "fakes-hang", "add", {"a": 0, "b": 0})  # started
    started = time.monotonic()
    error = refused(lambda: call(mcp_daemon, "fakes-hang", "hang", {}, timeout=1.5))
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 5
    started = time.monotonic()
    assert call(mcp_daemon, "fakes-hang", "add", {"a": 1, "b": 2}, timeout=10).content[0].text == "3"
    assert time.monotonic() - started < 5
    assert mcp_daemon.health() == "SERVING"


def test_a_tool_error_is_a_result_not_an_rpc_error(mcp_daemon: Daemon) -> None:
    fakes(mcp_daemon, "fakes-error")
    result = call(mcp_daemon, "fakes-error", "fail", {"message": "the printer is on fire"})
    assert result.is_error and "the printer is on fire" in result.content[0].text


def test_git_server_reports_the_status_of_a_temporary_repository(mcp_daemon: Daemon, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "hello.txt").write_text("hi\n")
    create(mcp_daemon, name="git", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=GIT, args=["--repository", str(repo)])
    result = call(mcp_daemon, "git", "git_status", {"repo_path": str(repo)})
    assert not result.is_error and "hello.txt" in result.content[0].text


def test_streamable_http_with_a_sealed_header_refreshes_tools_on_list_changed(
    mcp_daemon: Daemon, http_server: HttpServer
) -> None:
    created = create(
        mcp_daemon, name="http", transport=mcp_pb2.MCP_TRANSPORT_STREAMABLE_HTTP, url=http_server.url,
        headers={"Authorization": SECRET},
    )  # fmt: skip
    assert list(created.header_names) == ["Authorization"] and SECRET not in str(created)
    stored = sql(
        mcp_daemon, "SELECT encrypted_credentials, settings::text AS s FROM mcp_connections WHERE name = 'http'"
    )
    assert SECRET.encode() not in stored[0]["encrypted_credentials"] and SECRET not in stored[0]["s"]

    with mcp_daemon.channel() as channel:
        before = stub(channel).ListTools(mcp_pb2.ListToolsRequest(connection="http"), metadata=bearer(mcp_daemon.token))
    assert "late_tool" not in {t.name for t in before.tools}
    assert call(mcp_daemon, "http", "grow", {"tool_name": "late_tool"}).content[0].text == "grown"
    assert call(mcp_daemon, "http", "late_tool", {}).content[0].text == "I am late_tool"

    picture = call(mcp_daemon, "http", "picture", {})
    assert picture.content[0].image.mime_type == "image/png" and picture.content[0].image.data.startswith(b"\x89PNG")
    assert picture.content[1].resource.uri == "file:///notes.txt" and picture.content[1].resource.text == "a note"

    with mcp_daemon.channel() as channel:
        everything = stub(channel).ListTools(mcp_pb2.ListToolsRequest(), metadata=bearer(mcp_daemon.token))
        tested = stub(channel).TestConnection(
            mcp_pb2.TestConnectionRequest(connection="http"), metadata=bearer(mcp_daemon.token), timeout=30
        )
    assert ("http", "late_tool") in {(t.connection_name, t.name) for t in everything.tools}
    assert tested.connection.state == mcp_pb2.MCP_CONNECTION_STATE_CONNECTED and tested.tools
    assert "hdr-secret" not in mcp_daemon.logs()  # sent on every request above, never logged


def test_update_changes_the_connection_and_restarts_its_session(mcp_daemon: Daemon) -> None:
    fakes(mcp_daemon, "fakes-update")
    call(mcp_daemon, "fakes-update", "add", {"a": 1, "b": 1})
    with mcp_daemon.channel() as channel:
        current = stub(channel).GetConnection(
            mcp_pb2.GetConnectionRequest(connection="fakes-update"), metadata=bearer(mcp_daemon.token)
        )
        updated = stub(channel).UpdateConnection(
            mcp_pb2.UpdateConnectionRequest(
                connection=mcp_pb2.MCPConnection(id=current.id, name="fakes-renamed", etag=current.etag),
                update_mask=field_mask_pb2.FieldMask(paths=["name"]),
            ),
            metadata=bearer(mcp_daemon.token),
        )
        assert updated.name == "fakes-renamed" and updated.state == mcp_pb2.MCP_CONNECTION_STATE_IDLE
        stale = refused(
            lambda: stub(channel).UpdateConnection(
                mcp_pb2.UpdateConnectionRequest(
                    connection=mcp_pb2.MCPConnection(id=current.id, description="x", etag=current.etag),
                    update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                ),
                metadata=bearer(mcp_daemon.token),
            )
        )
        assert stale.code() == grpc.StatusCode.ABORTED
        stub(channel).DeleteConnection(
            mcp_pb2.DeleteConnectionRequest(connection="fakes-renamed"), metadata=bearer(mcp_daemon.token)
        )
        gone = refused(
            lambda: stub(channel).DeleteConnection(
                mcp_pb2.DeleteConnectionRequest(connection="fakes-renamed"), metadata=bearer(mcp_daemon.token)
            )
        )
    assert gone.code() == grpc.StatusCode.NOT_FOUND


def test_another_orgs_connection_reads_as_not_found(mcp_daemon: Daemon) -> None:
    token = other_org_admin_token(mcp_daemon)
    mine = create(mcp_daemon, name="time-org", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=TIME)
    with mcp_daemon.channel() as channel:
        for ref in ("time-org", mine.id):
            error = refused(
                lambda ref=ref: stub(channel).GetConnection(
                    mcp_pb2.GetConnectionRequest(connection=ref), metadata=bearer(token)
                )
            )
            assert error.code() == grpc.StatusCode.NOT_FOUND
        listed = stub(channel).ListConnections(mcp_pb2.ListConnectionsRequest(), metadata=bearer(token))
    assert list(listed.connections) == []
    assert refused(lambda: call(mcp_daemon, mine.id, "get_current_time", {}, token=token)).code() == (
        grpc.StatusCode.NOT_FOUND
    )
    # An org admin may add HTTP connections, but stdio ones start processes: platform admins only.
    stdio = refused(lambda: create(mcp_daemon, token, name="t", transport=mcp_pb2.MCP_TRANSPORT_STDIO, command=TIME))
    assert stdio.code() == grpc.StatusCode.PERMISSION_DENIED


def other_org_admin_token(daemon: Daemon) -> str:
    with daemon.channel() as channel:
        auth = bearer(daemon.token)
        orgs = access_pb2_grpc.OrganizationServiceStub(channel)
        users = access_pb2_grpc.UserServiceStub(channel)
        orgs.CreateOrganization(access_pb2.CreateOrganizationRequest(name="Other", slug="other"), metadata=auth)
        user = users.CreateUser(
            access_pb2.CreateUserRequest(
                user=access_pb2.User(email="o@other.example", username="oadmin", base_role=access_pb2.BASE_ROLE_ADMIN),
                organization="other",
            ),
            metadata=auth,
        )
    # Tokens are issued in the issuer's org; the other org's admin gets one signed as the daemon would.
    tokens = TokenService((daemon.data_dir / "jwt.secret").read_text().strip().encode())
    token, _ = tokens.issue(uuid.UUID(user.id), uuid.UUID(user.organization_id), None, ttl_s=600)
    return token
