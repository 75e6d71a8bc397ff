-- 006_auraid_mesh.sql
-- AuraID registry, cross-app connections, mesh network (nodes, routes, performance, reputation),
-- federation links.
--
-- Scoping: aura_id_registry and cross_app_connections are user-owned (<table>_owner); public
-- AuraIDs are additionally readable inside their org (aura_id_registry_public_select), and
-- resolvable across orgs only through the SECURITY DEFINER function resolve_aura_id(text).
-- Mesh and federation tables are org-scoped (<table>_org).

-- ---------------------------------------------------------------------------------------------
-- aura_id_registry (user-owned)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE aura_id_registry (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    aura_id                 varchar(100) NOT NULL UNIQUE
                            CHECK (aura_id ~ '^@[a-z0-9_.-]{3,32}\.aura$'
                                   AND aura_id !~ '^@\.'          -- no leading dot in the username
                                   AND aura_id !~ '\.\.aura$'),   -- no trailing dot in the username
    display_name            text,
    avatar_url              text,
    public_key              text,
    is_verified             boolean NOT NULL DEFAULT false,
    verified_at             timestamptz,
    privacy_level           varchar(20) NOT NULL DEFAULT 'public'
                            CHECK (privacy_level IN ('public','contacts','private')),
    allow_cross_app_calls   boolean NOT NULL DEFAULT true,
    federated_domains       text[] NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE aura_id_registry IS 'Universal identities (@username.aura), one per user, with privacy and federation settings.';
CREATE INDEX idx_aura_id_registry_organization_id ON aura_id_registry (organization_id);
-- prefix search on AuraIDs (text_pattern_ops works with or without pg_trgm)
CREATE INDEX idx_aura_id_registry_aura_id_prefix ON aura_id_registry (aura_id text_pattern_ops);

-- ---------------------------------------------------------------------------------------------
-- cross_app_connections (user-owned): links to external apps
-- ---------------------------------------------------------------------------------------------
CREATE TABLE cross_app_connections (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id                 uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    aura_id_registry_id     uuid REFERENCES aura_id_registry(id) ON DELETE CASCADE,
    app_type                text NOT NULL
                            CHECK (app_type IN ('slack','teams','discord','zoom','google_meet','whatsapp',
                                                'telegram','matrix','custom')),
    app_name                text NOT NULL,
    external_user_id        text NOT NULL,
    external_handle         text,
    scopes                  text[] NOT NULL DEFAULT '{}',
    -- OAuth tokens, envelope-encrypted; never plaintext
    encrypted_tokens        bytea,
    wrapped_data_key        bytea,
    nonce                   bytea,
    kek_id                  text,
    status                  text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','active','revoked','error')),
    last_synced_at          timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, app_type, external_user_id)
);
COMMENT ON TABLE cross_app_connections IS 'A user''s links to accounts in external apps (Slack, Teams, ...).';
CREATE INDEX idx_cross_app_connections_organization_id ON cross_app_connections (organization_id);
CREATE INDEX idx_cross_app_connections_user_id ON cross_app_connections (user_id);
CREATE INDEX idx_cross_app_connections_aura_id_registry_id ON cross_app_connections (aura_id_registry_id);

-- ---------------------------------------------------------------------------------------------
-- mesh_nodes (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mesh_nodes (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    owner_user_id           uuid REFERENCES users(id) ON DELETE SET NULL,
    name                    text,
    address                 text NOT NULL,
    region                  text,
    public_key              text NOT NULL,
    node_type               text NOT NULL DEFAULT 'peer' CHECK (node_type IN ('peer','relay','edge','server')),
    state                   text NOT NULL DEFAULT 'alive' CHECK (state IN ('alive','suspect','offline')),
    quarantined             boolean NOT NULL DEFAULT false,
    quarantine_reason       text,
    capabilities            jsonb NOT NULL DEFAULT '{}',
    capacity                integer NOT NULL DEFAULT 100 CHECK (capacity >= 0),
    current_load            integer NOT NULL DEFAULT 0 CHECK (current_load >= 0),
    version                 text,
    last_heartbeat_at       timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, public_key),
    UNIQUE (organization_id, address)
);
COMMENT ON TABLE mesh_nodes IS 'P2P mesh nodes: address, key, capabilities, capacity, liveness (alive/suspect/offline) and quarantine.';
CREATE INDEX idx_mesh_nodes_organization_id ON mesh_nodes (organization_id, state);
CREATE INDEX idx_mesh_nodes_owner_user_id ON mesh_nodes (owner_user_id);
CREATE INDEX idx_mesh_nodes_last_heartbeat_at ON mesh_nodes (last_heartbeat_at DESC);

