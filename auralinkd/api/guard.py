"""The call guard: request ids, authentication, the declared permission, readiness, validation and error mapping.

Every handler of ours is wrapped here, so a servicer only ever raises domain errors and only ever sees
requests that decoded and passed `auralinkd.api.validation`. Health and reflection stay open; everything
else needs `authorization: Bearer <token>`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc

from auralinkd.access.authenticator import Authenticator
from auralinkd.access.principal import Caller
from auralinkd.api import context as call_context
from auralinkd.api import validation
from auralinkd.api.errors import status_code_for, trailing_details
from auralinkd.audit.service import AuditLog, refusal_recorded
from auralinkd.db.database import is_connection_loss
from auralinkd.errors import (
    Aborted,
    AlreadyExists,
    AuralinkError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from auralinkd.system.stats import CallStats
from auralinkd.telemetry.calls import CallProbes, Probe

log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Status messages and BadRequest details travel in metadata (8 KiB by default on clients): whatever a
# message echoes, it is cut to these lengths.
MAX_MESSAGE_CHARS = 400
MAX_DESCRIPTION_CHARS = 200
MALFORMED_LOG_INTERVAL_S = 10.0
# The verbs of permissions whose RPCs change state; a refusal of such a call (after the caller was admitted)
# is audited like a success, with outcome "failure" ("denied" for PermissionDenied).
MUTATING_VERBS = frozenset({"create", "update", "delete", "write", "assign", "revoke", "close", "manage", "evolve"})
_NOT_MUTATING = frozenset({"completions:create"})  # an answer is made, nothing is stored
_AUDITED_REFUSALS = (FailedPrecondition, AlreadyExists, Aborted, PermissionDenied)


class _Malformed:
    """Stands in for a request whose frame did not decode; the guard answers INVALID_ARGUMENT for it."""

    def __init__(self, error: str) -> None:
        self.error = error


def _lenient(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """The generated deserializer, returning _Malformed instead of raising (grpc would answer UNKNOWN or
    INTERNAL and log a traceback, before authentication)."""
    if deserialize is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserialize(data)
        except Exception as exc:  # noqa: BLE001 - DecodeError, or RecursionError for deep nesting
            return _Malformed(type(exc).__name__)

    return parse


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


@dataclass(frozen=True)
class _Rule:
    method: str
    permission: str
    needs_ready: bool

    @property
    def action(self) -> str:
        """The audit action of this RPC ("UserService/CreateUser"), as servicers record it."""
        return self.method.lstrip("/").removeprefix("auralink.v1.")

    @property
    def mutates(self) -> bool:
        verb = self.permission.partition(":")[2]
        return verb in MUTATING_VERBS and self.permission not in _NOT_MUTATING


class CallGuard:
    """Wraps each of our RPC handlers once, when the server is built: no per-call interceptor chain.

    grpc.aio interceptors run a coroutine and a handler look-up on every call; wrapping at
    registration keeps the same checks at a fraction of the cost (bench/grpc_rps.py).
    """

    def __init__(
        self,
        permissions: dict[str, str],
        authenticator: Authenticator,
        audit: AuditLog,
        is_ready: Callable[[], bool],
        not_ready_reason: Callable[[], str],
        available_while_starting: frozenset[str],
        stats: CallStats,
        probes: CallProbes | None = None,
        anonymous_while_starting: frozenset[str] = frozenset(),
        is_starting: Callable[[], bool] = lambda: False,
    ) -> None:
        self._rules = {
            method: _Rule(method, permission, method not in available_while_starting)
            for method, permission in permissions.items()
        }
        self._authenticator = authenticator
        self._audit = audit
        self._is_ready = is_ready
        self._not_ready_reason = not_ready_reason
        self.stats = stats
        self._probes = probes  # metrics and traces per call; None: neither is on, and calls pay nothing
        # Before the first start-up writes admin.token nobody can hold a token: these answer the phase.
        self._anonymous_while_starting = anonymous_while_starting
        self._is_starting = is_starting
        self._malformed_logged_at = -MALFORMED_LOG_INTERVAL_S
        self._malformed_suppressed = 0

    def wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The guarded handler for `method` ("/package.Service/Method")."""
        rule = self._rules.get(method)
        if rule is None:  # a registered method without a declared permission: refuse rather than guess
            rule = _Rule(method, "", True)
        streaming = handler.unary_stream is not None or handler.stream_stream is not None
        probe = self._probes.probe(method, streaming) if self._probes is not None else None
        return _wrap(handler, self, rule, probe)

    # -- per call -------------------------------------------------------------------------------

    async def admit(self, context: grpc.aio.ServicerContext, rule: _Rule) -> None:
        """Authenticate and authorise the call. Raises domain errors; refusals of known callers are audited."""
        self.stats.calls_total += 1
        token = ""
        request_id = ""
        for key, value in context.invocation_metadata() or ():
            if key == "authorization":
                token = value
            elif key == "x-request-id" and isinstance(value, str) and _REQUEST_ID.match(value):
                request_id = value
        request_id = request_id or os.urandom(16).hex()  # as random as uuid4().hex, several times cheaper
        call_context.request_id.set(request_id)
        context.set_trailing_metadata((("x-request-id", request_id),))
        scheme, _, credential = token.partition(" ")
        if not credential or scheme.lower() != "bearer":
            if rule.method in self._anonymous_while_starting and self._is_starting():
                call_context.set_caller(None)  # the handler answers without anyone's data
                return
            raise Unauthenticated("missing credentials: send metadata 'authorization: Bearer <token>'")
        if rule.needs_ready and not self._is_ready():
            raise Unavailable(f"the daemon is not ready: {self._not_ready_reason()}")
        if self._is_ready():
            principal = await self._authenticator.authenticate(credential.strip())
        else:  # status while starting or while the database is away: signature-only, status permissions only
            principal = self._authenticator.authenticate_offline(credential.strip(), rule.permission)
        caller = Caller(principal, request_id, context.peer() or "")
        if not rule.permission or not principal.can(rule.permission):
            needed = rule.permission or "a declared permission"
            message = f"{rule.method.rsplit('/', 1)[-1]} needs permission '{needed}'"
            if rule.needs_ready:
                await self._audit.record_denied(caller, rule.action, message)
            raise PermissionDenied(message)
        call_context.set_caller(caller)

    def accept(self, request: Any, context: grpc.aio.ServicerContext, rule: _Rule, streamed: bool = False) -> Any:
        """The request, once it decoded and passed the validation layer; InvalidArgument otherwise."""
        if isinstance(request, _Malformed):
            self._log_malformed(rule.method, context.peer() or "", request.error)
            raise InvalidArgument(
                f"the request is not a valid {rule.method.rsplit('/', 1)[-1]} message "
                "(undecodable protobuf, or a string that is not valid UTF-8)"
            )
        if streamed:
            validation.check_stream_message(request)
        else:
            validation.check(request)
        return request

    async def accept_each(
        self, requests: AsyncIterator[Any], context: grpc.aio.ServicerContext, rule: _Rule
    ) -> AsyncIterator[Any]:
        async for request in requests:
            yield self.accept(request, context, rule, streamed=True)

    def _log_malformed(self, method: str, peer: str, error: str) -> None:
        """One line, at most every MALFORMED_LOG_INTERVAL_S, with how many were left out in between."""
        now = time.monotonic()
        if now - self._malformed_logged_at < MALFORMED_LOG_INTERVAL_S:
            self._malformed_suppressed += 1
            return
        suppressed, self._malformed_suppressed = self._malformed_suppressed, 0
        self._malformed_logged_at = now
        more = f" ({suppressed} more since the last such line)" if suppressed else ""
        log.warning("malformed request frame for %s from %s: %s%s", method, peer, error, more)

    async def refused(self, exc: BaseException, rule: _Rule) -> None:
        """Audit a mutating call of an admitted caller that the domain refused (a duplicate, a stale etag,
        a protected resource, a finer-grained permission): one row per refusal, in its own transaction."""
        if not rule.mutates or not isinstance(exc, _AUDITED_REFUSALS) or refusal_recorded():
            return
        caller = call_context.caller_or_none()
        if caller is None:  # refused by admit itself, or anonymous
            return
        outcome = "denied" if isinstance(exc, PermissionDenied) else "failure"
        await self._audit.record_refused(
            caller, rule.action, outcome, _cut(exc.message, MAX_MESSAGE_CHARS), status_code_for(exc).name
        )

    async def fail(self, context: grpc.aio.ServicerContext, exc: BaseException, method: str) -> None:
        """Abort the call with the status for `exc`; unknown errors become INTERNAL with the request id."""
        self.stats.errors_total += 1
        request_id = call_context.request_id.get()
        metadata: tuple[tuple[str, Any], ...] = (("x-request-id", request_id),)
        if not isinstance(exc, AuralinkError) and is_connection_loss(exc):
            exc = Unavailable("the database connection was lost; retry")  # never INTERNAL
        if isinstance(exc, AuralinkError):
            code = status_code_for(exc)
            message = _cut(exc.message, MAX_MESSAGE_CHARS)
            if isinstance(exc, InvalidArgument):
                exc = InvalidArgument(message, [_cut_violation(v) for v in exc.violations])
            metadata += trailing_details(exc, code, message)
        else:
            log.error("request %s: %s failed", request_id, method, exc_info=exc)
            code = grpc.StatusCode.INTERNAL
            message = f"internal error (request id {request_id}); the daemon log has the details"
        await context.abort(code, message, trailing_metadata=metadata)


