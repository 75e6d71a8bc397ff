"""The only place that opens a gRPC channel to auralinkd.

It resolves the address (unix socket or host:port, TLS with `tls://`), sends the token and an
`x-request-id` on every call, sets a deadline on every unary call and on streams that should end,
and turns every gRPC error into a CliError whose exit code comes from exit_codes.GRPC_EXIT_CODES.
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from auralink_cli.exit_codes import PROVIDER_FAILED, UNEXPECTED, UNREACHABLE, CliError, exit_code_for
from auralink_cli.profiles import Settings, unix_socket_path

if TYPE_CHECKING:
    from auralink.v1 import (
        access_pb2_grpc,
        agents_pb2_grpc,
        compression_pb2_grpc,
        mcp_pb2_grpc,
        memory_pb2_grpc,
        mesh_pb2_grpc,
        providers_pb2_grpc,
        rooms_pb2_grpc,
        speech_pb2_grpc,
        storage_pb2_grpc,
        system_pb2_grpc,
        workflows_pb2_grpc,
    )

__all__ = ["Client", "CliError", "connected", "streamed", "translate_error", "bad_request_violations"]

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


class _Details(
    collections.namedtuple(
        "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    """The call details an interceptor hands on (grpc.ClientCallDetails has no constructor)."""


class _Stream:
    """A server stream (an iterator, like the call it wraps) whose errors arrive as CliError; cancelled when
    iteration stops early or the stream is dropped."""

    def __init__(self, call: Any, translate: Callable[[grpc.RpcError], CliError]) -> None:
        self._call = call
        self._messages = self._follow(translate)

    def _follow(self, translate: Callable[[grpc.RpcError], CliError]) -> Iterator[Any]:
        try:
            yield from self._call
        except grpc.RpcError as err:
            raise translate(err) from None
        finally:
            self._call.cancel()

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return next(self._messages)

    def cancel(self) -> bool:
        return bool(self._call.cancel())


class _Conventions(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """What every call of the CLI gets: the token, an `x-request-id`, a deadline, and CliError for failures.

    Unary calls get the --timeout deadline unless they pass their own `timeout=`. Server streams wait for
    the connection within --timeout and then have the deadline they pass: one that should end (a reply, a
    benchmark) passes `timeout=settings.timeout`, a watch passes nothing and stays open.
    """

    def __init__(self, client: Client) -> None:
        self.client = client

    def _details(self, details: grpc.ClientCallDetails, *, unary: bool) -> tuple[_Details, str]:
        ours, request_id = self.client.metadata()
        metadata = [*(details.metadata or ()), *ours]
        timeout = details.timeout if details.timeout is not None or not unary else self.client.timeout
        new = _Details(
            details.method, timeout, metadata, details.credentials, details.wait_for_ready, details.compression
        )
        return new, request_id

    def _unary(self, continuation: Any, details: grpc.ClientCallDetails, request: Any) -> Any:
        new, request_id = self._details(details, unary=True)
        outcome = continuation(new, request)
        try:
            outcome.result()
        except grpc.RpcError as err:
            raise self.client.translate(err, request_id, new.timeout) from None
        return outcome

    intercept_unary_unary = _unary
    intercept_stream_unary = _unary

    def intercept_unary_stream(self, continuation: Any, details: grpc.ClientCallDetails, request: Any) -> Any:
        new, request_id = self._details(details, unary=False)
        self.client.wait_ready()
        call = continuation(new, request)
        return _Stream(call, lambda err: self.client.translate(err, request_id, new.timeout))

    intercept_stream_stream = intercept_unary_stream  # bidi (VoiceChat): the request is an iterator


class Client:
    """A channel to auralinkd for one CLI invocation, with one typed stub per service. Use as a context manager.

        with Client(settings) as client:
            role = client.roles.GetRole(access_pb2.GetRoleRequest(role="viewer"))
            for event in client.system.WatchEvents(system_pb2.WatchEventsRequest()):
                ...

    The stubs are the generated ones on an intercepted channel (_Conventions): every call sends the token
    and a request id, has a deadline, and raises CliError (with the documented exit code) when it fails.
    Stub modules are imported on first use, so importing this module costs only grpc.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.address = settings.address
        self.timeout = settings.timeout
        self._raw: grpc.Channel | None = None
        self._channel: grpc.Channel | None = None

    # --- channel ---------------------------------------------------------------------------

    def __enter__(self) -> Client:
        self.check_socket()
        self._raw = self._open()
        self._channel = grpc.intercept_channel(self._raw, _Conventions(self))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._raw is not None:
            self._raw.close()
        self._raw = self._channel = None

    def check_socket(self) -> None:
        """Fail fast, with a hint, when the unix socket is not there (daemon not running)."""
        path = unix_socket_path(self.address)
        if path is not None and not path.exists():
            raise CliError(
                UNREACHABLE,
                f"daemon unreachable: no socket at {path} (is auralinkd running? set --address or AURALINK_ADDRESS)",
            )

    def _open(self) -> grpc.Channel:
        from auralink_cli.retries import service_config
        from auralink_cli.version import client_version

        target, tls = grpc_target(self.address)
        options = [
            ("grpc.primary_user_agent", f"auralink-cli/{client_version()}"),
            ("grpc.service_config", service_config()),  # reads retried on UNAVAILABLE, mutations never
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
        """The intercepted channel: a stub built on it follows the same conventions as the accessors."""
        if self._channel is None:
            raise RuntimeError("Client used outside `with`")
        return self._channel

    # --- typed stubs, one per service ------------------------------------------------------

    @property
    def orgs(self) -> access_pb2_grpc.OrganizationServiceStub:
        from auralink.v1 import access_pb2_grpc

        return access_pb2_grpc.OrganizationServiceStub(self.channel)

    @property
    def users(self) -> access_pb2_grpc.UserServiceStub:
        from auralink.v1 import access_pb2_grpc

        return access_pb2_grpc.UserServiceStub(self.channel)

    @property
    def roles(self) -> access_pb2_grpc.RoleServiceStub:
        from auralink.v1 import access_pb2_grpc

        return access_pb2_grpc.RoleServiceStub(self.channel)

    @property
    def credentials(self) -> access_pb2_grpc.CredentialServiceStub:
        from auralink.v1 import access_pb2_grpc

        return access_pb2_grpc.CredentialServiceStub(self.channel)

    @property
    def audit(self) -> access_pb2_grpc.AuditServiceStub:
        from auralink.v1 import access_pb2_grpc

        return access_pb2_grpc.AuditServiceStub(self.channel)

    @property
    def agents(self) -> agents_pb2_grpc.AgentServiceStub:
        from auralink.v1 import agents_pb2_grpc

        return agents_pb2_grpc.AgentServiceStub(self.channel)

    @property
    def compression(self) -> compression_pb2_grpc.AICCompressionServiceStub:
        from auralink.v1 import compression_pb2_grpc

        return compression_pb2_grpc.AICCompressionServiceStub(self.channel)

    @property
    def mcp(self) -> mcp_pb2_grpc.MCPServiceStub:
        from auralink.v1 import mcp_pb2_grpc

        return mcp_pb2_grpc.MCPServiceStub(self.channel)

    @property
    def memory(self) -> memory_pb2_grpc.MemoryServiceStub:
        from auralink.v1 import memory_pb2_grpc

        return memory_pb2_grpc.MemoryServiceStub(self.channel)

    @property
    def mesh(self) -> mesh_pb2_grpc.MeshRoutingServiceStub:
        from auralink.v1 import mesh_pb2_grpc

        return mesh_pb2_grpc.MeshRoutingServiceStub(self.channel)

    @property
    def reputation(self) -> mesh_pb2_grpc.ReputationServiceStub:
        from auralink.v1 import mesh_pb2_grpc

        return mesh_pb2_grpc.ReputationServiceStub(self.channel)

    @property
    def providers(self) -> providers_pb2_grpc.AIProviderServiceStub:
        from auralink.v1 import providers_pb2_grpc

        return providers_pb2_grpc.AIProviderServiceStub(self.channel)

    @property
    def llm_selection(self) -> providers_pb2_grpc.LLMSelectionServiceStub:
        from auralink.v1 import providers_pb2_grpc

        return providers_pb2_grpc.LLMSelectionServiceStub(self.channel)

    @property
    def translation(self) -> providers_pb2_grpc.TranslationServiceStub:
        from auralink.v1 import providers_pb2_grpc

        return providers_pb2_grpc.TranslationServiceStub(self.channel)

    @property
    def rooms(self) -> rooms_pb2_grpc.RoomServiceStub:
        from auralink.v1 import rooms_pb2_grpc

        return rooms_pb2_grpc.RoomServiceStub(self.channel)

    @property
    def speech(self) -> speech_pb2_grpc.SpeechServiceStub:
        from auralink.v1 import speech_pb2_grpc

        return speech_pb2_grpc.SpeechServiceStub(self.channel)

    @property
    def storage(self) -> storage_pb2_grpc.StorageServiceStub:
        from auralink.v1 import storage_pb2_grpc

        return storage_pb2_grpc.StorageServiceStub(self.channel)

    @property
    def system(self) -> system_pb2_grpc.SystemServiceStub:
        from auralink.v1 import system_pb2_grpc

        return system_pb2_grpc.SystemServiceStub(self.channel)

    @property
    def workflows(self) -> workflows_pb2_grpc.WorkflowServiceStub:
        from auralink.v1 import workflows_pb2_grpc

        return workflows_pb2_grpc.WorkflowServiceStub(self.channel)

    # --- helpers ---------------------------------------------------------------------------

    def metadata(self) -> tuple[list[tuple[str, str]], str]:
        """What every call sends: a fresh `x-request-id` and the bearer token (and the request id itself)."""
        request_id = uuid.uuid4().hex
        md = [("x-request-id", request_id)]
        token = self.settings.token
        if token:
            md.append(("authorization", token if token.startswith("Bearer ") else f"Bearer {token}"))
        return md, request_id

    def wait_ready(self) -> None:
        if self._raw is None:
            raise RuntimeError("Client used outside `with`")
        try:
            grpc.channel_ready_future(self._raw).result(timeout=self.timeout)
        except grpc.FutureTimeoutError:
            raise CliError(
                UNREACHABLE, f"daemon unreachable at {self.address}: not connected within {self.timeout:g}s"
            ) from None

    def health(self, service: str = "") -> str:
        """grpc.health.v1 Check: "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN" or "UNKNOWN"."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        resp = health_pb2_grpc.HealthStub(self.channel).Check(health_pb2.HealthCheckRequest(service=service))
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)

    def translate(self, err: grpc.RpcError, request_id: str, timeout: float | None) -> CliError:
        return translate_error(
            err,
            address=self.address,
            request_id=request_id,
            timeout=timeout,
            has_token=bool(self.settings.token),
        )


def connected(settings: Settings, use: Callable[[Client], R]) -> R:
    """`use(client)` on a fresh channel, closed afterwards: `connected(settings, lambda c: c.roles.GetRole(req))`."""
    with Client(settings) as client:
        return use(client)


def streamed(settings: Settings, open_stream: Callable[[Client], Iterable[R]]) -> Iterator[R]:
    """The messages of the stream `open_stream(client)` opens on a fresh channel, closed when it ends."""
    with Client(settings) as client:
        yield from open_stream(client)
