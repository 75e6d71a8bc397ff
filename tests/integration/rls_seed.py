"""Seed data for the RLS sweep (test_rls_sweep.py): one row in every table with row-level security, per org.

`org_rows(tag)` returns the rows of one organization ("a" or "b") in insertion order, parents first.
Both orgs get the same shape of data, with ids derived from the tag, so the sweep can check both
directions: org A's principal must see its own row (the policy is not just "deny all") and must neither
see nor change org B's row.

Each `Row` holds plain JSON-able values; the sweep inserts them through `json_populate_record`, so a
value is written the way PostgreSQL would parse it (timestamps as ISO strings, bytea as '\\x..' strings,
arrays and jsonb as JSON). The first row of a table (``extra=False``) is the one the sweep probes;
``extra=True`` rows are parents that another table needs (a second memory for an edge, ...).

A NEW TABLE WITH RLS NEEDS A ROW HERE: add one `Row` for it in `org_rows`, after its parents. Rows of a
table that does not exist (yet) in the migrated database are skipped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

_NAMESPACE = uuid.UUID("5b0c3f5e-6f1a-4c1e-9a53-2f0d5e8e7a11")

# When the RLS sweep's tenants act; far enough in the future for every expires_at check.
FAR_FUTURE = "2099-01-01T00:00:00Z"


def rid(tag: str, name: str) -> str:
    """A stable id for the row `name` of org `tag`."""
    return str(uuid.uuid5(_NAMESPACE, f"{tag}:{name}"))


ORG_A = rid("a", "org")
ORG_B = rid("b", "org")
USER_A_ADMIN = rid("a", "user")  # the org's primary user: an org admin
USER_A_MEMBER = rid("a", "member")  # a plain member of org A
USER_B = rid("b", "user")


@dataclass(frozen=True)
class Row:
    table: str
    values: dict[str, Any]
    extra: bool = field(default=False)


def org_rows(tag: str) -> list[Row]:
    """Every RLS table's row for org `tag` ("a" or "b"), parents first."""

    def i(name: str) -> str:
        return rid(tag, name)

    org, user = i("org"), i("user")
    owned = {"organization_id": org, "user_id": user}  # user-owned tables
    scoped = {"organization_id": org}  # org-scoped tables

    return [
        # 001 ------------------------------------------------------------------------------------
        Row("organizations", {"id": org, "name": f"RLS org {tag}", "slug": f"rls-org-{tag}", "plan": "enterprise"}),
        Row(
            "users",
            {
                "id": user,
                **scoped,
                "email": f"owner@rls-org-{tag}.example",
                "username": f"owner_{tag}",
                "display_name": f"Owner {tag}",
                "role": "admin",
            },
        ),
        Row(
            "sessions",
            {
                "id": i("session"),
                **owned,
                "jti": f"jti-{tag}",
                "user_agent": "rls-sweep",
                "ip_address": "10.0.0.1",
                "expires_at": FAR_FUTURE,
                "scopes": ["memories:read"],
                "description": f"token of org {tag}",
            },
        ),
        Row(
            "revoked_tokens",
            {"jti": f"revoked-jti-{tag}", **owned, "reason": "rls sweep", "expires_at": FAR_FUTURE},
        ),
        Row(
            "api_keys",
            {
                "id": i("api_key"),
                **owned,
                "name": f"key {tag}",
                "prefix": f"rlskey{tag}",
                "key_hash": "salted-hash",
                "scopes": ["memories:read"],
            },
        ),
        # 002 ------------------------------------------------------------------------------------
        Row("rooms", {"id": i("room"), **scoped, "created_by": user, "name": f"room {tag}", "is_private": True}),
        Row("calls", {"id": i("call"), **scoped, "room_id": i("room"), "initiator_id": user, "status": "active"}),
        # 004 parents (call_participants.agent_id and later tables reference them) ----------------
        Row("ai_providers", {"id": i("provider"), **scoped, "name": f"provider {tag}", "provider_type": "openai"}),
        Row(
            "ai_agents",
            {
                "id": i("agent"),
                **scoped,
                "created_by": user,
                "name": f"agent {tag}",
                "model": "gpt-test",
                "provider": "openai",
                "provider_id": i("provider"),
                "system_prompt": f"secret prompt of org {tag}",
            },
        ),
        # 002 (continued) ------------------------------------------------------------------------
        Row(
            "call_participants",
            {"id": i("participant"), **scoped, "call_id": i("call"), "user_id": user, "role": "host"},
        ),
        Row("contacts", {"id": i("contact"), **owned, "email": f"friend@{tag}.example", "notes": "private"}),
        Row(
            "files",
            {
                "id": i("file"),
                **owned,
                "room_id": i("room"),
                "call_id": i("call"),
                "filename": f"{tag}.txt",
                "size_bytes": 3,
                "storage_path": f"rls/{tag}.txt",
                # shared with the whole org: the broadest policy (files_shared_select) applies
                "visibility": "organization",
            },
        ),
        # 003 ------------------------------------------------------------------------------------
        Row("aic_configs", {"id": i("aic_config"), **owned}),
        Row(
            "aic_compression_sessions",
            {
                "id": i("aic_session"),
                **owned,
                "call_id": i("call"),
                "room_id": i("room"),
                "mode": "adaptive",
                "model_type": "opus",
                "frame_type": "audio",
            },
        ),
        Row(
            "aic_compression_metrics",
            {
                "id": i("aic_metric"),
                **owned,
                "session_id": i("aic_session"),
                "frame_type": "audio",
                "model_type": "opus",
                "original_bytes": 100,
                "compressed_bytes": 20,
                "compression_ratio": 0.8,
                "inference_latency_ms": 1.5,
            },
        ),
        Row(
            "aic_bandwidth_savings",
            {
                "id": i("aic_savings"),
                **owned,
                "granularity": "day",
                "period_start": "2030-01-01T00:00:00Z",
                "period_end": "2030-01-02T00:00:00Z",
                "bytes_original": 100,
                "bytes_compressed": 20,
                "bytes_saved": 80,
            },
        ),
        Row(
            "aic_fallback_logs",
            {
                "id": i("aic_fallback"),
                **owned,
                "session_id": i("aic_session"),
                "reason": "manual",
                "from_model": "opus",
                "to_model": "raw",
            },
        ),
        # 004 ------------------------------------------------------------------------------------
        Row(
            "provider_api_keys",
            {
                "id": i("provider_key"),
                **scoped,
                "user_id": None,  # an org-wide key: readable by every member of its org
                "provider_id": i("provider"),
                "provider": "openai",
                "label": f"key-{tag}",
                "encrypted_key": "\\x0102",
                "wrapped_data_key": "\\x0304",
                "nonce": "\\x000102030405060708090a0b",
                "key_fingerprint": f"fp-{tag}",
                "kek_id": "kek-1",
            },
        ),
        Row(
            "agent_conversations",
            {
                "id": i("conversation"),
                **owned,
                "agent_id": i("agent"),
                "room_id": i("room"),
                "messages": [{"role": "user", "content": f"secret of {tag}"}],
                "message_count": 1,
            },
        ),
        Row(
            "agent_room_assignments",
            {"id": i("assignment"), **scoped, "agent_id": i("agent"), "room_id": i("room"), "assigned_by": user},
        ),
        Row(
            "memories",
            {
                "id": i("memory"),
                **owned,
                "agent_id": i("agent"),
                "room_id": i("room"),
                "content": f"memory of org {tag}",
                "tags": ["secret"],
            },
        ),
        Row("memories", {"id": i("memory2"), **owned, "content": f"second memory of org {tag}"}, extra=True),
        # embedding: a JSON array, parsed as pgvector's vector (PG16) or as real[] (PG15)
        Row(
            "memory_vectors",
            {"memory_id": i("memory"), **owned, "model": "test-embed", "dims": 3, "embedding": [0.1, 0.2, 0.3]},
        ),
        Row(
            "memory_relationships",
            {
                "id": i("memory_edge"),
                **owned,
                "source_memory_id": i("memory"),
                "target_memory_id": i("memory2"),
                "relation_type": "related_to",
            },
        ),
        Row(
            "audio_files",
            {
                "id": i("audio"),
                **owned,
                "file_id": i("file"),
                "agent_id": i("agent"),
                "room_id": i("room"),
                "call_id": i("call"),
                "purpose": "recording",
                "transcript": f"transcript of org {tag}",
            },
        ),
        # 005 ------------------------------------------------------------------------------------
        Row(
            "mcp_connections",
            {
                "id": i("mcp_connection"),
                **scoped,
                "created_by": user,
                "name": f"mcp {tag}",
                "server_url": f"https://mcp.{tag}.example",
            },
        ),
        Row("mcp_tools", {"id": i("mcp_tool"), **scoped, "connection_id": i("mcp_connection"), "name": "lookup"}),
        Row(
            "mcp_contexts",
            {
                "id": i("mcp_context"),
                **scoped,
                "created_by": user,
                "connection_id": i("mcp_connection"),
                "agent_id": i("agent"),
                "room_id": i("room"),
                "name": f"context {tag}",
                "content": {"secret": tag},
            },
        ),
        Row("langgraph_workflows", {"id": i("workflow"), **scoped, "created_by": user, "name": f"workflow {tag}"}),
        Row("workflow_executions", {"id": i("execution"), **owned, "workflow_id": i("workflow"), "status": "running"}),
        Row("workflow_states", {"id": i("workflow_state"), **owned, "execution_id": i("execution"), "step": 0}),
        Row(
            "crews",
            {"id": i("crew"), **scoped, "created_by": user, "manager_agent_id": i("agent"), "name": f"crew {tag}"},
        ),
        Row(
            "crew_members",
            {"id": i("crew_member"), **scoped, "crew_id": i("crew"), "agent_id": i("agent"), "role": "researcher"},
        ),
        Row(
            "crew_tasks",
            {
                "id": i("crew_task"),
                **scoped,
                "crew_id": i("crew"),
                "assigned_member_id": i("crew_member"),
                "created_by": user,
                "description": f"task of org {tag}",
            },
        ),
        Row(
            "autogen_agents",
            {"id": i("autogen_agent"), **scoped, "created_by": user, "base_agent_id": i("agent"), "name": f"ag_{tag}"},
        ),
        Row(
            "autogen_conversations",
            {
                "id": i("autogen_conversation"),
                **owned,
                "initiator_agent_id": i("autogen_agent"),
                "participant_agent_ids": [i("autogen_agent")],
            },
        ),
        Row("prefect_flows", {"id": i("flow"), **scoped, "created_by": user, "name": f"flow {tag}"}),
        Row(
            "flow_schedules",
            {"id": i("flow_schedule"), **scoped, "flow_id": i("flow"), "created_by": user, "interval_seconds": 60},
        ),
        Row(
            "flow_runs",
            {
                "id": i("flow_run"),
                **scoped,
                "flow_id": i("flow"),
                "schedule_id": i("flow_schedule"),
                "triggered_by": user,
            },
        ),
        # 006 ------------------------------------------------------------------------------------
        Row(
            "aura_id_registry",
            {
                "id": i("aura_id"),
                **owned,
                "aura_id": f"@owner_{tag}.aura",
                # public: resolvable across orgs only through resolve_aura_id(), never by SELECT
                "privacy_level": "public",
                "federated_domains": [f"{tag}.example"],
            },
        ),
        Row(
            "cross_app_connections",
            {
                "id": i("cross_app"),
                **owned,
                "aura_id_registry_id": i("aura_id"),
                "app_type": "slack",
                "app_name": "Slack",
                "external_user_id": f"U-{tag}",
            },
        ),
        Row(
            "mesh_nodes",
            {
                "id": i("node"),
                **scoped,
                "owner_user_id": user,
                "address": f"{tag}.node-1.example:7000",
                "public_key": f"pk-{tag}-1",
            },
        ),
        Row(
            "mesh_nodes",
            {"id": i("node2"), **scoped, "address": f"{tag}.node-2.example:7000", "public_key": f"pk-{tag}-2"},
            extra=True,
        ),
        Row(
            "mesh_routes",
            {
                "id": i("route"),
                **scoped,
                "source_node_id": i("node"),
                "destination_node_id": i("node2"),
                "path": [i("node"), i("node2")],
            },
        ),
        # 009: the smoothed state of a directed link
        Row(
            "mesh_links",
            {
                "id": i("link"),
                **scoped,
                "source_node_id": i("node"),
                "target_node_id": i("node2"),
                "srtt_ms": 12.5,
                "rttvar_ms": 1.5,
                "bandwidth_kbps": 1000,
                "loss_pct": 0.5,
                "etx": 1.1,
            },
        ),
        Row("route_performance", {"id": i("route_perf"), **scoped, "route_id": i("route"), "latency_ms": 10}),
        Row("node_reputation", {"id": i("reputation"), **scoped, "node_id": i("node")}),
        Row(
            "reputation_events",
            {
                "id": i("reputation_event"),
                **scoped,
                "node_id": i("node"),
                "reported_by_node_id": i("node2"),
                "created_by": user,
                "event_type": "relay_success",
                "delta": 0.01,
            },
        ),
        Row(
            "federation_links",
            {"id": i("federation"), **scoped, "created_by": user, "remote_domain": f"partner-{tag}.example"},
        ),
        # 007 ------------------------------------------------------------------------------------
        Row(
            "sso_configs",
            {
                "id": i("sso_config"),
                **scoped,
                "created_by": user,
                "name": f"sso {tag}",
                "provider_type": "oidc",
                "client_id": f"client-{tag}",
                "allowed_domains": [f"rls-org-{tag}.example"],
            },
        ),
        Row(
            "sso_connections",
            {
                "id": i("sso_connection"),
                **owned,
                "sso_config_id": i("sso_config"),
                "session_id": i("session"),
                "external_subject": f"sub-{tag}",
            },
        ),
        # a CUSTOM role: system roles (organization_id NULL) are readable by every org by design
        Row(
            "rbac_roles",
            {"id": i("role"), **scoped, "name": f"custom-{tag}", "permissions": ["memories:read"]},
        ),
        Row(
            "rbac_role_assignments",
            {"id": i("role_assignment"), **owned, "role_id": i("role"), "granted_by": user},
        ),
        # audit_logs.id is an identity column: its key comes back from RETURNING
        Row(
            "audit_logs",
            {
                **scoped,
                "actor_user_id": user,
                "action": "rls.seed",
                "resource_type": "test",
                "resource_id": tag,
                "ip_address": "10.0.0.9",
                "metadata": {"org": tag},
            },
        ),
        # 014: the org's anchored audit chain head (the MAC is opaque to the database)
        Row("audit_heads", {**scoped, "last_id": 1, "hash": "\\x00", "mac": "\\x01"}),
        Row("subscriptions", {"id": i("subscription"), **scoped, "plan": "pro"}),
        Row(
            "invoices",
            {"id": i("invoice"), **scoped, "subscription_id": i("subscription"), "invoice_number": f"INV-{tag}-1"},
        ),
        Row(
            "usage_records",
            {
                "id": i("usage"),
                **owned,
                "agent_id": i("agent"),
                "subscription_id": i("subscription"),
                "provider": "openai",
                "model": "gpt-test",
                "prompt_tokens": 3,
            },
        ),
        Row(
            "compliance_requests",
            {"id": i("compliance"), **owned, "requested_by": user, "request_type": "export"},
        ),
        Row(
            "retention_policies",
            {
                "id": i("retention"),
                **scoped,
                "created_by": user,
                "resource_type": "memories" if tag == "a" else "files",
                "retention_days": 30,
            },
        ),
        # 011 ------------------------------------------------------------------------------------
        Row(
            "usage_budgets",
            {"id": i("budget"), **scoped, "scope": "agent", "agent_id": i("agent"), "period": "month", "limit_usd": 5},
        ),
        # 010 (memory) ---------------------------------------------------------------------------
        Row("evolve_runs", {"id": i("evolve_run"), **owned, "trigger": "manual", "dry_run": True, "examined": 2}),
        # 015 (storage) --------------------------------------------------------------------------
        Row(
            "storage_objects",
            {
                **scoped,
                "key": f"reports/{tag}.json",
                "backend": "local",
                "storage_path": f"{org}/{i('blob')}",
                "size_bytes": 2,
                "content_type": "application/json",
                "sha256": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
                "created_by": user,
            },
        ),
        Row("storage_usage", {**scoped, "used_bytes": 2, "object_count": 1}),
        # 016 (workflows) ------------------------------------------------------------------------
        Row(
            "workflow_definitions",
            {
                "id": i("wf_def"),
                **scoped,
                "created_by": user,
                "name": f"wf-{tag}",
                "engine": "langgraph",
                "version": 1,
                "definition": {"nodes": []},
                "source": "nodes: []",
            },
        ),  # fmt: skip
        Row("workflow_runs", {"id": i("wf_run"), **owned, "workflow_id": i("wf_def"), "status": "running"}),
        Row("workflow_run_events", {"run_id": i("wf_run"), "seq": 1, **owned, "kind": "run_started"}),
        # 019 (engine checkpoints) -------------------------------------------------------------
        Row("workflow_run_checkpoints", {"run_id": i("wf_run"), "key": "task:first", **owned, "data": {"output": "x"}}),
        # 020 (workflow schedules) ---------------------------------------------------------------
        Row(
            "workflow_schedules",
            {
                "id": i("wf_schedule"),
                **owned,
                "workflow_id": i("wf_def"),
                "cron": "*/5 * * * *",
                "prefect_deployment_id": i("wf_deployment"),
            },
        ),  # fmt: skip
    ]


def extra_rows_of_org_a() -> list[Row]:
    """A plain member of org A: the sweep acts as org A's admin and as this member."""
    return [
        Row(
            "users",
            {
                "id": USER_A_MEMBER,
                "organization_id": ORG_A,
                "email": "member@rls-org-a.example",
                "username": "member_a",
                "role": "user",
            },
            extra=True,
        )
    ]
