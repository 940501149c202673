"""Every SQL statement of the admin console's keys, widget tokens and audit log pages."""

# The org's live teams, for the pickers (a tree: the page orders them by parent).
TEAM_TREE = """
SELECT id, parent_id, name FROM teams WHERE org_id = $1 AND archived_at IS NULL
"""

# Names of every team, archived ones included, for lists of what a key or token shows.
TEAM_NAMES = """
SELECT id, name FROM teams WHERE org_id = $1
"""

KEY_OF_ORG = """
SELECT id, name, prefix, role, scope_team_ids, created_at, revoked_at
FROM api_keys WHERE org_id = $1 AND id = $2
"""

TOKEN_OF_ORG = """
SELECT id, label, prefix, team_id, subtree, allowed_origins, expires_at, created_at, revoked_at,
       (revoked_at IS NULL AND expires_at > now()) AS active
FROM widget_tokens WHERE org_id = $1 AND id = $2
"""

# Who the audit log's actors are, in words: people by name, keys by their name.
PEOPLE_NAMES = """
SELECT id, display_name AS name FROM people WHERE org_id = $1 AND id = ANY ($2::uuid[])
"""

KEY_NAMES = """
SELECT id, name FROM api_keys WHERE org_id = $1 AND id = ANY ($2::uuid[])
"""

WIDGET_LABELS = """
SELECT id, label AS name FROM widget_tokens WHERE org_id = $1 AND id = ANY ($2::uuid[])
"""

TEAM_NAMES_OF = """
SELECT id, name FROM teams WHERE org_id = $1 AND id = ANY ($2::uuid[])
"""
