"""Every SQL statement of the analytics slice: rollups at close, and the guarded reads.

Reads never touch raw `responses` or `comments` except `CELLS`/`GROUPS` (the rollup, run in the
closing transaction) and `COMMENT_BODIES` (texts of a group the guard already cleared).
"""

# --- the rollup, in the transaction that closes a wave ----------------------------------------

WAVE_THRESHOLDS = """
SELECT k, comment_k FROM waves WHERE org_id = $1 AND id = $2
"""

DELETE_CELLS = """
DELETE FROM wave_cells WHERE org_id = $1 AND wave_id = $2
"""

DELETE_GROUPS = """
DELETE FROM wave_groups WHERE org_id = $1 AND wave_id = $2
"""

WAVE_TREE = """
SELECT team_id, parent_id FROM wave_teams WHERE org_id = $1 AND wave_id = $2
"""

# For the closing transaction only (reset at its end): the CELLS aggregates over every answer
# of the wave (about 700,000 rows at 100,000 people) fit in memory instead of spilling to disk,
# and the statement's cost estimate (made before the fresh responses have statistics) cannot
# start a JIT compile that costs more than it saves.
ROLLUP_SETTINGS = """
SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)
"""

WAVE_PLAN = """
SELECT team_id, scope, atoms, name, invited, pooled FROM wave_plan
WHERE org_id = $1 AND wave_id = $2
"""

WAVE_TEAMS_FOR_PLAN = """
SELECT team_id, parent_id, name, invited, report_with FROM wave_teams
WHERE org_id = $1 AND wave_id = $2
"""

# A wave opened before plans were kept gets its plan at close, from the same frozen rows.
STORE_PLAN = """
INSERT INTO wave_plan (org_id, wave_id, team_id, scope, atoms, name, invited, pooled)
SELECT $1, $2, p.team_id, p.scope,
       CASE WHEN p.atoms = '' THEN NULL ELSE string_to_array(p.atoms, ',')::uuid[] END,
       p.name, p.invited, p.pooled
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bool[])
     AS p (team_id, scope, atoms, name, invited, pooled)
"""

# $3/$4/$5: which teams' own members each (team, scope) key aggregates, as (key team, key
# scope, member team) triples computed in Python from the wave's plan (a key the plan does not
# report on its own still gets its true subtree, to be hidden as "pooled").
GROUPS = """
WITH member AS (
    SELECT * FROM unnest($3::uuid[], $4::text[], $5::uuid[]) AS m (team_id, scope, atom)
),
inv AS (
    SELECT team_id, count(*) AS invited, count(*) FILTER (WHERE responded) AS responded
    FROM invitations WHERE org_id = $1 AND wave_id = $2 GROUP BY team_id
),
resp AS (SELECT team_id, count(*) AS n FROM responses
         WHERE org_id = $1 AND wave_id = $2 GROUP BY team_id),
com AS (SELECT team_id, count(*) AS c FROM comments
        WHERE org_id = $1 AND wave_id = $2 GROUP BY team_id),
own AS (
    SELECT wt.team_id,
           coalesce(inv.invited, wt.invited)::int AS invited,
           -- Without invitation rows (loaded history) the responses are the record.
           coalesce(inv.responded, resp.n, 0)::int AS responded,
           coalesce(resp.n, 0)::int AS n,
           coalesce(com.c, 0)::int AS comments
    FROM wave_teams wt
    LEFT JOIN inv ON inv.team_id = wt.team_id
    LEFT JOIN resp ON resp.team_id = wt.team_id
    LEFT JOIN com ON com.team_id = wt.team_id
    WHERE wt.org_id = $1 AND wt.wave_id = $2
)
INSERT INTO wave_groups (org_id, wave_id, team_id, scope, invited, responded, n, comments,
                         name, pooled)
SELECT $1, $2, m.team_id, m.scope, sum(o.invited), sum(o.responded), sum(o.n), sum(o.comments),
       p.name, p.pooled
FROM member m
JOIN own o ON o.team_id = m.atom
JOIN wave_plan p ON p.org_id = $1 AND p.wave_id = $2 AND p.team_id = m.team_id
                AND p.scope = m.scope
GROUP BY m.team_id, m.scope, p.name, p.pooled
"""

