"""Rollups of a closed wave: computed once, in the transaction that empties the ballot box.

`rollup_wave()` aggregates the wave's responses per team and per subtree of the frozen
`wave_teams` tree: respondents, invitations and comments per group (`wave_groups`), and per item
and per dimension the count, sum, sum of squares (on the item scale and on 0-100), favourable
count and histogram (`wave_cells`). Then the anonymity guard plans, over the whole tree at once,
which groups and cells are hidden, and the decision is stored next to the numbers. Reads
(trend, heatmap, CSV, widgets) use these rows only and never scan raw responses.

Definitions (also in docs/analytics.md): answers to reverse-keyed items are flipped first
(x -> min + max - x). A respondent's dimension score is the mean of their answered items of that
dimension, on the item scale and mapped to 0-100 ((x - min) / (max - min) * 100); they count as
favourable when that mean reaches the second-highest box (6 of 7). Items are favourable in the
top two boxes.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from ..guard import plan_wave, wave_tree

# The frozen tree as (ancestor, descendant) pairs, each team its own descendant; computed in
# Python from `wave_teams` (one small read) and passed as two arrays.
_CLOSURE = """
closure AS (SELECT * FROM unnest($3::uuid[], $4::uuid[]) AS c (ancestor, descendant))
"""


_GROUPS = f"""
WITH {_CLOSURE},
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
INSERT INTO wave_groups (org_id, wave_id, team_id, scope, invited, responded, n, comments)
SELECT $1, $2, team_id, 'team', invited, responded, n, comments FROM own
UNION ALL
SELECT $1, $2, c.ancestor, 'subtree', sum(o.invited), sum(o.responded), sum(o.n), sum(o.comments)
FROM closure c JOIN own o ON o.team_id = c.descendant
GROUP BY c.ancestor
"""

_HIST_POINTS = ", ".join(
    f"coalesce(sum(c) FILTER (WHERE x - scale_min = {i}), 0)::int" for i in range(11)
)
_HIST_BANDS = ", ".join(f"coalesce(sum(c) FILTER (WHERE bin = {b}), 0)::int" for b in range(1, 6))

_CELLS = f"""
WITH {_CLOSURE},
wave_items AS (
    SELECT i.key, i.dimension, i.scale_min, i.scale_max, i.reverse
    FROM waves w JOIN items i ON i.org_id = w.org_id AND i.key = ANY (w.item_keys)
    WHERE w.org_id = $1 AND w.id = $2
),
raw AS (
    SELECT r.id AS rid, r.team_id, wi.key, wi.dimension, wi.scale_min, wi.scale_max,
           wi.reverse, (a.value)::numeric AS v
    FROM responses r
    CROSS JOIN LATERAL jsonb_each(r.answers) a
    JOIN wave_items wi ON wi.key = a.key
    WHERE r.org_id = $1 AND r.wave_id = $2 AND jsonb_typeof(a.value) = 'number'
),
ans AS (
    SELECT rid, team_id, key, dimension, scale_min, scale_max,
           (CASE WHEN reverse THEN scale_min + scale_max - v ELSE v END)::int AS x
    FROM raw
    WHERE v BETWEEN scale_min AND scale_max AND v = trunc(v)
),
item_team AS (
    SELECT team_id, key, scale_min, scale_max, x, count(*) AS c
    FROM ans GROUP BY team_id, key, scale_min, scale_max, x
),
item_rows AS (
    SELECT team_id, 'team' AS scope, key, scale_min, scale_max, x, c FROM item_team
    UNION ALL
    SELECT cl.ancestor, 'subtree', it.key, it.scale_min, it.scale_max, it.x, sum(it.c)
    FROM item_team it JOIN closure cl ON cl.descendant = it.team_id
    GROUP BY cl.ancestor, it.key, it.scale_min, it.scale_max, it.x
),
item_cells AS (
    SELECT team_id, scope, 'item' AS kind, key,
           sum(c)::int AS n,
           sum(x * c)::float8 AS sum_raw,
           sum(x * x * c)::float8 AS sumsq_raw,
           sum(100.0 * (x - scale_min) / (scale_max - scale_min) * c)::float8 AS sum100,
           sum((100.0 * (x - scale_min) / (scale_max - scale_min)) ^ 2 * c)::float8 AS sumsq100,
           coalesce(sum(c) FILTER (WHERE x >= scale_max - 1), 0)::int AS favourable,
           -- One count per scale point (a scale has at most 11), cut to this item's length.
           (ARRAY[{_HIST_POINTS}])[1:scale_max - scale_min + 1] AS hist,
           scale_min, scale_max
    FROM item_rows GROUP BY team_id, scope, key, scale_min, scale_max
),
resp_dim AS (
    SELECT rid, team_id, dimension,
           avg(x)::float8 AS raw,
           avg(100.0 * (x - scale_min) / (scale_max - scale_min))::float8 AS s100,
           avg(100.0 * (scale_max - 1 - scale_min) / (scale_max - scale_min))::float8 AS cut,
           min(scale_min) AS smin, max(scale_max) AS smax
    FROM ans GROUP BY rid, team_id, dimension
),
dim_team AS (
    SELECT team_id, dimension, least(width_bucket(s100, 0, 100, 5), 5) AS bin,
           count(*) AS c, sum(raw) AS s_raw, sum(raw * raw) AS ss_raw,
           sum(s100) AS s100, sum(s100 * s100) AS ss100,
           count(*) FILTER (WHERE s100 >= cut - 1e-9) AS fav,
           min(smin) AS smin, max(smax) AS smax
    FROM resp_dim GROUP BY team_id, dimension, bin
),
dim_rows AS (
    SELECT team_id, 'team' AS scope, dimension, bin, c, s_raw, ss_raw, s100, ss100, fav,
           smin, smax
    FROM dim_team
    UNION ALL
    SELECT cl.ancestor, 'subtree', d.dimension, d.bin, sum(d.c), sum(d.s_raw), sum(d.ss_raw),
           sum(d.s100), sum(d.ss100), sum(d.fav), min(d.smin), max(d.smax)
    FROM dim_team d JOIN closure cl ON cl.descendant = d.team_id
    GROUP BY cl.ancestor, d.dimension, d.bin
),
dim_cells AS (
    SELECT team_id, scope, 'dimension' AS kind, dimension AS key,
           sum(c)::int AS n,
           sum(s_raw)::float8 AS sum_raw,
           sum(ss_raw)::float8 AS sumsq_raw,
           sum(s100)::float8 AS sum100,
           sum(ss100)::float8 AS sumsq100,
           sum(fav)::int AS favourable,
           ARRAY[{_HIST_BANDS}] AS hist,
           min(smin) AS scale_min, max(smax) AS scale_max
    FROM dim_rows GROUP BY team_id, scope, dimension
)
INSERT INTO wave_cells (org_id, wave_id, team_id, scope, kind, key, n, sum_raw, sumsq_raw,
                        sum100, sumsq100, favourable, hist, scale_min, scale_max)