def _cut_violation(violation: FieldViolation) -> FieldViolation:
    return FieldViolation(
        _cut(violation.field, MAX_DESCRIPTION_CHARS), _cut(violation.description, MAX_DESCRIPTION_CHARS)
    )


_PASS_THROUGH = (asyncio.CancelledError, grpc.aio.AbortError)


def _code(exc: BaseException, context: grpc.aio.ServicerContext) -> str:
    """The status name a call ends with, for metrics and traces (the same choice as `fail`)."""
    if isinstance(exc, AuralinkError):
        return status_code_for(exc).name
    if isinstance(exc, asyncio.CancelledError):
        return "CANCELLED"
    if isinstance(exc, grpc.aio.AbortError):  # a servicer aborted with its own status
        code = context.code()
        return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
    return "UNAVAILABLE" if is_connection_loss(exc) else "INTERNAL"


def _wrap(handler: grpc.RpcMethodHandler, guard: CallGuard, rule: _Rule, probe: Probe | None) -> grpc.RpcMethodHandler:
    io = {
        "request_deserializer": _lenient(handler.request_deserializer),
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        inner_uu = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started, code = probe.started(context) if probe is not None else None, "OK"
            try:
                await guard.admit(context, rule)
                return await inner_uu(guard.accept(request, context, rule), context)
            except _PASS_THROUGH as exc:
                code = _code(exc, context)
                raise
            except Exception as exc:  # noqa: BLE001 - the error boundary of every RPC
                code = _code(exc, context)
                await guard.refused(exc, rule)
                await guard.fail(context, exc, rule.method)
            finally:
                if probe is not None:
                    probe.finished(started, code)

        return grpc.unary_unary_rpc_method_handler(unary_unary, **io)

    if handler.stream_unary is not None:
        inner_su = handler.stream_unary

        async def stream_unary(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
            started, code = probe.started(context) if probe is not None else None, "OK"
            try:
                await guard.admit(context, rule)
                return await inner_su(guard.accept_each(requests, context, rule), context)
            except _PASS_THROUGH as exc:
                code = _code(exc, context)
                raise
            except Exception as exc:  # noqa: BLE001
                code = _code(exc, context)
                await guard.refused(exc, rule)
                await guard.fail(context, exc, rule.method)
            finally:
                if probe is not None:
                    probe.finished(started, code)

        return grpc.stream_unary_rpc_method_handler(stream_unary, **io)

    streaming = handler.unary_stream or handler.stream_stream
    assert streaming is not None

    async def stream(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started, code = probe.started(context) if probe is not None else None, "OK"
        try:
            await guard.admit(context, rule)
            if handler.stream_stream is not None:
                request_or_iterator = guard.accept_each(request_or_iterator, context, rule)
            else:
                request_or_iterator = guard.accept(request_or_iterator, context, rule)
            async for response in streaming(request_or_iterator, context):
                yield response
        except GeneratorExit:  # the client went away mid-stream
            code = "CANCELLED"
            raise
        except _PASS_THROUGH as exc:
            code = _code(exc, context)
            raise
        except Exception as exc:  # noqa: BLE001
            code = _code(exc, context)
            await guard.refused(exc, rule)
            await guard.fail(context, exc, rule.method)
        finally:
            if probe is not None:
                probe.finished(started, code)

    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(stream, **io)
    return grpc.stream_stream_rpc_method_handler(stream, **io)
