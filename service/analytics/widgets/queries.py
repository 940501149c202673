"""Every SQL statement of the widgets: tokens (store, list, revoke, resolve)."""

INSERT_TOKEN = """
INSERT INTO widget_tokens (org_id, token_hash, prefix, team_id, subtree, allowed_origins,
                           label, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id, created_at
"""

LIVE_TEAM = """
SELECT true FROM teams WHERE org_id = $1 AND id = $2 AND archived_at IS NULL
"""

LIST_TOKENS = """
SELECT id, label, prefix, team_id, subtree, allowed_origins, expires_at, created_at, revoked_at,
       (revoked_at IS NULL AND expires_at > now()) AS active
FROM widget_tokens WHERE org_id = $1 ORDER BY created_at, id
"""

REVOKE_TOKEN = """
UPDATE widget_tokens SET revoked_at = coalesce(revoked_at, now())
WHERE org_id = $1 AND id = $2 RETURNING true
"""

# The lateral part reads only `waves` (no rollups, no responses): when did the org last publish.
RESOLVE_TOKEN = """
SELECT t.org_id, t.id, t.team_id, t.subtree, t.allowed_origins, t.expires_at,
       s.closed_waves, s.last_closed_at,
       (SELECT max(f.created_at) FROM team_focus f
        WHERE f.org_id = t.org_id AND f.team_id = t.team_id) AS focus_stamp
FROM widget_tokens t
CROSS JOIN LATERAL (
    SELECT count(*) AS closed_waves, max(w.closed_at) AS last_closed_at
    FROM waves w WHERE w.org_id = t.org_id AND w.state = 'closed'
) s
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
"""

# The team's latest focus, when its leader chose to show it on the widget (team-level text a
# leader wrote; nothing in it comes from a respondent).
WIDGET_FOCUS = """
SELECT dimension, try_text, agreed_on, shown_on_widget FROM team_focus
WHERE org_id = $1 AND team_id = $2
ORDER BY agreed_on DESC, created_at DESC
LIMIT 1
"""
