-- The one definition of "the teams below these roots": every (root, team) pair, each root
-- paired with itself. Callers: key scopes (auth), pulse scopes and overlap checks, cycle checks
-- on moves, and the tree a wave freezes when it opens. With p_live_only, archived teams and
-- everything below them are left out. UNION (not UNION ALL) ends the recursion even if a cycle
-- ever slipped into the table.
CREATE FUNCTION team_subtree(p_org uuid, p_roots uuid[], p_live_only boolean DEFAULT false)
RETURNS TABLE (root_id uuid, team_id uuid)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH RECURSIVE below AS (
        SELECT t.id AS root_id, t.id AS team_id
        FROM teams t
        WHERE t.org_id = p_org AND t.id = ANY (p_roots)
          AND (NOT p_live_only OR t.archived_at IS NULL)
        UNION
        SELECT b.root_id, t.id
        FROM teams t JOIN below b ON t.parent_id = b.team_id
        WHERE t.org_id = p_org AND (NOT p_live_only OR t.archived_at IS NULL)
    )
    SELECT root_id, team_id FROM below
$$;
