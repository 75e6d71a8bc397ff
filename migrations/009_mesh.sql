-- 009_mesh.sql
-- The mesh network's runtime state: node credentials and anchors, heartbeat intervals, Vivaldi
-- coordinates, per-link smoothed metrics (mesh_links, the routing graph rebuilt on start-up),
-- per-link history in route_performance, stored-route parameters, uptime evidence.
-- Forward-only: 006 stays as applied.

-- mesh_nodes: the public key is optional at registration; anchors are the EigenTrust pre-trusted set.
ALTER TABLE mesh_nodes
    ALTER COLUMN public_key DROP NOT NULL,
    ADD COLUMN anchor                boolean NOT NULL DEFAULT false,
    ADD COLUMN quarantine_until      timestamptz,
    ADD COLUMN heartbeat_interval_ms integer NOT NULL DEFAULT 2000
                                     CHECK (heartbeat_interval_ms BETWEEN 50 AND 600000),
    ADD COLUMN coordinates           double precision[],
    ADD COLUMN state_changed_at      timestamptz NOT NULL DEFAULT now();
ALTER TABLE mesh_nodes ADD CONSTRAINT mesh_nodes_name_unique UNIQUE (organization_id, name);
ALTER TABLE mesh_nodes ADD CONSTRAINT mesh_nodes_quarantine_consistent
    CHECK (quarantined OR quarantine_until IS NULL);
COMMENT ON COLUMN mesh_nodes.anchor IS 'Admin-designated anchor: part of the pre-trusted set of EigenTrust.';
COMMENT ON COLUMN mesh_nodes.coordinates IS 'Vivaldi network coordinates (x, y, height) in milliseconds.';

-- mesh_links (org-scoped): the current smoothed state of each directed link, as reported by its source.
CREATE TABLE mesh_links (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    source_node_id          uuid NOT NULL REFERENCES mesh_nodes(id) ON DELETE CASCADE,
    target_node_id          uuid NOT NULL REFERENCES mesh_nodes(id) ON DELETE CASCADE,
    srtt_ms                 double precision NOT NULL CHECK (srtt_ms >= 0),
    rttvar_ms               double precision NOT NULL CHECK (rttvar_ms >= 0),
    bandwidth_kbps          double precision NOT NULL CHECK (bandwidth_kbps >= 0),
    loss_pct                double precision NOT NULL CHECK (loss_pct BETWEEN 0 AND 100),
    etx                     double precision NOT NULL CHECK (etx >= 1),
    cost                    double precision NOT NULL DEFAULT 0 CHECK (cost >= 0),
    samples                 bigint NOT NULL DEFAULT 1 CHECK (samples > 0),
    measured_at             timestamptz NOT NULL DEFAULT now(),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_node_id, target_node_id),
    CHECK (source_node_id <> target_node_id)
);
COMMENT ON TABLE mesh_links IS 'Smoothed RTT (RFC 6298), bandwidth, loss and ETX of each directed mesh link.';
CREATE INDEX idx_mesh_links_organization_id ON mesh_links (organization_id);
CREATE INDEX idx_mesh_links_target_node_id ON mesh_links (target_node_id);
CREATE TRIGGER trg_mesh_links_updated_at BEFORE UPDATE ON mesh_links
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
ALTER TABLE mesh_links ENABLE ROW LEVEL SECURITY;
CREATE POLICY mesh_links_org ON mesh_links FOR ALL
    USING (organization_id = app_current_org_id()) WITH CHECK (organization_id = app_current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON mesh_links TO auralink_app;

-- route_performance: one aggregated row per link (or route) per window, never one per heartbeat.
ALTER TABLE route_performance
    ALTER COLUMN route_id DROP NOT NULL,
    ADD COLUMN link_id uuid REFERENCES mesh_links(id) ON DELETE CASCADE,
    ADD COLUMN window_s integer CHECK (window_s > 0),
    ADD CONSTRAINT route_performance_route_or_link CHECK ((route_id IS NULL) <> (link_id IS NULL));
CREATE INDEX idx_route_performance_link_id ON route_performance (link_id, measured_at DESC);

-- mesh_routes: what a stored route was asked for, so it can be re-evaluated (with hysteresis).
ALTER TABLE mesh_routes
    ADD COLUMN params jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN created_by uuid REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX idx_mesh_routes_created_by ON mesh_routes (created_by);

-- reputation_events: uptime evidence joins the other kinds.
ALTER TABLE reputation_events DROP CONSTRAINT reputation_events_event_type_check;
ALTER TABLE reputation_events ADD CONSTRAINT reputation_events_event_type_check
    CHECK (event_type IN ('relay_success','relay_failure','uptime','heartbeat_missed','latency_violation',
                          'misbehavior','manual_adjustment','quarantine','unquarantine'));
