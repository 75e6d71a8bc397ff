-- 012_memory_keyword.sql
-- Keyword recall through the GIN index under RLS. `tsvector @@ tsquery` is not leakproof, so for
-- auralink_app the planner must apply the memories_owner policy before it and cannot use
-- idx_memories_content_tsv: every keyword lookup scanned all of the org's memories (about 100 ms at 10k).
-- This SECURITY DEFINER function finds the ids matching one tsquery through the index, restricted by the
-- same predicate as memories_owner and to one user; it returns ids only (rows the caller may read anyway),
-- and the caller reads the memories themselves through RLS as before.

CREATE FUNCTION public.memory_keyword_ids(p_user uuid, p_query tsquery, p_limit integer)
    RETURNS TABLE (id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    -- Plan with the actual query each call: a generic plan cannot tell a rare term (GIN) from a common one.
    SET search_path = public, pg_temp
    SET plan_cache_mode = force_custom_plan
    AS $$
    BEGIN
        RETURN QUERY
        SELECT m.id FROM memories m
        WHERE m.content_tsv @@ p_query
          AND m.user_id = p_user
          AND m.organization_id = app_current_org_id()
          AND (m.user_id = app_current_user_id() OR app_is_org_admin())
        LIMIT p_limit;
    END
    $$;
COMMENT ON FUNCTION public.memory_keyword_ids(uuid, tsquery, integer) IS
    'Ids of one user''s memories matching a tsquery, via the GIN index, under the memories_owner predicate.';
REVOKE ALL ON FUNCTION public.memory_keyword_ids(uuid, tsquery, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.memory_keyword_ids(uuid, tsquery, integer) TO auralink_app;
