"""Per-call values set by the call guard and read by servicers (same task, so contextvars carry them)."""

from __future__ import annotations

from contextvars import ContextVar

from auralinkd.access.principal import Caller
from auralinkd.errors import Unauthenticated

_caller: ContextVar[Caller | None] = ContextVar("auralink_caller", default=None)
request_id: ContextVar[str] = ContextVar("auralink_request_id", default="-")


def current_caller() -> Caller:
    caller = _caller.get()
    if caller is None:  # only reachable for a handler registered without the guard: a bug
        raise Unauthenticated("no authenticated caller for this call")
    return caller


def caller_or_none() -> Caller | None:
    """The caller, or None for a call the guard let through anonymously (status while starting)."""
    return _caller.get()


def set_caller(caller: Caller | None) -> None:
    _caller.set(caller)
