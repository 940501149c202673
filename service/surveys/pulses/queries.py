"""Every SQL statement of the pulses slice (pulses, their rules, items, the built-in bank).

Each statement is written out whole: no column list or clause is pasted in at runtime. Every
one is scoped by `org_id = $1`. "Teams below X" is always the database's team_subtree()
(migration 0007), never a recursive query of its own.
"""

# --- pulses ----------------------------------------------------------------------------------

# The first wave is due at the start ($13 doubles as next_wave_at).
INSERT_PULSE = """
INSERT INTO pulses (org_id, name, team_ids, core_items, rotating_items, items_per_wave, cadence,
                    cadence_weeks, open_days, k, comment_k, reminder_days, starts_at, next_wave_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
RETURNING id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
          open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at
"""

GET_PULSE = """
SELECT id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
       open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at
FROM pulses WHERE org_id = $1 AND id = $2
"""

GET_PULSE_FOR_UPDATE = """
SELECT id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
       open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at
FROM pulses WHERE org_id = $1 AND id = $2
FOR UPDATE
"""

# $2: only active or inactive pulses (NULL: both).
LIST_PULSES = """
SELECT id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
       open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at
FROM pulses
WHERE org_id = $1 AND ($2::bool IS NULL OR active = $2)
ORDER BY created_at, id
"""

LAST_WAVE_OPENED_AT = "SELECT max(opens_at) FROM waves WHERE org_id = $1 AND pulse_id = $2"

LAST_WAVE = """
SELECT seq, opens_at FROM waves WHERE org_id = $1 AND pulse_id = $2
ORDER BY seq DESC LIMIT 1
"""

# Every setting is written (the caller checked the whole result); an inactive pulse keeps no
# due time.
UPDATE_PULSE = """
UPDATE pulses SET
    name = $3, team_ids = $4, core_items = $5, rotating_items = $6, items_per_wave = $7,
    cadence = $8, cadence_weeks = $9, open_days = $10, k = $11, comment_k = $12,
    reminder_days = $13, starts_at = $14,
    next_wave_at = CASE WHEN active THEN $15::timestamptz END
WHERE org_id = $1 AND id = $2
RETURNING id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
          open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at
"""

DEACTIVATE_PULSE = """
UPDATE pulses SET active = false, next_wave_at = NULL
WHERE org_id = $1 AND id = $2
RETURNING id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
          open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at
"""

NOW = "SELECT now()"

# An already active pulse keeps its due time; a resumed one gets $3.
ACTIVATE_PULSE = """
UPDATE pulses SET active = true,
    next_wave_at = coalesce(CASE WHEN active THEN next_wave_at END, $3)
WHERE org_id = $1 AND id = $2
RETURNING id, name, team_ids, core_items, rotating_items, items_per_wave, cadence, cadence_weeks,
          open_days, k, comment_k, reminder_days, starts_at, next_wave_at, active, created_at
"""

# Of the roots $2, those whose subtree holds at least one of the teams $3 (a leader's).
ROOTS_REACHING = """
SELECT DISTINCT s.root_id FROM team_subtree($1, $2::uuid[]) s WHERE s.team_id = ANY($3::uuid[])
"""

# --- the reporting plan a wave would make today ---------------------------------------------

# The pulse's subtrees as they stand now (live teams; a team whose parent is outside them is a
# root), each team's own invited count and its "report with" choice: the rows open_wave freezes
# (waves' FREEZE_TEAMS, MEMBERS, COUNT_INVITED), read without freezing anything.
PLAN_TEAMS_TODAY = """
WITH tree AS (
    SELECT DISTINCT s.team_id FROM team_subtree($1, $2::uuid[], p_live_only => true) s
)
SELECT t.id AS team_id,
       CASE WHEN t.parent_id IN (SELECT team_id FROM tree) THEN t.parent_id END AS parent_id,
       t.name, t.report_with,
       (SELECT count(*) FROM people p
        WHERE p.org_id = $1 AND p.team_id = t.id AND p.active AND NOT p.opted_out)::int
           AS invited
FROM teams t
JOIN tree ON tree.team_id = t.id
WHERE t.org_id = $1
"""

# --- the rules of a pulse --------------------------------------------------------------------

