"""Every SQL statement of the core (orgs, API keys, scopes, health) and of the demo seed.

Slices keep theirs in their own `queries.py`; nothing else in service/ holds SQL
(tests/test_sql_lives_in_queries.py checks it).
"""

# --- orgs and API keys -----------------------------------------------------------------------

INSERT_ORG = """
INSERT INTO orgs (name, floor_k, floor_comment_k) VALUES ($1, $2, $3) RETURNING id
"""

ORG = """
SELECT id, name, created_at, floor_k, floor_comment_k FROM orgs WHERE id = $1
"""

# --- floors (the operator's, through the CLI) ------------------------------------------------

ORG_FLOORS = """
SELECT floor_k, floor_comment_k FROM orgs WHERE id = $1
"""

# Locks the org row, so two operators' changes do not interleave their audit entries.
ORG_FLOORS_FOR_UPDATE = """
SELECT floor_k, floor_comment_k FROM orgs WHERE id = $1 FOR UPDATE
"""

SET_ORG_FLOORS = """
UPDATE orgs SET floor_k = $2, floor_comment_k = $3 WHERE id = $1
"""

# `candor org floors ORG`: ORG is an id or an exact name (names need not be unique).
ORGS_BY_NAME = """
SELECT id, name FROM orgs WHERE name = $1 ORDER BY created_at, id LIMIT 5
"""

ORG_NAME = """
SELECT name FROM orgs WHERE id = $1
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

# Whether the key exists (a row) and is still live (true), locked until the revoke commits.
KEY_LIVE_FOR_UPDATE = """
SELECT revoked_at IS NULL AS live FROM api_keys WHERE org_id = $1 AND id = $2 FOR UPDATE
"""

COUNT_TEAMS_OF_ORG = """
SELECT count(*) FROM teams WHERE org_id = $1 AND id = ANY ($2::uuid[])
"""

# --- the operator's CLI (service/admincli.py) -------------------------------------------

CLI_ORGS = """
SELECT o.id, o.name, o.created_at,
       (SELECT count(*) FROM people p WHERE p.org_id = o.id AND p.active) AS people,
       (SELECT count(*) FROM teams t WHERE t.org_id = o.id AND t.archived_at IS NULL) AS teams,
       (SELECT count(*) FROM api_keys k WHERE k.org_id = o.id AND k.revoked_at IS NULL) AS keys
FROM orgs o
ORDER BY o.created_at, o.id
"""

CLI_ORG_BY_ID = """
SELECT id, name FROM orgs WHERE id = $1
"""

CLI_ORGS_BY_NAME = """
SELECT id, name FROM orgs WHERE name = $1 ORDER BY created_at, id
"""

CLI_TEAM_NAMES = """
SELECT id, parent_id, name FROM teams WHERE org_id = $1
"""

CLI_KEYS = """
SELECT id, name, prefix, role, scope_team_ids, created_at, revoked_at
FROM api_keys WHERE org_id = $1 ORDER BY created_at, id
"""

CLI_KEY_BY_ID = """
SELECT id, name, prefix, role, scope_team_ids, created_at, revoked_at
FROM api_keys WHERE org_id = $1 AND id = $2
"""

CLI_KEY_BY_HASH = """
SELECT id, name, prefix, role, scope_team_ids, created_at, revoked_at
FROM api_keys WHERE org_id = $1 AND key_hash = $2
"""

CLI_KEYS_BY_PREFIX = """
SELECT id, name, prefix, role, scope_team_ids, created_at, revoked_at
FROM api_keys WHERE org_id = $1 AND starts_with(prefix, $2) ORDER BY id
"""

# --- the audit log (service/audit.py); append-only: no statement updates or deletes it -------

INSERT_AUDIT = """
INSERT INTO audit_log (org_id, actor_kind, actor_id, action, object_kind, object_id, details)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

# $2..$8: since (inclusive), until (exclusive), actor kind, actor id, action, object kind, id.
AUDIT_PAGE = """
SELECT id, at, actor_kind, actor_id, action, object_kind, object_id, details
FROM audit_log
WHERE org_id = $1
  AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
  AND ($4::text IS NULL OR actor_kind = $4) AND ($5::uuid IS NULL OR actor_id = $5)
  AND ($6::text IS NULL OR action = $6)
  AND ($7::text IS NULL OR object_kind = $7) AND ($8::uuid IS NULL OR object_id = $8)
ORDER BY at DESC, seq DESC
LIMIT $9 OFFSET $10
"""

AUDIT_COUNT = """
SELECT count(*) FROM audit_log
WHERE org_id = $1
  AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
  AND ($4::text IS NULL OR actor_kind = $4) AND ($5::uuid IS NULL OR actor_id = $5)
  AND ($6::text IS NULL OR action = $6)
  AND ($7::text IS NULL OR object_kind = $7) AND ($8::uuid IS NULL OR object_id = $8)
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
