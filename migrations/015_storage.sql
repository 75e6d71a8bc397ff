-- 015_storage.sql
-- storage_objects: the metadata of an organization's stored objects (the bytes live in the backend at
-- storage_path); storage_usage: the organization's bytes and object count against its quota, updated in
-- the same transaction as the object rows (its row lock serialises concurrent uploads' quota checks).
--
-- Scoping: both are org-scoped for reading (every member sees the org's objects); an object is replaced
-- or deleted only by its creator or an org admin.

CREATE TABLE storage_objects (
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    -- "C" collation: keys sort and page in byte order, and a prefix is an index range.
    key                 text COLLATE "C" NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 1024),
    backend             text NOT NULL CHECK (backend IN ('local','s3')),
    storage_path        text NOT NULL,
    size_bytes          bigint NOT NULL CHECK (size_bytes >= 0),
    content_type        text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
    sha256              text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_by          uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, key),
    UNIQUE (backend, storage_path)
);
COMMENT ON TABLE storage_objects IS 'Stored objects per org (StorageService); the bytes live in the backend at storage_path.';
CREATE INDEX idx_storage_objects_created_by ON storage_objects (created_by);
CREATE TRIGGER trg_storage_objects_updated_at BEFORE UPDATE ON storage_objects
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE storage_objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY storage_objects_select ON storage_objects FOR SELECT
    USING (organization_id = app_current_org_id());
CREATE POLICY storage_objects_insert ON storage_objects FOR INSERT
    WITH CHECK (organization_id = app_current_org_id() AND created_by = app_current_user_id());
CREATE POLICY storage_objects_update ON storage_objects FOR UPDATE
    USING (organization_id = app_current_org_id() AND (created_by = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (created_by = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY storage_objects_delete ON storage_objects FOR DELETE
    USING (organization_id = app_current_org_id() AND (created_by = app_current_user_id() OR app_is_org_admin()));
GRANT SELECT, INSERT, UPDATE, DELETE ON storage_objects TO auralink_app;

CREATE TABLE storage_usage (
    organization_id     uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    used_bytes          bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    object_count        bigint NOT NULL DEFAULT 0 CHECK (object_count >= 0),
    -- NULL: the deployment's default quota (AURALINK_STORAGE_ORG_QUOTA_BYTES); set by operators.
    quota_bytes         bigint CHECK (quota_bytes >= 0),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE storage_usage IS 'Stored bytes and objects per org against its quota; updated with every object write.';
CREATE TRIGGER trg_storage_usage_updated_at BEFORE UPDATE ON storage_usage
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE storage_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY storage_usage_org ON storage_usage FOR ALL
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());
-- The daemon keeps the counters; quota_bytes is the operator's (no grant to change it).
GRANT SELECT, INSERT (organization_id), UPDATE (used_bytes, object_count) ON storage_usage TO auralink_app;
