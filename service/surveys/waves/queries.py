"""Every SQL statement of the waves slice, by name.

Parameters are positional ($1 is always the org). The statements that close a wave or reseal
its ballot box run inside one transaction each; the comments say what each step guards against.
"""

from __future__ import annotations

# --- opening ------------------------------------------------------------------------------------

LOCK_PULSE = """
SELECT * FROM pulses WHERE org_id = $1 AND id = $2 FOR UPDATE
"""

HAS_OPEN_WAVE = """
SELECT true FROM waves WHERE org_id = $1 AND pulse_id = $2 AND state = 'open'
"""

NEXT_SEQ = """
SELECT coalesce(max(seq), 0) + 1 FROM waves WHERE org_id = $1 AND pulse_id = $2
"""

INSERT_WAVE = """
INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at, closes_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id
"""

# The pulse's subtrees as they stand now (live teams only); a team reachable from two roots
# appears once, and a team whose parent is outside the wave becomes a root of the wave's tree.
FREEZE_TEAMS = """
WITH tree AS (
    SELECT DISTINCT s.team_id FROM team_subtree($1, $3::uuid[], p_live_only => true) s
)
INSERT INTO wave_teams (org_id, wave_id, team_id, parent_id, name, report_with)
SELECT $1, $2, t.id,
       CASE WHEN t.parent_id IN (SELECT team_id FROM tree) THEN t.parent_id END, t.name,
       t.report_with
FROM teams t
JOIN tree ON tree.team_id = t.id
WHERE t.org_id = $1
"""

MEMBERS = """
SELECT p.id, p.team_id FROM people p
JOIN wave_teams wt ON wt.org_id = p.org_id AND wt.team_id = p.team_id AND wt.wave_id = $2
WHERE p.org_id = $1 AND p.active AND NOT p.opted_out
"""

INVITE = """
INSERT INTO invitations (org_id, wave_id, id, person_id, team_id, token_hash)
SELECT $1, $2, u.id, u.person_id, u.team_id, u.token_hash
FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::bytea[])
     AS u(id, person_id, team_id, token_hash)
"""

COUNT_INVITED = """
UPDATE wave_teams wt SET invited = c.n
FROM (SELECT team_id, count(*) AS n FROM invitations
      WHERE org_id = $1 AND wave_id = $2 GROUP BY team_id) c
WHERE wt.org_id = $1 AND wt.wave_id = $2 AND wt.team_id = c.team_id
"""

WAVE_K = """
SELECT k FROM waves WHERE org_id = $1 AND id = $2
"""

# The frozen rows the reporting plan is made from (an admin's choice is checked by the plan).
WAVE_TEAMS_FOR_PLAN = """
SELECT team_id, parent_id, name, invited, report_with FROM wave_teams
WHERE org_id = $1 AND wave_id = $2
"""

# One row per (team, scope) key of the plan, in parallel arrays; an empty atoms string is a key
# not reported on its own (NULL). The same rows analytics stores for a wave opened before plans
# were frozen at open.
STORE_PLAN = """
INSERT INTO wave_plan (org_id, wave_id, team_id, scope, atoms, name, invited, pooled)
SELECT $1, $2, p.team_id, p.scope,
       CASE WHEN p.atoms = '' THEN NULL ELSE string_to_array(p.atoms, ',')::uuid[] END,
       p.name, p.invited, p.pooled
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bool[])
     AS p (team_id, scope, atoms, name, invited, pooled)
"""

# --- closing and resealing ----------------------------------------------------------------------

# FOR UPDATE conflicts with the FOR KEY SHARE a submit holds while it writes (respond's SUBMIT).
LOCK_WAVE = """
SELECT state FROM waves WHERE org_id = $1 AND id = $2 FOR UPDATE
"""

SHUFFLE_ANSWERS = """
INSERT INTO responses (org_id, wave_id, id, team_id, answers)
SELECT org_id, wave_id, gen_random_uuid(), team_id, answers
FROM ballots WHERE org_id = $1 AND wave_id = $2
ORDER BY random()
"""

# Shuffled separately from the answers, so a comment's position says nothing about its scores.
SHUFFLE_COMMENTS = """
INSERT INTO comments (org_id, wave_id, id, team_id, body)
SELECT org_id, wave_id, gen_random_uuid(), team_id, comment
FROM ballots WHERE org_id = $1 AND wave_id = $2 AND comment IS NOT NULL
ORDER BY random()
"""

EMPTY_BOX = """
DELETE FROM ballots WHERE org_id = $1 AND wave_id = $2
"""

