-- Issued access tokens are listed and revoked by operators: keep their scopes and a description.
-- Forward-only: 001 stays as applied.
ALTER TABLE sessions
    ADD COLUMN scopes      text[],
    ADD COLUMN description text CHECK (description IS NULL OR length(description) <= 500);
COMMENT ON COLUMN sessions.scopes IS 'Scopes the token was narrowed to; NULL means all of the holder''s permissions.';
CREATE INDEX idx_sessions_user_created ON sessions (user_id, created_at DESC);
