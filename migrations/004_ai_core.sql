-- 004_ai_core.sql
-- ai_agents, agent_conversations, agent_room_assignments, memories, memory_vectors,
-- memory_relationships, ai_providers, provider_api_keys, audio_files.
--
-- Embeddings live only in memory_vectors (one row per memory and embedding model). The column
-- type is pgvector's `vector` (no fixed dimension; per-model HNSW partial indexes on
-- embedding::vector(N) WHERE model = ... are added by a later migration) when the extension is
-- installed, else real[] (exact search happens in the daemon). `dims` always holds the length.

-- ---------------------------------------------------------------------------------------------
-- ai_providers (org-scoped): the provider chain an org may use, in failover order
-- ---------------------------------------------------------------------------------------------
CREATE TABLE ai_providers (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    provider_type       text NOT NULL CHECK (provider_type ~ '^[a-z0-9_-]{2,40}$'),  -- openai, anthropic, ollama, ...
    base_url            text,
    default_model       text,
    models              text[] NOT NULL DEFAULT '{}',
    priority            integer NOT NULL DEFAULT 100 CHECK (priority >= 0),
    is_enabled          boolean NOT NULL DEFAULT true,
    timeout_ms          integer NOT NULL DEFAULT 30000 CHECK (timeout_ms > 0),
    rate_limit_rpm      integer CHECK (rate_limit_rpm > 0),
    settings            jsonb NOT NULL DEFAULT '{}',
    created_by          uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
COMMENT ON TABLE ai_providers IS 'LLM/speech provider configurations of an organization; priority orders the failover chain.';
CREATE INDEX idx_ai_providers_organization_id ON ai_providers (organization_id, priority);
CREATE INDEX idx_ai_providers_created_by ON ai_providers (created_by);

-- ---------------------------------------------------------------------------------------------
-- provider_api_keys: per user (user_id set) or per org (user_id NULL); envelope-encrypted
-- ---------------------------------------------------------------------------------------------
CREATE TABLE provider_api_keys (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid REFERENCES users(id) ON DELETE CASCADE,
    provider_id         uuid REFERENCES ai_providers(id) ON DELETE CASCADE,
    provider            text NOT NULL CHECK (provider ~ '^[a-z0-9_-]{2,40}$'),
    label               text NOT NULL DEFAULT 'default',
    encrypted_key       bytea NOT NULL,     -- AEAD ciphertext of the key under the data key
    wrapped_data_key    bytea NOT NULL,     -- data key wrapped by the KEK identified by kek_id
    nonce               bytea NOT NULL,
    key_fingerprint     text NOT NULL,      -- e.g. HMAC/SHA-256 prefix, for display and dedup
    kek_id              text NOT NULL,
    is_active           boolean NOT NULL DEFAULT true,
    last_used_at        timestamptz,
    expires_at          timestamptz,
    rotated_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (length(nonce) BETWEEN 8 AND 32),
    UNIQUE NULLS NOT DISTINCT (organization_id, user_id, provider, label)
);
COMMENT ON TABLE provider_api_keys IS 'Provider API keys, envelope-encrypted (never plaintext); user_id NULL = org-wide key.';
CREATE INDEX idx_provider_api_keys_organization_id ON provider_api_keys (organization_id);
CREATE INDEX idx_provider_api_keys_user_id ON provider_api_keys (user_id);
CREATE INDEX idx_provider_api_keys_provider_id ON provider_api_keys (provider_id);

-- ---------------------------------------------------------------------------------------------
-- ai_agents (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE ai_agents (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by          uuid REFERENCES users(id) ON DELETE SET NULL,
    name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description         text,
    model               text NOT NULL,
    provider            text NOT NULL,
    provider_id         uuid REFERENCES ai_providers(id) ON DELETE SET NULL,
    system_prompt       text NOT NULL DEFAULT '',
    temperature         numeric(3,2) NOT NULL DEFAULT 0.70 CHECK (temperature BETWEEN 0 AND 2),
    max_tokens          integer CHECK (max_tokens > 0),
    memory_enabled      boolean NOT NULL DEFAULT true,
    voice_enabled       boolean NOT NULL DEFAULT false,
    tts_provider        text,
    tts_voice_id        text,
    stt_provider        text,
    tools               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tools) = 'array'),
    settings            jsonb NOT NULL DEFAULT '{}',
    is_active           boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
COMMENT ON TABLE ai_agents IS 'AI agent definitions (model, prompt, memory and voice settings); name unique per org.';
CREATE INDEX idx_ai_agents_organization_id ON ai_agents (organization_id);
CREATE INDEX idx_ai_agents_created_by ON ai_agents (created_by);
CREATE INDEX idx_ai_agents_provider_id ON ai_agents (provider_id);
CREATE INDEX idx_ai_agents_created_at ON ai_agents (created_at DESC);

-- call_participants.agent_id (created in 002) can now reference ai_agents.
ALTER TABLE call_participants
    ADD CONSTRAINT call_participants_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES ai_agents(id) ON DELETE SET NULL;

-- ---------------------------------------------------------------------------------------------
-- agent_conversations (user-owned): one conversation of a user with an agent
-- ---------------------------------------------------------------------------------------------
CREATE TABLE agent_conversations (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    agent_id            uuid NOT NULL REFERENCES ai_agents(id) ON DELETE CASCADE,
    room_id             uuid REFERENCES rooms(id) ON DELETE SET NULL,
    title               text,
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active','archived','closed')),
    messages            jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(messages) = 'array'),
    message_count       integer NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    prompt_tokens       bigint NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens   bigint NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    last_message_at     timestamptz,
    metadata            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE agent_conversations IS 'Conversation history between a user and an agent (messages as a JSON array of {role, content, ts}).';
CREATE INDEX idx_agent_conversations_organization_id ON agent_conversations (organization_id);
CREATE INDEX idx_agent_conversations_user_id ON agent_conversations (user_id, created_at DESC);
CREATE INDEX idx_agent_conversations_agent_id ON agent_conversations (agent_id);
CREATE INDEX idx_agent_conversations_room_id ON agent_conversations (room_id);
CREATE INDEX idx_agent_conversations_created_at ON agent_conversations (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- agent_room_assignments (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE agent_room_assignments (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    agent_id            uuid NOT NULL REFERENCES ai_agents(id) ON DELETE CASCADE,
    room_id             uuid NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    assigned_by         uuid REFERENCES users(id) ON DELETE SET NULL,
    role                text NOT NULL DEFAULT 'assistant'
                        CHECK (role IN ('assistant','participant','moderator','transcriber','translator')),
    auto_join           boolean NOT NULL DEFAULT true,
    is_active           boolean NOT NULL DEFAULT true,
    settings            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agent_id, room_id)
);
COMMENT ON TABLE agent_room_assignments IS 'Which agents take part in which rooms, and in what role.';
CREATE INDEX idx_agent_room_assignments_organization_id ON agent_room_assignments (organization_id);
CREATE INDEX idx_agent_room_assignments_agent_id ON agent_room_assignments (agent_id);
CREATE INDEX idx_agent_room_assignments_room_id ON agent_room_assignments (room_id);
CREATE INDEX idx_agent_room_assignments_assigned_by ON agent_room_assignments (assigned_by);

-- ---------------------------------------------------------------------------------------------
-- memories (user-owned)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE memories (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    agent_id            uuid REFERENCES ai_agents(id) ON DELETE SET NULL,
    room_id             uuid REFERENCES rooms(id) ON DELETE SET NULL,
    session_id          uuid,   -- caller-chosen conversation/session scope (not an auth session): no FK
    content             text NOT NULL CHECK (length(content) > 0),
    content_tsv         tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,
    modality            text NOT NULL DEFAULT 'text'
                        CHECK (modality IN ('text','audio_transcript','image_caption')),
    source              text,
    importance_score    numeric(3,2) NOT NULL DEFAULT 0.50 CHECK (importance_score BETWEEN 0 AND 1),
    access_count        integer NOT NULL DEFAULT 0 CHECK (access_count >= 0),
    last_accessed_at    timestamptz,
    metadata            jsonb NOT NULL DEFAULT '{}',
    tags                text[] NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    -- the owner must belong to the row's organization
    FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE CASCADE,
    -- target of the composite FKs below: keeps denormalised org/user columns consistent
    UNIQUE (id, organization_id, user_id)
);
COMMENT ON TABLE memories IS 'Long-term memory items of a user (optionally scoped to agent/room/session); soft-deleted via deleted_at.';
CREATE INDEX idx_memories_organization_id ON memories (organization_id);
CREATE INDEX idx_memories_user_id ON memories (user_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX idx_memories_user_id_org ON memories (user_id, organization_id);
CREATE INDEX idx_memories_agent_id ON memories (agent_id);
CREATE INDEX idx_memories_room_id ON memories (room_id);
CREATE INDEX idx_memories_session_id ON memories (session_id);
CREATE INDEX idx_memories_created_at ON memories (created_at DESC);
CREATE INDEX idx_memories_content_tsv ON memories USING gin (content_tsv);
-- trigram index only where pg_trgm is installed (absent from the embedded PG16)
DO $$
DECLARE
    trgm_schema text;
BEGIN
    SELECT n.nspname INTO trgm_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX idx_memories_content_trgm ON memories USING gin (content %I.gin_trgm_ops)',
                       trgm_schema);
    END IF;
END $$;
CREATE INDEX idx_memories_tags ON memories USING gin (tags);
CREATE INDEX idx_memories_metadata ON memories USING gin (metadata jsonb_path_ops);

-- ---------------------------------------------------------------------------------------------
-- memory_vectors (user-owned): one embedding per memory and model
-- ---------------------------------------------------------------------------------------------
CREATE TABLE memory_vectors (
    memory_id           uuid NOT NULL,
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    model               text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
    dims                integer NOT NULL CHECK (dims > 0 AND dims <= 16000),
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (memory_id, model),
    FOREIGN KEY (memory_id, organization_id, user_id)
        REFERENCES memories (id, organization_id, user_id) ON DELETE CASCADE ON UPDATE CASCADE
);
COMMENT ON TABLE memory_vectors IS 'Embeddings of memories, one row per (memory, model); embedding is vector (pgvector) or real[] (fallback).';
CREATE INDEX idx_memory_vectors_organization_id ON memory_vectors (organization_id);
CREATE INDEX idx_memory_vectors_user_id ON memory_vectors (user_id, model);
CREATE INDEX idx_memory_vectors_model ON memory_vectors (model);

DO $$
DECLARE
    vec_schema text;
BEGIN
    SELECT n.nspname INTO vec_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'vector';

    IF vec_schema IS NOT NULL THEN
        EXECUTE format('ALTER TABLE memory_vectors ADD COLUMN embedding %I.vector NOT NULL', vec_schema);
        EXECUTE format('ALTER TABLE memory_vectors ADD CONSTRAINT memory_vectors_dims_match
                            CHECK (%I.vector_dims(embedding) = dims)', vec_schema);
    ELSE
        EXECUTE 'ALTER TABLE memory_vectors ADD COLUMN embedding real[] NOT NULL';
        EXECUTE 'ALTER TABLE memory_vectors ADD CONSTRAINT memory_vectors_dims_match
                     CHECK (array_ndims(embedding) = 1 AND cardinality(embedding) = dims)';
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- memory_relationships (user-owned): graph edges between memories of the same user
-- ---------------------------------------------------------------------------------------------
CREATE TABLE memory_relationships (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source_memory_id    uuid NOT NULL,
    target_memory_id    uuid NOT NULL,
    relation_type       text NOT NULL
                        CHECK (relation_type IN ('related_to','similar_to','derived_from','supersedes',
                                                 'contradicts','references','part_of','follows')),
    weight              numeric(4,3) NOT NULL DEFAULT 1.000 CHECK (weight BETWEEN 0 AND 1),
    metadata            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (source_memory_id <> target_memory_id),
    UNIQUE (source_memory_id, target_memory_id, relation_type),
    FOREIGN KEY (source_memory_id, organization_id, user_id)
        REFERENCES memories (id, organization_id, user_id) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (target_memory_id, organization_id, user_id)
        REFERENCES memories (id, organization_id, user_id) ON DELETE CASCADE ON UPDATE CASCADE
);
COMMENT ON TABLE memory_relationships IS 'Typed, weighted edges between two memories of the same user.';
CREATE INDEX idx_memory_relationships_organization_id ON memory_relationships (organization_id);
CREATE INDEX idx_memory_relationships_user_id ON memory_relationships (user_id);
CREATE INDEX idx_memory_relationships_source ON memory_relationships (source_memory_id);
CREATE INDEX idx_memory_relationships_target ON memory_relationships (target_memory_id);

-- ---------------------------------------------------------------------------------------------
-- audio_files (user-owned): speech processing metadata
-- ---------------------------------------------------------------------------------------------
CREATE TABLE audio_files (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    file_id             uuid REFERENCES files(id) ON DELETE SET NULL,
    agent_id            uuid REFERENCES ai_agents(id) ON DELETE SET NULL,
    room_id             uuid REFERENCES rooms(id) ON DELETE SET NULL,
    call_id             uuid REFERENCES calls(id) ON DELETE SET NULL,
    purpose             text NOT NULL CHECK (purpose IN ('stt_input','tts_output','recording','voice_sample')),
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','processing','completed','failed')),
    storage_path        text,
    content_type        text NOT NULL DEFAULT 'audio/wav',
    size_bytes          bigint CHECK (size_bytes >= 0),
    duration_ms         integer CHECK (duration_ms >= 0),
    sample_rate_hz      integer CHECK (sample_rate_hz > 0),
    channels            smallint CHECK (channels > 0),
    language            text,
    transcript          text,
    provider            text,
    model               text,
    voice_id            text,
    error               text,
    metadata            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
COMMENT ON TABLE audio_files IS 'Speech processing metadata (STT inputs, TTS outputs, recordings); the audio itself lives in storage.';
CREATE INDEX idx_audio_files_organization_id ON audio_files (organization_id);
CREATE INDEX idx_audio_files_user_id ON audio_files (user_id, created_at DESC);
CREATE INDEX idx_audio_files_file_id ON audio_files (file_id);
CREATE INDEX idx_audio_files_agent_id ON audio_files (agent_id);
CREATE INDEX idx_audio_files_room_id ON audio_files (room_id);
CREATE INDEX idx_audio_files_call_id ON audio_files (call_id);
CREATE INDEX idx_audio_files_created_at ON audio_files (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------------------------
CREATE TRIGGER trg_ai_providers_updated_at BEFORE UPDATE ON ai_providers FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_provider_api_keys_updated_at BEFORE UPDATE ON provider_api_keys FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_ai_agents_updated_at BEFORE UPDATE ON ai_agents FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_agent_conversations_updated_at BEFORE UPDATE ON agent_conversations FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_agent_room_assignments_updated_at BEFORE UPDATE ON agent_room_assignments FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_memories_updated_at BEFORE UPDATE ON memories FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_audio_files_updated_at BEFORE UPDATE ON audio_files FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE ai_providers           ENABLE ROW LEVEL SECURITY;
ALTER TABLE provider_api_keys      ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_agents              ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_conversations    ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_room_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE memories               ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory_vectors         ENABLE ROW LEVEL SECURITY;
ALTER TABLE memory_relationships   ENABLE ROW LEVEL SECURITY;
ALTER TABLE audio_files            ENABLE ROW LEVEL SECURITY;

-- org-scoped
CREATE POLICY ai_providers_org ON ai_providers FOR ALL
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY ai_agents_org ON ai_agents FOR ALL
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY agent_room_assignments_org ON agent_room_assignments FOR ALL
    USING (organization_id = app_current_org_id())
    WITH CHECK (organization_id = app_current_org_id());

-- provider_api_keys: user keys -> owner (or org admin); org keys (user_id NULL) -> readable by
-- the org (so the daemon can use them for any member), writable by org admins only.
CREATE POLICY provider_api_keys_select ON provider_api_keys FOR SELECT
    USING (organization_id = app_current_org_id()
           AND (user_id IS NULL OR user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY provider_api_keys_insert ON provider_api_keys FOR INSERT
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY provider_api_keys_update ON provider_api_keys FOR UPDATE
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY provider_api_keys_delete ON provider_api_keys FOR DELETE
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

-- user-owned
CREATE POLICY agent_conversations_owner ON agent_conversations FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY memories_owner ON memories FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY memory_vectors_owner ON memory_vectors FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY memory_relationships_owner ON memory_relationships FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY audio_files_owner ON audio_files FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE
    ON ai_providers, provider_api_keys, ai_agents, agent_conversations, agent_room_assignments,
       memories, memory_vectors, memory_relationships, audio_files
    TO auralink_app;
