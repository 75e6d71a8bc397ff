-- 003_aic.sql
-- AIC (AI compression) configuration, sessions, metrics, savings and fallback events.
-- All five tables are user-owned (<table>_owner policy, see 001).
-- compression_ratio everywhere = 1 - compressed_bytes / original_bytes (0.80 = 80 % smaller);
-- it may be negative when a frame grew (e.g. a raw fallback with framing overhead).

-- ---------------------------------------------------------------------------------------------
-- aic_configs: one row per user
-- ---------------------------------------------------------------------------------------------
CREATE TABLE aic_configs (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id             uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                     uuid NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    enabled                     boolean NOT NULL DEFAULT true,
    mode                        text NOT NULL DEFAULT 'adaptive'
                                CHECK (mode IN ('adaptive','aggressive','conservative','off')),
    target_compression_ratio    numeric(4,2) NOT NULL DEFAULT 0.80
                                CHECK (target_compression_ratio BETWEEN 0 AND 1),
    max_latency_ms              integer NOT NULL DEFAULT 20 CHECK (max_latency_ms > 0),
    model_type                  text NOT NULL DEFAULT 'opus'
                                CHECK (model_type IN ('encodec','lyra','maxine','hybrid','opus','vp8','av1',
                                                      'webp','avif','zstd','raw')),
    use_gpu                     boolean NOT NULL DEFAULT false,
    min_quality_score           numeric(3,2) NOT NULL DEFAULT 0.85 CHECK (min_quality_score BETWEEN 0 AND 1),
    fallback_enabled            boolean NOT NULL DEFAULT true,
    frame_types                 text[] NOT NULL DEFAULT '{audio,video,screen,data}'
                                CHECK (frame_types <@ ARRAY['audio','video','screen','data']::text[]),
    settings                    jsonb NOT NULL DEFAULT '{}',
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE aic_configs IS 'Per-user AIC compression settings (one row per user).';
CREATE INDEX idx_aic_configs_organization_id ON aic_configs (organization_id);

-- ---------------------------------------------------------------------------------------------
-- aic_compression_sessions
-- ---------------------------------------------------------------------------------------------
CREATE TABLE aic_compression_sessions (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    call_id                 uuid REFERENCES calls(id) ON DELETE SET NULL,
    room_id                 uuid REFERENCES rooms(id) ON DELETE SET NULL,
    mode                    text NOT NULL CHECK (mode IN ('adaptive','aggressive','conservative','off')),
    model_type              text NOT NULL
                            CHECK (model_type IN ('encodec','lyra','maxine','hybrid','opus','vp8','av1',
                                                  'webp','avif','zstd','raw')),
    frame_type              text NOT NULL CHECK (frame_type IN ('audio','video','screen','data')),
    status                  text NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active','completed','failed','fallback')),
    device                  text NOT NULL DEFAULT 'cpu',
    frames_processed        bigint NOT NULL DEFAULT 0 CHECK (frames_processed >= 0),
    bytes_in                bigint NOT NULL DEFAULT 0 CHECK (bytes_in >= 0),
    bytes_out               bigint NOT NULL DEFAULT 0 CHECK (bytes_out >= 0),
    avg_compression_ratio   numeric(6,4),
    avg_quality_score       numeric(5,4) CHECK (avg_quality_score BETWEEN 0 AND 1),
    avg_latency_ms          numeric(10,3) CHECK (avg_latency_ms >= 0),
    fallback_count          integer NOT NULL DEFAULT 0 CHECK (fallback_count >= 0),
    started_at              timestamptz NOT NULL DEFAULT now(),
    ended_at                timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
COMMENT ON TABLE aic_compression_sessions IS 'A compression stream (one user, one frame type, optionally within a call/room) and its running totals.';
CREATE INDEX idx_aic_compression_sessions_organization_id ON aic_compression_sessions (organization_id);
CREATE INDEX idx_aic_compression_sessions_user_id ON aic_compression_sessions (user_id);
CREATE INDEX idx_aic_compression_sessions_call_id ON aic_compression_sessions (call_id);
CREATE INDEX idx_aic_compression_sessions_room_id ON aic_compression_sessions (room_id);
CREATE INDEX idx_aic_compression_sessions_created_at ON aic_compression_sessions (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- aic_compression_metrics: sampled per-frame / per-window measurements
-- ---------------------------------------------------------------------------------------------
CREATE TABLE aic_compression_metrics (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id              uuid NOT NULL REFERENCES aic_compression_sessions(id) ON DELETE CASCADE,
    frame_type              text NOT NULL CHECK (frame_type IN ('audio','video','screen','data')),
    model_type              text NOT NULL
                            CHECK (model_type IN ('encodec','lyra','maxine','hybrid','opus','vp8','av1',
                                                  'webp','avif','zstd','raw')),
    frame_count             integer NOT NULL DEFAULT 1 CHECK (frame_count > 0),
    original_bytes          bigint NOT NULL CHECK (original_bytes >= 0),
    compressed_bytes        bigint NOT NULL CHECK (compressed_bytes >= 0),
    compression_ratio       numeric(6,4) NOT NULL,
    quality_score           numeric(5,4) CHECK (quality_score BETWEEN 0 AND 1),
    psnr_db                 numeric(6,2),
    ssim                    numeric(5,4) CHECK (ssim BETWEEN -1 AND 1),
    inference_latency_ms    numeric(10,3) NOT NULL CHECK (inference_latency_ms >= 0),
    bandwidth_saved_bytes   bigint NOT NULL DEFAULT 0,
    used_fallback           boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE aic_compression_metrics IS 'Compression measurements: ratio, quality (PSNR/SSIM), inference latency, bytes saved.';
CREATE INDEX idx_aic_compression_metrics_organization_id ON aic_compression_metrics (organization_id);
CREATE INDEX idx_aic_compression_metrics_user_id ON aic_compression_metrics (user_id);
CREATE INDEX idx_aic_compression_metrics_session_id ON aic_compression_metrics (session_id, created_at DESC);
CREATE INDEX idx_aic_compression_metrics_created_at ON aic_compression_metrics (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- aic_bandwidth_savings: rolled-up analytics per user and period
-- ---------------------------------------------------------------------------------------------
CREATE TABLE aic_bandwidth_savings (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    granularity             text NOT NULL CHECK (granularity IN ('hour','day','week','month')),
    period_start            timestamptz NOT NULL,
    period_end              timestamptz NOT NULL,
    frame_type              text NOT NULL DEFAULT 'audio' CHECK (frame_type IN ('audio','video','screen','data')),
    frames_count            bigint NOT NULL DEFAULT 0 CHECK (frames_count >= 0),
    bytes_original          bigint NOT NULL DEFAULT 0 CHECK (bytes_original >= 0),
    bytes_compressed        bigint NOT NULL DEFAULT 0 CHECK (bytes_compressed >= 0),
    bytes_saved             bigint NOT NULL DEFAULT 0,
    avg_compression_ratio   numeric(6,4),
    avg_quality_score       numeric(5,4) CHECK (avg_quality_score BETWEEN 0 AND 1),
    estimated_cost_saved_usd numeric(12,6) NOT NULL DEFAULT 0,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end > period_start),
    UNIQUE (user_id, granularity, frame_type, period_start)
);
COMMENT ON TABLE aic_bandwidth_savings IS 'Bandwidth savings rolled up per user, frame type and period.';
CREATE INDEX idx_aic_bandwidth_savings_organization_id ON aic_bandwidth_savings (organization_id, period_start DESC);
CREATE INDEX idx_aic_bandwidth_savings_user_id ON aic_bandwidth_savings (user_id, period_start DESC);

-- ---------------------------------------------------------------------------------------------
-- aic_fallback_logs
-- ---------------------------------------------------------------------------------------------
CREATE TABLE aic_fallback_logs (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id              uuid REFERENCES aic_compression_sessions(id) ON DELETE SET NULL,
    reason                  text NOT NULL
                            CHECK (reason IN ('latency_exceeded','quality_below_threshold','model_error',
                                              'resource_exhausted','unsupported_frame','manual')),
    from_model              text NOT NULL,
    to_model                text NOT NULL,
    frame_type              text CHECK (frame_type IN ('audio','video','screen','data')),
    latency_ms              numeric(10,3) CHECK (latency_ms >= 0),
    quality_score           numeric(5,4) CHECK (quality_score BETWEEN 0 AND 1),
    details                 jsonb NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE aic_fallback_logs IS 'Events where AIC fell back to another codec (and why).';
CREATE INDEX idx_aic_fallback_logs_organization_id ON aic_fallback_logs (organization_id);
CREATE INDEX idx_aic_fallback_logs_user_id ON aic_fallback_logs (user_id);
CREATE INDEX idx_aic_fallback_logs_session_id ON aic_fallback_logs (session_id);
CREATE INDEX idx_aic_fallback_logs_created_at ON aic_fallback_logs (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------------------------
CREATE TRIGGER trg_aic_configs_updated_at BEFORE UPDATE ON aic_configs
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_aic_compression_sessions_updated_at BEFORE UPDATE ON aic_compression_sessions
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER trg_aic_bandwidth_savings_updated_at BEFORE UPDATE ON aic_bandwidth_savings
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Row level security (all user-owned)
-- ---------------------------------------------------------------------------------------------
ALTER TABLE aic_configs              ENABLE ROW LEVEL SECURITY;
ALTER TABLE aic_compression_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE aic_compression_metrics  ENABLE ROW LEVEL SECURITY;
ALTER TABLE aic_bandwidth_savings    ENABLE ROW LEVEL SECURITY;
ALTER TABLE aic_fallback_logs        ENABLE ROW LEVEL SECURITY;

CREATE POLICY aic_configs_owner ON aic_configs FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY aic_compression_sessions_owner ON aic_compression_sessions FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY aic_compression_metrics_owner ON aic_compression_metrics FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY aic_bandwidth_savings_owner ON aic_bandwidth_savings FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY aic_fallback_logs_owner ON aic_fallback_logs FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE
    ON aic_configs, aic_compression_sessions, aic_compression_metrics, aic_bandwidth_savings, aic_fallback_logs
    TO auralink_app;
