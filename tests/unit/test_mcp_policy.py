"""MCP rules without a daemon: the SSRF check, the stdio allow-list, and argument validation's field names."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from pathlib import Path

import pytest

from auralinkd.errors import InvalidArgument, PermissionDenied
from auralinkd.mcp.policy import HttpPolicy, StdioPolicy, split_list
from auralinkd.mcp.service import arguments_hash, validate_arguments

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city"],
}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/mcp",
        "http://localhost/mcp",
        "http://[::1]/mcp",
        "http://[::ffff:10.0.0.1]/mcp",
        "http://169.254.169.254/latest",
        "https://192.168.1.10/mcp",
        "http://0.0.0.0/mcp",
    ],
)
def test_internal_addresses_are_refused_unless_allow_listed(url: str) -> None:
    with pytest.raises(PermissionDenied):
        HttpPolicy(()).check(url)


def test_allow_list_entries_by_host_port_and_cidr() -> None:
    HttpPolicy(("127.0.0.1:8080",)).check("http://127.0.0.1:8080/mcp")
    HttpPolicy(("10.0.0.0/8",)).check("http://10.2.3.4/mcp")
    with pytest.raises(PermissionDenied):
        HttpPolicy(("127.0.0.1:8080",)).check("http://127.0.0.1:8081/mcp")  # another port
    HttpPolicy(()).check("https://93.184.215.14/mcp")  # a public address needs no entry


@pytest.mark.parametrize("url", ["ftp://host/x", "http:///nohost", "http://user:pw@example.com/mcp", "not a url"])
def test_malformed_urls_are_invalid_argument_on_the_url_field(url: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        HttpPolicy(()).check(url)
    assert [v.field for v in caught.value.violations] == ["url"]


def test_stdio_commands_must_be_listed_exactly() -> None:
    policy = StdioPolicy(split_list(" /usr/bin/true , mcp-server-time,"))
    assert policy.check("/usr/bin/true") == "/usr/bin/true"
    with pytest.raises(PermissionDenied):
        policy.check("/usr/bin/true2")
    with pytest.raises(PermissionDenied):
        StdioPolicy(()).check("mcp-server-time")


def test_argument_violations_name_the_field() -> None:
    validate_arguments(SCHEMA, {"city": "Lisbon", "days": 2})
    with pytest.raises(InvalidArgument) as missing:
        validate_arguments(SCHEMA, {"days": 2})
    assert [v.field for v in missing.value.violations] == ["arguments.city"]
    with pytest.raises(InvalidArgument) as wrong:
        validate_arguments(SCHEMA, {"city": "Lisbon", "days": 0})
    assert [v.field for v in wrong.value.violations] == ["arguments.days"]
    validate_arguments({"type": "not-a-type"}, {"x": 1})  # a server's broken schema: the server decides


def test_the_audit_keeps_only_a_stable_hash_of_the_arguments() -> None:
    assert arguments_hash({"a": 1, "b": "x"}) == arguments_hash({"b": "x", "a": 1})
    assert arguments_hash({"secret": "hunter2"}).startswith("sha256:") and "hunter2" not in arguments_hash(
        {"secret": "hunter2"}
    )


class _Rebinding:
    """A name server stand-in for DNS rebinding: the first answer is public, every later one is loopback."""

    def __init__(self) -> None:
        self.answers = 0

    def __call__(self, host: str, port: int) -> list:
        self.answers += 1
        return [ipaddress.ip_address("93.184.215.14" if self.answers == 1 else "127.0.0.1")]


async def _loopback_server() -> tuple[asyncio.AbstractServer, int, list[bytes]]:
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read(1024))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], received


async def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect_time() -> None:
    import httpx

    from auralinkd.mcp.policy import checked_transport

    server, port, received = await _loopback_server()
    url = f"http://rebind.example:{port}/mcp"
    policy = HttpPolicy((), resolver=_Rebinding())
    try:
        policy.check(url)  # the first answer is public: the connection is accepted
        async with httpx.AsyncClient(transport=checked_transport(policy)) as client:
            with pytest.raises(httpx.ConnectError, match="refused at connect time.*127.0.0.1"):
                await client.get(url)
        assert received == []  # nothing reached the internal server
        # An allow-listed block connects, to the address that was checked (the name itself resolves nowhere).
        allowed = HttpPolicy(("127.0.0.0/8",), resolver=lambda host, port: [ipaddress.ip_address("127.0.0.1")])
        async with httpx.AsyncClient(transport=checked_transport(allowed)) as client:
            assert (await client.get(url)).text == "ok"
        assert len(received) == 1 and b"Host: rebind.example" in received[0]
    finally:
        server.close()
        await server.wait_closed()


async def test_an_http_session_connects_only_through_the_checked_transport(tmp_path: Path) -> None:
    from auralinkd.errors import Unavailable
    from auralinkd.mcp.sessions import Session, Target

    server, port, received = await _loopback_server()
    policy = HttpPolicy((), resolver=_Rebinding())
    url = f"http://rebind.example:{port}/mcp"
    policy.check(url)
    session = Session("s1", Target("streamable_http", url=url, version="1", http_policy=policy), tmp_path / "e", 0.1)
    try:
        with pytest.raises(Unavailable, match="refused at connect time"):
            await session.client(time.monotonic() + 10)
        assert received == []
    finally:
        await session.close()
        server.close()
        await server.wait_closed()
