-- 014_audit_heads.sql
-- The anchored head of each org's audit chain: the last row's id and hash, with a MAC under a key
-- derived from the daemon's KEK (which the database never sees). The daemon updates it in the same
-- transaction as each audit row, so deleting the newest rows (which the chain alone cannot show)
-- leaves a head that no row matches, and a head edited by hand fails its MAC.
--
-- Scoping: the org's principals read and write their own org's head (the audit append does both);
-- no DELETE grant: a missing head while keyed rows exist is itself reported by verification.

CREATE TABLE audit_heads (
    organization_id uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    last_id         bigint NOT NULL,
    hash            bytea NOT NULL,
    mac             bytea NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE audit_heads IS 'Per-org head of the audit hash chain (last id, hash) with a MAC the database cannot compute.';

ALTER TABLE audit_heads ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_heads_select ON audit_heads FOR SELECT
    USING (organization_id = app_current_org_id());
CREATE POLICY audit_heads_insert ON audit_heads FOR INSERT
    WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY audit_heads_update ON audit_heads FOR UPDATE
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());
GRANT SELECT, INSERT, UPDATE ON audit_heads TO auralink_app;