# Per item and per dimension: answers are aggregated per team first, then summed per key over
# its member teams. The wave's pooled spread of each measure (over every respondent; $6 the
# fewest respondents it takes) is stored on every row of that measure. Each answer is read with
# `answers -> key` for the wave's few items (no jsonb_each and no join per response), and the
# CTEs are MATERIALIZED so the plan does not rest on row estimates for responses written
# moments ago in this transaction.
CELLS = """
WITH member AS MATERIALIZED (
    SELECT * FROM unnest($3::uuid[], $4::text[], $5::uuid[]) AS m (team_id, scope, atom)
),
wave_items AS MATERIALIZED (
    SELECT i.key, i.dimension, i.scale_min, i.scale_max, i.reverse
    FROM waves w JOIN items i ON i.org_id = w.org_id AND i.key = ANY (w.item_keys)
    WHERE w.org_id = $1 AND w.id = $2
),
ans AS MATERIALIZED (
    SELECT rid, team_id, key, dimension, scale_min, scale_max,
           (CASE WHEN reverse THEN scale_min + scale_max - v ELSE v END)::int AS x
    FROM (
        -- CASE, so a value that is not a number is never cast (a NULL is left out below).
        SELECT r.id AS rid, r.team_id, wi.key, wi.dimension, wi.scale_min, wi.scale_max,
               wi.reverse,
               CASE WHEN jsonb_typeof(r.answers -> wi.key) = 'number'
                    THEN (r.answers -> wi.key)::numeric END AS v
        FROM responses r CROSS JOIN wave_items wi
        WHERE r.org_id = $1 AND r.wave_id = $2
    ) raw
    WHERE v BETWEEN scale_min AND scale_max AND v = trunc(v)
),
item_team AS MATERIALIZED (
    SELECT team_id, key, scale_min, scale_max, x, count(*) AS c
    FROM ans GROUP BY team_id, key, scale_min, scale_max, x
),
item_rows AS (
    SELECT m.team_id, m.scope, it.key, it.scale_min, it.scale_max, it.x, sum(it.c) AS c
    FROM item_team it JOIN member m ON m.atom = it.team_id
    GROUP BY m.team_id, m.scope, it.key, it.scale_min, it.scale_max, it.x
),
item_spread AS (
    SELECT key, sum(c) AS n, sum(x * c)::float8 AS s, sum(x * x * c)::float8 AS ss,
           sum(100.0 * (x - scale_min) / (scale_max - scale_min) * c)::float8 AS s100,
           sum((100.0 * (x - scale_min) / (scale_max - scale_min)) ^ 2 * c)::float8 AS ss100
    FROM item_team GROUP BY key
),
item_cells AS (
    SELECT team_id, scope, 'item' AS kind, key,
           sum(c)::int AS n,
           sum(x * c)::float8 AS sum_raw,
           sum(x * x * c)::float8 AS sumsq_raw,
           sum(100.0 * (x - scale_min) / (scale_max - scale_min) * c)::float8 AS sum100,
           sum((100.0 * (x - scale_min) / (scale_max - scale_min)) ^ 2 * c)::float8 AS sumsq100,
           coalesce(sum(c) FILTER (WHERE x >= scale_max - 1), 0)::int AS favourable,
           (ARRAY[
           coalesce(sum(c) FILTER (WHERE x - scale_min = 0), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 1), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 2), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 3), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 4), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 5), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 6), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 7), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 8), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 9), 0)::int,
           coalesce(sum(c) FILTER (WHERE x - scale_min = 10), 0)::int
           ])[1:scale_max - scale_min + 1] AS hist,
           scale_min, scale_max
    FROM item_rows GROUP BY team_id, scope, key, scale_min, scale_max
),
resp_dim AS (
    SELECT team_id, dimension,
           avg(x::float8) AS raw,
           avg(100.0::float8 * (x - scale_min) / (scale_max - scale_min)) AS s100,
           avg(100.0::float8 * (scale_max - 1 - scale_min) / (scale_max - scale_min)) AS cut,
           min(scale_min) AS smin, max(scale_max) AS smax
    FROM ans GROUP BY rid, team_id, dimension
),
dim_team AS MATERIALIZED (
    SELECT team_id, dimension, least(width_bucket(s100, 0, 100, 5), 5) AS bin,
           count(*) AS c, sum(raw) AS s_raw, sum(raw * raw) AS ss_raw,
           sum(s100) AS s100, sum(s100 * s100) AS ss100,
           count(*) FILTER (WHERE s100 >= cut - 1e-9) AS fav,
           min(smin) AS smin, max(smax) AS smax
    FROM resp_dim GROUP BY team_id, dimension, bin
),
dim_rows AS (
    SELECT m.team_id, m.scope, d.dimension, d.bin, sum(d.c) AS c, sum(d.s_raw) AS s_raw,
           sum(d.ss_raw) AS ss_raw, sum(d.s100) AS s100, sum(d.ss100) AS ss100,
           sum(d.fav) AS fav, min(d.smin) AS smin, max(d.smax) AS smax
    FROM dim_team d JOIN member m ON m.atom = d.team_id
    GROUP BY m.team_id, m.scope, d.dimension, d.bin
),
dim_spread AS (
    SELECT dimension AS key, sum(c) AS n, sum(s_raw)::float8 AS s, sum(ss_raw)::float8 AS ss,
           sum(s100)::float8 AS s100, sum(ss100)::float8 AS ss100
    FROM dim_team GROUP BY dimension
),
dim_cells AS (
    SELECT team_id, scope, 'dimension' AS kind, dimension AS key,
           sum(c)::int AS n,
           sum(s_raw)::float8 AS sum_raw,
           sum(ss_raw)::float8 AS sumsq_raw,
           sum(s100)::float8 AS sum100,
           sum(ss100)::float8 AS sumsq100,
           sum(fav)::int AS favourable,
           ARRAY[
           coalesce(sum(c) FILTER (WHERE bin = 1), 0)::int,
           coalesce(sum(c) FILTER (WHERE bin = 2), 0)::int,
           coalesce(sum(c) FILTER (WHERE bin = 3), 0)::int,
           coalesce(sum(c) FILTER (WHERE bin = 4), 0)::int,
           coalesce(sum(c) FILTER (WHERE bin = 5), 0)::int
           ] AS hist,
           min(smin) AS scale_min, max(smax) AS scale_max
    FROM dim_rows GROUP BY team_id, scope, dimension
),
spread AS (
    SELECT 'item' AS kind, key, n, s, ss, s100, ss100 FROM item_spread
    UNION ALL
    SELECT 'dimension', key, n, s, ss, s100, ss100 FROM dim_spread
),
cells AS (
    SELECT * FROM item_cells UNION ALL SELECT * FROM dim_cells
)
INSERT INTO wave_cells (org_id, wave_id, team_id, scope, kind, key, n, sum_raw, sumsq_raw,
                        sum100, sumsq100, favourable, hist, scale_min, scale_max,
                        pooled_var_raw, pooled_var100)
SELECT $1, $2, c.team_id, c.scope, c.kind, c.key, c.n, c.sum_raw, c.sumsq_raw, c.sum100,
       c.sumsq100, c.favourable, c.hist, c.scale_min, c.scale_max,
       CASE WHEN sp.n >= $6 THEN greatest(0, (sp.ss - sp.s * sp.s / sp.n) / (sp.n - 1)) END,
       CASE WHEN sp.n >= $6 THEN greatest(0, (sp.ss100 - sp.s100 * sp.s100 / sp.n) / (sp.n - 1))
       END
FROM cells c JOIN spread sp ON sp.kind = c.kind AND sp.key = c.key
"""