# Every invitation of the wave is rewritten by the calling transaction, so in a dump taken
# afterwards their xmin no longer tells in which order people responded.
RESTAMP_INVITATIONS = """
UPDATE invitations SET responded = responded WHERE org_id = $1 AND wave_id = $2
"""

# A wave closed before its planned end closes now: closes_at becomes the real end, so every
# page and route that says "closed on" tells the day it closed (closes_at > opens_at holds).
MARK_CLOSED = """
UPDATE waves SET state = 'closed', closed_at = now(),
                 closes_at = CASE WHEN closes_at > now() AND now() > opens_at THEN now()
                                  ELSE closes_at END
WHERE org_id = $1 AND id = $2
"""

# Take every ballot out and put it back in a random order, in one statement: afterwards the
# box's physical order no longer follows the order people submitted in.
RESHUFFLE = """
WITH taken AS (
    DELETE FROM ballots WHERE org_id = $1 AND wave_id = $2
    RETURNING team_id, answers, comment
)
INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)
SELECT $1, $2, team_id, answers, comment FROM taken ORDER BY random()
"""

OPEN_WAVES_WITH_BALLOTS = """
SELECT DISTINCT b.org_id, b.wave_id FROM ballots b
JOIN waves w ON w.org_id = b.org_id AND w.id = b.wave_id
WHERE w.state = 'open'
"""

# --- the clock ----------------------------------------------------------------------------------

NEXT_DUE_PULSE = """
SELECT * FROM pulses
WHERE active AND next_wave_at <= now() AND NOT (id = ANY($1::uuid[]))
ORDER BY next_wave_at
LIMIT 1
FOR UPDATE SKIP LOCKED
"""

NOW = """
SELECT now()
"""

SET_NEXT_WAVE_AT = """
UPDATE pulses SET next_wave_at = $3 WHERE org_id = $1 AND id = $2
"""

DUE_TO_CLOSE = """
SELECT org_id, id, pulse_id FROM waves
WHERE state = 'open' AND closes_at <= now()
ORDER BY closes_at
"""

RECORD_ERROR = """
INSERT INTO schedule_errors (org_id, pulse_id, step, error) VALUES ($1, $2, $3, $4)
ON CONFLICT (org_id, pulse_id, step) DO UPDATE SET error = $4, at = now()
"""

CLEAR_ERROR = """
DELETE FROM schedule_errors WHERE org_id = $1 AND pulse_id = $2 AND step = $3
"""

# --- what the admin API shows -------------------------------------------------------------------

WAVE = """
SELECT id, pulse_id, seq, state, item_keys, k, comment_k, opens_at, closes_at, closed_at
FROM waves
WHERE org_id = $1 AND id = $2
"""

# Newest first; $3 (the teams a leader may see, NULL for an admin) keeps waves that touch them.
WAVES = """
SELECT id, pulse_id, seq, state, item_keys, k, comment_k, opens_at, closes_at, closed_at
FROM waves w
WHERE org_id = $1 AND ($2::uuid IS NULL OR pulse_id = $2)
  AND ($3::uuid[] IS NULL OR EXISTS (
        SELECT 1 FROM wave_teams wt
        WHERE wt.org_id = w.org_id AND wt.wave_id = w.id AND wt.team_id = ANY($3::uuid[])))
ORDER BY opens_at DESC, seq DESC
LIMIT 500
"""

WAVE_TEAMS = """
SELECT wave_id, team_id, parent_id, name, invited FROM wave_teams
WHERE org_id = $1 AND wave_id = ANY($2::uuid[])
ORDER BY name, team_id
"""

# The teams of the wave that have recorded a focus (in the leaders' console) before it opened:
# their people are asked the follow-up item.
MARK_FOLLOW_UP = """
UPDATE wave_teams wt SET follow_up = true
WHERE wt.org_id = $1 AND wt.wave_id = $2
  AND EXISTS (SELECT 1 FROM team_focus f
              WHERE f.org_id = wt.org_id AND f.team_id = wt.team_id AND f.agreed_on <= $3::date)
RETURNING wt.team_id
"""

# The wave asks the follow-up item (of those teams only), when the org has it live.
ADD_FOLLOW_UP_ITEM = """
UPDATE waves w SET item_keys = w.item_keys || $3::text, follow_up_item = $3
WHERE w.org_id = $1 AND w.id = $2 AND NOT ($3 = ANY (w.item_keys))
  AND EXISTS (SELECT 1 FROM items i WHERE i.org_id = $1 AND i.key = $3 AND NOT i.retired)
"""
