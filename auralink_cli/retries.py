"""The gRPC service config the CLI dials with: reads are retried on UNAVAILABLE, mutations never are.

A replica that goes away (a rolling restart, a killed pod behind a headless Service) fails the calls in
flight on it with UNAVAILABLE. A read can simply be sent again; a mutation that failed that way may have
been applied, so it is left to the operator. deploy/k8s/README.md gives the same config to other clients.
"""

from __future__ import annotations

import json

# Every Get*, List* and Ping of auralink.v1: all of them read only (tests/unit/test_cli_retries.py checks
# this list against the protos, so a new read is not forgotten and no mutation slips in).
READ_METHODS: dict[str, tuple[str, ...]] = {
    "AICCompressionService": ("ListSessions", "GetCompressionMetrics", "GetConfig"),
    "AIProviderService": ("GetProvider", "ListProviders", "ListProviderKeys", "ListBudgets", "GetUsage"),
    "AgentService": ("GetAgent", "ListAgents", "ListConversations", "GetConversation", "ListRoomAssignments"),
    "AuditService": ("ListAuditLogs",),
    "CredentialService": ("ListTokens", "ListApiKeys"),
    "MCPService": ("GetConnection", "ListConnections", "ListTools"),
    "MemoryService": ("GetMemory", "ListMemories", "ListRelatedMemories", "GetMemoryStats"),
    "MeshRoutingService": ("GetNode", "ListNodes", "ListRoutes", "GetNetworkStatus"),
    "OrganizationService": ("GetOrganization", "ListOrganizations"),
    "ReputationService": ("GetReputation", "ListReputations"),
    "RoleService": ("ListPermissions", "GetRole", "ListRoles", "GetEffectivePermissions"),
    "RoomService": ("GetRoom", "ListRooms", "ListRoomParticipants"),
    "SpeechService": ("ListVoices",),
    "StorageService": ("GetObject", "ListObjects", "GetStorageUsage"),
    "SystemService": ("GetStatus", "Ping"),
    "TranslationService": ("ListLanguages",),
    "UserService": ("GetUser", "ListUsers"),
    "WorkflowService": ("GetWorkflow", "ListWorkflows", "GetRun", "ListRuns", "ListSchedules"),
}

RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.5s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


def service_config() -> str:
    """The JSON for the `grpc.service_config` channel option."""
    names = [
        {"service": f"auralink.v1.{service}", "method": method}
        for service, methods in READ_METHODS.items()
        for method in methods
    ]
    return json.dumps({"methodConfig": [{"name": names, "retryPolicy": RETRY_POLICY}]})
