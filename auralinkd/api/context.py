"""Per-call values set by the guard interceptor and read by servicers (same task, so contextvars carry them)."""

from __future__ import annotations

from contextvars import ContextVar

from auralinkd.access.principal import Principal
from auralinkd.errors import Unauthenticated

_principal: ContextVar[Principal | None] = ContextVar("auralink_principal", default=None)
request_id: ContextVar[str] = ContextVar("auralink_request_id", default="-")


def current_principal() -> Principal:
    principal = _principal.get()
    if principal is None:  # only reachable for a handler registered without the guard: a bug
        raise Unauthenticated("no authenticated principal for this call")
    return principal


def set_principal(principal: Principal | None) -> None:
    _principal.set(principal)
