-- 020_workflow_schedules.sql
-- Prefect-scheduled workflows (issue #14): a schedule is ours (this table, user-owned like a run: its creator,
-- or an org admin) and a Prefect deployment with a cron schedule on the Prefect server (its id here). When
-- Prefect fires a flow run of that deployment, the daemon that claims it starts a run of the schedule's
-- workflow as the schedule's creator, recording the schedule and the Prefect flow run id on the run.

CREATE TABLE workflow_schedules (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    owner_is_admin          boolean NOT NULL DEFAULT false,
    -- the version that was the latest when scheduled; deleting the workflow deletes its schedules
    workflow_id             uuid NOT NULL REFERENCES workflow_definitions(id) ON DELETE CASCADE,
    cron                    text NOT NULL,
    timezone                text NOT NULL DEFAULT 'UTC',
    inputs                  jsonb NOT NULL DEFAULT '{}',
    retries                 integer NOT NULL DEFAULT 0 CHECK (retries BETWEEN 0 AND 10),
    timeout_s               double precision NOT NULL DEFAULT 3600 CHECK (timeout_s > 0 AND timeout_s <= 86400),
    prefect_deployment_id   uuid NOT NULL UNIQUE,
    created_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE workflow_schedules IS 'Cron schedules of workflows, each a Prefect deployment; its runs are its creator''s.';
CREATE INDEX idx_workflow_schedules_org_created ON workflow_schedules (organization_id, created_at DESC, id DESC);
CREATE INDEX idx_workflow_schedules_user_id ON workflow_schedules (user_id);
CREATE INDEX idx_workflow_schedules_workflow_id ON workflow_schedules (workflow_id);

ALTER TABLE workflow_runs
    ADD COLUMN schedule_id uuid REFERENCES workflow_schedules(id) ON DELETE SET NULL,
    ADD COLUMN prefect_flow_run_id uuid;
CREATE INDEX idx_workflow_runs_schedule_id ON workflow_runs (schedule_id);

ALTER TABLE workflow_schedules ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_schedules_owner ON workflow_schedules FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_schedules TO auralink_app;