MARK_GROUPS = """
UPDATE wave_groups g
SET hidden = d.hidden, comments_hidden = d.comments_hidden, hidden_because = d.because
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
     AS d (team_id, scope, hidden, comments_hidden, because)
WHERE g.org_id = $1 AND g.wave_id = $2 AND g.team_id = d.team_id AND g.scope = d.scope
"""

MARK_CELLS = """
UPDATE wave_cells c SET hidden = d.hidden, hidden_because = d.because
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
     AS d (team_id, scope, kind, key, hidden, because)
WHERE c.org_id = $1 AND c.wave_id = $2 AND c.team_id = d.team_id AND c.scope = d.scope
  AND c.kind = d.kind AND c.key = d.key
"""

GROUP_COUNTS = """
SELECT team_id, scope, n FROM wave_groups WHERE org_id = $1 AND wave_id = $2
"""

CELL_COUNTS = """
SELECT team_id, scope, kind, key, n FROM wave_cells WHERE org_id = $1 AND wave_id = $2
"""


# --- trends ----------------------------------------------------------------------------------

# The team's latest closed waves (with its group row) and any open ones, in one round trip.
TREND_WAVES = """
(SELECT 'closed' AS state, w.id, w.opens_at, w.closes_at, w.k, w.item_keys,
        g.invited, g.responded, g.n, g.hidden, g.hidden_because, g.name, g.pooled,
        w.follow_up_item,
        -- Whether the group's people were asked the follow-up item (a team of it had a focus).
        EXISTS (SELECT 1 FROM wave_plan p JOIN wave_teams x
                  ON x.org_id = p.org_id AND x.wave_id = p.wave_id AND x.team_id = ANY (p.atoms)
                WHERE p.org_id = g.org_id AND p.wave_id = g.wave_id AND p.team_id = g.team_id
                  AND p.scope = g.scope AND x.follow_up) AS follows_up
 FROM wave_groups g
 JOIN waves w ON w.org_id = g.org_id AND w.id = g.wave_id
 WHERE g.org_id = $1 AND g.team_id = $2 AND g.scope = $3 AND w.state = 'closed'
   AND ($4::timestamptz IS NULL OR w.opens_at >= $4)
   AND ($5::timestamptz IS NULL OR w.opens_at <= $5)
 ORDER BY w.opens_at DESC, w.id
 LIMIT $6)
UNION ALL
(SELECT 'open', w.id, w.opens_at, w.closes_at, w.k, w.item_keys, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL
 FROM waves w
 JOIN wave_teams wt ON wt.org_id = w.org_id AND wt.wave_id = w.id AND wt.team_id = $2
 WHERE w.org_id = $1 AND w.state = 'open'
   AND ($4::timestamptz IS NULL OR w.opens_at >= $4)
   AND ($5::timestamptz IS NULL OR w.opens_at <= $5))
"""

