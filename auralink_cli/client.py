"""The only place that opens a gRPC channel to auralinkd.

It resolves the address (unix socket or host:port, TLS with `tls://`), sends the token and an
`x-request-id` on every call, sets a deadline on every unary call and on streams that should end,
and turns every gRPC error into a CliError whose exit code comes from exit_codes.GRPC_EXIT_CODES.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from auralink_cli.exit_codes import PROVIDER_FAILED, UNEXPECTED, UNREACHABLE, CliError, exit_code_for
from auralink_cli.profiles import Settings, unix_socket_path

if TYPE_CHECKING:
    from auralink.v1 import system_pb2_grpc

__all__ = ["Client", "CliError", "translate_error", "bad_request_violations"]

R = TypeVar("R")
TLS_PREFIXES = ("tls://", "https://")


def grpc_target(address: str) -> tuple[str, bool]:
    """(target for grpc, use TLS) for an --address value."""
    for prefix in TLS_PREFIXES:
        if address.startswith(prefix):
            return address[len(prefix) :], True
    return address, False


def _rich_details(err: grpc.RpcError) -> list[Any]:
    """The google.rpc.Status details of a failed call (empty without grpcio-status or details)."""
    try:
        from grpc_status import rpc_status
    except ImportError:  # grpcio-status missing: the details string is all we have
        return []
    try:
        status = rpc_status.from_call(err)  # type: ignore[arg-type]
    except (ValueError, AttributeError):  # details inconsistent with the status line, or not a Call
        return []
    return list(status.details) if status is not None else []


def bad_request_violations(err: grpc.RpcError) -> list[tuple[str, str]]:
    """(field, description) pairs from a google.rpc.BadRequest in the rich status details."""
    from google.rpc import error_details_pb2

    out: list[tuple[str, str]] = []
    for detail in _rich_details(err):
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            out.extend((v.field, v.description) for v in bad_request.field_violations)
    return out


def error_reason(err: grpc.RpcError) -> str:
    """The google.rpc.ErrorInfo reason in the rich status details ("" when there is none)."""
    from google.rpc import error_details_pb2

    for detail in _rich_details(err):
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return str(info.reason)
    return ""


def translate_error(
    err: grpc.RpcError, *, address: str, request_id: str, timeout: float | None = None, has_token: bool = True
) -> CliError:
    """One readable line and the documented exit code for a failed call."""
    code = err.code() if hasattr(err, "code") else None
    name = code.name if code is not None else "UNKNOWN"
    details = (err.details() if hasattr(err, "details") else None) or name.lower().replace("_", " ")
    exit_code = exit_code_for(name)
    message = details
    server_id = _trailing(err, "x-request-id")  # set only when the daemon itself answered
    if name == "UNAVAILABLE" and error_reason(err) == "PROVIDER_FAILED":
        exit_code, message = PROVIDER_FAILED, f"provider failure (the daemon answered): {details}"
    elif name == "UNAVAILABLE" and server_id:
        message = f"the daemon at {address} is unavailable: {details}"
    elif name == "UNAVAILABLE":
        message = f"daemon unreachable at {address}: {details}"
    elif name == "DEADLINE_EXCEEDED" and timeout is not None:
        message = f"no answer from {address} within {timeout:g}s (raise --timeout?): {details}"
    elif name == "UNAUTHENTICATED" and not has_token:
        message = (
            f"{details} (no token found: pass --token, set AURALINK_TOKEN or a profile token, "
            "or run where the daemon's admin.token is readable)"
        )
    violations = bad_request_violations(err) if name in ("INVALID_ARGUMENT", "OUT_OF_RANGE") else []
    # Add only what the server's message does not already say.
    extra = [f"{f}: {d}" if f else d for f, d in violations if d not in message]
    if extra:
        message += ": " + "; ".join(extra)
    if exit_code == UNEXPECTED:
        rid = server_id or request_id
        message = f"{name}: {message}" + ("" if rid in message else f" (request id {rid})")
    return CliError(exit_code, message, code=name, request_id=server_id or request_id, violations=violations)


def _trailing(err: grpc.RpcError, key: str) -> str | None:
    try:
        for k, v in err.trailing_metadata() or ():  # type: ignore[attr-defined]
            if k == key:
                return v if isinstance(v, str) else v.decode()
    except Exception:  # not a Call (a bare RpcError): nothing to read
        return None
    return None


class Client:
    """A channel to auralinkd for one CLI invocation. Use as a context manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.address = settings.address
        self.timeout = settings.timeout
        self._channel: grpc.Channel | None = None

    # --- channel ---------------------------------------------------------------------------

    def __enter__(self) -> Client:
        self.check_socket()
        self._channel = self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def check_socket(self) -> None:
        """Fail fast, with a hint, when the unix socket is not there (daemon not running)."""
        path = unix_socket_path(self.address)
        if path is not None and not path.exists():
            raise CliError(
                UNREACHABLE,
                f"daemon unreachable: no socket at {path} (is auralinkd running? set --address or AURALINK_ADDRESS)",
            )

    def _open(self) -> grpc.Channel:
        from auralink_cli.version import client_version

        target, tls = grpc_target(self.address)
        options = [
            ("grpc.primary_user_agent", f"auralink-cli/{client_version()}"),
            # Streams have no deadline; keepalive pings find a dead daemon behind them.
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
        ]
        if not tls:
            return grpc.insecure_channel(target, options=options)
        root = Path(self.settings.ca_file).expanduser().read_bytes() if self.settings.ca_file else None
        return grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=root), options)

    @property
    def channel(self) -> grpc.Channel:
        if self._channel is None:
            raise RuntimeError("Client used outside `with`")
        return self._channel

    @property
    def system(self) -> system_pb2_grpc.SystemServiceStub:
        from auralink.v1 import system_pb2_grpc

        return system_pb2_grpc.SystemServiceStub(self.channel)

    # --- calls -----------------------------------------------------------------------------

    def metadata(self) -> tuple[list[tuple[str, str]], str]:
        request_id = uuid.uuid4().hex
        md = [("x-request-id", request_id)]
        token = self.settings.token
        if token:
            md.append(("authorization", token if token.startswith("Bearer ") else f"Bearer {token}"))
        return md, request_id

    def call(self, method: Callable[..., R], request: Any, *, timeout: float | None = None) -> R:
        """A unary call with auth, a request id and a deadline; errors become CliError."""
        md, request_id = self.metadata()
        deadline = self.timeout if timeout is None else timeout
        try:
            return method(request, metadata=md, timeout=deadline)
        except grpc.RpcError as err:
            raise self._translate(err, request_id, deadline) from None

    def stream(self, method: Callable[..., Any], request: Any, *, timeout: float | None = None) -> Iterator[Any]:
        """A server stream: connecting has the --timeout deadline; the stream itself has `timeout`.

        Streams that should end (a chat reply, a completion, a benchmark) pass the --timeout, so a
        stalled daemon gives exit 10; `--watch` streams pass None and stay open.
        """
        md, request_id = self.metadata()
        self.wait_ready()
        call = method(request, metadata=md, timeout=timeout)
        try:
            yield from call
        except grpc.RpcError as err:
            raise self._translate(err, request_id, timeout) from None
        finally:
            call.cancel()

    def wait_ready(self) -> None:
        try:
            grpc.channel_ready_future(self.channel).result(timeout=self.timeout)
        except grpc.FutureTimeoutError:
            raise CliError(
                UNREACHABLE, f"daemon unreachable at {self.address}: not connected within {self.timeout:g}s"
            ) from None

    def health(self, service: str = "") -> str:
        """grpc.health.v1 Check: "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN" or "UNKNOWN"."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        stub = health_pb2_grpc.HealthStub(self.channel)
        resp = self.call(stub.Check, health_pb2.HealthCheckRequest(service=service))
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)

    def _translate(self, err: grpc.RpcError, request_id: str, timeout: float | None) -> CliError:
        return translate_error(
            err,
            address=self.address,
            request_id=request_id,
            timeout=timeout,
            has_token=bool(self.settings.token),
        )
