-- 007_enterprise.sql
-- SSO, RBAC, audit log, billing (subscriptions, invoices, usage), compliance, retention.
--
-- RLS EXCEPTIONS (tables in schema public WITHOUT row level security):
--   * rbac_permissions  global reference data (the permission catalogue); auralink_app: SELECT only.
--   (schema_migrations belongs to the migration runner and is not created here.)
--
-- Scoping in this file:
--   * org-admin tables (members read, only org admins write): sso_configs, subscriptions, invoices,
--     retention_policies  -> policies <table>_select + <table>_admin_write/_admin_update/_admin_delete
--   * rbac_roles: system roles (organization_id NULL, is_system_role) readable by everyone, never
--     writable by auralink_app; custom roles org-scoped.
--   * rbac_role_assignments: org-scoped; a trigger checks the role is a system role or the org's own.
--   * user-owned: sso_connections, compliance_requests (owner or org admin).
--   * usage_records: read by the user it belongs to or an org admin; inserted by the org's
--     principals (own user_id, or any/NULL user_id when org admin); corrected only by org admins.
--   * audit_logs: append-only. SELECT only org admins; INSERT by the org's principals.
--     UPDATE/DELETE/TRUNCATE are not granted and a trigger rejects them for everyone except
--     superusers and the table owner (the owner is needed for ON DELETE CASCADE from
--     organizations, which PostgreSQL runs as the table owner, and for retention purges).
--     NOTE: INSERT ... RETURNING requires the new row to pass the SELECT policy, so non-admins must
--     not use RETURNING on audit_logs; use audit_chain_head() to read the previous hash.

