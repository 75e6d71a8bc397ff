"""Readiness: the daemon's phase, mirrored into grpc.health.v1 for the whole server and each service.

SERVING only once the database, migrations and services are up; back to NOT_SERVING while the database
is unreachable (the spec's "ready before actually ready" bug cannot happen).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from grpc_health.v1 import health_pb2


class Phase(StrEnum):
    STARTING = "starting"
    SERVING = "serving"
    NOT_SERVING = "not_serving"
    STOPPING = "stopping"


class Readiness:
    def __init__(self, health: Any, service_names: list[str]) -> None:
        self._health = health
        self._names = ["", *service_names]
        self.phase = Phase.STARTING
        self.reason = "starting up"

    @property
    def ready(self) -> bool:
        return self.phase is Phase.SERVING

    async def set(self, phase: Phase, reason: str = "") -> None:
        if self.phase is Phase.STOPPING:
            return  # shutting down is final
        self.phase, self.reason = phase, reason
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if phase is Phase.SERVING
            else (health_pb2.HealthCheckResponse.NOT_SERVING)
        )
        for name in self._names:
            await self._health.set(name, status)

    async def stopping(self) -> None:
        await self.set(Phase.STOPPING, "shutting down")
        self.phase = Phase.STOPPING
        await self._health.enter_graceful_shutdown()