TEAMS_ARCHIVED = """
SELECT id, archived_at IS NOT NULL AS archived FROM teams
WHERE org_id = $1 AND id = ANY($2::uuid[])
"""

# Pairs of the given roots where one lies below the other.
NESTED_ROOTS = """
SELECT s.root_id AS root, s.team_id AS id FROM team_subtree($1, $2::uuid[]) s
WHERE s.root_id <> s.team_id AND s.team_id = ANY($2::uuid[])
"""

LIVE_ITEM_KEYS = "SELECT key FROM items WHERE org_id = $1 AND NOT retired"

ITEMS_BY_KEY = """
SELECT key, dimension, retired FROM items WHERE org_id = $1 AND key = ANY($2::text[])
"""

# --- items -----------------------------------------------------------------------------------

# $2: only this dimension (NULL: all); $3: include retired items.
LIST_ITEMS = """
SELECT key, dimension, scale_min, scale_max, reverse, texts, instrument, source, retired, created_at
FROM items
WHERE org_id = $1 AND ($2::text IS NULL OR dimension = $2) AND ($3 OR NOT retired)
ORDER BY dimension, source, key
"""

GET_ITEM = """
SELECT key, dimension, scale_min, scale_max, reverse, texts, instrument, source, retired, created_at
FROM items WHERE org_id = $1 AND key = $2
"""

GET_ITEM_FOR_UPDATE = """
SELECT key, dimension, scale_min, scale_max, reverse, texts, instrument, source, retired, created_at
FROM items WHERE org_id = $1 AND key = $2
FOR UPDATE
"""

ITEM_KEYS_TAKEN = "SELECT key FROM items WHERE org_id = $1 AND key = ANY($2::text[])"

# Parallel arrays, one element per item; $8 keeps the given order, $9 is the instrument.
INSERT_ITEMS = """
INSERT INTO items (org_id, key, dimension, scale_min, scale_max, reverse, texts,
                   instrument, source)
SELECT $1, u.key, u.dimension, u.lo, u.hi, u.rev, u.texts, $9, 'org'
FROM unnest($2::text[], $3::text[], $4::smallint[], $5::smallint[], $6::bool[],
            $7::jsonb[], $8::int[]) AS u(key, dimension, lo, hi, rev, texts, ord)
ORDER BY u.ord
RETURNING key, dimension, scale_min, scale_max, reverse, texts, instrument, source, retired,
          created_at
"""

ACTIVE_PULSES_ASKING = """
SELECT name FROM pulses
WHERE org_id = $1 AND active AND ($2 = ANY(core_items) OR $2 = ANY(rotating_items))
ORDER BY name
"""

RETIRE_ITEM = """
UPDATE items SET retired = true WHERE org_id = $1 AND key = $2
RETURNING key, dimension, scale_min, scale_max, reverse, texts, instrument, source, retired,
          created_at
"""

# --- the built-in bank -----------------------------------------------------------------------

# New items only: an org's copy of a built-in item is never overwritten.
INSTALL_BUILTIN_ITEM = """
INSERT INTO items (org_id, key, dimension, scale_min, scale_max, reverse, texts,
                   instrument, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'candor', 'builtin')
ON CONFLICT (org_id, key) DO NOTHING
"""

# --- people already in another active pulse --------------------------------------------------

# Of the people a pulse over the roots $2 would invite (active, not opted out, in the live
# subtrees), how many each OTHER active pulse of the org ($3: the pulse itself, if saved) would
# invite too; most shared first.
OVERLAPPING_PULSES = """
WITH mine AS (
    SELECT DISTINCT p.id FROM people p
    JOIN team_subtree($1, $2::uuid[], p_live_only => true) s ON s.team_id = p.team_id
    WHERE p.org_id = $1 AND p.active AND NOT p.opted_out
)
SELECT o.id AS pulse_id, o.name, count(DISTINCT p.id)::int AS people
FROM pulses o
CROSS JOIN LATERAL team_subtree($1, o.team_ids, p_live_only => true) s
JOIN people p ON p.org_id = $1 AND p.team_id = s.team_id
WHERE o.org_id = $1 AND o.active AND ($3::uuid IS NULL OR o.id <> $3::uuid)
  AND p.id IN (SELECT id FROM mine)
GROUP BY o.id, o.name
ORDER BY people DESC, o.name, o.id
"""
