"""Each RPC declares its permission beside its handler; the catalogue is read from those declarations.

Usage in a servicer:

    class SystemServicer(system_pb2_grpc.SystemServiceServicer):
        @requires("system:read")
        async def GetStatus(self, request, context): ...

The server refuses to start when a method of a registered service has no declaration, so the
catalogue can never drift from the API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

_ATTRIBUTE = "__auralink_permission__"
_PERMISSION_FORMAT = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")

F = TypeVar("F", bound=Callable[..., Any])


def requires(permission: str) -> Callable[[F], F]:
    """Declare the `resource:action` permission an RPC handler needs."""
    if not _PERMISSION_FORMAT.match(permission):
        raise ValueError(f"permission must look like 'resource:action', got {permission!r}")

    def mark(handler: F) -> F:
        setattr(handler, _ATTRIBUTE, permission)
        return handler

    return mark


def declared_permission(handler: Any) -> str | None:
    return getattr(handler, _ATTRIBUTE, None)


def collect(services: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Map every full method name to its permission, from (servicer, service descriptor) pairs.

    Raises RuntimeError naming each method that lacks a declaration.
    """
    table: dict[str, str] = {}
    missing: list[str] = []
    for servicer, descriptor in services:
        for method in descriptor.methods:
            full_name = f"/{descriptor.full_name}/{method.name}"
            permission = declared_permission(getattr(servicer, method.name, None))
            if permission is None:
                missing.append(full_name)
            else:
                table[full_name] = permission
    if missing:
        raise RuntimeError(f"RPCs without a declared permission: {', '.join(sorted(missing))}")
    return table