-- ---------------------------------------------------------------------------------------------
-- sso_configs (org-admin)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE sso_configs (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    name                    text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    provider_type           text NOT NULL CHECK (provider_type IN ('saml','oidc','oauth2')),
    is_enabled              boolean NOT NULL DEFAULT false,
    issuer                  text,           -- SAML entity id / OIDC issuer
    sso_url                 text,
    metadata_url            text,
    certificate             text,           -- IdP signing certificate (public)
    client_id               text,
    -- client secret, envelope-encrypted; never plaintext
    encrypted_client_secret bytea,
    wrapped_data_key        bytea,
    nonce                   bytea,
    kek_id                  text,
    allowed_domains         text[] NOT NULL DEFAULT '{}',
    attribute_mapping       jsonb NOT NULL DEFAULT '{}',
    default_role            text NOT NULL DEFAULT 'user' CHECK (default_role IN ('user','admin','moderator','agent')),
    enforce_sso             boolean NOT NULL DEFAULT false,
    jit_provisioning        boolean NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
COMMENT ON TABLE sso_configs IS 'SSO identity provider settings (SAML, OIDC, OAuth2) of an organization.';
CREATE INDEX idx_sso_configs_organization_id ON sso_configs (organization_id);
CREATE INDEX idx_sso_configs_created_by ON sso_configs (created_by);
CREATE INDEX idx_sso_configs_allowed_domains ON sso_configs USING gin (allowed_domains);

-- ---------------------------------------------------------------------------------------------
-- sso_connections (user-owned): SSO logins / sessions
-- ---------------------------------------------------------------------------------------------
CREATE TABLE sso_connections (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sso_config_id           uuid NOT NULL REFERENCES sso_configs(id) ON DELETE CASCADE,
    session_id              uuid REFERENCES sessions(id) ON DELETE SET NULL,
    external_subject        text NOT NULL,      -- SAML NameID / OIDC sub
    session_index           text,
    attributes              jsonb NOT NULL DEFAULT '{}',
    status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active','expired','terminated')),
    authenticated_at        timestamptz NOT NULL DEFAULT now(),
    expires_at              timestamptz,
    terminated_at           timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sso_connections IS 'SSO-authenticated sessions linking an IdP subject to a user.';
CREATE INDEX idx_sso_connections_organization_id ON sso_connections (organization_id);
CREATE INDEX idx_sso_connections_user_id ON sso_connections (user_id);
CREATE INDEX idx_sso_connections_sso_config_id ON sso_connections (sso_config_id, external_subject);
CREATE INDEX idx_sso_connections_session_id ON sso_connections (session_id);

-- Pre-authentication: find the enabled SSO configs for an email domain (no secrets returned).
CREATE OR REPLACE FUNCTION public.auth_find_sso_configs(p_domain text)
    RETURNS TABLE (id uuid, organization_id uuid, provider_type text, issuer text, sso_url text,
                   metadata_url text, client_id text, enforce_sso boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT c.id, c.organization_id, c.provider_type, c.issuer, c.sso_url, c.metadata_url,
               c.client_id, c.enforce_sso
        FROM sso_configs c
        WHERE c.is_enabled AND lower(p_domain) = ANY (c.allowed_domains)
    $$;
REVOKE ALL ON FUNCTION public.auth_find_sso_configs(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.auth_find_sso_configs(text) TO auralink_app;

-- ---------------------------------------------------------------------------------------------
-- rbac_permissions (global reference data: NO RLS)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE rbac_permissions (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                    text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]*:[a-z*][a-z0-9_*]*$'),  -- e.g. memories:write
    resource                text NOT NULL,
    action                  text NOT NULL,
    description             text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (name = resource || ':' || action)
);
COMMENT ON TABLE rbac_permissions IS 'Permission catalogue (resource:action), global reference data: no RLS, read-only for auralink_app.';

-- ---------------------------------------------------------------------------------------------
-- rbac_roles
-- ---------------------------------------------------------------------------------------------
CREATE TABLE rbac_roles (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid REFERENCES organizations(id) ON DELETE CASCADE,   -- NULL = system role
    name                    varchar(100) NOT NULL CHECK (length(btrim(name)) > 0),
    description             text,
    permissions             jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(permissions) = 'array'),
    is_system_role          boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (is_system_role = (organization_id IS NULL)),
    UNIQUE NULLS NOT DISTINCT (organization_id, name)
);
COMMENT ON TABLE rbac_roles IS 'Roles: system roles (organization_id NULL, shared by all orgs) and custom roles of an org; permissions is a JSON array of permission names.';
CREATE INDEX idx_rbac_roles_organization_id ON rbac_roles (organization_id);

-- ---------------------------------------------------------------------------------------------
-- rbac_role_assignments (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE rbac_role_assignments (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL,
    role_id                 uuid NOT NULL REFERENCES rbac_roles(id) ON DELETE CASCADE,
    granted_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    expires_at              timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, role_id),
    FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE CASCADE
);
COMMENT ON TABLE rbac_role_assignments IS 'Which user holds which role (system role or a custom role of the same org).';
CREATE INDEX idx_rbac_role_assignments_organization_id ON rbac_role_assignments (organization_id);
CREATE INDEX idx_rbac_role_assignments_user_id ON rbac_role_assignments (user_id);
CREATE INDEX idx_rbac_role_assignments_role_id ON rbac_role_assignments (role_id);
CREATE INDEX idx_rbac_role_assignments_granted_by ON rbac_role_assignments (granted_by);

-- A role of another org must never be assignable (FK checks bypass RLS, so check explicitly).
CREATE OR REPLACE FUNCTION public.rbac_role_assignments_check_role() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rbac_roles r
                   WHERE r.id = NEW.role_id
                     AND (r.organization_id IS NULL OR r.organization_id = NEW.organization_id)) THEN
        RAISE EXCEPTION 'role % does not belong to organization %', NEW.role_id, NEW.organization_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION public.rbac_role_assignments_check_role() FROM PUBLIC;
CREATE TRIGGER trg_rbac_role_assignments_check_role
    BEFORE INSERT OR UPDATE OF role_id, organization_id ON rbac_role_assignments
    FOR EACH ROW EXECUTE FUNCTION public.rbac_role_assignments_check_role();

-- ---------------------------------------------------------------------------------------------
-- audit_logs (append-only, tamper-evident hash chain computed by the daemon)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE audit_logs (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    actor_user_id           uuid,           -- no FK on purpose: the trail outlives deleted users
    actor_type              text NOT NULL DEFAULT 'user' CHECK (actor_type IN ('user','api_key','agent','system')),
    action                  text NOT NULL CHECK (length(action) BETWEEN 1 AND 200),
    resource_type           text,
    resource_id             text,
    outcome                 text NOT NULL DEFAULT 'success' CHECK (outcome IN ('success','failure','denied')),
    request_id              text,
    ip_address              inet,
    user_agent              text,
    metadata                jsonb NOT NULL DEFAULT '{}',
    prev_hash               bytea,          -- hash of the previous row of the same org (NULL for the first)
    hash                    bytea,          -- H(prev_hash || canonical row), computed by the daemon
    created_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE audit_logs IS 'Append-only audit trail per org with a hash chain (prev_hash -> hash); UPDATE/DELETE rejected.';
CREATE INDEX idx_audit_logs_organization_id ON audit_logs (organization_id, id);
CREATE INDEX idx_audit_logs_org_created_at ON audit_logs (organization_id, created_at DESC);
CREATE INDEX idx_audit_logs_actor_user_id ON audit_logs (actor_user_id);
CREATE INDEX idx_audit_logs_resource ON audit_logs (resource_type, resource_id);
CREATE INDEX idx_audit_logs_request_id ON audit_logs (request_id);

CREATE OR REPLACE FUNCTION public.audit_logs_reject_changes() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       OR current_user = (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = TG_RELID) THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            RETURN OLD;
        ELSE
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only (% rejected for role %)', TG_OP, current_user
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER trg_audit_logs_no_update_delete BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION public.audit_logs_reject_changes();
CREATE TRIGGER trg_audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION public.audit_logs_reject_changes();

-- The head of the current org's chain, for computing the next row's prev_hash. Takes a
-- transaction-scoped advisory lock on the org so concurrent appends cannot fork the chain:
-- call it, compute hash, INSERT, commit, in one transaction.
CREATE OR REPLACE FUNCTION public.audit_chain_head()
    RETURNS TABLE (id bigint, hash bytea)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_org uuid := app_current_org_id();
BEGIN
    IF v_org IS NULL THEN
        RAISE EXCEPTION 'app.current_org_id is not set' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('audit_logs:' || v_org::text, 0));
    RETURN QUERY
        SELECT a.id, a.hash FROM audit_logs a
        WHERE a.organization_id = v_org
        ORDER BY a.id DESC
        LIMIT 1;
END $$;
REVOKE ALL ON FUNCTION public.audit_chain_head() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.audit_chain_head() TO auralink_app;

-- ---------------------------------------------------------------------------------------------
-- subscriptions (org-admin)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE subscriptions (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    plan                        text NOT NULL CHECK (plan IN ('free','pro','business','enterprise')),
    status                      text NOT NULL DEFAULT 'active'
                                CHECK (status IN ('trialing','active','past_due','canceled','incomplete','paused')),
    billing_provider            text NOT NULL DEFAULT 'stripe',
    external_customer_id        text,
    external_subscription_id    text UNIQUE,
    seats                       integer NOT NULL DEFAULT 1 CHECK (seats > 0),
    current_period_start        timestamptz,
    current_period_end          timestamptz,
    trial_ends_at               timestamptz,
    cancel_at_period_end        boolean NOT NULL DEFAULT false,
    canceled_at                 timestamptz,
    metadata                    jsonb NOT NULL DEFAULT '{}',
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK (current_period_end IS NULL OR current_period_start IS NULL OR current_period_end > current_period_start)
);
COMMENT ON TABLE subscriptions IS 'Billing subscriptions of an organization.';
CREATE INDEX idx_subscriptions_organization_id ON subscriptions (organization_id);
-- at most one live subscription per org
CREATE UNIQUE INDEX uq_subscriptions_live_per_org ON subscriptions (organization_id)
    WHERE status IN ('trialing','active','past_due','incomplete','paused');

-- ---------------------------------------------------------------------------------------------
-- invoices (org-admin)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE invoices (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    subscription_id         uuid REFERENCES subscriptions(id) ON DELETE SET NULL,
    invoice_number          text NOT NULL UNIQUE,
    external_invoice_id     text UNIQUE,
    status                  text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','open','paid','void','uncollectible')),
    currency                char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal                numeric(12,2) NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
    tax                     numeric(12,2) NOT NULL DEFAULT 0 CHECK (tax >= 0),
    total                   numeric(12,2) NOT NULL DEFAULT 0 CHECK (total >= 0),
    amount_paid             numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
    line_items              jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(line_items) = 'array'),
    period_start            timestamptz,
    period_end              timestamptz,
    issued_at               timestamptz,
    due_at                  timestamptz,
    paid_at                 timestamptz,
    pdf_url                 text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE invoices IS 'Invoices issued to an organization.';
CREATE INDEX idx_invoices_organization_id ON invoices (organization_id, created_at DESC);
CREATE INDEX idx_invoices_subscription_id ON invoices (subscription_id);

-- ---------------------------------------------------------------------------------------------
-- usage_records (metered usage of providers/models)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE usage_records (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid REFERENCES users(id) ON DELETE SET NULL,
    agent_id                uuid REFERENCES ai_agents(id) ON DELETE SET NULL,
    subscription_id         uuid REFERENCES subscriptions(id) ON DELETE SET NULL,
    provider                text NOT NULL,
    model                   text NOT NULL,
    operation               text NOT NULL DEFAULT 'chat'
                            CHECK (operation IN ('chat','completion','embedding','stt','tts','translation',
                                                 'tool','compression','other')),
    prompt_tokens           integer NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens       integer NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    total_tokens            integer GENERATED ALWAYS AS (prompt_tokens + completion_tokens) STORED,
    cost_usd                numeric(12,6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    latency_ms              integer CHECK (latency_ms >= 0),
    failovers               integer NOT NULL DEFAULT 0 CHECK (failovers >= 0),
    success                 boolean NOT NULL DEFAULT true,
    request_id              text,
    metadata                jsonb NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE usage_records IS 'Metered usage per call: provider, model, tokens, cost, latency, failovers.';
CREATE INDEX idx_usage_records_organization_id ON usage_records (organization_id, created_at DESC);
CREATE INDEX idx_usage_records_user_id ON usage_records (user_id, created_at DESC);
CREATE INDEX idx_usage_records_agent_id ON usage_records (agent_id);
CREATE INDEX idx_usage_records_subscription_id ON usage_records (subscription_id);
CREATE INDEX idx_usage_records_created_at ON usage_records (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- compliance_requests (user-owned: the data subject, or an org admin)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE compliance_requests (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid REFERENCES users(id) ON DELETE SET NULL,   -- data subject; NULL once erased
    subject_email           text,
    requested_by            uuid REFERENCES users(id) ON DELETE SET NULL,
    processed_by            uuid REFERENCES users(id) ON DELETE SET NULL,
    request_type            text NOT NULL
                            CHECK (request_type IN ('access','export','erasure','rectification','restriction','portability')),
    regulation              text NOT NULL DEFAULT 'gdpr' CHECK (regulation IN ('gdpr','ccpa','hipaa','other')),
    status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending','in_progress','completed','rejected','cancelled')),
    reason                  text,
    result_location         text,
    notes                   text,
    metadata                jsonb NOT NULL DEFAULT '{}',
    due_at                  timestamptz NOT NULL DEFAULT (now() + interval '30 days'),
    completed_at            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE compliance_requests IS 'GDPR/CCPA/HIPAA data-subject requests (export, erasure, ...) and their processing.';
CREATE INDEX idx_compliance_requests_organization_id ON compliance_requests (organization_id, status);
CREATE INDEX idx_compliance_requests_user_id ON compliance_requests (user_id);
CREATE INDEX idx_compliance_requests_requested_by ON compliance_requests (requested_by);
CREATE INDEX idx_compliance_requests_processed_by ON compliance_requests (processed_by);
CREATE INDEX idx_compliance_requests_created_at ON compliance_requests (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- retention_policies (org-admin)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE retention_policies (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    resource_type           text NOT NULL
                            CHECK (resource_type IN ('audit_logs','memories','agent_conversations','files',
                                                     'audio_files','call_recordings','usage_records',
                                                     'aic_compression_metrics','route_performance',
                                                     'workflow_executions','sessions')),
    retention_days          integer NOT NULL CHECK (retention_days > 0),
    action                  text NOT NULL DEFAULT 'delete' CHECK (action IN ('delete','anonymize','archive')),
    legal_hold              boolean NOT NULL DEFAULT false,
    is_active               boolean NOT NULL DEFAULT true,
    last_applied_at         timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, resource_type)
);
COMMENT ON TABLE retention_policies IS 'Per-org data retention rules (how long each kind of data is kept, and what happens then).';
CREATE INDEX idx_retention_policies_organization_id ON retention_policies (organization_id);
CREATE INDEX idx_retention_policies_created_by ON retention_policies (created_by);

-- ---------------------------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sso_configs','sso_connections','rbac_roles','subscriptions','invoices',
                             'compliance_requests','retention_policies']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION public.set_updated_at()',
                       'trg_' || t || '_updated_at', t);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Row level security (every table here except rbac_permissions)
-- ---------------------------------------------------------------------------------------------
ALTER TABLE sso_configs           ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_connections       ENABLE ROW LEVEL SECURITY;
ALTER TABLE rbac_roles            ENABLE ROW LEVEL SECURITY;
ALTER TABLE rbac_role_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs            ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions         ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices              ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_records         ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_requests   ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_policies    ENABLE ROW LEVEL SECURITY;

-- org-admin tables: members read, admins write
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sso_configs','subscriptions','invoices','retention_policies']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (organization_id = app_current_org_id())',
                       t || '_select', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT
                            WITH CHECK (organization_id = app_current_org_id() AND app_is_org_admin())',
                       t || '_admin_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE
                            USING (organization_id = app_current_org_id() AND app_is_org_admin())
                            WITH CHECK (organization_id = app_current_org_id() AND app_is_org_admin())',
                       t || '_admin_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE
                            USING (organization_id = app_current_org_id() AND app_is_org_admin())',
                       t || '_admin_delete', t);
    END LOOP;
END $$;

-- user-owned
CREATE POLICY sso_connections_owner ON sso_connections FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY compliance_requests_owner ON compliance_requests FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

-- rbac_roles: system roles (organization_id NULL) visible to all, custom roles to their org;
-- only custom roles of the current org are writable (NULL = x is never true).
CREATE POLICY rbac_roles_select ON rbac_roles FOR SELECT
    USING (organization_id IS NULL OR organization_id = app_current_org_id());
CREATE POLICY rbac_roles_insert ON rbac_roles FOR INSERT
    WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY rbac_roles_update ON rbac_roles FOR UPDATE
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY rbac_roles_delete ON rbac_roles FOR DELETE
    USING (organization_id = app_current_org_id());

-- rbac_role_assignments: org-scoped
CREATE POLICY rbac_role_assignments_org ON rbac_role_assignments FOR ALL
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());

-- audit_logs: admins of the org read; the org's principals append
CREATE POLICY audit_logs_select ON audit_logs FOR SELECT
    USING (organization_id = app_current_org_id() AND app_is_org_admin());
CREATE POLICY audit_logs_insert ON audit_logs FOR INSERT
    WITH CHECK (organization_id = app_current_org_id());

-- usage_records
CREATE POLICY usage_records_select ON usage_records FOR SELECT
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY usage_records_insert ON usage_records FOR INSERT
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY usage_records_update ON usage_records FOR UPDATE
    USING (organization_id = app_current_org_id() AND app_is_org_admin())
    WITH CHECK (organization_id = app_current_org_id() AND app_is_org_admin());
CREATE POLICY usage_records_delete ON usage_records FOR DELETE
    USING (organization_id = app_current_org_id() AND app_is_org_admin());

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
GRANT SELECT ON rbac_permissions TO auralink_app;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON sso_configs, sso_connections, rbac_roles, rbac_role_assignments, subscriptions, invoices,
       usage_records, compliance_requests, retention_policies
    TO auralink_app;
GRANT SELECT, INSERT ON audit_logs TO auralink_app;
DO $$
BEGIN
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO auralink_app',
                   pg_get_serial_sequence('public.audit_logs', 'id'));
END $$;
