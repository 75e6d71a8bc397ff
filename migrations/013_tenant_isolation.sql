-- 013_tenant_isolation.sql
-- 1. Revoking an API key revokes the tokens obtained with it. A token issued by a caller that
--    authenticated with an API key (ExchangeApiKey, IssueToken, a mesh node token), or with a
--    token itself derived from one, records that key here; revoking the key revokes every live
--    token that names it (the daemon puts them on the revocation list of every replica).
ALTER TABLE sessions ADD COLUMN api_key_id uuid REFERENCES api_keys(id) ON DELETE SET NULL;
COMMENT ON COLUMN sessions.api_key_id IS 'The API key this token was obtained with, directly or through other tokens; revoking the key revokes the token.';
CREATE INDEX idx_sessions_api_key_id ON sessions (api_key_id) WHERE api_key_id IS NOT NULL;

-- 2. Agents: every member of the organization sees them and may chat with them; only the agent's
--    creator or an org admin may change or delete one. The daemon checks this first (a clear
--    PERMISSION_DENIED); these policies hold it in the database as well.
DROP POLICY ai_agents_org ON ai_agents;
CREATE POLICY ai_agents_select ON ai_agents FOR SELECT
    USING (organization_id = app_current_org_id());
CREATE POLICY ai_agents_insert ON ai_agents FOR INSERT
    WITH CHECK (organization_id = app_current_org_id()
                AND (created_by = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY ai_agents_update ON ai_agents FOR UPDATE
    USING (organization_id = app_current_org_id() AND (created_by = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY ai_agents_delete ON ai_agents FOR DELETE
    USING (organization_id = app_current_org_id() AND (created_by = app_current_user_id() OR app_is_org_admin()));
