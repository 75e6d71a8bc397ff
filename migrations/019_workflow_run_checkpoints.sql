-- 019_workflow_run_checkpoints.sql
-- Engine checkpoints of a run (issue #14, durability) for the engines whose framework keeps none in
-- PostgreSQL itself (AutoGen, CrewAI, Prefect; LangGraph's PostgresSaver keeps its own in
-- workflow_checkpoints): what each finished step left, as JSON under a key the engine names, so a run
-- adopted after its daemon died continues after its last finished step on any replica.
-- Owned like the run's events: the run's owner (or an org admin) under RLS; gone with the run.

CREATE TABLE workflow_run_checkpoints (
    run_id                  uuid NOT NULL,
    key                     text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    data                    jsonb NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, key),
    FOREIGN KEY (run_id, organization_id, user_id)
        REFERENCES workflow_runs (id, organization_id, user_id) ON DELETE CASCADE
);
COMMENT ON TABLE workflow_run_checkpoints IS 'What a run''s finished steps left (AutoGen, CrewAI, Prefect engines), so a run resumed after a crash continues after them.';
CREATE INDEX idx_workflow_run_checkpoints_org ON workflow_run_checkpoints (organization_id);
CREATE INDEX idx_workflow_run_checkpoints_user ON workflow_run_checkpoints (user_id);
CREATE TRIGGER trg_workflow_run_checkpoints_updated_at BEFORE UPDATE ON workflow_run_checkpoints
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE workflow_run_checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_run_checkpoints_owner ON workflow_run_checkpoints FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_run_checkpoints TO auralink_app;