TREND_TEAM = """
SELECT t.name,
       (SELECT coalesce(jsonb_object_agg(i.key, i.dimension), '{}'::jsonb)
        FROM items i WHERE i.org_id = $1) AS item_dims
FROM teams t WHERE t.org_id = $1 AND t.id = $2
"""

TREND_CELLS = """
SELECT wave_id, key, n, sum_raw, sumsq_raw, sum100, sumsq100, favourable,
       scale_min, scale_max, hidden, hidden_because, pooled_var_raw, pooled_var100
FROM wave_cells
WHERE org_id = $1 AND team_id = $2 AND scope = $3 AND kind = $4 AND wave_id = ANY ($5::uuid[])
  AND ($6::text[] IS NULL OR key = ANY ($6::text[]))
"""


# --- heatmap ---------------------------------------------------------------------------------

HEATMAP_WAVE = """
SELECT w.state, w.k,
       ARRAY(SELECT DISTINCT i.dimension FROM items i
             WHERE i.org_id = w.org_id AND i.key = ANY (w.item_keys) ORDER BY 1) AS dimensions,
       (SELECT i.dimension FROM items i
        WHERE i.org_id = w.org_id AND i.key = w.follow_up_item) AS follow_up_dimension
FROM waves w WHERE w.org_id = $1 AND w.id = $2
"""

HEATMAP_ROWS = """
SELECT g.team_id, coalesce(t.name, wt.name) AS name, wt.parent_id, g.invited, g.responded,
       g.n, g.hidden, g.hidden_because, g.name AS group_name, g.pooled,
       EXISTS (SELECT 1 FROM wave_plan p JOIN wave_teams x
                 ON x.org_id = p.org_id AND x.wave_id = p.wave_id AND x.team_id = ANY (p.atoms)
               WHERE p.org_id = g.org_id AND p.wave_id = g.wave_id AND p.team_id = g.team_id
                 AND p.scope = g.scope AND x.follow_up) AS follows_up,
       count(*) OVER () AS total
FROM wave_groups g
JOIN wave_teams wt ON wt.org_id = g.org_id AND wt.wave_id = g.wave_id AND wt.team_id = g.team_id
LEFT JOIN teams t ON t.org_id = g.org_id AND t.id = g.team_id
WHERE g.org_id = $1 AND g.wave_id = $2 AND g.scope = $3
  AND ($4::uuid[] IS NULL OR g.team_id = ANY ($4::uuid[]))
ORDER BY name, g.team_id
LIMIT $5 OFFSET $6
"""

