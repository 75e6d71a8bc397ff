-- 010_memory.sql
-- What the memory service needs beyond 004: an archived state (evolve archives, never deletes), the
-- dedupe counter behind the duplicate ratio, the relationship kinds `updates` and `extends`, one HNSW
-- index per embedding model (a partial index on an expression cast, as pgvector's docs do for mixed
-- dimensions; only where pgvector is installed), and evolve_runs, the record of every evolve run.
-- Forward-only: 004 stays as applied.

ALTER TABLE memories
    ADD COLUMN archived_at     timestamptz,
    ADD COLUMN archive_reason  text CHECK (archive_reason IN ('consolidated','forgotten','retention','manual')),
    ADD COLUMN dedupe_count    integer NOT NULL DEFAULT 0 CHECK (dedupe_count >= 0);
ALTER TABLE memories ADD CONSTRAINT memories_archive_consistent
    CHECK ((archived_at IS NULL) = (archive_reason IS NULL));
COMMENT ON COLUMN memories.archived_at IS 'Set by evolve (consolidated or forgotten) or retention: kept, but out of recall.';
COMMENT ON COLUMN memories.dedupe_count IS 'How many later stores were near-duplicates of this memory (DEDUPED outcomes).';
-- Recall and listing read the live memories of one user; keep that set small to scan.
CREATE INDEX idx_memories_live ON memories (user_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND archived_at IS NULL;

-- memory_relationships: the kinds the memory API speaks (updates, extends) join the existing ones.
DO $$
DECLARE
    con text;
BEGIN
    FOR con IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'memory_relationships'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%relation_type%'
    LOOP
        EXECUTE format('ALTER TABLE memory_relationships DROP CONSTRAINT %I', con);
    END LOOP;
END $$;
ALTER TABLE memory_relationships ADD CONSTRAINT memory_relationships_relation_type_check
    CHECK (relation_type IN ('related_to','similar_to','derived_from','supersedes','contradicts','references',
                             'part_of','follows','updates','extends'));

-- One HNSW index per embedding model, on the vector cast to that model's dimension. Queries use the same
-- cast and the same literal model in their WHERE so the planner can match the partial index.
DO $$
DECLARE
    vec_schema text;
BEGIN
    SELECT n.nspname INTO vec_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'vector';
    IF vec_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX idx_memory_vectors_hnsw_minilm ON memory_vectors
                            USING hnsw ((embedding::%1$I.vector(384)) %1$I.vector_cosine_ops)
                            WITH (m = 16, ef_construction = 64)
                            WHERE model = %2$L', vec_schema, 'all-MiniLM-L6-v2');
        EXECUTE format('CREATE INDEX idx_memory_vectors_hnsw_te3_small ON memory_vectors
                            USING hnsw ((embedding::%1$I.vector(1536)) %1$I.vector_cosine_ops)
                            WITH (m = 16, ef_construction = 64)
                            WHERE model = %2$L', vec_schema, 'text-embedding-3-small');
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- evolve_runs (user-owned): one row per evolve run (on demand or scheduled, dry or not), with counts
-- ---------------------------------------------------------------------------------------------
CREATE TABLE evolve_runs (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    trigger             text NOT NULL CHECK (trigger IN ('manual','schedule')),
    dry_run             boolean NOT NULL,
    examined            integer NOT NULL DEFAULT 0 CHECK (examined >= 0),
    clusters            integer NOT NULL DEFAULT 0 CHECK (clusters >= 0),
    consolidated        integer NOT NULL DEFAULT 0 CHECK (consolidated >= 0),
    forgotten           integer NOT NULL DEFAULT 0 CHECK (forgotten >= 0),
    purged              integer NOT NULL DEFAULT 0 CHECK (purged >= 0),
    parameters          jsonb NOT NULL DEFAULT '{}',
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE CASCADE
);
COMMENT ON TABLE evolve_runs IS 'Every memory evolve run (consolidate + forget + retention), dry or not, with its counts.';
CREATE INDEX idx_evolve_runs_organization_id ON evolve_runs (organization_id);
CREATE INDEX idx_evolve_runs_user_id ON evolve_runs (user_id, started_at DESC);

ALTER TABLE evolve_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY evolve_runs_owner ON evolve_runs FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
GRANT SELECT, INSERT, UPDATE, DELETE ON evolve_runs TO auralink_app;
