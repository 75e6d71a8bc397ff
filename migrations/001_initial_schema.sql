-- 001_initial_schema.sql
-- Extensions, the auralink_app role, tenant-scope helper functions, organizations, users,
-- sessions, revoked_tokens, api_keys.
--
-- Executed whole, in one transaction, by a superuser or the database owner. No BEGIN/COMMIT here.
--
-- Tenant-scope conventions (used by every migration):
--   * The daemon runs tenant queries inside a transaction that does
--       SET LOCAL ROLE auralink_app;
--       SELECT set_config('app.current_user_id', $user, true),
--              set_config('app.current_org_id',  $org,  true),
--              set_config('app.org_admin', CASE WHEN $is_admin THEN 'on' ELSE 'off' END, true);
--   * org-scoped tables:  organization_id = app_current_org_id()               (USING and WITH CHECK)
--   * user-owned tables:  organization_id = app_current_org_id()
--                         AND (user_id = app_current_user_id() OR app_is_org_admin())
--   * Policies are named <table>_org (org-scoped) or <table>_owner (user-owned) unless a table
--     needs per-command policies (<table>_select / _insert / _update / _delete).

-- ---------------------------------------------------------------------------------------------
-- Extensions
-- ---------------------------------------------------------------------------------------------
-- pg_trgm is optional too: the system PostgreSQL ships it (contrib), the embedded PG16 of the
-- pgserver wheel does NOT. Trigram indexes are only created where it is installed (004, 006).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    END IF;
END $$;

-- pgvector is optional: without it embeddings are stored as real[] (see 004).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
        CREATE EXTENSION IF NOT EXISTS vector;
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- The application role (cluster-wide: may already exist from another database / test run)
-- ---------------------------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'auralink_app') THEN
        CREATE ROLE auralink_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END $$;

-- The connecting (owner) role must be able to SET ROLE auralink_app. Superusers can anyway.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'auralink_app', 'MEMBER') THEN
        EXECUTE format('GRANT auralink_app TO %I', current_user);
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'could not grant auralink_app to %: %', current_user, SQLERRM;
END $$;

GRANT USAGE ON SCHEMA public TO auralink_app;

-- ---------------------------------------------------------------------------------------------
-- Helper functions
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.app_current_user_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.current_user_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION public.app_current_org_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.current_org_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION public.app_is_org_admin() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.org_admin', true), '') = 'on' $$;

COMMENT ON FUNCTION public.app_current_user_id() IS 'Tenant scope: the acting user (transaction-local setting app.current_user_id), NULL when unset.';
COMMENT ON FUNCTION public.app_current_org_id() IS 'Tenant scope: the acting organization (transaction-local setting app.current_org_id), NULL when unset.';
COMMENT ON FUNCTION public.app_is_org_admin() IS 'Tenant scope: true when app.org_admin = on (the acting user administers app_current_org_id()).';

-- Generic updated_at maintenance, attached to every table with an updated_at column.
CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

-- ---------------------------------------------------------------------------------------------
-- organizations
-- ---------------------------------------------------------------------------------------------
CREATE TABLE organizations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    parent_id       uuid REFERENCES organizations(id) ON DELETE SET NULL,
    plan            text NOT NULL DEFAULT 'free' CHECK (plan IN ('free','pro','business','enterprise')),
    settings        jsonb NOT NULL DEFAULT '{}',
    is_active       boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
COMMENT ON TABLE organizations IS 'Tenants; every tenant row in the schema carries organization_id. parent_id allows hierarchies.';
CREATE INDEX idx_organizations_parent_id ON organizations (parent_id);

-- ---------------------------------------------------------------------------------------------
-- users
-- ---------------------------------------------------------------------------------------------
CREATE TABLE users (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email               text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 320),
    username            text NOT NULL CHECK (username ~ '^[a-z0-9_.-]{3,32}$'),
    display_name        text,
    password_hash       text,
    role                text NOT NULL DEFAULT 'user' CHECK (role IN ('user','admin','moderator','agent')),
    email_verified      boolean NOT NULL DEFAULT false,
    email_verified_at   timestamptz,
    is_active           boolean NOT NULL DEFAULT true,
    last_login_at       timestamptz,
    metadata            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    UNIQUE (id, organization_id)    -- target for composite FKs that pin a user to the row's org
);
COMMENT ON TABLE users IS 'User accounts; each belongs to exactly one organization. Email is unique case-insensitively; the AuraID lives in aura_id_registry (006).';
CREATE UNIQUE INDEX uq_users_email_lower ON users (lower(email));
CREATE UNIQUE INDEX uq_users_org_username ON users (organization_id, username);
CREATE INDEX idx_users_organization_id ON users (organization_id);
CREATE INDEX idx_users_created_at ON users (created_at DESC);

-- A non-admin may update their own row, but never their role (RLS cannot compare OLD and NEW).
CREATE OR REPLACE FUNCTION public.users_guard_role() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.role IS DISTINCT FROM OLD.role
       AND current_user = 'auralink_app'
       AND NOT public.app_is_org_admin() THEN
        RAISE EXCEPTION 'only an organization admin may change a user''s role'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER trg_users_guard_role BEFORE UPDATE OF role ON users
    FOR EACH ROW EXECUTE FUNCTION public.users_guard_role();

