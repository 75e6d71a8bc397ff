-- 017_aic_calibration.sql
-- The compression calibration table of this deployment (issue #20 item 3): RunBenchmark(calibrate=true)
-- stores a new table here, and every replica reads the newest row (at start and then every few seconds),
-- so replicas agree and a read-only install can re-calibrate. Without a row, the daemon uses the table
-- shipped in the package. Deployment-wide reference data, like rbac_permissions: no RLS, written only by the daemon's
-- own role (callers reach it only through RunBenchmark's permission), read-only for auralink_app.

CREATE TABLE aic_calibration (
    id              bigserial PRIMARY KEY,
    calibration     jsonb NOT NULL CHECK (jsonb_typeof(calibration) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE aic_calibration IS 'Compression calibration tables of this deployment; the newest row is in use.';
GRANT SELECT ON aic_calibration TO auralink_app;
