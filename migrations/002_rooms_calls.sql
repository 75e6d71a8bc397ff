-- 002_rooms_calls.sql
-- rooms, calls, call_participants, contacts, files.
-- Policy conventions: see 001 (org-scoped: <table>_org; user-owned: <table>_owner).

-- ---------------------------------------------------------------------------------------------
-- rooms (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE rooms (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by          uuid REFERENCES users(id) ON DELETE SET NULL,
    name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description         text,
    room_type           text NOT NULL DEFAULT 'meeting'
                        CHECK (room_type IN ('meeting','webinar','broadcast','direct','agent')),
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed','archived')),
    is_private          boolean NOT NULL DEFAULT false,
    max_participants    integer NOT NULL DEFAULT 50 CHECK (max_participants > 0),
    aic_enabled         boolean NOT NULL DEFAULT true,
    recording_enabled   boolean NOT NULL DEFAULT false,
    settings            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    closed_at           timestamptz
);
COMMENT ON TABLE rooms IS 'WebRTC rooms of an organization.';
CREATE INDEX idx_rooms_organization_id ON rooms (organization_id);
CREATE INDEX idx_rooms_created_by ON rooms (created_by);
CREATE INDEX idx_rooms_created_at ON rooms (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- calls (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE calls (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    room_id             uuid REFERENCES rooms(id) ON DELETE SET NULL,
    initiator_id        uuid REFERENCES users(id) ON DELETE SET NULL,
    call_type           text NOT NULL DEFAULT 'video' CHECK (call_type IN ('audio','video','screen')),
    status              text NOT NULL DEFAULT 'ringing'
                        CHECK (status IN ('ringing','active','ended','missed','rejected','failed')),
    started_at          timestamptz,
    ended_at            timestamptz,
    duration_seconds    integer CHECK (duration_seconds >= 0),
    recording_path      text,
    metadata            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_at IS NULL OR started_at IS NULL OR ended_at >= started_at)
);
COMMENT ON TABLE calls IS 'Call sessions, in a room or direct (room_id NULL).';
CREATE INDEX idx_calls_organization_id ON calls (organization_id);
CREATE INDEX idx_calls_room_id ON calls (room_id);
CREATE INDEX idx_calls_initiator_id ON calls (initiator_id);
CREATE INDEX idx_calls_created_at ON calls (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- call_participants (org-scoped: everyone in the org may see who took part in a call)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE call_participants (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    call_id             uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    user_id             uuid REFERENCES users(id) ON DELETE SET NULL,
    agent_id            uuid,   -- FK to ai_agents added in 004
    participant_kind    text NOT NULL DEFAULT 'user' CHECK (participant_kind IN ('user','agent','guest')),
    display_name        text,
    role                text NOT NULL DEFAULT 'participant' CHECK (role IN ('host','participant','viewer')),
    joined_at           timestamptz NOT NULL DEFAULT now(),
    left_at             timestamptz,
    connection_quality  jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (left_at IS NULL OR left_at >= joined_at)
);
COMMENT ON TABLE call_participants IS 'Who joined a call (users, agents or guests), and when.';
CREATE INDEX idx_call_participants_organization_id ON call_participants (organization_id);
CREATE INDEX idx_call_participants_call_id ON call_participants (call_id);
CREATE INDEX idx_call_participants_user_id ON call_participants (user_id);
CREATE INDEX idx_call_participants_agent_id ON call_participants (agent_id);

-- ---------------------------------------------------------------------------------------------
-- contacts (user-owned)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE contacts (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    contact_user_id     uuid REFERENCES users(id) ON DELETE CASCADE,
    contact_aura_id     varchar(100),
    display_name        text,
    email               text,
    phone               text,
    notes               text,
    is_favorite         boolean NOT NULL DEFAULT false,
    is_blocked          boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (contact_user_id IS NOT NULL OR contact_aura_id IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL),
    CHECK (contact_user_id IS NULL OR contact_user_id <> user_id),
    UNIQUE (user_id, contact_user_id)
);
COMMENT ON TABLE contacts IS 'A user''s address book: other users, AuraIDs (possibly federated) or plain email/phone.';
CREATE INDEX idx_contacts_organization_id ON contacts (organization_id);
CREATE INDEX idx_contacts_user_id ON contacts (user_id);
CREATE INDEX idx_contacts_contact_user_id ON contacts (contact_user_id);
CREATE INDEX idx_contacts_contact_aura_id ON contacts (contact_aura_id);

-- ---------------------------------------------------------------------------------------------
-- files (user-owned)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE files (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id             uuid REFERENCES rooms(id) ON DELETE SET NULL,
    call_id             uuid REFERENCES calls(id) ON DELETE SET NULL,
    filename            text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type        text NOT NULL DEFAULT 'application/octet-stream',
    size_bytes          bigint NOT NULL CHECK (size_bytes >= 0),
    storage_backend     text NOT NULL DEFAULT 'local' CHECK (storage_backend IN ('local','s3','gcs','azure','supabase')),
    storage_path        text NOT NULL,
    checksum_sha256     text CHECK (checksum_sha256 ~ '^[0-9a-f]{64}$'),
    visibility          text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private','room','organization')),
    metadata            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    UNIQUE (storage_backend, storage_path)
);
COMMENT ON TABLE files IS 'File sharing metadata; the bytes live in the storage backend at storage_path.';
CREATE INDEX idx_files_organization_id ON files (organization_id);
CREATE INDEX idx_files_user_id ON files (user_id);
CREATE INDEX idx_files_room_id ON files (room_id);
CREATE INDEX idx_files_call_id ON files (call_id);
CREATE INDEX idx_files_created_at ON files (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------------------------
CREATE TRIGGER trg_rooms_updated_at BEFORE UPDATE ON rooms FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_calls_updated_at BEFORE UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_contacts_updated_at BEFORE UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_files_updated_at BEFORE UPDATE ON files FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE rooms             ENABLE ROW LEVEL SECURITY;
ALTER TABLE calls             ENABLE ROW LEVEL SECURITY;
ALTER TABLE call_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts          ENABLE ROW LEVEL SECURITY;
ALTER TABLE files             ENABLE ROW LEVEL SECURITY;

CREATE POLICY rooms_org ON rooms FOR ALL
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY calls_org ON calls FOR ALL
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY call_participants_org ON call_participants FOR ALL
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());

CREATE POLICY contacts_owner ON contacts FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY files_owner ON files FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
-- Shared files are readable (not writable) by the rest of the org.
CREATE POLICY files_shared_select ON files FOR SELECT
    USING (organization_id = app_current_org_id() AND visibility IN ('room','organization') AND deleted_at IS NULL);

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON rooms, calls, call_participants, contacts, files TO auralink_app;