-- ---------------------------------------------------------------------------------------------
-- sessions (one row per issued refresh/session token)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE sessions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    jti                 text NOT NULL UNIQUE,
    refresh_token_hash  text,
    user_agent          text,
    ip_address          inet,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz,
    expires_at          timestamptz NOT NULL,
    revoked_at          timestamptz,
    CHECK (expires_at > created_at)
);
COMMENT ON TABLE sessions IS 'Issued login sessions / refresh tokens, identified by their JWT id (jti).';
CREATE INDEX idx_sessions_organization_id ON sessions (organization_id);
CREATE INDEX idx_sessions_user_id ON sessions (user_id);
CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);

-- ---------------------------------------------------------------------------------------------
-- revoked_tokens (JWT denylist until the token's own expiry)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE revoked_tokens (
    jti                 text PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid REFERENCES users(id) ON DELETE CASCADE,
    reason              text,
    revoked_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL
);
COMMENT ON TABLE revoked_tokens IS 'JWT denylist: a jti listed here is rejected until expires_at, after which the row may be purged.';
CREATE INDEX idx_revoked_tokens_organization_id ON revoked_tokens (organization_id);
CREATE INDEX idx_revoked_tokens_user_id ON revoked_tokens (user_id);
CREATE INDEX idx_revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- ---------------------------------------------------------------------------------------------
-- api_keys (only a salted hash of the secret is stored; prefix identifies the key)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE api_keys (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    prefix              text NOT NULL UNIQUE CHECK (length(prefix) BETWEEN 4 AND 32),
    key_hash            text NOT NULL,
    scopes              text[] NOT NULL DEFAULT '{}',
    expires_at          timestamptz,
    revoked_at          timestamptz,
    last_used_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE api_keys IS 'API keys: prefix (public, unique) + salted hash of the secret; never the secret itself.';
CREATE INDEX idx_api_keys_organization_id ON api_keys (organization_id);
CREATE INDEX idx_api_keys_user_id ON api_keys (user_id);

-- ---------------------------------------------------------------------------------------------
-- Pre-authentication lookups. Before a principal is known there is no tenant scope, so RLS
-- would hide every row from auralink_app. These SECURITY DEFINER functions return just what
-- authentication needs (the caller verifies the hash itself).
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.auth_find_api_key(p_prefix text)
    RETURNS TABLE (id uuid, organization_id uuid, user_id uuid, key_hash text, scopes text[],
                   expires_at timestamptz, revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT k.id, k.organization_id, k.user_id, k.key_hash, k.scopes, k.expires_at, k.revoked_at
        FROM api_keys k WHERE k.prefix = p_prefix
    $$;

CREATE OR REPLACE FUNCTION public.auth_find_user_by_email(p_email text)
    RETURNS TABLE (id uuid, organization_id uuid, password_hash text, role text,
                   is_active boolean, deleted_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT u.id, u.organization_id, u.password_hash, u.role, u.is_active, u.deleted_at
        FROM users u WHERE lower(u.email) = lower(p_email)
    $$;

REVOKE ALL ON FUNCTION public.auth_find_api_key(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.auth_find_user_by_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.auth_find_api_key(text) TO auralink_app;
GRANT EXECUTE ON FUNCTION public.auth_find_user_by_email(text) TO auralink_app;

-- ---------------------------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------------------------
CREATE TRIGGER trg_organizations_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_api_keys_updated_at BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE organizations  ENABLE ROW LEVEL SECURITY;
ALTER TABLE users          ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions       ENABLE ROW LEVEL SECURITY;
ALTER TABLE revoked_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys       ENABLE ROW LEVEL SECURITY;

-- organizations: a member sees only its own org; admins update it. Creating an org is allowed
-- only for the id the daemon put into app.current_org_id (signup/bootstrap); deleting needs admin.
CREATE POLICY organizations_select ON organizations FOR SELECT
    USING (id = app_current_org_id());
CREATE POLICY organizations_insert ON organizations FOR INSERT
    WITH CHECK (id = app_current_org_id());
CREATE POLICY organizations_update ON organizations FOR UPDATE
    USING (id = app_current_org_id() AND app_is_org_admin())
    WITH CHECK (id = app_current_org_id() AND app_is_org_admin());
CREATE POLICY organizations_delete ON organizations FOR DELETE
    USING (id = app_current_org_id() AND app_is_org_admin());

-- users: members see their org's users; admins insert/delete; a user may update their own row.
CREATE POLICY users_select ON users FOR SELECT
    USING (organization_id = app_current_org_id());
CREATE POLICY users_insert ON users FOR INSERT
    WITH CHECK (organization_id = app_current_org_id() AND app_is_org_admin());
CREATE POLICY users_update ON users FOR UPDATE
    USING (organization_id = app_current_org_id() AND (id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY users_delete ON users FOR DELETE
    USING (organization_id = app_current_org_id() AND app_is_org_admin());

-- user-owned
CREATE POLICY sessions_owner ON sessions FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY api_keys_owner ON api_keys FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

-- revoked_tokens: the org sees its denylist; a user revokes own tokens, an admin any in the org.
CREATE POLICY revoked_tokens_select ON revoked_tokens FOR SELECT
    USING (organization_id = app_current_org_id());
CREATE POLICY revoked_tokens_write ON revoked_tokens FOR INSERT
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY revoked_tokens_update ON revoked_tokens FOR UPDATE
    USING (organization_id = app_current_org_id() AND app_is_org_admin())
    WITH CHECK (organization_id = app_current_org_id() AND app_is_org_admin());
CREATE POLICY revoked_tokens_delete ON revoked_tokens FOR DELETE
    USING (organization_id = app_current_org_id() AND app_is_org_admin());

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, sessions, revoked_tokens, api_keys
    TO auralink_app;