SELECT $1, $2, team_id, scope, kind, key, n, sum_raw, sumsq_raw, sum100, sumsq100, favourable,
       hist, scale_min, scale_max
FROM item_cells
UNION ALL
SELECT $1, $2, team_id, scope, kind, key, n, sum_raw, sumsq_raw, sum100, sumsq100, favourable,
       hist, scale_min, scale_max
FROM dim_cells
"""

_MARK_GROUPS = """
UPDATE wave_groups g SET hidden = d.hidden, comments_hidden = d.comments_hidden
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[])
     AS d (team_id, scope, hidden, comments_hidden)
WHERE g.org_id = $1 AND g.wave_id = $2 AND g.team_id = d.team_id AND g.scope = d.scope
"""

_MARK_CELLS = """
UPDATE wave_cells c SET hidden = d.hidden
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
     AS d (team_id, scope, kind, key, hidden)
WHERE c.org_id = $1 AND c.wave_id = $2 AND c.team_id = d.team_id AND c.scope = d.scope
  AND c.kind = d.kind AND c.key = d.key
"""


async def rollup_wave(conn: asyncpg.Connection, org_id: UUID, wave_id: UUID) -> None:
    """Aggregate a closing wave and store the guard's decisions, in the caller's transaction.

    Safe to run again for the same wave (earlier rollup rows are replaced).
    """
    wave = await conn.fetchrow(
        "SELECT k, comment_k FROM waves WHERE org_id = $1 AND id = $2", org_id, wave_id
    )
    if wave is None:
        raise LookupError("no such wave")
    await conn.execute("DELETE FROM wave_cells WHERE org_id = $1 AND wave_id = $2", org_id, wave_id)
    await conn.execute(
        "DELETE FROM wave_groups WHERE org_id = $1 AND wave_id = $2", org_id, wave_id
    )
    teams = await conn.fetch(
        "SELECT team_id, parent_id FROM wave_teams WHERE org_id = $1 AND wave_id = $2",
        org_id,
        wave_id,
    )
    pairs = [(r["team_id"], r["parent_id"]) for r in teams]
    ancestors, descendants = closure(pairs)
    await conn.execute(_GROUPS, org_id, wave_id, ancestors, descendants)
    await conn.execute(_CELLS, org_id, wave_id, ancestors, descendants)
    await apply_guard(conn, org_id, wave_id, pairs, k=wave["k"], comment_k=wave["comment_k"])


def closure(pairs: list[tuple[UUID, UUID | None]]) -> tuple[list[UUID], list[UUID]]:
    """Every (ancestor, descendant) pair of the tree, a team being its own descendant."""
    parent = dict(pairs)
    ancestors: list[UUID] = []
    descendants: list[UUID] = []
    for team, _ in pairs:
        node: UUID | None = team
        seen: set[UUID] = set()
        while node is not None and node in parent and node not in seen:
            seen.add(node)  # a cycle cannot come from wave_teams, but must not hang us
            ancestors.append(node)
            descendants.append(team)
            node = parent[node]
    return ancestors, descendants


async def apply_guard(
    conn: asyncpg.Connection,
    org_id: UUID,
    wave_id: UUID,
    pairs: list[tuple[UUID, UUID | None]],
    *,
    k: int,
    comment_k: int,
) -> None:
    """Run the guard's plan over the wave's rollup rows and store which ones are hidden."""
    tree = wave_tree(pairs)
    groups = await conn.fetch(
        "SELECT team_id, scope, n FROM wave_groups WHERE org_id = $1 AND wave_id = $2",
        org_id,
        wave_id,
    )
    cells = await conn.fetch(
        "SELECT team_id, scope, kind, key, n FROM wave_cells WHERE org_id = $1 AND wave_id = $2",
        org_id,
        wave_id,
    )
    group_n = {(r["team_id"], r["scope"]): r["n"] for r in groups}
    measure_n: dict[str, dict[tuple[UUID, str], int]] = {}
    for r in cells:
        measure_n.setdefault(f"{r['kind']}:{r['key']}", {})[(r["team_id"], r["scope"])] = r["n"]
    plan = plan_wave(tree, group_n, measure_n, k=k, comment_k=comment_k)  # type: ignore[arg-type]

    g_keys = [(t, s) for (t, s) in group_n if (t, s) in plan.groups or (t, s) in plan.comments]
    await conn.execute(
        _MARK_GROUPS,
        org_id,
        wave_id,
        [t for t, _ in g_keys],
        [s for _, s in g_keys],
        [plan.groups.get(g) for g in g_keys],
        [plan.comments.get(g) for g in g_keys],
    )
    hidden_cells = [(m, g, code) for (m, g), code in plan.cells.items()]
    present = {(f"{r['kind']}:{r['key']}", (r["team_id"], r["scope"])) for r in cells}
    hidden_cells = [(m, g, c) for m, g, c in hidden_cells if (m, g) in present]
    await conn.execute(
        _MARK_CELLS,
        org_id,
        wave_id,
        [g[0] for _, g, _ in hidden_cells],
        [g[1] for _, g, _ in hidden_cells],
        [m.split(":", 1)[0] for m, _, _ in hidden_cells],
        [m.split(":", 1)[1] for m, _, _ in hidden_cells],
        [c for _, _, c in hidden_cells],
    )
