-- 005_mcp_workflows.sql
-- MCP (connections, tools, contexts), LangGraph workflows, CrewAI crews, AutoGen, Prefect flows.
--
-- Scoping: definitions shared inside an org are org-scoped (<table>_org): mcp_connections,
-- mcp_tools, mcp_contexts, langgraph_workflows, crews, crew_members, crew_tasks, autogen_agents,
-- prefect_flows, flow_schedules, flow_runs (runs may be started by a schedule, with no user).
-- Per-user runs are user-owned (<table>_owner): workflow_executions, workflow_states,
-- autogen_conversations.

-- ---------------------------------------------------------------------------------------------
-- mcp_connections
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mcp_connections (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    name                    text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    server_url              text NOT NULL,
    transport               text NOT NULL DEFAULT 'streamable_http'
                            CHECK (transport IN ('stdio','sse','streamable_http','websocket')),
    auth_type               text NOT NULL DEFAULT 'none' CHECK (auth_type IN ('none','bearer','api_key','oauth2')),
    -- credentials are envelope-encrypted like provider_api_keys; never plaintext
    encrypted_credentials   bytea,
    wrapped_data_key        bytea,
    nonce                   bytea,
    kek_id                  text,
    status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending','connected','disconnected','error')),
    last_connected_at       timestamptz,
    last_error              text,
    server_info             jsonb NOT NULL DEFAULT '{}',
    settings                jsonb NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (auth_type = 'none'
           OR (encrypted_credentials IS NOT NULL AND wrapped_data_key IS NOT NULL AND nonce IS NOT NULL AND kek_id IS NOT NULL)),
    UNIQUE (organization_id, name)
);
COMMENT ON TABLE mcp_connections IS 'MCP server connections of an organization (credentials envelope-encrypted).';
CREATE INDEX idx_mcp_connections_organization_id ON mcp_connections (organization_id);
CREATE INDEX idx_mcp_connections_created_by ON mcp_connections (created_by);

-- ---------------------------------------------------------------------------------------------
-- mcp_tools
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mcp_tools (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    connection_id           uuid NOT NULL REFERENCES mcp_connections(id) ON DELETE CASCADE,
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description             text,
    input_schema            jsonb NOT NULL DEFAULT '{}',
    annotations             jsonb NOT NULL DEFAULT '{}',
    is_enabled              boolean NOT NULL DEFAULT true,
    requires_approval       boolean NOT NULL DEFAULT false,
    invocation_count        bigint NOT NULL DEFAULT 0 CHECK (invocation_count >= 0),
    last_invoked_at         timestamptz,
    last_synced_at          timestamptz NOT NULL DEFAULT now(),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (connection_id, name)
);
COMMENT ON TABLE mcp_tools IS 'Tools advertised by an MCP server, as last synced.';
CREATE INDEX idx_mcp_tools_organization_id ON mcp_tools (organization_id);
CREATE INDEX idx_mcp_tools_connection_id ON mcp_tools (connection_id);

-- ---------------------------------------------------------------------------------------------
-- mcp_contexts
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mcp_contexts (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    connection_id           uuid REFERENCES mcp_connections(id) ON DELETE SET NULL,
    agent_id                uuid REFERENCES ai_agents(id) ON DELETE SET NULL,
    room_id                 uuid REFERENCES rooms(id) ON DELETE SET NULL,
    name                    text NOT NULL,
    context_type            text NOT NULL DEFAULT 'shared'
                            CHECK (context_type IN ('resource','prompt','conversation','shared')),
    content                 jsonb NOT NULL DEFAULT '{}',
    version                 integer NOT NULL DEFAULT 1 CHECK (version > 0),
    expires_at              timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mcp_contexts IS 'Contexts shared between agents/tools (MCP resources, prompts, conversation state).';
CREATE INDEX idx_mcp_contexts_organization_id ON mcp_contexts (organization_id);
CREATE INDEX idx_mcp_contexts_created_by ON mcp_contexts (created_by);
CREATE INDEX idx_mcp_contexts_connection_id ON mcp_contexts (connection_id);
CREATE INDEX idx_mcp_contexts_agent_id ON mcp_contexts (agent_id);
CREATE INDEX idx_mcp_contexts_room_id ON mcp_contexts (room_id);

-- ---------------------------------------------------------------------------------------------
-- langgraph_workflows
-- ---------------------------------------------------------------------------------------------
CREATE TABLE langgraph_workflows (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    name                    text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description             text,
    workflow_type           text NOT NULL DEFAULT 'sequential'
                            CHECK (workflow_type IN ('sequential','conditional','parallel','loop','custom')),
    graph                   jsonb NOT NULL DEFAULT '{"nodes": [], "edges": []}',
    entry_point             text,
    version                 integer NOT NULL DEFAULT 1 CHECK (version > 0),
    is_active               boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name, version)
);
COMMENT ON TABLE langgraph_workflows IS 'LangGraph workflow definitions (graph of nodes and edges), versioned.';
CREATE INDEX idx_langgraph_workflows_organization_id ON langgraph_workflows (organization_id);
CREATE INDEX idx_langgraph_workflows_created_by ON langgraph_workflows (created_by);