-- ---------------------------------------------------------------------------------------------
-- mesh_routes (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mesh_routes (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    source_node_id          uuid NOT NULL REFERENCES mesh_nodes(id) ON DELETE CASCADE,
    destination_node_id     uuid NOT NULL REFERENCES mesh_nodes(id) ON DELETE CASCADE,
    path                    uuid[] NOT NULL,       -- node ids from source to destination, inclusive
    hop_count               integer GENERATED ALWAYS AS (cardinality(path) - 1) STORED,
    algorithm               text NOT NULL DEFAULT 'dijkstra',
    cost                    numeric(12,4) NOT NULL DEFAULT 0 CHECK (cost >= 0),
    latency_estimate_ms     numeric(10,3) CHECK (latency_estimate_ms >= 0),
    bandwidth_estimate_kbps integer CHECK (bandwidth_estimate_kbps >= 0),
    is_active               boolean NOT NULL DEFAULT true,
    expires_at              timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (source_node_id <> destination_node_id),
    CHECK (cardinality(path) >= 2)
);
COMMENT ON TABLE mesh_routes IS 'Computed routes between two mesh nodes (path of node ids, cost, estimates).';
CREATE INDEX idx_mesh_routes_organization_id ON mesh_routes (organization_id);
CREATE INDEX idx_mesh_routes_source_node_id ON mesh_routes (source_node_id, destination_node_id) WHERE is_active;
CREATE INDEX idx_mesh_routes_source_node_id_all ON mesh_routes (source_node_id);
CREATE INDEX idx_mesh_routes_destination_node_id ON mesh_routes (destination_node_id);

-- ---------------------------------------------------------------------------------------------
-- route_performance (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE route_performance (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    route_id                uuid NOT NULL REFERENCES mesh_routes(id) ON DELETE CASCADE,
    latency_ms              numeric(10,3) CHECK (latency_ms >= 0),
    jitter_ms               numeric(10,3) CHECK (jitter_ms >= 0),
    packet_loss             numeric(5,4) CHECK (packet_loss BETWEEN 0 AND 1),
    bandwidth_kbps          integer CHECK (bandwidth_kbps >= 0),
    success                 boolean NOT NULL DEFAULT true,
    sample_count            integer NOT NULL DEFAULT 1 CHECK (sample_count > 0),
    measured_at             timestamptz NOT NULL DEFAULT now(),
    created_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE route_performance IS 'Measured latency, jitter, loss and bandwidth of a route over time.';
CREATE INDEX idx_route_performance_organization_id ON route_performance (organization_id);
CREATE INDEX idx_route_performance_route_id ON route_performance (route_id, measured_at DESC);
CREATE INDEX idx_route_performance_created_at ON route_performance (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- node_reputation (org-scoped): current score per node
-- ---------------------------------------------------------------------------------------------
CREATE TABLE node_reputation (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    node_id                 uuid NOT NULL UNIQUE REFERENCES mesh_nodes(id) ON DELETE CASCADE,
    score                   numeric(5,4) NOT NULL DEFAULT 0.5000 CHECK (score BETWEEN 0 AND 1),
    trust_level             text NOT NULL DEFAULT 'medium'
                            CHECK (trust_level IN ('untrusted','low','medium','high','verified')),
    uptime_ratio            numeric(5,4) CHECK (uptime_ratio BETWEEN 0 AND 1),
    successful_relays       bigint NOT NULL DEFAULT 0 CHECK (successful_relays >= 0),
    failed_relays           bigint NOT NULL DEFAULT 0 CHECK (failed_relays >= 0),
    last_event_at           timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE node_reputation IS 'Current trust score (0..1) and trust level of each mesh node.';
CREATE INDEX idx_node_reputation_organization_id ON node_reputation (organization_id, score DESC);

-- ---------------------------------------------------------------------------------------------
-- reputation_events (org-scoped): history behind node_reputation
-- ---------------------------------------------------------------------------------------------
CREATE TABLE reputation_events (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    node_id                 uuid NOT NULL REFERENCES mesh_nodes(id) ON DELETE CASCADE,
    reported_by_node_id     uuid REFERENCES mesh_nodes(id) ON DELETE SET NULL,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    event_type              text NOT NULL
                            CHECK (event_type IN ('relay_success','relay_failure','heartbeat_missed',
                                                  'latency_violation','misbehavior','manual_adjustment',
                                                  'quarantine','unquarantine')),
    delta                   numeric(6,4) NOT NULL DEFAULT 0 CHECK (delta BETWEEN -1 AND 1),
    score_after             numeric(5,4) CHECK (score_after BETWEEN 0 AND 1),
    details                 jsonb NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE reputation_events IS 'Events that moved a node''s reputation score.';
CREATE INDEX idx_reputation_events_organization_id ON reputation_events (organization_id);
CREATE INDEX idx_reputation_events_node_id ON reputation_events (node_id, created_at DESC);
CREATE INDEX idx_reputation_events_reported_by_node_id ON reputation_events (reported_by_node_id);
CREATE INDEX idx_reputation_events_created_by ON reputation_events (created_by);
CREATE INDEX idx_reputation_events_created_at ON reputation_events (created_at DESC);

-- ---------------------------------------------------------------------------------------------
-- federation_links (org-scoped)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE federation_links (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by              uuid REFERENCES users(id) ON DELETE SET NULL,
    remote_domain           text NOT NULL
                            CHECK (remote_domain ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$'),
    endpoint_url            text,
    direction               text NOT NULL DEFAULT 'bidirectional'
                            CHECK (direction IN ('outbound','inbound','bidirectional')),
    status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending','active','suspended','revoked')),
    trust_level             text NOT NULL DEFAULT 'low' CHECK (trust_level IN ('low','medium','high')),
    remote_public_key       text,
    allowed_capabilities    text[] NOT NULL DEFAULT '{}',
    established_at          timestamptz,
    last_seen_at            timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, remote_domain)
);
COMMENT ON TABLE federation_links IS 'Federation agreements with remote AuraLink domains.';
CREATE INDEX idx_federation_links_organization_id ON federation_links (organization_id);
CREATE INDEX idx_federation_links_created_by ON federation_links (created_by);

-- ---------------------------------------------------------------------------------------------
-- Cross-org AuraID resolution (public entries only; private data never leaves the org)
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.resolve_aura_id(p_aura_id text)
    RETURNS TABLE (aura_id varchar, user_id uuid, organization_id uuid, display_name text,
                   avatar_url text, public_key text, is_verified boolean, allow_cross_app_calls boolean,
                   federated_domains text[])
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
        SELECT r.aura_id, r.user_id, r.organization_id, r.display_name, r.avatar_url, r.public_key,
               r.is_verified, r.allow_cross_app_calls, r.federated_domains
        FROM aura_id_registry r
        WHERE r.aura_id = lower(p_aura_id)
          AND (r.privacy_level = 'public' OR r.organization_id = app_current_org_id())
    $$;
REVOKE ALL ON FUNCTION public.resolve_aura_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.resolve_aura_id(text) TO auralink_app;

-- ---------------------------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['aura_id_registry','cross_app_connections','mesh_nodes','mesh_routes',
                             'node_reputation','federation_links']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION public.set_updated_at()',
                       'trg_' || t || '_updated_at', t);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE aura_id_registry      ENABLE ROW LEVEL SECURITY;
ALTER TABLE cross_app_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE mesh_nodes            ENABLE ROW LEVEL SECURITY;
ALTER TABLE mesh_routes           ENABLE ROW LEVEL SECURITY;
ALTER TABLE route_performance     ENABLE ROW LEVEL SECURITY;
ALTER TABLE node_reputation       ENABLE ROW LEVEL SECURITY;
ALTER TABLE reputation_events     ENABLE ROW LEVEL SECURITY;
ALTER TABLE federation_links      ENABLE ROW LEVEL SECURITY;

-- user-owned
CREATE POLICY aura_id_registry_owner ON aura_id_registry FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));
CREATE POLICY aura_id_registry_public_select ON aura_id_registry FOR SELECT
    USING (organization_id = app_current_org_id() AND privacy_level IN ('public','contacts'));
CREATE POLICY cross_app_connections_owner ON cross_app_connections FOR ALL
    USING (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()))
    WITH CHECK (organization_id = app_current_org_id() AND (user_id = app_current_user_id() OR app_is_org_admin()));

-- org-scoped
CREATE POLICY mesh_nodes_org ON mesh_nodes FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY mesh_routes_org ON mesh_routes FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY route_performance_org ON route_performance FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY node_reputation_org ON node_reputation FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY reputation_events_org ON reputation_events FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
CREATE POLICY federation_links_org ON federation_links FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE
    ON aura_id_registry, cross_app_connections, mesh_nodes, mesh_routes, route_performance,
       node_reputation, reputation_events, federation_links
    TO auralink_app;
