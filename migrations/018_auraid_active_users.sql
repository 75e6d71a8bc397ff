-- 018_auraid_active_users.sql
-- An AuraID resolves only while its user and its organization are active: a deactivated user (or org) is
-- unreachable by AuraID, and reactivating the user makes the same AuraID resolve again (the registry row
-- stays, so nobody else can take the AuraID meanwhile).

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
        JOIN users u ON u.id = r.user_id AND u.is_active AND u.deleted_at IS NULL
        JOIN organizations o ON o.id = r.organization_id AND o.is_active AND o.deleted_at IS NULL
        WHERE r.aura_id = lower(p_aura_id)
          AND (r.privacy_level = 'public' OR r.organization_id = app_current_org_id())
    $$;
REVOKE ALL ON FUNCTION public.resolve_aura_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.resolve_aura_id(text) TO auralink_app;
