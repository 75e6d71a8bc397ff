"""The optional HTTP listener: routes registered before start, served over real HTTP, refused after."""

from __future__ import annotations

import socket

import httpx
import pytest
from aiohttp import web

from auralinkd.http.listener import HttpListener, split_address
from tests.support import free_port


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text=f"hello {request.match_info.get('name', '')}".strip())


async def test_routes_added_before_start_are_served_and_others_are_not_found() -> None:
    listener = HttpListener(f"127.0.0.1:{free_port()}")
    listener.add_route("get", "/hello/{name}", _hello)
    listener.add_route("POST", "/echo", _echo)
    await listener.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{listener.port}", timeout=5) as client:
            assert (await client.get("/hello/ann")).text == "hello ann"
            assert (await client.post("/echo", content=b"abc")).content == b"abc"
            assert (await client.get("/nothing")).status_code == 404
            assert (await client.post("/hello/ann")).status_code == 405
    finally:
        await listener.stop()


async def _echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


async def test_a_route_added_after_start_is_refused_and_stop_is_idempotent() -> None:
    listener = HttpListener(f"127.0.0.1:{free_port()}")
    await listener.start()
    with pytest.raises(RuntimeError, match="after the HTTP listener started"):
        listener.add_route("GET", "/late", _hello)
    await listener.stop()
    await listener.stop()


def test_bad_methods_paths_and_addresses_are_refused() -> None:
    listener = HttpListener("127.0.0.1:8080")
    with pytest.raises(ValueError, match="unknown HTTP method"):
        listener.add_route("FETCH", "/x", _hello)
    with pytest.raises(ValueError, match="starts with '/'"):
        listener.add_route("GET", "x", _hello)
    with pytest.raises(ValueError, match="host:port"):
        HttpListener("localhost")
    assert split_address("[::1]:9090") == ("::1", 9090)


async def test_a_port_in_use_fails_start_with_the_address_named() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        listener = HttpListener(f"127.0.0.1:{port}")
        with pytest.raises(OSError, match=f"cannot listen for HTTP on 127.0.0.1:{port}"):
            await listener.start()
