"""One closed wave as a grid: the teams a key may see x the wave's dimensions, guarded."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from .. import guard
from ..errors import Conflict, NotFound
from ..guard import Cell, Participation, cell_from
from . import queries
from .trends import Conn, Scope, aggregate_of


class HeatmapRow(msgspec.Struct, frozen=True):
    team_id: Annotated[
        UUID,
        msgspec.Meta(description="The team", examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]),
    ]
    team_name: Annotated[
        str, msgspec.Meta(description="Its name as the wave froze it", examples=["Platform"])
    ]
    parent_id: Annotated[
        UUID | None,
        msgspec.Meta(description="Its parent in the wave's tree; null for a root", examples=[None]),
    ]
    respondents: Annotated[
        Annotated[int | None, guard.DERIVED],
        msgspec.Meta(
            description="Respondents behind the row's numbers; null when not shown", examples=[12]
        ),
    ]  # guard.release_count
    participation: Annotated[
        Participation,
        msgspec.Meta(description="How many of those invited answered, through the guard"),
    ]
    cells: Annotated[
        dict[str, Cell], msgspec.Meta(description="One cell per dimension (or item), by key")
    ]  # dimension -> cell
    reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why the whole row is held back, in words; null when shown", examples=[None]
        ),
    ] = None
    reason_code: Annotated[
        guard.Code | None,
        msgspec.Meta(
            description=(
                "A code for the reason: `few` (fewer than k respondents), `complement` (hidden "
                "so a smaller group cannot be worked out by subtraction), `open` (wave still "
                "open), `not_asked`, `invitees`, `unpublished` or `pooled`; null when shown"
            ),
            examples=[None],
        ),
    ] = None
    reason_about: Annotated[
        str | None,
        msgspec.Meta(description="The group the reason names; null when shown", examples=[None]),
    ] = None
    group: Annotated[
        str | None,
        msgspec.Meta(
            description='The group the numbers describe ("Data & Design" when pooled)',
            examples=["Platform"],
        ),
    ] = None  # the group the numbers describe ("Data & Design" when pooled)
    pooled: Annotated[
        bool,
        msgspec.Meta(
            description="True when the team was reported together with another", examples=[False]
        ),
    ] = False


class Heatmap(msgspec.Struct, frozen=True):
    wave_id: Annotated[
        UUID,
        msgspec.Meta(
            description="The closed wave", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    scope: Annotated[
        Scope,
        msgspec.Meta(
            description="`subtree` (each team with every team below it) or `team` (its own people)",
            examples=["subtree"],
        ),
    ]
    dimensions: Annotated[
        list[str],
        msgspec.Meta(
            description="The columns, in order",
            examples=[["psychological_safety", "speaking_up", "trust", "learning"]],
        ),
    ]
    total: Annotated[
        guard.Meta,
        msgspec.Meta(description="Rows (teams) within the key's scope, for paging", examples=[8]),
    ]  # rows (teams) within the key's scope, for paging
    limit: Annotated[
        guard.Meta, msgspec.Meta(description="The page size asked for", examples=[100])
    ]
    offset: Annotated[
        guard.Meta, msgspec.Meta(description="How many rows come before this page", examples=[0])
    ]
    rows: Annotated[list[HeatmapRow], msgspec.Meta(description="The teams of this page")]


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
    wave = await conn.fetchrow(queries.HEATMAP_WAVE, org_id, wave_id)
    if wave is None:
        raise NotFound("No such wave.")
    team_filter = None if visible is None else list(visible)
    if team_filter is not None and not await conn.fetchval(
        queries.HEATMAP_IN_SCOPE, org_id, wave_id, team_filter
    ):
        raise NotFound("No such wave.")
    if wave["state"] != "closed":
        raise Conflict(f"This wave is still open; {guard.OPEN_REASON} until it closes.")
    dims_of_wave: list[str] = list(wave["dimensions"])
    dims = [d for d in dims_of_wave if dimensions is None or d in dimensions]
    rows = await conn.fetch(
        queries.HEATMAP_ROWS, org_id, wave_id, scope, team_filter, limit, offset
    )
    cells = await conn.fetch(
        queries.HEATMAP_CELLS, org_id, wave_id, scope, [r["team_id"] for r in rows], dims
    )
    by_cell = {(c["team_id"], c["key"]): c for c in cells}
    k = wave["k"]
    out: list[HeatmapRow] = []
    for r in rows:
        count = guard.release_count(
            r["n"], r["hidden"], k=k, wave_closed=True, because=r["hidden_because"]
        )
        row_cells: dict[str, Cell] = {}
        for d in dims:
            if d == wave["follow_up_dimension"] and not r["follows_up"]:
                # Asked only of teams that had agreed a focus; this group's were not asked.
                row_cells[d] = guard.withheld_cell("not_asked", guard.NOT_ASKED_REASON)
                continue
            c = by_cell.get((r["team_id"], d))
            row_cells[d] = cell_from(
                guard.release_cell(
                    aggregate_of(c) if c else None,
                    c["hidden"] if c else None,
                    k=k,
                    wave_closed=True,
                    because=c["hidden_because"] if c else None,
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
                reason_about=None if isinstance(count, int) else count.about,
                group=r["group_name"] or r["name"],
                pooled=bool(r["pooled"]),
            )
        )
    total = rows[0]["total"] if rows else 0
    if not rows and offset > 0:
        total = await conn.fetchval(
            queries.HEATMAP_TOTAL,
            org_id,
            wave_id,
            scope,
            team_filter,
        )
    return Heatmap(wave_id, scope, dims, total, limit, offset, out)
