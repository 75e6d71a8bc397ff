-- 016_workflows.sql (assigned 020; numbered 016 at landing: migrate.discover() refuses gaps, main had 001..015)
-- One run API over several engines (issue #14). Migration 005's per-engine tables (langgraph_workflows,
-- workflow_executions, workflow_states, crews, autogen_*, prefect_*) describe one framework each; the run
-- API needs one definition table and one run table for every engine, so they are added here and 005's
-- tables stay as they are (unused by this service).
--
-- Scoping: definitions are org-scoped (any member of the org sees and runs them); runs and their events
-- are user-owned (the creator, or an org admin). Engine checkpoints (LangGraph's PostgresSaver tables)
-- live in the schema workflow_checkpoints, which only the daemon's own role reaches: auralink_app has no
-- grant on it, and a checkpoint's thread id is the run id, read only for a run the caller could read.

CREATE TABLE workflow_definitions (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    name                    text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
    engine                  text NOT NULL CHECK (engine IN ('langgraph','crewai','autogen','prefect')),
    version                 integer NOT NULL CHECK (version > 0),
    description             text,
    definition              jsonb NOT NULL,
    source                  text NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name, version)
);
COMMENT ON TABLE workflow_definitions IS 'Workflow definitions (one row per version), validated by their engine on create.';
CREATE INDEX idx_workflow_definitions_org_name ON workflow_definitions (organization_id, name, version DESC);
CREATE INDEX idx_workflow_definitions_created_by ON workflow_definitions (created_by);

CREATE TABLE workflow_runs (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    owner_is_admin          boolean NOT NULL DEFAULT false,
    workflow_id             uuid NOT NULL REFERENCES workflow_definitions(id) ON DELETE CASCADE,
    status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending','running','waiting_input','completed','failed','cancelled')),
    inputs                  jsonb NOT NULL DEFAULT '{}',
    output                  jsonb,
    error                   text,
    current_step            text,
    waiting_prompt          text,
    -- which replica drives the run now, and when it last said so: a run whose lease lapsed (its daemon
    -- died) is adopted by the next daemon that starts and resumed from its last checkpoint
    replica_id              text,
    lease_until             timestamptz,
    started_at              timestamptz,
    completed_at            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, organization_id, user_id)
);
COMMENT ON TABLE workflow_runs IS 'Runs of a workflow definition (any engine), owned by the user who started them.';
CREATE INDEX idx_workflow_runs_org_created ON workflow_runs (organization_id, created_at DESC, id DESC);
CREATE INDEX idx_workflow_runs_user_id ON workflow_runs (user_id);
CREATE INDEX idx_workflow_runs_workflow_id ON workflow_runs (workflow_id);
CREATE INDEX idx_workflow_runs_live ON workflow_runs (lease_until) WHERE status = 'running';
CREATE TRIGGER trg_workflow_runs_updated_at BEFORE UPDATE ON workflow_runs
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TABLE workflow_run_events (
    run_id                  uuid NOT NULL,
    seq                     integer NOT NULL CHECK (seq > 0),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind                    text NOT NULL,
    step                    text NOT NULL DEFAULT '',
    data                    jsonb NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq),
    FOREIGN KEY (run_id, organization_id, user_id)
        REFERENCES workflow_runs (id, organization_id, user_id) ON DELETE CASCADE
);
COMMENT ON TABLE workflow_run_events IS 'What a run did, in order (step started/finished, memory, interrupts, the end); LLM tokens go on the bus only.';
CREATE INDEX idx_workflow_run_events_org ON workflow_run_events (organization_id);
CREATE INDEX idx_workflow_run_events_user ON workflow_run_events (user_id);

ALTER TABLE workflow_definitions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_runs        ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_run_events  ENABLE ROW LEVEL SECURITY;

CREATE POLICY workflow_definitions_org ON workflow_definitions FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY workflow_runs_owner ON workflow_runs FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY workflow_run_events_owner ON workflow_run_events FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_definitions, workflow_runs, workflow_run_events TO auralink_app;

-- LangGraph's PostgresSaver creates its tables here on first use (its own migrations); the app role has no access.
CREATE SCHEMA IF NOT EXISTS workflow_checkpoints;
REVOKE ALL ON SCHEMA workflow_checkpoints FROM PUBLIC;