# With the group each row describes (a change is only called between waves of the same group).
HEATMAP_CELLS = """
SELECT c.team_id, c.key, c.n, c.sum_raw, c.sumsq_raw, c.sum100, c.sumsq100, c.favourable,
       c.scale_min, c.scale_max, c.hidden, c.hidden_because, c.pooled_var_raw, c.pooled_var100,
       g.name AS group_name, coalesce(g.pooled, false) AS pooled
FROM wave_cells c
LEFT JOIN wave_groups g ON g.org_id = c.org_id AND g.wave_id = c.wave_id
                       AND g.team_id = c.team_id AND g.scope = c.scope
WHERE c.org_id = $1 AND c.wave_id = $2 AND c.scope = $3 AND c.kind = 'dimension'
  AND c.team_id = ANY ($4::uuid[]) AND c.key = ANY ($5::text[])
"""

HEATMAP_IN_SCOPE = """
SELECT true FROM wave_teams WHERE org_id = $1 AND wave_id = $2 AND team_id = ANY ($3::uuid[])
LIMIT 1
"""

HEATMAP_TOTAL = """
SELECT count(*) FROM wave_groups WHERE org_id = $1 AND wave_id = $2 AND scope = $3
  AND ($4::uuid[] IS NULL OR team_id = ANY ($4::uuid[]))
"""


# --- comments --------------------------------------------------------------------------------

COMMENT_GROUP = """
SELECT w.state, w.comment_k, g.n, g.comments, g.comments_hidden, g.hidden_because, g.name,
       p.atoms, p.team_id IS NOT NULL AS planned,
       EXISTS (SELECT 1 FROM wave_teams wt WHERE wt.org_id = w.org_id AND wt.wave_id = w.id
               AND wt.team_id = $3) AS in_wave
FROM waves w
LEFT JOIN wave_groups g ON g.org_id = w.org_id AND g.wave_id = w.id AND g.team_id = $3
                       AND g.scope = $4
LEFT JOIN wave_plan p ON p.org_id = w.org_id AND p.wave_id = w.id AND p.team_id = $3
                     AND p.scope = $4
WHERE w.org_id = $1 AND w.id = $2
"""

# The texts of a group: the teams the wave's plan says it holds.
COMMENT_BODIES = """
SELECT c.body FROM comments c
WHERE c.org_id = $1 AND c.wave_id = $2 AND c.team_id = ANY ($3::uuid[])
ORDER BY c.id
LIMIT $4 OFFSET $5
"""


# --- reference data --------------------------------------------------------------------------

DIMENSIONS = """
SELECT DISTINCT dimension FROM items WHERE org_id = $1
"""

ITEM_KEYS = """
SELECT key FROM items WHERE org_id = $1
"""


# --- changes (heatmap change flags) ----------------------------------------------------------

# Per team and dimension, its latest published cell in the org's $6 closed waves before this
# one (changes.py asks the wave just before first, then up to 12, the trend's default window,
# for what that one did not publish), with the group it described; the guard re-checks every
# row before it is used.
PREVIOUS_CELLS = """
WITH cur AS (
    SELECT opens_at, id FROM waves WHERE org_id = $1 AND id = $2
), prior AS (
    SELECT w.id, w.k, w.opens_at
    FROM waves w, cur
    WHERE w.org_id = $1 AND w.state = 'closed' AND (w.opens_at, w.id) < (cur.opens_at, cur.id)
    ORDER BY w.opens_at DESC, w.id DESC
    LIMIT $6
)
SELECT DISTINCT ON (c.team_id, c.key)
       c.team_id, c.key, c.n, c.sum_raw, c.sumsq_raw, c.sum100, c.sumsq100, c.favourable,
       c.scale_min, c.scale_max, c.hidden, c.pooled_var_raw, c.pooled_var100, p.k,
       g.name AS group_name, coalesce(g.pooled, false) AS pooled
FROM prior p
JOIN wave_cells c ON c.org_id = $1 AND c.wave_id = p.id
LEFT JOIN wave_groups g ON g.org_id = c.org_id AND g.wave_id = c.wave_id
                       AND g.team_id = c.team_id AND g.scope = c.scope
WHERE c.scope = $3 AND c.kind = 'dimension' AND c.team_id = ANY ($4::uuid[])
  AND c.key = ANY ($5::text[]) AND c.hidden IS NULL AND c.n >= p.k
ORDER BY c.team_id, c.key, p.opens_at DESC, p.id DESC
"""
