"""The heatmap page: one closed round, every team the person may see x the round's dimensions.

Cells come from `analytics.heatmap.wave_heatmap()` and change flags from
`analytics.changes.wave_changes()`, both behind the guard, with the API's own visibility
(`visible_team_ids`); the CSV is the analytics CSV of the same grid.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ..analytics.changes import wave_changes
from ..analytics.export import heatmap_csv
from ..analytics.heatmap import Heatmap, HeatmapRow, wave_heatmap
from ..auth import visible_team_ids
from ..errors import NotFound
from . import i18n, queries
from .models import HeatCell, HeatmapView, HeatRow, Page, RoundOption
from .sessions import ConsoleSession
from .teams import dimension_order, participation_words

PAGE_SIZE = 100


def shade(score: float | None) -> int:
    """The colour step (0-9) of a published 0-100 score."""
    return 0 if score is None else max(0, min(9, int(score // 10)))


def tree_order(rows: list[HeatmapRow]) -> list[tuple[HeatmapRow, int]]:
    """Rows depth-first under their parents (as far as the parents are on this page)."""
    ids = {r.team_id for r in rows}
    children: dict[UUID | None, list[HeatmapRow]] = {}
    for r in rows:
        children.setdefault(r.parent_id if r.parent_id in ids else None, []).append(r)
    out: list[tuple[HeatmapRow, int]] = []
    stack = [(r, 0) for r in reversed(children.get(None, []))]
    while stack:
        row, depth = stack.pop()
        out.append((row, depth))
        stack += [(c, depth + 1) for c in reversed(children.get(row.team_id, []))]
    return out


async def _grid(
    conn: Any, session: ConsoleSession, wave_id: UUID | None, limit: int, offset: int
) -> tuple[list[Any], Heatmap | None, int]:
    who = session.principal
    visible = await visible_team_ids(conn, who)
    rounds = await conn.fetch(queries.ROUNDS_OF_TEAMS, session.org_id, list(visible))
    if wave_id is None:
        if not rounds:
            return rounds, None, 0
        wave_id = rounds[0]["id"]
    k = next((r["k"] for r in rounds if r["id"] == wave_id), None)
    grid = await wave_heatmap(
        conn,
        session.org_id,
        wave_id,
        visible=None if who.is_admin else visible,
        scope="subtree",
        limit=limit,
        offset=offset,
    )
    if k is None:  # an older round than the picker lists, but in scope (wave_heatmap checked)
        k = next(iter(rounds), {"k": 5})["k"]
    return rounds, grid, k


async def heatmap_page(
    conn: Any, session: ConsoleSession, page: Page, wave_id: UUID | None, offset: int
) -> HeatmapView:
    lang = page.lang
    rounds, grid, k = await _grid(conn, session, wave_id, PAGE_SIZE, offset)
    options = [RoundOption(r["id"], r["closes_at"].date()) for r in rounds]
    if grid is None:
        return HeatmapView(page, options, None, None, [], [], 0, PAGE_SIZE, offset)
    dims = sorted(grid.dimensions, key=dimension_order)
    changes = await wave_changes(
        conn, session.org_id, grid.wave_id, [r.team_id for r in grid.rows], dims, k=k
    )
    rows = []
    for r, depth in tree_order(grid.rows):
        cells = []
        for d in dims:
            c = r.cells[d]
            ch = changes.get((r.team_id, d))
            cells.append(
                HeatCell(
                    dimension=d,
                    cell=c,
                    shade=shade(c.score),
                    reason=None
                    if c.published
                    else i18n.reason(c.reason_code, lang, k, c.reason_about),
                    change=ch.change if ch else None,
                    change_words=i18n.change_words(ch.change, lang) if ch else None,
                    delta=ch.delta if ch else None,
                )
            )
        rows.append(
            HeatRow(
                team_id=r.team_id,
                name=r.team_name,
                depth=depth,
                cells=cells,
                participation=r.participation,
                participation_words=participation_words(r.participation, lang),
                reason=i18n.reason(r.reason_code, lang, k, r.reason_about)
                if r.reason_code
                else None,
                group=i18n.pooled_group(r.group, r.pooled, r.reason_code),
            )
        )
    closed_on = next((o.closed_on for o in options if o.wave_id == grid.wave_id), None)
    return HeatmapView(
        page=page,
        rounds=options,
        wave_id=grid.wave_id,
        closed_on=closed_on,
        dimensions=[(d, i18n.dimension_name(d, lang)) for d in dims],
        rows=rows,
        total=grid.total,
        limit=PAGE_SIZE,
        offset=offset,
    )


async def heatmap_file(
    conn: Any, session: ConsoleSession, wave_id: UUID | None
) -> tuple[UUID, bytes]:
    """The analytics CSV of the same grid (all rows the person may see, up to 1,000)."""
    _, grid, _ = await _grid(conn, session, wave_id, 1000, 0)
    if grid is None:
        raise NotFound("No closed round yet.")
    return grid.wave_id, heatmap_csv(grid)
