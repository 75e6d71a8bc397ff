"""Who may start or reach what: the stdio command allow-list and the HTTP address check (SSRF).

A stdio connection starts a process on the daemon's host, so its command must be on the operator's
allow-list (`AURALINK_MCP_STDIO_COMMANDS`). An HTTP connection may not reach the daemon's own network
(loopback, private, link-local, reserved addresses) unless the operator allow-lists that host
(`AURALINK_MCP_HTTP_ALLOW`: hosts, host:port pairs or CIDR blocks).

The check runs twice: when a connection is created or started (a clear PERMISSION_DENIED), and again on
every TCP connect (`checked_transport`): the session's HTTP client resolves the host itself, checks each
address and connects to the checked address, so a name that resolved to a public address at the first
check and to an internal one later (DNS rebinding) cannot reach the daemon's network.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auralinkd.errors import InvalidArgument, PermissionDenied

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def split_list(text: str) -> tuple[str, ...]:
    """A comma-separated setting as a tuple of non-empty, stripped entries."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class StdioPolicy:
    """The commands a stdio connection may run: names (looked up on PATH) or absolute paths."""

    commands: tuple[str, ...]

    def check(self, command: str) -> str:
        """The executable to start for `command`; PERMISSION_DENIED unless it is allow-listed."""
        if not command.strip():
            raise InvalidArgument.for_field("command", "a stdio connection needs a command")
        if command not in self.commands:
            allowed = ", ".join(self.commands) or "none: AURALINK_MCP_STDIO_COMMANDS is empty"
            raise PermissionDenied(f"command {command!r} is not on the daemon's stdio allow-list ({allowed})")
        if Path(command).is_absolute():
            return command
        found = shutil.which(command)
        return found or command  # not installed: starting it fails, and the connection says so


@dataclass(frozen=True)
class HttpPolicy:
    """Loopback and private destinations that HTTP connections may reach anyway."""

    allow: tuple[str, ...]
    resolver: Callable[[str, int], list[Address]] = field(default=lambda host, port: resolve(host, port))

    def check(self, url: str) -> None:
        """INVALID_ARGUMENT for a malformed URL; PERMISSION_DENIED for an internal address not allow-listed."""
        host, port = parse_url(url)
        self.addresses(host, port)

    def addresses(self, host: str, port: int) -> list[Address]:
        """The addresses `host` resolves to now, each checked; PERMISSION_DENIED when one is internal and not
        allow-listed. Empty when the name does not resolve."""
        found = self.resolver(host, port)
        if self._listed(host, port, None):
            return found
        for address in found:
            if is_internal(address) and not self._listed(host, port, address):
                raise PermissionDenied(
                    f"{host} resolves to the internal address {address}: an operator must allow it "
                    "(AURALINK_MCP_HTTP_ALLOW)"
                )
        return found

    def _listed(self, host: str, port: int, address: Address | None) -> bool:
        for entry in self.allow:
            if entry in (host, f"{host}:{port}"):
                return True
            if address is not None and "/" in entry:
                try:
                    if address in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
        return False


def parse_url(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidArgument.for_field("url", f"not a valid URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument.for_field("url", f"must be an http:// or https:// URL with a host, got {url!r}")
    if parts.username or parts.password:
        raise InvalidArgument.for_field("url", "must not carry credentials; put them in a header")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []  # unresolvable now: nothing internal to refuse; connecting fails and says so
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def is_internal(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def checked_transport(policy: HttpPolicy) -> Any:
    """An httpx transport whose every TCP connect resolves the host, checks the addresses with `policy` and
    connects to a checked address (TLS still verifies the URL's host name). A refused address fails the
    connect (httpx.ConnectError naming it); nothing is sent."""
    import anyio
    import httpcore
    import httpx

    class CheckedBackend(httpcore.AsyncNetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore.AsyncNetworkStream:
            try:
                addresses = await anyio.to_thread.run_sync(policy.addresses, host, port)
            except PermissionDenied as exc:
                raise httpcore.ConnectError(f"refused at connect time: {exc.message}") from None
            if not addresses:
                raise httpcore.ConnectError(f"{host} does not resolve")
            last: Exception | None = None
            for address in addresses:
                try:
                    return await self._inner.connect_tcp(
                        str(address), port, timeout=timeout, local_address=local_address,
                        socket_options=socket_options,
                    )  # fmt: skip
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    last = exc
            assert last is not None
            raise last

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    class CheckedTransport(httpx.AsyncHTTPTransport):
        def __init__(self) -> None:
            super().__init__(trust_env=False)  # no proxy from the environment: the daemon connects itself
            self._pool = httpcore.AsyncConnectionPool(
                ssl_context=httpx.create_ssl_context(trust_env=False),
                max_connections=100,  # httpx's default limits
                max_keepalive_connections=20,
                keepalive_expiry=5.0,
                network_backend=CheckedBackend(),
            )

    return CheckedTransport()
