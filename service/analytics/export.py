"""CSV renderings of the guarded trend and heatmap structs (never of raw rows).

The CSV is made from the very `TeamTrend` / `Heatmap` objects the JSON routes return, so both
formats carry the same numbers and hide the same cells.
"""

from __future__ import annotations

from ..csvfile import render_csv
from ..guard import Cell
from .heatmap import Heatmap
from .trends import TeamTrend

_CELL_COLUMNS = [
    "published",
    "reason",
    "n",
    "mean",
    "mean_low",
    "mean_high",
    "score",
    "score_low",
    "score_high",
    "favourable_pct",
    "favourable_low",
    "favourable_high",
]


def _cell(c: Cell) -> list[object]:
    def ends(i: object) -> list[object]:
        return [getattr(i, "low", None), getattr(i, "high", None)]

    return [
        "yes" if c.published else "no",
        c.reason,
        c.n,
        c.mean,
        *ends(c.mean_ci),
        c.score,
        *ends(c.score_ci),
        c.favourable_pct,
        *ends(c.favourable_ci),
    ]


def trend_csv(trend: TeamTrend) -> bytes:
    header = ["team_id", "team_name", "scope", "kind", "key", "wave_id", "opens_on"]
    header += [*_CELL_COLUMNS, "delta", "delta_low", "delta_high", "change"]
    rows: list[list[object]] = []
    for s in trend.series:
        for p in s.points:
            ci = p.delta_ci
            rows.append(
                [
                    trend.team_id,
                    trend.team_name,
                    trend.scope,
                    s.kind,
                    s.key,
                    p.wave_id,
                    p.opens_on,
                    *_cell(p.result),
                    p.delta,
                    ci.low if ci else None,
                    ci.high if ci else None,
                    p.change,
                ]
            )
    return render_csv(header, rows)


def heatmap_csv(heatmap: Heatmap) -> bytes:
    header = ["wave_id", "scope", "team_id", "team_name", "parent_id", "dimension"]
    header += [*_CELL_COLUMNS, "participation_pct", "participation_band"]
    rows: list[list[object]] = []
    for r in heatmap.rows:
        for dim, c in r.cells.items():
            rows.append(
                [
                    heatmap.wave_id,
                    heatmap.scope,
                    r.team_id,
                    r.team_name,
                    r.parent_id,
                    dim,
                    *_cell(c),
                    r.participation.rate_pct,
                    r.participation.band,
                ]
            )
    return render_csv(header, rows)
