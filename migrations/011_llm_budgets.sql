-- 011_llm_budgets.sql
-- usage_budgets: spending limits over a period per user, per org or per agent (checked before any
-- provider call); ai_agents.version for optimistic concurrency on agent updates.
--
-- Scoping: usage_budgets is org-admin (members read their org's budgets, only org admins write).

CREATE TABLE usage_budgets (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    scope               text NOT NULL CHECK (scope IN ('user','org','agent')),
    user_id             uuid REFERENCES users(id) ON DELETE CASCADE,
    agent_id            uuid REFERENCES ai_agents(id) ON DELETE CASCADE,
    period              text NOT NULL CHECK (period IN ('day','week','month','total')),
    limit_usd           numeric(12,6) NOT NULL CHECK (limit_usd >= 0),
    created_by          uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'user') = (user_id IS NOT NULL)),
    CHECK ((scope = 'agent') = (agent_id IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (organization_id, scope, user_id, agent_id, period)
);
COMMENT ON TABLE usage_budgets IS 'LLM spending limits per user, org or agent over a period; exceeded = RESOURCE_EXHAUSTED.';
CREATE INDEX idx_usage_budgets_organization_id ON usage_budgets (organization_id);
CREATE INDEX idx_usage_budgets_user_id ON usage_budgets (user_id);
CREATE INDEX idx_usage_budgets_agent_id ON usage_budgets (agent_id);
CREATE INDEX idx_usage_budgets_created_by ON usage_budgets (created_by);
CREATE TRIGGER trg_usage_budgets_updated_at BEFORE UPDATE ON usage_budgets
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE usage_budgets ENABLE ROW LEVEL SECURITY;
CREATE POLICY usage_budgets_select ON usage_budgets FOR SELECT
    USING (organization_id = app_current_org_id());
CREATE POLICY usage_budgets_admin_insert ON usage_budgets FOR INSERT
    WITH CHECK (organization_id = app_current_org_id() AND app_is_org_admin());
CREATE POLICY usage_budgets_admin_update ON usage_budgets FOR UPDATE
    USING (organization_id = app_current_org_id() AND app_is_org_admin())
    WITH CHECK (organization_id = app_current_org_id() AND app_is_org_admin());
CREATE POLICY usage_budgets_admin_delete ON usage_budgets FOR DELETE
    USING (organization_id = app_current_org_id() AND app_is_org_admin());
GRANT SELECT, INSERT, UPDATE, DELETE ON usage_budgets TO auralink_app;

-- Agents are updated with an etag derived from this counter.
ALTER TABLE ai_agents ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);

-- Spend per period is summed on every call: these keep the budget checks index-only.
CREATE INDEX idx_usage_records_org_created ON usage_records (organization_id, created_at) INCLUDE (cost_usd);
CREATE INDEX idx_usage_records_agent_created ON usage_records (agent_id, created_at) INCLUDE (cost_usd);