-- ---------------------------------------------------------------------------------------------
-- workflow_executions (user-owned)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE workflow_executions (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workflow_id             uuid NOT NULL REFERENCES langgraph_workflows(id) ON DELETE CASCADE,
    status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending','running','paused','completed','failed','cancelled')),
    input                   jsonb NOT NULL DEFAULT '{}',
    output                  jsonb,
    error                   text,
    current_node            text,
    started_at              timestamptz,
    completed_at            timestamptz,
    duration_ms             bigint CHECK (duration_ms >= 0),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, organization_id, user_id)
);
COMMENT ON TABLE workflow_executions IS 'Runs of a LangGraph workflow, started by a user.';
CREATE INDEX idx_workflow_executions_organization_id ON workflow_executions (organization_id);
CREATE INDEX idx_workflow_executions_user_id ON workflow_executions (user_id, created_at DESC);
CREATE INDEX idx_workflow_executions_workflow_id ON workflow_executions (workflow_id);
CREATE INDEX idx_workflow_executions_created_at ON workflow_executions (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- workflow_states (user-owned): checkpoints of an execution
-- ---------------------------------------------------------------------------------------------
CREATE TABLE workflow_states (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    execution_id            uuid NOT NULL,
    parent_state_id         uuid REFERENCES workflow_states(id) ON DELETE SET NULL,
    step                    integer NOT NULL CHECK (step >= 0),
    node_name               text,
    state                   jsonb NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (execution_id, step),
    FOREIGN KEY (execution_id, organization_id, user_id)
        REFERENCES workflow_executions (id, organization_id, user_id) ON DELETE CASCADE ON UPDATE CASCADE
);
COMMENT ON TABLE workflow_states IS 'Checkpointed state of a workflow execution after each step.';
CREATE INDEX idx_workflow_states_organization_id ON workflow_states (organization_id);
CREATE INDEX idx_workflow_states_user_id ON workflow_states (user_id);
CREATE INDEX idx_workflow_states_execution_id ON workflow_states (execution_id);
CREATE INDEX idx_workflow_states_parent_state_id ON workflow_states (parent_state_id);

-- ---------------------------------------------------------------------------------------------
-- crews, crew_members, crew_tasks (CrewAI)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE crews (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    manager_agent_id        uuid REFERENCES ai_agents(id) ON DELETE SET NULL,
    name                    text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description             text,
    process                 text NOT NULL DEFAULT 'sequential' CHECK (process IN ('sequential','hierarchical')),
    status                  text NOT NULL DEFAULT 'idle' CHECK (status IN ('idle','running','completed','failed')),
    settings                jsonb NOT NULL DEFAULT '{}',
    is_active               boolean NOT NULL DEFAULT true,
    last_run_at             timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
COMMENT ON TABLE crews IS 'CrewAI teams of agents.';
CREATE INDEX idx_crews_organization_id ON crews (organization_id);
CREATE INDEX idx_crews_created_by ON crews (created_by);
CREATE INDEX idx_crews_manager_agent_id ON crews (manager_agent_id);

CREATE TABLE crew_members (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    crew_id                 uuid NOT NULL REFERENCES crews(id) ON DELETE CASCADE,
    agent_id                uuid NOT NULL REFERENCES ai_agents(id) ON DELETE CASCADE,
    role                    text NOT NULL,
    goal                    text,
    backstory               text,
    position                integer NOT NULL DEFAULT 0 CHECK (position >= 0),
    allow_delegation        boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (crew_id, agent_id)
);
COMMENT ON TABLE crew_members IS 'Agents in a crew, with their CrewAI role, goal and backstory.';
CREATE INDEX idx_crew_members_organization_id ON crew_members (organization_id);
CREATE INDEX idx_crew_members_crew_id ON crew_members (crew_id);
CREATE INDEX idx_crew_members_agent_id ON crew_members (agent_id);

CREATE TABLE crew_tasks (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    crew_id                 uuid NOT NULL REFERENCES crews(id) ON DELETE CASCADE,
    assigned_member_id      uuid REFERENCES crew_members(id) ON DELETE SET NULL,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    description             text NOT NULL,
    expected_output         text,
    position                integer NOT NULL DEFAULT 0 CHECK (position >= 0),
    context_task_ids        uuid[] NOT NULL DEFAULT '{}',
    status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending','running','completed','failed','skipped')),
    result                  text,
    error                   text,
    started_at              timestamptz,
    completed_at            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crew_tasks IS 'Task definitions (and last result) of a crew; context_task_ids lists tasks whose output feeds this one.';
CREATE INDEX idx_crew_tasks_organization_id ON crew_tasks (organization_id);
CREATE INDEX idx_crew_tasks_crew_id ON crew_tasks (crew_id, position);
CREATE INDEX idx_crew_tasks_assigned_member_id ON crew_tasks (assigned_member_id);
CREATE INDEX idx_crew_tasks_created_by ON crew_tasks (created_by);

-- ---------------------------------------------------------------------------------------------
-- autogen_agents, autogen_conversations
-- ---------------------------------------------------------------------------------------------
CREATE TABLE autogen_agents (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by                  uuid REFERENCES users(id) ON DELETE SET NULL,
    base_agent_id               uuid REFERENCES ai_agents(id) ON DELETE SET NULL,
    name                        text NOT NULL CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
    agent_type                  text NOT NULL DEFAULT 'assistant'
                                CHECK (agent_type IN ('assistant','user_proxy','group_chat_manager','conversable')),
    system_message              text,
    llm_config                  jsonb NOT NULL DEFAULT '{}',
    human_input_mode            text NOT NULL DEFAULT 'NEVER' CHECK (human_input_mode IN ('ALWAYS','NEVER','TERMINATE')),
    max_consecutive_auto_reply  integer NOT NULL DEFAULT 10 CHECK (max_consecutive_auto_reply >= 0),
    code_execution_enabled      boolean NOT NULL DEFAULT false,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
COMMENT ON TABLE autogen_agents IS 'AutoGen agent definitions (optionally derived from an ai_agents row).';
CREATE INDEX idx_autogen_agents_organization_id ON autogen_agents (organization_id);
CREATE INDEX idx_autogen_agents_created_by ON autogen_agents (created_by);
CREATE INDEX idx_autogen_agents_base_agent_id ON autogen_agents (base_agent_id);

CREATE TABLE autogen_conversations (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    initiator_agent_id      uuid REFERENCES autogen_agents(id) ON DELETE SET NULL,
    participant_agent_ids   uuid[] NOT NULL DEFAULT '{}',
    title                   text,
    status                  text NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active','completed','failed','terminated')),
    messages                jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(messages) = 'array'),
    max_rounds              integer NOT NULL DEFAULT 10 CHECK (max_rounds > 0),
    rounds_completed        integer NOT NULL DEFAULT 0 CHECK (rounds_completed >= 0),
    summary                 text,
    total_tokens            bigint NOT NULL DEFAULT 0 CHECK (total_tokens >= 0),
    cost_usd                numeric(12,6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    completed_at            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE autogen_conversations IS 'Multi-agent AutoGen conversations started by a user.';
CREATE INDEX idx_autogen_conversations_organization_id ON autogen_conversations (organization_id);
CREATE INDEX idx_autogen_conversations_user_id ON autogen_conversations (user_id, created_at DESC);
CREATE INDEX idx_autogen_conversations_initiator_agent_id ON autogen_conversations (initiator_agent_id);
CREATE INDEX idx_autogen_conversations_created_at ON autogen_conversations (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- prefect_flows, flow_schedules, flow_runs
-- ---------------------------------------------------------------------------------------------
CREATE TABLE prefect_flows (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    name                    text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description             text,
    entrypoint              text,
    flow_definition         jsonb NOT NULL DEFAULT '{}',
    parameters_schema       jsonb NOT NULL DEFAULT '{}',
    tags                    text[] NOT NULL DEFAULT '{}',
    version                 integer NOT NULL DEFAULT 1 CHECK (version > 0),
    is_active               boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
COMMENT ON TABLE prefect_flows IS 'Prefect flow definitions.';
CREATE INDEX idx_prefect_flows_organization_id ON prefect_flows (organization_id);
CREATE INDEX idx_prefect_flows_created_by ON prefect_flows (created_by);

CREATE TABLE flow_schedules (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    flow_id                 uuid NOT NULL REFERENCES prefect_flows(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    cron                    text,
    interval_seconds        integer CHECK (interval_seconds > 0),
    timezone                text NOT NULL DEFAULT 'UTC',
    parameters              jsonb NOT NULL DEFAULT '{}',
    is_active               boolean NOT NULL DEFAULT true,
    next_run_at             timestamptz,
    last_run_at             timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(cron, interval_seconds) = 1)
);
COMMENT ON TABLE flow_schedules IS 'Schedules (cron or fixed interval) that start flow runs.';
CREATE INDEX idx_flow_schedules_organization_id ON flow_schedules (organization_id);
CREATE INDEX idx_flow_schedules_flow_id ON flow_schedules (flow_id);
CREATE INDEX idx_flow_schedules_created_by ON flow_schedules (created_by);
CREATE INDEX idx_flow_schedules_next_run_at ON flow_schedules (next_run_at) WHERE is_active;

CREATE TABLE flow_runs (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    flow_id                 uuid NOT NULL REFERENCES prefect_flows(id) ON DELETE CASCADE,
    schedule_id             uuid REFERENCES flow_schedules(id) ON DELETE SET NULL,
    triggered_by            uuid REFERENCES users(id) ON DELETE SET NULL,
    state                   text NOT NULL DEFAULT 'scheduled'
                            CHECK (state IN ('scheduled','pending','running','completed','failed','cancelled','crashed')),
    parameters              jsonb NOT NULL DEFAULT '{}',
    result                  jsonb,
    error                   text,
    external_run_id         text,
    scheduled_for           timestamptz,
    started_at              timestamptz,
    completed_at            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE flow_runs IS 'Execution history of Prefect flows (manual or scheduled).';
CREATE INDEX idx_flow_runs_organization_id ON flow_runs (organization_id, created_at DESC);
CREATE INDEX idx_flow_runs_flow_id ON flow_runs (flow_id, created_at DESC);
CREATE INDEX idx_flow_runs_schedule_id ON flow_runs (schedule_id);
CREATE INDEX idx_flow_runs_triggered_by ON flow_runs (triggered_by);
CREATE INDEX idx_flow_runs_created_at ON flow_runs (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['mcp_connections','mcp_tools','mcp_contexts','langgraph_workflows',
                             'workflow_executions','crews','crew_members','crew_tasks','autogen_agents',
                             'autogen_conversations','prefect_flows','flow_schedules','flow_runs']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION public.set_updated_at()',
                       'trg_' || t || '_updated_at', t);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE mcp_connections       ENABLE ROW LEVEL SECURITY;
ALTER TABLE mcp_tools             ENABLE ROW LEVEL SECURITY;
ALTER TABLE mcp_contexts          ENABLE ROW LEVEL SECURITY;
ALTER TABLE langgraph_workflows   ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_executions   ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_states       ENABLE ROW LEVEL SECURITY;
ALTER TABLE crews                 ENABLE ROW LEVEL SECURITY;
ALTER TABLE crew_members          ENABLE ROW LEVEL SECURITY;
ALTER TABLE crew_tasks            ENABLE ROW LEVEL SECURITY;
ALTER TABLE autogen_agents        ENABLE ROW LEVEL SECURITY;
ALTER TABLE autogen_conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE prefect_flows         ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_schedules        ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_runs             ENABLE ROW LEVEL SECURITY;

-- org-scoped
CREATE POLICY mcp_connections_org ON mcp_connections FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY mcp_tools_org ON mcp_tools FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY mcp_contexts_org ON mcp_contexts FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY langgraph_workflows_org ON langgraph_workflows FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY crews_org ON crews FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY crew_members_org ON crew_members FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY crew_tasks_org ON crew_tasks FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY autogen_agents_org ON autogen_agents FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY prefect_flows_org ON prefect_flows FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY flow_schedules_org ON flow_schedules FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY flow_runs_org ON flow_runs FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());

-- user-owned
CREATE POLICY workflow_executions_owner ON workflow_executions FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY workflow_states_owner ON workflow_states FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY autogen_conversations_owner ON autogen_conversations FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE
    ON mcp_connections, mcp_tools, mcp_contexts, langgraph_workflows, workflow_executions, workflow_states,
       crews, crew_members, crew_tasks, autogen_agents, autogen_conversations,
       prefect_flows, flow_schedules, flow_runs
    TO auralink_app;
