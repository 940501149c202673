"""One closed wave as a grid: the teams a key may see x the wave's dimensions, guarded."""

from __future__ import annotations

from uuid import UUID

import msgspec

from .. import guard
from ..errors import Conflict, NotFound
from ..guard import Cell, Participation, cell_from
from .trends import Conn, Scope, aggregate_of


class HeatmapRow(msgspec.Struct, frozen=True):
    team_id: UUID
    team_name: str
    parent_id: UUID | None
    respondents: int | None
    participation: Participation
    cells: dict[str, Cell]  # dimension -> cell
    reason: str | None = None
    reason_code: guard.Code | None = None


class Heatmap(msgspec.Struct, frozen=True):
    wave_id: UUID
    scope: Scope
    dimensions: list[str]
    total: int  # rows within the key's scope, for paging
    limit: int
    offset: int
    rows: list[HeatmapRow]


_WAVE = """
SELECT w.state, w.k,
       ARRAY(SELECT DISTINCT i.dimension FROM items i
             WHERE i.org_id = w.org_id AND i.key = ANY (w.item_keys) ORDER BY 1) AS dimensions
FROM waves w WHERE w.org_id = $1 AND w.id = $2
"""

_ROWS = """
SELECT g.team_id, coalesce(t.name, wt.name) AS name, wt.parent_id, g.invited, g.responded,
       g.n, g.hidden, count(*) OVER () AS total
FROM wave_groups g
JOIN wave_teams wt ON wt.org_id = g.org_id AND wt.wave_id = g.wave_id AND wt.team_id = g.team_id
LEFT JOIN teams t ON t.org_id = g.org_id AND t.id = g.team_id
WHERE g.org_id = $1 AND g.wave_id = $2 AND g.scope = $3
  AND ($4::uuid[] IS NULL OR g.team_id = ANY ($4::uuid[]))
ORDER BY name, g.team_id
LIMIT $5 OFFSET $6
"""

_CELLS = """
SELECT team_id, key, n, sum_raw, sumsq_raw, sum100, sumsq100, favourable, scale_min, scale_max,
       hidden
FROM wave_cells
WHERE org_id = $1 AND wave_id = $2 AND scope = $3 AND kind = 'dimension'
  AND team_id = ANY ($4::uuid[]) AND key = ANY ($5::text[])
"""

_IN_SCOPE = """
SELECT true FROM wave_teams WHERE org_id = $1 AND wave_id = $2 AND team_id = ANY ($3::uuid[])
LIMIT 1
"""


async def wave_heatmap(
    conn: Conn,
    org_id: UUID,
    wave_id: UUID,
    *,
    visible: set[UUID] | None,
    scope: Scope = "subtree",
    dimensions: list[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Heatmap:
    """Teams x dimensions of one wave; `visible` None means the whole org (admin).

    A wave that touches none of the visible teams is NotFound, like one that does not exist.
    """
    wave = await conn.fetchrow(_WAVE, org_id, wave_id)
    if wave is None:
        raise NotFound("No such wave.")
    team_filter = None if visible is None else list(visible)
    if team_filter is not None and not await conn.fetchval(_IN_SCOPE, org_id, wave_id, team_filter):
        raise NotFound("No such wave.")
    if wave["state"] != "closed":
        raise Conflict(f"This wave is still open; {guard.OPEN_REASON} until it closes.")
    dims_of_wave: list[str] = list(wave["dimensions"])
    dims = [d for d in dims_of_wave if dimensions is None or d in dimensions]
    rows = await conn.fetch(_ROWS, org_id, wave_id, scope, team_filter, limit, offset)
    cells = await conn.fetch(_CELLS, org_id, wave_id, scope, [r["team_id"] for r in rows], dims)
    by_cell = {(c["team_id"], c["key"]): c for c in cells}
    k = wave["k"]
    out: list[HeatmapRow] = []
    for r in rows:
        count = guard.release_count(r["n"], r["hidden"], k=k, wave_closed=True)
        row_cells: dict[str, Cell] = {}
        for d in dims:
            c = by_cell.get((r["team_id"], d))
            row_cells[d] = cell_from(
                guard.release_cell(
                    aggregate_of(c) if c else None,
                    c["hidden"] if c else None,
                    k=k,
                    wave_closed=True,
                )
            )
        out.append(
            HeatmapRow(
                team_id=r["team_id"],
                team_name=r["name"],
                parent_id=r["parent_id"],
                respondents=count if isinstance(count, int) else None,
                participation=guard.release_participation(
                    r["invited"],
                    r["responded"],
                    k=k,
                    cell_published=isinstance(count, int),
                    wave_closed=True,
                ),
                cells=row_cells,
                reason=None if isinstance(count, int) else count.reason,
                reason_code=None if isinstance(count, int) else count.code,
            )
        )
    total = rows[0]["total"] if rows else 0
    if not rows and offset > 0:
        total = await conn.fetchval(
            "SELECT count(*) FROM wave_groups WHERE org_id = $1 AND wave_id = $2 AND scope = $3"
            " AND ($4::uuid[] IS NULL OR team_id = ANY ($4::uuid[]))",
            org_id,
            wave_id,
            scope,
            team_filter,
        )
    return Heatmap(wave_id, scope, dims, total, limit, offset, out)
