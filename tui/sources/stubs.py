"""Typed accessors for every AuraLink service on one channel (a sync or a grpc.aio channel).

The TUI's areas reach the daemon only through these properties: no RPC is named by a string.
"""

from __future__ import annotations

from typing import Any

from auralink.v1 import (
    access_pb2_grpc,
    agents_pb2_grpc,
    compression_pb2_grpc,
    mcp_pb2_grpc,
    memory_pb2_grpc,
    mesh_pb2_grpc,
    system_pb2_grpc,
    workflows_pb2_grpc,
)


class ServiceStubs:
    """One stub per service, built on first use and kept for the channel's life."""

    channel: Any

    def _stub(self, cls: type[Any]) -> Any:
        cache: dict[type[Any], Any] = self.__dict__.setdefault("_stubs", {})
        if cls not in cache:
            cache[cls] = cls(self.channel)
        return cache[cls]

    def reset_stubs(self) -> None:
        self.__dict__.pop("_stubs", None)

    @property
    def system(self) -> system_pb2_grpc.SystemServiceStub:
        return self._stub(system_pb2_grpc.SystemServiceStub)

    @property
    def credentials(self) -> access_pb2_grpc.CredentialServiceStub:
        return self._stub(access_pb2_grpc.CredentialServiceStub)

    @property
    def roles(self) -> access_pb2_grpc.RoleServiceStub:
        return self._stub(access_pb2_grpc.RoleServiceStub)

    @property
    def audit(self) -> access_pb2_grpc.AuditServiceStub:
        return self._stub(access_pb2_grpc.AuditServiceStub)

    @property
    def mesh(self) -> mesh_pb2_grpc.MeshRoutingServiceStub:
        return self._stub(mesh_pb2_grpc.MeshRoutingServiceStub)

    @property
    def reputation(self) -> mesh_pb2_grpc.ReputationServiceStub:
        return self._stub(mesh_pb2_grpc.ReputationServiceStub)

    @property
    def compression(self) -> compression_pb2_grpc.AICCompressionServiceStub:
        return self._stub(compression_pb2_grpc.AICCompressionServiceStub)

    @property
    def agents(self) -> agents_pb2_grpc.AgentServiceStub:
        return self._stub(agents_pb2_grpc.AgentServiceStub)

    @property
    def memory(self) -> memory_pb2_grpc.MemoryServiceStub:
        return self._stub(memory_pb2_grpc.MemoryServiceStub)

    @property
    def mcp(self) -> mcp_pb2_grpc.MCPServiceStub:
        return self._stub(mcp_pb2_grpc.MCPServiceStub)

    @property
    def workflows(self) -> workflows_pb2_grpc.WorkflowServiceStub:
        return self._stub(workflows_pb2_grpc.WorkflowServiceStub)
