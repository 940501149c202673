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
from . import queries


async def rollup_wave(conn: asyncpg.Connection, org_id: UUID, wave_id: UUID) -> None:
    """Aggregate a closing wave and store the guard's decisions, in the caller's transaction.

    Safe to run again for the same wave (earlier rollup rows are replaced).
    """
    wave = await conn.fetchrow(queries.WAVE_THRESHOLDS, org_id, wave_id)
    if wave is None:
        raise LookupError("no such wave")
    await conn.execute(queries.ROLLUP_SETTINGS)
    await conn.execute(queries.DELETE_CELLS, org_id, wave_id)
    await conn.execute(queries.DELETE_GROUPS, org_id, wave_id)
    teams = await conn.fetch(queries.WAVE_TREE, org_id, wave_id)
    pairs = [(r["team_id"], r["parent_id"]) for r in teams]
    ancestors, descendants = closure(pairs)
    await conn.execute(queries.GROUPS, org_id, wave_id, ancestors, descendants)
    await conn.execute(queries.CELLS, org_id, wave_id, ancestors, descendants)
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
    groups = await conn.fetch(queries.GROUP_COUNTS, org_id, wave_id)
    cells = await conn.fetch(queries.CELL_COUNTS, org_id, wave_id)
    group_n = {(r["team_id"], r["scope"]): r["n"] for r in groups}
    measure_n: dict[str, dict[tuple[UUID, str], int]] = {}
    for r in cells:
        measure_n.setdefault(f"{r['kind']}:{r['key']}", {})[(r["team_id"], r["scope"])] = r["n"]
    plan = plan_wave(tree, group_n, measure_n, k=k, comment_k=comment_k)  # type: ignore[arg-type]

    g_keys = [(t, s) for (t, s) in group_n if (t, s) in plan.groups or (t, s) in plan.comments]
    await conn.execute(
        queries.MARK_GROUPS,
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
        queries.MARK_CELLS,
        org_id,
        wave_id,
        [g[0] for _, g, _ in hidden_cells],
        [g[1] for _, g, _ in hidden_cells],
        [m.split(":", 1)[0] for m, _, _ in hidden_cells],
        [m.split(":", 1)[1] for m, _, _ in hidden_cells],
        [c for _, _, c in hidden_cells],
    )
