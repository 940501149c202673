"""Every SQL statement of the core (orgs, API keys, scopes, health) and of the demo seed.

Slices keep theirs in their own `queries.py`; nothing else in service/ holds SQL
(tests/test_sql_lives_in_queries.py checks it).
"""

# --- orgs and API keys -----------------------------------------------------------------------

INSERT_ORG = """
INSERT INTO orgs (name) VALUES ($1) RETURNING id
"""

ORG = """
SELECT id, name, created_at FROM orgs WHERE id = $1
"""

INSERT_KEY = """
INSERT INTO api_keys (org_id, name, prefix, key_hash, role, scope_team_ids)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id
"""

KEY_BY_HASH = """
SELECT org_id, id, role, scope_team_ids
FROM api_keys
WHERE key_hash = $1 AND revoked_at IS NULL
"""

LIST_KEYS = """
SELECT id, name, prefix, role, scope_team_ids, created_at, revoked_at
FROM api_keys WHERE org_id = $1 ORDER BY created_at, id
"""

REVOKE_KEY = """
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE org_id = $1 AND id = $2 RETURNING true
"""

COUNT_TEAMS_OF_ORG = """
SELECT count(*) FROM teams WHERE org_id = $1 AND id = ANY ($2::uuid[])
"""

# --- scopes ----------------------------------------------------------------------------------

ALL_TEAMS = """
SELECT id FROM teams WHERE org_id = $1
"""

# A leader key sees the subtrees below its scope teams (team_subtree, migration 0007).
VISIBLE_TEAMS = """
SELECT DISTINCT team_id AS id FROM team_subtree($1, $2::uuid[])
"""

TEAM_EXISTS = """
SELECT true FROM teams WHERE org_id = $1 AND id = $2
"""

TEAM_VISIBLE = """
SELECT true FROM team_subtree($1, $2::uuid[]) WHERE team_id = $3 LIMIT 1
"""

# --- health ----------------------------------------------------------------------------------

PING = """
SELECT 1
"""

# --- the demo seed (candor dev) --------------------------------------------------------------

ORG_BY_NAME = """
SELECT id FROM orgs WHERE name = $1
"""

DELETE_ORG = """
DELETE FROM orgs WHERE id = $1
"""

ORG_HAS_WAVES = """
SELECT EXISTS (SELECT 1 FROM waves WHERE org_id = $1)
"""

DEMO_TEAM = """
INSERT INTO teams (org_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id
"""

# The demo's admin choice: Design (3 people) is reported together with Data.
DEMO_REPORT_WITH = """
UPDATE teams SET report_with = $3 WHERE org_id = $1 AND id = $2
"""

DEMO_PERSON = """
INSERT INTO people (org_id, email, display_name, team_id) VALUES ($1, $2, $3, $4)
"""

DEMO_PULSE = """
INSERT INTO pulses (org_id, name, team_ids, core_items, rotating_items,
                    items_per_wave, cadence, cadence_weeks, open_days, k, comment_k,
                    starts_at, next_wave_at)
VALUES ($1, 'Fortnightly team pulse', $2, $3, $4, $5, 'every_n_weeks', 2, 5, 5, 10, $6, $7)
RETURNING id
"""

DEMO_PULSE_ID = """
SELECT id FROM pulses WHERE org_id = $1 ORDER BY created_at, id LIMIT 1
"""

DEMO_WAVE_ITEMS = """
SELECT i.key, i.reverse, i.scale_min, i.scale_max
FROM waves wv JOIN items i ON i.org_id = wv.org_id AND i.key = ANY (wv.item_keys)
WHERE wv.org_id = $1 AND wv.id = $2
"""

DEMO_BALLOT = """
INSERT INTO ballots (org_id, wave_id, team_id, answers, comment) VALUES ($1, $2, $3, $4, $5)
"""

DEMO_MARK_RESPONDED = """
UPDATE invitations SET responded = true WHERE org_id = $1 AND id IN (
    SELECT id FROM invitations WHERE org_id = $1 AND wave_id = $2 AND team_id = $3
    ORDER BY id LIMIT $4)
"""

# These invitations belong to the past: nothing should be mailed for them.
DEMO_SKIP_MAIL = """
UPDATE outbox SET state = 'skipped', last_error = 'demo history'
WHERE org_id = $1 AND invitation_id IN (
    SELECT id FROM invitations WHERE org_id = $1 AND wave_id = $2)
"""

# The demo's console people: a leader of Product and an admin, in no team (never invited).
DEMO_ROLE_PERSON = """
INSERT INTO people (org_id, email, display_name, admin) VALUES ($1, $2, $3, $4)
ON CONFLICT (org_id, lower(email)) DO UPDATE SET admin = EXCLUDED.admin
RETURNING id
"""

DEMO_LEADS = """
INSERT INTO team_leaders (org_id, team_id, person_id)
SELECT $1, t.id, $3 FROM teams t WHERE t.org_id = $1 AND t.name = $2
ON CONFLICT DO NOTHING
"""
