"""Change flags for one closed wave's grid: each team and dimension against its previous result.

`wave_changes()` gives, for the cells of a heatmap, what the trend gives for its latest point:
the change of the 0-100 score since the team's previous published result (within the org's 12
closed waves before this one) when both describe the same group, its interval and the call
("up", "down", "no detectable change"). Both cells pass through the guard first; a change is
computed only between two released cells, so a hidden cell never gets a flag.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from .. import guard
from ..guard import Released, stats
from . import queries
from .trends import Conn, Scope, aggregate_of

# How many earlier closed waves a change may reach back to (the trend's default window).
WINDOW = 12


class CellChange(msgspec.Struct, frozen=True):
    team_id: UUID
    dimension: str
    delta: Annotated[float, guard.DERIVED]  # of two released cells
    delta_ci: stats.Interval
    change: stats.Change


async def wave_changes(
    conn: Conn,
    org_id: UUID,
    wave_id: UUID,
    team_ids: list[UUID],
    dimensions: list[str],
    *,
    scope: Scope = "subtree",
    k: int,
) -> dict[tuple[UUID, str], CellChange]:
    """(team, dimension) -> change, for the cells of a closed wave that have one.

    `k` is the wave's threshold. Scope checks are the caller's job (as for the heatmap).
    """
    if not team_ids or not dimensions:
        return {}
    current = await conn.fetch(queries.HEATMAP_CELLS, org_id, wave_id, scope, team_ids, dimensions)
    # The wave just before nearly always has the earlier point; only the cells it did not
    # publish are looked for further back (same rows as one 12-wave read, at a fraction of it).
    previous = await conn.fetch(
        queries.PREVIOUS_CELLS, org_id, wave_id, scope, team_ids, dimensions, 1
    )
    before = {(r["team_id"], r["key"]): r for r in previous}
    missing = {r["team_id"] for r in current if (r["team_id"], r["key"]) not in before}
    if missing:
        older = await conn.fetch(
            queries.PREVIOUS_CELLS, org_id, wave_id, scope, list(missing), dimensions, WINDOW
        )
        for r in older:
            before.setdefault((r["team_id"], r["key"]), r)
    out: dict[tuple[UUID, str], CellChange] = {}
    for row in current:
        key = (row["team_id"], row["key"])
        prev = before.get(key)
        # As in the trend: only two results of the same group are compared (a team reported
        # alone one round and together with another the next has no change to call).
        if prev is None or (prev["group_name"], prev["pooled"]) != (
            row["group_name"],
            row["pooled"],
        ):
            continue
        now = guard.release_cell(aggregate_of(row), row["hidden"], k=k, wave_closed=True)
        then = guard.release_cell(aggregate_of(prev), prev["hidden"], k=prev["k"], wave_closed=True)
        if not (isinstance(now, Released) and isinstance(then, Released)):
            continue
        a, b = then.agg, now.agg
        diff = stats.welch_change((a.n, a.sum100, a.sumsq100), (b.n, b.sum100, b.sumsq100))
        out[key] = CellChange(
            team_id=key[0],
            dimension=key[1],
            delta=round(diff.delta, 1),
            delta_ci=stats.Interval(round(diff.interval.low, 1), round(diff.interval.high, 1)),
            change=diff.change,
        )
    return out
