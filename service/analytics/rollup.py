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
import msgspec

from .. import guard
from ..guard import GroupKey, plan_wave
from ..guard.plan import GroupKeyPlan, PlanTeam, ReportingPlan, plan_reporting, reporting_tree
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
    plan = await wave_plan(conn, org_id, wave_id, k=wave["k"])
    teams, scopes, atoms = membership(plan)
    await conn.execute(queries.GROUPS, org_id, wave_id, teams, scopes, atoms)
    await conn.execute(queries.CELLS, org_id, wave_id, teams, scopes, atoms, guard.LARGE_CELL)
    await apply_guard(conn, org_id, wave_id, plan, k=wave["k"], comment_k=wave["comment_k"])


async def wave_plan(
    conn: asyncpg.Connection, org_id: UUID, wave_id: UUID, *, k: int
) -> ReportingPlan:
    """The plan frozen when the wave opened; for a wave opened before plans were kept, the same
    plan made now from the same frozen tree and invited counts, and stored."""
    rows = await conn.fetch(queries.WAVE_PLAN, org_id, wave_id)
    if rows:
        keys = [
            GroupKeyPlan(
                team_id=r["team_id"],
                parent_id=None,
                scope=r["scope"],
                atoms=None if r["atoms"] is None else list(r["atoms"]),
                name=r["name"],
                invited=r["invited"],
                pooled=r["pooled"],
            )
            for r in rows
        ]
        return _with_parents(
            ReportingPlan(k=k, groups=[], keys=keys, never=[]),
            await conn.fetch(queries.WAVE_TREE, org_id, wave_id),
        )
    teams = await conn.fetch(queries.WAVE_TEAMS_FOR_PLAN, org_id, wave_id)
    plan = plan_reporting(
        [
            PlanTeam(r["team_id"], r["parent_id"], r["name"], r["invited"], r["report_with"])
            for r in teams
        ],
        k,
    )
    await conn.execute(
        queries.STORE_PLAN,
        org_id,
        wave_id,
        [key.team_id for key in plan.keys],
        [key.scope for key in plan.keys],
        ["" if key.atoms is None else ",".join(str(a) for a in key.atoms) for key in plan.keys],
        [key.name for key in plan.keys],
        [key.invited for key in plan.keys],
        [key.pooled for key in plan.keys],
    )
    return plan


def _with_parents(plan: ReportingPlan, tree: list[asyncpg.Record]) -> ReportingPlan:
    parent = {r["team_id"]: r["parent_id"] for r in tree}
    keys = [msgspec.structs.replace(key, parent_id=parent.get(key.team_id)) for key in plan.keys]
    return msgspec.structs.replace(plan, keys=keys)


def membership(plan: ReportingPlan) -> tuple[list[UUID], list[str], list[UUID]]:
    """(key team, key scope, member team) triples: whose own answers each key aggregates.

    A key the plan does not report on its own gets its true subtree, so its row exists (and is
    hidden as "pooled") like every other key's.
    """
    below = _subtrees(plan)
    teams: list[UUID] = []
    scopes: list[str] = []
    atoms: list[UUID] = []
    for key in plan.keys:
        for atom in key.atoms if key.atoms is not None else below[key.team_id]:
            teams.append(key.team_id)
            scopes.append(key.scope)
            atoms.append(atom)
    return teams, scopes, atoms


def _subtrees(plan: ReportingPlan) -> dict[UUID, list[UUID]]:
    children: dict[UUID, list[UUID]] = {}
    ids = {key.team_id for key in plan.keys}
    for key in plan.keys:
        if key.scope == "team" and key.parent_id is not None and key.parent_id in ids:
            children.setdefault(key.parent_id, []).append(key.team_id)
    below: dict[UUID, list[UUID]] = {}
    for team in ids:
        found, stack = [], [team]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(children.get(node, ()))
        below[team] = found
    return below


async def apply_guard(
    conn: asyncpg.Connection,
    org_id: UUID,
    wave_id: UUID,
    reporting: ReportingPlan,
    *,
    k: int,
    comment_k: int,
) -> None:
    """Run the guard's plan over the wave's rollup rows and store which ones are hidden, with
    the names of the small groups a complement protects, or for a key not reported on its own,
    of the groups outside it that part of it is reported with."""
    tree, unreportable = reporting_tree(reporting)
    names = {(key.team_id, key.scope): key.name for key in reporting.keys}
    groups = await conn.fetch(queries.GROUP_COUNTS, org_id, wave_id)
    cells = await conn.fetch(queries.CELL_COUNTS, org_id, wave_id)
    group_n = {(r["team_id"], r["scope"]): r["n"] for r in groups}
    measure_n: dict[str, dict[GroupKey, int]] = {}
    for r in cells:
        measure_n.setdefault(f"{r['kind']}:{r['key']}", {})[(r["team_id"], r["scope"])] = r["n"]
    plan = plan_wave(
        tree,
        group_n,
        measure_n,
        k=k,
        comment_k=comment_k,
        unreportable=unreportable,
    )

    def because(measure: str, key: GroupKey) -> str | None:
        if key in unreportable:
            return names.get(key)  # the groups outside it that part of it is reported with
        protected = plan.causes.get((measure, key))
        if not protected:
            return None
        return " & ".join(sorted({names[c] for c in protected if c in names}, key=str.casefold))

    g_keys = [(t, s) for (t, s) in group_n if (t, s) in plan.groups or (t, s) in plan.comments]
    await conn.execute(
        queries.MARK_GROUPS,
        org_id,
        wave_id,
        [t for t, _ in g_keys],
        [s for _, s in g_keys],
        [plan.groups.get(g) for g in g_keys],
        [plan.comments.get(g) for g in g_keys],
        [because("", g) for g in g_keys],
    )
    present = {(f"{r['kind']}:{r['key']}", (r["team_id"], r["scope"])) for r in cells}
    hidden = [(m, g, c) for (m, g), c in plan.cells.items() if (m, g) in present]
    await conn.execute(
        queries.MARK_CELLS,
        org_id,
        wave_id,
        [g[0] for _, g, _ in hidden],
        [g[1] for _, g, _ in hidden],
        [m.split(":", 1)[0] for m, _, _ in hidden],
        [m.split(":", 1)[1] for m, _, _ in hidden],
        [c for _, _, c in hidden],
        [because(m, g) or because("", g) for m, g, _ in hidden],
    )
